package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/export-notifier/export-notifier/event"
)

// DingTalk custom bot limits: the markdown text, and the rate (about 20
// messages a minute per bot; more are refused with errcode 130101).
const (
	dingTalkMaxText = 20000 // bytes
	// A token bucket of 10 refilled every 6s never sends more than 20 in
	// any minute.
	dingTalkBurst = 10
	dingTalkEvery = 6 * time.Second
	// After "send too fast", wait for the minute's window to pass.
	dingTalkRateLimitWait = time.Minute
)

// DingTalkMessage is the body of a DingTalk custom bot's markdown message.
type DingTalkMessage struct {
	MsgType  string           `json:"msgtype"` // "markdown"
	Markdown DingTalkMarkdown `json:"markdown"`
}

// DingTalkMarkdown is a markdown message: Title is what the chat list and
// notifications show, Text the message itself.
type DingTalkMarkdown struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// RenderDingTalk is the DingTalk message about events: one event, or
// several failures sharing an error code (see GroupFailures).
func RenderDingTalk(events []event.Event, includeLink bool) DingTalkMessage {
	var title string
	var md markdown
	switch {
	case len(events) == 0:
		title = "No export events"
		md.heading(title)
		md.small("export-notifier")
	case len(events) > 1:
		// Long groups are cut to fit the limit: a shorter list of exports,
		// with the count of the rest.
		for budget := botMaxList; ; budget /= 2 {
			md.Reset()
			title = dingTalkGroup(&md, events, budget)
			if md.Len() <= dingTalkMaxText || budget < 100 {
				break
			}
		}
	default:
		title = dingTalkSingle(&md, events[0], includeLink)
	}
	return DingTalkMessage{MsgType: "markdown", Markdown: DingTalkMarkdown{
		Title: Cut(title, botMaxTitle, Chars),
		Text:  Cut(md.String(), dingTalkMaxText, Bytes),
	}}
}

func dingTalkSingle(md *markdown, ev event.Event, includeLink bool) string {
	st := ev.Status
	title := Cut(OneLine(botHeadline(ev)), botMaxTitle, Chars)
	md.heading(title)
	switch ev.Type {
	case event.Completed:
		md.facts(botFacts(ev, fact{"Total rows", Thousands(st.TotalCount)}))
		if link := botLink(st, includeLink); link != "" {
			md.link("Download", link)
		}
	case event.Failed:
		code, message := botFailure(FailureOf(ev))
		md.failure(code, message)
		md.facts(botFacts(ev, fact{"Status", ProgressText(st)}))
		md.hint(Hint(st.Kind, FailureOf(ev).Code))
	case event.Stalled:
		md.paragraph("No progress: " + ProgressText(st) + ".")
		md.facts(botFacts(ev, fact{"Total rows", Thousands(st.TotalCount)}))
	case event.Started:
		md.facts(botStartedFacts(ev))
	default:
		md.facts(botFacts(ev, fact{"Status", ProgressText(st)}))
	}
	md.small(botFooter(ev))
	return title
}

func dingTalkGroup(md *markdown, events []event.Event, listBudget int) string {
	first := events[0]
	title, sameCode := botGroupHeadline(events)
	title = Cut(OneLine(title), botMaxTitle, Chars)
	md.heading(title)
	if sameCode {
		code, message := botFailure(FailureOf(first))
		md.failure(code, message)
	}
	md.list(FitLines(botGroupLines(events, sameCode), listBudget))
	if sameCode {
		md.hint(Hint(first.Status.Kind, FailureOf(first).Code))
	}
	md.small(botGroupFooter(first))
	return title
}

// markdown builds DingTalk markdown. Blocks are separated by blank lines,
// which DingTalk needs to break lines. Text from outside arrives cleaned to
// one line and is never put at the start of a line, where it could make a
// heading, a list or a quote.
type markdown struct{ strings.Builder }

func (m *markdown) block(s string) {
	if m.Len() > 0 {
		m.WriteString("\n\n")
	}
	m.WriteString(s)
}

func (m *markdown) heading(s string) { m.block("### " + mdText(s)) }

func (m *markdown) paragraph(s string) { m.block(mdText(s)) }

func (m *markdown) failure(code, message string) {
	s := "**" + mdText(code) + "**"
	if message != "" {
		s += ": " + mdText(message)
	}
	m.block(s)
}

func (m *markdown) facts(facts []fact) {
	lines := make([]string, len(facts))
	for i, f := range facts {
		lines[i] = "- **" + f.name + ":** " + mdText(Cut(OneLine(f.value), botMaxValue, Chars))
	}
	m.block(strings.Join(lines, "\n"))
}

// list shows lines as a markdown list: those starting "• " are its items;
// any other (FitLines' "…and N more") is a paragraph after it.
func (m *markdown) list(s string) {
	var items, after []string
	for _, l := range strings.Split(s, "\n") {
		if item, ok := strings.CutPrefix(l, "• "); ok {
			items = append(items, "- "+mdText(item))
		} else {
			after = append(after, mdText(l))
		}
	}
	if len(items) > 0 {
		m.block(strings.Join(items, "\n"))
	}
	for _, p := range after {
		m.block(p)
	}
}

func (m *markdown) link(text, target string) {
	// A markdown link ends at the first ")"; a presigned link has none,
	// but any other is kept whole by escaping the parentheses.
	target = strings.NewReplacer("(", "%28", ")", "%29").Replace(target)
	m.block("**[" + text + "](" + target + ")**")
}

func (m *markdown) hint(h string) {
	if h != "" {
		m.block("Hint: " + mdText(h))
	}
}

func (m *markdown) small(s string) { m.block("###### " + mdText(s)) }

// mdText keeps text from being read as HTML, which DingTalk's markdown
// renders (<font>, <br>); the markdown around it is built by markdown.
func mdText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// dingTalk posts markdown messages to a DingTalk custom bot, signed when
// the bot has a secret.
type dingTalk struct {
	url           string // with access_token, the bot's credential
	secret        string // "SEC...", or "" for a bot that checks keywords or IPs instead
	client        *http.Client
	includeLink   bool
	now           func() time.Time
	limiter       *rate.Limiter
	rateLimitWait time.Duration // how long to wait after "send too fast"
	secrets       []string      // what must never appear in an error
}

// newDingTalk is the DingTalk sink for the bot at target (checked as
// checkDingTalkURL does).
func newDingTalk(target, secret string, includeLink bool) (*dingTalk, error) {
	target, err := checkDingTalkURL(target)
	if err != nil {
		return nil, err
	}
	if err := checkBotSecret("DINGTALK_SECRET", secret); err != nil {
		return nil, err
	}
	return &dingTalk{
		url:           target,
		secret:        secret,
		client:        NewHTTPClient(),
		includeLink:   includeLink,
		now:           time.Now,
		limiter:       rate.NewLimiter(rate.Every(dingTalkEvery), dingTalkBurst),
		rateLimitWait: dingTalkRateLimitWait,
		secrets:       append(URLSecrets(target), secret, accessToken(target)),
	}, nil
}

// checkDingTalkURL accepts a DingTalk bot URL: https (plain http only to
// loopback hosts) with the access_token query parameter.
func checkDingTalkURL(raw string) (string, error) {
	target, err := CheckURL("DINGTALK_WEBHOOK_URL", raw)
	if err != nil {
		return "", err
	}
	u, _ := url.Parse(target) // CheckURL parsed it
	if u.Query().Get("access_token") == "" {
		return "", fmt.Errorf("DINGTALK_WEBHOOK_URL: %s has no access_token query parameter; copy the whole webhook URL from the bot's settings", RedactURL(target))
	}
	return target, nil
}

// accessToken is the bot's access token, its credential.
func accessToken(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return ""
	}
	return u.Query().Get("access_token")
}

// checkBotSecret accepts a bot's signing secret: one word, not a URL. The
// error never shows the value.
func checkBotSecret(variable, secret string) error {
	switch {
	case strings.ContainsFunc(secret, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return errors.New(variable + ": holds white space or control characters")
	case strings.Contains(secret, "://"):
		return errors.New(variable + ": holds a URL; want the bot's signing secret")
	}
	return nil
}

func (d *dingTalk) Name() string                               { return "dingtalk" }
func (d *dingTalk) Group(events []event.Event) [][]event.Event { return GroupFailures(events) }

// Notify posts one markdown message about events. DingTalk reports errors
// in a 200 answer's errcode, which become *Error with DingTalk's errmsg.
func (d *dingTalk) Notify(ctx context.Context, events []event.Event) error {
	body, err := MarshalJSON(RenderDingTalk(events, d.includeLink), "")
	if err != nil {
		return &Error{Sink: d.Name(), Err: err}
	}
	if e := pace(ctx, d.Name(), d.limiter); e != nil {
		return e
	}
	target, secrets := d.url, d.secrets
	if d.secret != "" {
		// The signature is new on every attempt: DingTalk refuses
		// timestamps more than an hour old.
		ts := strconv.FormatInt(d.now().UnixMilli(), 10)
		sig := dingTalkSign(d.secret, ts)
		target = withQuery(d.url, url.Values{"timestamp": {ts}, "sign": {sig}})
		secrets = append(slices.Clip(secrets), sig, url.QueryEscape(sig), target)
	}
	header := http.Header{"Content-Type": {"application/json; charset=utf-8"}, "User-Agent": {"export-notifier"}}
	status, answer, e := PostForAnswer(ctx, d.client, d.Name(), target, header, body, secrets)
	if e := d.verdict(status, answer, e, secrets); e != nil {
		return e
	}
	return nil
}

// verdict reads DingTalk's answer: nil when errcode is 0, else an *Error
// with errcode and errmsg, retryable for DingTalk's rate limits and busy
// signals.
func (d *dingTalk) verdict(status int, answer []byte, httpErr *Error, secrets []string) *Error {
	var a struct {
		Code *int64 `json:"errcode"`
		Msg  string `json:"errmsg"`
	}
	if json.Unmarshal(answer, &a) != nil {
		a.Code = nil
	}
	return botVerdict(d.Name(), "errcode", status, answer, a.Code, a.Msg, httpErr, secrets, d.retry)
}

// retry says whether a DingTalk errcode may clear by itself, and how long
// to wait first. 130101 and 410100 are the per-minute rate limit, -1 is
// "system busy". The rest (310000: sign not match, keywords not in
// content, IP not in the allowlist; 300001 and 4001xx: a bad or removed
// token or bot; 430xxx: content refused) need a person.
func (d *dingTalk) retry(code int64, msg string) (bool, time.Duration) {
	switch {
	case code == 130101 || code == 410100 || strings.Contains(strings.ToLower(msg), "too fast"):
		return true, d.rateLimitWait
	case code == -1:
		return true, 0
	}
	return false, 0
}

// dingTalkSign is DingTalk's signature for a timestamp in milliseconds:
// base64 HMAC-SHA256, keyed with the secret, of timestamp + "\n" + secret.
func dingTalkSign(secret, timestamp string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// withQuery is target with params set in its query (URL-encoded).
func withQuery(target string, params url.Values) string {
	u, err := url.Parse(target)
	if err != nil {
		return target // checked when the sink was made
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return u.String()
}
