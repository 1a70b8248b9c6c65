package sassim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
)

// Members are the accounts of a resource directory that the simulated
// caller manages in Security Center's multi-account management:
// DescribeMonitorAccounts lists them, and ExportRecord and
// DescribeExportInfo take them as ResourceDirectoryAccountId.
type Members struct {
	// Accounts are listed by DescribeMonitorAccounts, in order.
	Accounts []int64
	// Refused are members (listed or not) whose data the caller may not
	// read: a call naming one is refused with RdCheckNoPermission.
	Refused []int64
}

// SetMembers replaces the member accounts. Without members, any account
// a request names is accepted, as before multi-account management was
// simulated; with them, an account outside Accounts is refused with
// RdCheckNoPermission too, and an export started for one member is not
// found under another. It is safe while serving.
func (s *Simulator) SetMembers(m Members) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.members = Members{Accounts: slices.Clone(m.Accounts), Refused: slices.Clone(m.Refused)}
}

// describeMembers answers DescribeMonitorAccounts: the member accounts'
// IDs, as strings, in AccountIds and AccountIdInfos.
func (s *Simulator) describeMembers(w http.ResponseWriter, call *Call) {
	s.mu.Lock()
	accounts := slices.Clone(s.members.Accounts)
	s.mu.Unlock()
	ids := make([]string, len(accounts))
	infos := make([]map[string]any, len(accounts))
	for i, a := range accounts {
		ids[i] = strconv.FormatInt(a, 10)
		infos[i] = map[string]any{"AccountId": ids[i], "AddTime": call.Time.UnixMilli(), "SasVersion": "7", "PostBasicService": 1}
	}
	answer, _ := json.Marshal(map[string]any{"RequestId": call.RequestID, "AccountIds": ids, "AccountIdInfos": infos})
	call.HTTPStatus = http.StatusOK
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(answer)
	s.record(*call)
}

// checkMember refuses a request that names a member account the caller
// may not read, as Security Center's resource directory check does.
// account is the request's ResourceDirectoryAccountId, 0 for none.
func (s *Simulator) checkMember(account int64) *apiError {
	if account == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	known := len(s.members.Accounts) == 0 || slices.Contains(s.members.Accounts, account)
	if !known || slices.Contains(s.members.Refused, account) {
		return &apiError{DefaultHTTPStatus("RdCheckNoPermission"), "RdCheckNoPermission", defaultMessage("RdCheckNoPermission")}
	}
	return nil
}

// otherAccount refuses, once members are set, asking about an export
// started for one member account under another one (or under the caller's
// own): Security Center keeps each member's exports apart. s.mu is held.
func (s *Simulator) otherAccount(st *exportState, asked int64) *apiError {
	if len(s.members.Accounts) == 0 || st.spec.Ref.Account == 0 || st.spec.Ref.Account == asked {
		return nil
	}
	return &apiError{http.StatusBadRequest, "InvalidParameter", "The export does not exist in the account asked about."}
}
