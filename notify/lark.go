package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/time/rate"

	"github.com/export-notifier/export-notifier/event"
)

// Lark/Feishu custom bot limits: the request body, and the rate (100
// messages a minute and 5 a second per bot; more are refused with code
// 11232).
const (
	larkMaxBody = 20000 // bytes; Lark says 20 KB
	// A token bucket of 5 refilled every 1.2s stays under both rates.
	larkBurst = 5
	larkEvery = 1200 * time.Millisecond
)

// LarkMessage is the body of a Lark/Feishu custom bot's card message.
// Timestamp and Sign are set when the bot has a signing secret.
type LarkMessage struct {
	Timestamp string   `json:"timestamp,omitempty"` // Unix seconds
	Sign      string   `json:"sign,omitempty"`
	MsgType   string   `json:"msg_type"` // "interactive"
	Card      LarkCard `json:"card"`
}

// LarkCard is a message card: a coloured header, then elements.
type LarkCard struct {
	Config   LarkCardConfig `json:"config"`
	Header   LarkHeader     `json:"header"`
	Elements []LarkElement  `json:"elements"`
}

// LarkCardConfig is the card's configuration.
type LarkCardConfig struct {
	WideScreenMode bool `json:"wide_screen_mode"`
}

// LarkHeader is the card's title and colour ("green", "red", "orange",
// "blue").
type LarkHeader struct {
	Template string   `json:"template"`
	Title    LarkText `json:"title"`
}

// LarkText is a text object: Tag "plain_text", or "lark_md" for Lark's
// markdown, which this package uses only for labels and values it knows
// to be plain.
type LarkText struct {
	Tag     string `json:"tag"`
	Content string `json:"content"`
}

// LarkElement is one card element: "div" (Text and/or Fields), "action"
// (Actions), "hr", or "note" (Elements).
type LarkElement struct {
	Tag      string       `json:"tag"`
	Text     *LarkText    `json:"text,omitempty"`
	Fields   []LarkField  `json:"fields,omitempty"`
	Actions  []LarkButton `json:"actions,omitempty"`
	Elements []LarkText   `json:"elements,omitempty"`
}

// LarkField is one of a div's fields; short ones sit two to a row.
type LarkField struct {
	IsShort bool     `json:"is_short"`
	Text    LarkText `json:"text"`
}

// LarkButton is a button that opens URL.
type LarkButton struct {
	Tag  string   `json:"tag"` // "button"
	Text LarkText `json:"text"`
	Type string   `json:"type"` // "primary"
	URL  string   `json:"url"`
}

// RenderLark is the Lark card message about events: one event, or several
// failures sharing an error code (see GroupFailures).
func RenderLark(events []event.Event, includeLink bool) LarkMessage {
	var card LarkCard
	switch {
	case len(events) == 0:
		card = larkCard("blue", "No export events", larkNote("export-notifier"))
	case len(events) > 1:
		// Long groups are cut to fit the body limit: a shorter list of
		// exports, with the count of the rest.
		for budget := botMaxList; ; budget /= 2 {
			card = larkGroup(events, budget)
			if b, err := json.Marshal(card); err != nil || len(b) <= larkMaxBody-500 || budget < 100 {
				break
			}
		}
	default:
		card = larkSingle(events[0], includeLink)
	}
	return LarkMessage{MsgType: "interactive", Card: card}
}

func larkSingle(ev event.Event, includeLink bool) LarkCard {
	st := ev.Status
	title := botHeadline(ev)
	var elements []LarkElement
	var colour string
	switch ev.Type {
	case event.Completed:
		colour = "green"
		elements = append(elements, larkFields(botFacts(ev, fact{"Total rows", Thousands(st.TotalCount)})))
		if link := botLink(st, includeLink); link != "" {
			elements = append(elements, LarkElement{Tag: "action", Actions: []LarkButton{{
				Tag: "button", Text: LarkText{Tag: "plain_text", Content: "Download"}, Type: "primary", URL: link,
			}}})
		}
	case event.Failed:
		colour = "red"
		elements = append(elements, larkFailure(FailureOf(ev))...)
		elements = append(elements, larkFields(botFacts(ev, fact{"Status", ProgressText(st)})))
		elements = append(elements, larkHint(Hint(st.Kind, FailureOf(ev).Code))...)
	case event.Stalled:
		colour = "orange"
		elements = append(elements, larkPlain("No progress: "+ProgressText(st)+"."))
		elements = append(elements, larkFields(botFacts(ev, fact{"Total rows", Thousands(st.TotalCount)})))
	case event.Started:
		colour = "blue"
		elements = append(elements, larkFields(botStartedFacts(ev)))
	default:
		colour = "blue"
		elements = append(elements, larkFields(botFacts(ev, fact{"Status", ProgressText(st)})))
	}
	elements = append(elements, LarkElement{Tag: "hr"}, larkNote(botFooter(ev)))
	return larkCard(colour, title, elements...)
}

func larkGroup(events []event.Event, listBudget int) LarkCard {
	first := events[0]
	title, sameCode := botGroupHeadline(events)
	colour := "blue"
	var elements []LarkElement
	if sameCode {
		colour = "red"
		elements = append(elements, larkFailure(FailureOf(first))...)
	}
	elements = append(elements, larkPlain(FitLines(botGroupLines(events, sameCode), listBudget)))
	if sameCode {
		elements = append(elements, larkHint(Hint(first.Status.Kind, FailureOf(first).Code))...)
	}
	elements = append(elements, LarkElement{Tag: "hr"}, larkNote(botGroupFooter(first)))
	return larkCard(colour, title, elements...)
}

func larkCard(colour, title string, elements ...LarkElement) LarkCard {
	return LarkCard{
		Config:   LarkCardConfig{WideScreenMode: true},
		Header:   LarkHeader{Template: colour, Title: LarkText{Tag: "plain_text", Content: Cut(OneLine(title), botMaxTitle, Chars)}},
		Elements: elements,
	}
}

// larkFailure is the error code in bold and Security Center's message.
func larkFailure(f event.Failure) []LarkElement {
	code, message := botFailure(f)
	head := LarkElement{Tag: "div", Text: &LarkText{Tag: "plain_text", Content: code}}
	if larkPlainMarkdown(code) {
		head.Text = &LarkText{Tag: "lark_md", Content: "**" + code + "**"}
	}
	out := []LarkElement{head}
	if message != "" {
		out = append(out, larkPlain(message))
	}
	return out
}

func larkHint(h string) []LarkElement {
	if h == "" {
		return nil
	}
	return []LarkElement{larkPlain("Hint: " + h)}
}

// larkFields shows facts two to a row: the name in bold and the value
// below it, or the whole field as plain text when the value holds
// characters that Lark's markdown would read.
func larkFields(facts []fact) LarkElement {
	fields := make([]LarkField, len(facts))
	for i, f := range facts {
		value := Cut(OneLine(f.value), botMaxValue, Chars)
		text := LarkText{Tag: "plain_text", Content: f.name + "\n" + value}
		if larkPlainMarkdown(value) {
			text = LarkText{Tag: "lark_md", Content: "**" + f.name + "**\n" + value}
		}
		fields[i] = LarkField{IsShort: true, Text: text}
	}
	return LarkElement{Tag: "div", Fields: fields}
}

// larkPlain is a div of plain text (text from outside goes only in plain
// text, where <at>, links and emphasis mean nothing).
func larkPlain(s string) LarkElement {
	return LarkElement{Tag: "div", Text: &LarkText{Tag: "plain_text", Content: s}}
}

func larkNote(s string) LarkElement {
	return LarkElement{Tag: "note", Elements: []LarkText{{Tag: "plain_text", Content: s}}}
}

// larkPlainMarkdown reports whether s reads the same in Lark's markdown as
// in plain text: letters, digits, spaces and a little punctuation, starting
// with a letter or digit.
func larkPlainMarkdown(s string) bool {
	for i, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
		case i > 0 && strings.ContainsRune(" .,:@%()/-", r):
		default:
			return false
		}
	}
	return s != ""
}

// lark posts card messages to a Lark/Feishu custom bot, signed when the
// bot has a secret.
type lark struct {
	url         string // its last path segment is the hook ID, the bot's credential
	secret      string // "" for a bot that checks keywords or IPs instead
	client      *http.Client
	includeLink bool
	now         func() time.Time
	limiter     *rate.Limiter
	secrets     []string // what must never appear in an error
}

// newLark is the Lark sink for the bot at target (checked as checkLarkURL
// does).
func newLark(target, secret string, includeLink bool) (*lark, error) {
	target, err := checkLarkURL(target)
	if err != nil {
		return nil, err
	}
	if err := checkBotSecret("LARK_SECRET", secret); err != nil {
		return nil, err
	}
	return &lark{
		url:         target,
		secret:      secret,
		client:      NewHTTPClient(),
		includeLink: includeLink,
		now:         time.Now,
		limiter:     rate.NewLimiter(rate.Every(larkEvery), larkBurst),
		secrets:     append(URLSecrets(target), secret, path.Base(target)),
	}, nil
}

// checkLarkURL accepts a Lark bot URL: https (plain http only to loopback
// hosts) with the hook ID in its path.
func checkLarkURL(raw string) (string, error) {
	target, err := CheckURL("LARK_WEBHOOK_URL", raw)
	if err != nil {
		return "", err
	}
	u, _ := url.Parse(target) // CheckURL parsed it
	if strings.Trim(u.Path, "/") == "" {
		return "", fmt.Errorf("LARK_WEBHOOK_URL: %s has no hook ID in its path; copy the whole webhook URL (…/open-apis/bot/v2/hook/…) from the bot's settings", RedactURL(target))
	}
	return target, nil
}

func (l *lark) Name() string                               { return "lark" }
func (l *lark) Group(events []event.Event) [][]event.Event { return GroupFailures(events) }

// Notify posts one card about events. Lark reports errors in a 200
// answer's code, which become *Error with Lark's msg.
func (l *lark) Notify(ctx context.Context, events []event.Event) error {
	if e := pace(ctx, l.Name(), l.limiter); e != nil {
		return e
	}
	msg := RenderLark(events, l.includeLink)
	secrets := l.secrets
	if l.secret != "" {
		// Signed anew on every attempt: Lark refuses timestamps more than
		// an hour from its clock.
		msg.Timestamp = strconv.FormatInt(l.now().Unix(), 10)
		msg.Sign = larkSign(l.secret, msg.Timestamp)
		secrets = append(slices.Clip(secrets), msg.Sign)
	}
	body, err := MarshalJSON(msg, "")
	if err != nil {
		return &Error{Sink: l.Name(), Err: err}
	}
	header := http.Header{"Content-Type": {"application/json; charset=utf-8"}, "User-Agent": {"export-notifier"}}
	status, answer, e := PostForAnswer(ctx, l.client, l.Name(), l.url, header, body, secrets)
	if e := l.verdict(status, answer, e, secrets); e != nil {
		return e
	}
	return nil
}

// verdict reads Lark's answer: nil when code (or the older StatusCode) is
// 0, else an *Error with the code and msg, retryable for Lark's rate
// limit.
func (l *lark) verdict(status int, answer []byte, httpErr *Error, secrets []string) *Error {
	var a struct {
		Code          *int64 `json:"code"`
		Msg           string `json:"msg"`
		StatusCode    *int64 `json:"StatusCode"`
		StatusMessage string `json:"StatusMessage"`
	}
	if json.Unmarshal(answer, &a) != nil {
		a.Code = nil
	} else if a.Code == nil {
		a.Code, a.Msg = a.StatusCode, a.StatusMessage
	}
	return botVerdict(l.Name(), "code", status, answer, a.Code, a.Msg, httpErr, secrets, larkRetry)
}

// larkRetry says whether a Lark code may clear by itself: 11232 is the
// rate limit. The rest (19021: sign match fail or a timestamp more than an
// hour off; 19022: IP not allowed; 19024: keywords not found; 9499: bad
// request) need a person.
func larkRetry(code int64, _ string) (bool, time.Duration) { return code == 11232, 0 }

// larkSign is Lark's signature for a timestamp in seconds: base64
// HMAC-SHA256, keyed with timestamp + "\n" + secret, of an empty message.
func larkSign(secret, timestamp string) string {
	mac := hmac.New(sha256.New, []byte(timestamp+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
