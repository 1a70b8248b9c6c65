package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
)

// Accounts names the resource directory member accounts a start item is
// for, each getting its own export: "all" (every member the caller may
// read, listed when the start is made) or a list of account IDs. In a
// payload it is written "all", as a JSON array of IDs (numbers or strings
// of digits) or as a string of comma-separated IDs; parsing keeps it in
// canonical form, "all" or the IDs sorted, each once, comma-separated.
// The empty value means no member accounts: one export, as before.
type Accounts string

// AllAccounts is every member account the caller may read.
const AllAccounts Accounts = "all"

// MaxAccounts bounds how many member accounts one start item may list.
const MaxAccounts = 1000

// UnmarshalJSON accepts "all", an array of account IDs, or a string of
// comma-separated IDs.
func (a *Accounts) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*a = ""
		return nil
	}
	var ids []string
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if strings.TrimSpace(s) == string(AllAccounts) {
			*a = AllAccounts
			return nil
		}
		ids = strings.Split(s, ",")
	case len(b) > 0 && b[0] == '[':
		var items []json.RawMessage
		if err := json.Unmarshal(b, &items); err != nil {
			return errAccounts
		}
		for _, item := range items {
			ids = append(ids, strings.Trim(string(bytes.TrimSpace(item)), `"`))
		}
	default:
		return errAccounts
	}
	parsed, err := parseAccountIDs(ids)
	if err != nil {
		return err
	}
	*a = joinAccounts(parsed)
	return nil
}

var errAccounts = errors.New(`accounts: want "all" or a list of member account IDs, such as [16670360956]`)

// parseAccountIDs parses positive decimal account IDs, sorted and each
// once.
func parseAccountIDs(texts []string) ([]int64, error) {
	if len(texts) == 0 {
		return nil, errAccounts
	}
	ids := make([]int64, 0, len(texts))
	for _, t := range texts {
		t = strings.TrimSpace(t)
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil || n <= 0 || strings.HasPrefix(t, "+") {
			return nil, errors.New("accounts: " + Quote(t) + " is not a member account ID (want a positive whole number)")
		}
		ids = append(ids, n)
	}
	if len(ids) > MaxAccounts {
		return nil, errors.New("accounts: at most " + strconv.Itoa(MaxAccounts) + " member accounts in one item")
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

func joinAccounts(ids []int64) Accounts {
	texts := make([]string, len(ids))
	for i, id := range ids {
		texts[i] = strconv.FormatInt(id, 10)
	}
	return Accounts(strings.Join(texts, ","))
}

// MarshalJSON writes the canonical text, a string.
func (a Accounts) MarshalJSON() ([]byte, error) { return json.Marshal(string(a)) }

// All reports whether a names every member account.
func (a Accounts) All() bool { return a == AllAccounts }

// IDs returns the listed account IDs; nil for "all" and for none.
func (a Accounts) IDs() ([]int64, error) {
	if a == "" || a.All() {
		return nil, nil
	}
	return parseAccountIDs(strings.Split(string(a), ","))
}
