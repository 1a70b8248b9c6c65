package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/export-notifier/export-notifier/event"
)

// Slack's Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks).
const (
	slackMaxBlocks      = 50
	slackMaxHeader      = 150
	slackMaxSectionText = 3000
	slackMaxField       = 2000
	slackMaxFields      = 10
	slackMaxButtonURL   = 3000
	slackMaxFallback    = 3000 // the top-level text can be longer; notifications show far less
)

// SlackMessage is one Slack message: the plain-text fallback (shown in
// notifications and by clients without Block Kit) and the blocks.
type SlackMessage struct {
	Text   string       `json:"text"`
	Blocks slack.Blocks `json:"blocks"`
}

// BlockKitBuilderURL is a link that opens m's blocks in Slack's Block Kit
// Builder.
func BlockKitBuilderURL(m SlackMessage) (string, error) {
	b, err := json.Marshal(struct {
		Blocks slack.Blocks `json:"blocks"`
	}{m.Blocks})
	if err != nil {
		return "", err
	}
	// encodeURIComponent's spelling: spaces as %20, not "+".
	return "https://app.slack.com/block-kit-builder/#" + strings.ReplaceAll(url.QueryEscape(string(b)), "+", "%20"), nil
}

// GroupFailures is how Slack batches one cycle's events: failures that
// share an error code become one message; every other event is a message
// of its own. Messages keep the order in which their first event came.
func GroupFailures(events []event.Event) [][]event.Event {
	var groups [][]event.Event
	byCode := map[string]int{}
	for _, ev := range events {
		if ev.Type == event.Failed && ev.Error != nil {
			if i, ok := byCode[ev.Error.Code]; ok {
				groups[i] = append(groups[i], ev)
				continue
			}
			byCode[ev.Error.Code] = len(groups)
		}
		groups = append(groups, []event.Event{ev})
	}
	return groups
}

// RenderSlack is the Slack message about events: one event, or several
// failures sharing an error code (see GroupFailures).
func RenderSlack(events []event.Event, includeLink bool) SlackMessage {
	switch {
	case len(events) == 0:
		return SlackMessage{Text: "No export events."}
	case len(events) > 1:
		return slackGroup(events)
	}
	ev := events[0]
	switch ev.Type {
	case event.Completed:
		return slackCompleted(ev, includeLink)
	case event.Failed:
		return slackFailed(ev)
	case event.Started:
		return slackStarted(ev)
	case event.Running:
		return slackRunning(ev)
	default:
		return slackStalled(ev)
	}
}

func slackStarted(ev event.Event) SlackMessage {
	var extra []*slack.TextBlockObject
	if as := StartedAs(ev.Start); as != "" {
		extra = append(extra, field("Started as", as))
	}
	blocks := []slack.Block{
		header(StartedHeadline(ev)),
		slack.NewSectionBlock(nil, exportFields(ev, extra...), nil),
		footer(ev),
	}
	return SlackMessage{Text: fallback(Summary(ev, false)), Blocks: slack.Blocks{BlockSet: blocks}}
}

// slackRunning is the first state of a message that updates itself: how
// far the export has got. The blocks depend only on the export's status,
// so an update is due only when the status changed.
func slackRunning(ev event.Event) SlackMessage {
	st := ev.Status
	extra := []*slack.TextBlockObject{field("Status", StateText(st))}
	if st.FileName != "" {
		extra = append(extra, field("File", st.FileName))
	}
	note := "This message updates itself until the export is done."
	if id := st.RequestID; id != "" {
		note += " · Request ID `" + escape(OneLine(id)) + "`"
	}
	blocks := []slack.Block{
		header(RunningHeadline(st)),
		slack.NewSectionBlock(mrkdwn("`"+progressBar(st.Progress)+"`"), nil, nil),
		slack.NewSectionBlock(nil, exportFields(ev, extra...), nil),
		slack.NewContextBlock("", mrkdwn(Cut(note, slackMaxSectionText, Chars))),
	}
	return SlackMessage{Text: fallback(Summary(ev, false)), Blocks: slack.Blocks{BlockSet: blocks}}
}

// progressBar draws percent (clamped to 0..100) as 20 cells.
func progressBar(percent int) string {
	const cells = 20
	filled := min(max(percent, 0), 100) * cells / 100
	return strings.Repeat("█", filled) + strings.Repeat("░", cells-filled)
}

func slackCompleted(ev event.Event, includeLink bool) SlackMessage {
	st := ev.Status
	blocks := []slack.Block{
		header("Export ready: " + NameOf(st)),
		slack.NewSectionBlock(nil, exportFields(ev, field("Total entries", Thousands(st.TotalCount))), nil),
	}
	if includeLink && st.Link != "" && len(st.Link) <= slackMaxButtonURL {
		button := slack.NewButtonBlockElement("download", "", plain("Download")).WithURL(st.Link).WithStyle(slack.StylePrimary)
		blocks = append(blocks, slack.NewActionBlock("", button))
	}
	blocks = append(blocks, footer(ev))
	return SlackMessage{Text: fallback(Summary(ev, false)), Blocks: slack.Blocks{BlockSet: blocks}}
}

func slackFailed(ev event.Event) SlackMessage {
	st := ev.Status
	f := FailureOf(ev)
	blocks := []slack.Block{
		header(fmt.Sprintf("Export check failed: %s (%s)", st.Ref.String(), f.Code)),
		slack.NewSectionBlock(mrkdwn(failureMrkdwn(f)), nil, nil),
		slack.NewSectionBlock(nil, exportFields(ev, field("Status", ProgressText(st))), nil),
	}
	if h := Hint(st.Kind, f.Code); h != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(":bulb: "+escape(h)), nil, nil))
	}
	blocks = append(blocks, footer(ev))
	return SlackMessage{Text: fallback(Summary(ev, false)), Blocks: slack.Blocks{BlockSet: blocks}}
}

func slackStalled(ev event.Event) SlackMessage {
	st := ev.Status
	blocks := []slack.Block{
		header("Export stalled: " + NameOf(st)),
		slack.NewSectionBlock(mrkdwn(escape("No progress: "+ProgressText(st)+".")), nil, nil),
		slack.NewSectionBlock(nil, exportFields(ev, field("Total entries", Thousands(st.TotalCount))), nil),
		footer(ev),
	}
	return SlackMessage{Text: fallback(Summary(ev, false)), Blocks: slack.Blocks{BlockSet: blocks}}
}

// slackGroup is one message about several events, normally failures that
// share a code: what went wrong once, then the exports, as many as fit.
func slackGroup(events []event.Event) SlackMessage {
	first := events[0]
	f := FailureOf(first)
	sameCode := true
	for _, ev := range events[1:] {
		if ev.Type != event.Failed || FailureOf(ev).Code != f.Code {
			sameCode = false
		}
	}
	title := fmt.Sprintf("%d export checks failed: %s", len(events), f.Code)
	if !sameCode {
		title = fmt.Sprintf("%d export events", len(events))
	}

	lines := make([]string, len(events))
	refs := make([]string, len(events))
	for i, ev := range events {
		refs[i] = ev.Status.Ref.String()
		line := "• `" + refs[i] + "`"
		if !sameCode {
			line += " " + escape(Summary(ev, false))
		} else if ev.Status.FileName != "" {
			line += " " + escape(OneLine(ev.Status.FileName))
		}
		lines[i] = line
	}

	blocks := []slack.Block{header(title)}
	if sameCode {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(failureMrkdwn(f)), nil, nil))
	}
	blocks = append(blocks, slack.NewSectionBlock(mrkdwn(FitLines(lines, slackMaxSectionText)), nil, nil))
	if sameCode {
		if h := Hint(first.Status.Kind, f.Code); h != "" {
			blocks = append(blocks, slack.NewSectionBlock(mrkdwn(":bulb: "+escape(h)), nil, nil))
		}
	}
	var ctx []string
	if first.Region != "" {
		ctx = append(ctx, "Region "+escape(first.Region))
	}
	if first.Status.RequestID != "" {
		ctx = append(ctx, "First request ID `"+escape(first.Status.RequestID)+"`")
	}
	if len(ctx) > 0 {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(strings.Join(ctx, " · "))))
	}

	text := title + ": " + FitList(refs, slackMaxFallback-len(title)-2)
	return SlackMessage{Text: fallback(text), Blocks: slack.Blocks{BlockSet: blocks[:min(len(blocks), slackMaxBlocks)]}}
}

// FitLines joins lines with newlines, keeping as many as fit in limit
// characters together with an "…and N more" line for the rest.
func FitLines(lines []string, limit int) string {
	return fitJoined(lines, "\n", func(n int) string { return fmt.Sprintf("\n…and %d more", n) }, limit)
}

// FitList is FitLines for a comma-separated list.
func FitList(items []string, limit int) string {
	return fitJoined(items, ", ", func(n int) string { return fmt.Sprintf(" and %d more", n) }, limit)
}

func fitJoined(items []string, sep string, more func(int) string, limit int) string {
	// Room is kept for the longest "more" note there could be.
	reserve := utf8.RuneCountInString(more(len(items)))
	var b strings.Builder
	used := 0
	for i, item := range items {
		n := utf8.RuneCountInString(item)
		if i > 0 {
			n += utf8.RuneCountInString(sep)
		}
		last := i == len(items)-1
		if used+n > limit || (!last && used+n+reserve > limit) {
			b.WriteString(more(len(items) - i))
			return b.String()
		}
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(item)
		used += n
	}
	return b.String()
}

// exportFields are the fields every message shows about the export, then
// extra.
func exportFields(ev event.Event, extra ...*slack.TextBlockObject) []*slack.TextBlockObject {
	st := ev.Status
	account := "own account"
	if st.Account != 0 {
		account = strconv.FormatInt(st.Account, 10)
	}
	region := ev.Region
	if region == "" {
		region = "unknown"
	}
	fields := []*slack.TextBlockObject{
		field("Export ID", strconv.FormatInt(st.ID, 10)),
		field("Kind", string(st.Kind)),
	}
	fields = append(fields, extra...)
	fields = append(fields, field("Account", account), field("Region", region))
	return fields[:min(len(fields), slackMaxFields)]
}

func field(name, value string) *slack.TextBlockObject {
	return mrkdwn(Cut("*"+name+"*\n"+escape(OneLine(value)), slackMaxField, Chars))
}

func failureMrkdwn(f event.Failure) string {
	s := "*" + escape(OneLine(f.Code)) + "*"
	if f.HTTPStatus != 0 {
		s += " (HTTP " + strconv.Itoa(f.HTTPStatus) + ")"
	}
	if m := strings.TrimSpace(f.Message); m != "" {
		s += "\n>" + escape(OneLine(m))
	}
	return Cut(s, slackMaxSectionText, Chars)
}

func footer(ev event.Event) slack.Block {
	parts := []string{}
	if id := ev.Status.RequestID; id != "" {
		parts = append(parts, "Request ID `"+escape(OneLine(id))+"`")
	}
	if ev.ID != "" {
		parts = append(parts, "Event `"+escape(ev.ID)+"`")
	}
	if len(parts) == 0 {
		parts = append(parts, "export-notifier")
	}
	return slack.NewContextBlock("", mrkdwn(Cut(strings.Join(parts, " · "), slackMaxSectionText, Chars)))
}

func header(text string) slack.Block {
	return slack.NewHeaderBlock(plain(Cut(OneLine(text), slackMaxHeader, Chars)))
}

func plain(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, text, true, false)
}

func mrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, text, false, false)
}

// NameOf is how a header names the export: its file, else its reference.
func NameOf(st event.Status) string {
	if st.FileName != "" {
		return st.FileName
	}
	return st.Ref.String()
}

func FailureOf(ev event.Event) event.Failure {
	if ev.Error == nil {
		return event.Failure{Code: "UnknownError"}
	}
	return *ev.Error
}

func fallback(s string) string { return Cut(escape(s), slackMaxFallback, Chars) }

// escape makes text safe in Slack's mrkdwn, where &, < and > are control
// characters.
func escape(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// slackWebhook posts to a Slack incoming webhook with its own client, so
// that Slack's error text ("invalid_payload", "no_service", ...) is kept.
type slackWebhook struct {
	url         string
	client      *http.Client
	includeLink bool
}

func newSlackWebhook(target string, includeLink bool) *slackWebhook {
	return &slackWebhook{url: target, client: NewHTTPClient(), includeLink: includeLink}
}

func (s *slackWebhook) Name() string                               { return "slack" }
func (s *slackWebhook) Group(events []event.Event) [][]event.Event { return GroupFailures(events) }

func (s *slackWebhook) Notify(ctx context.Context, events []event.Event) error {
	body, err := MarshalJSON(RenderSlack(events, s.includeLink), "")
	if err != nil {
		return &Error{Sink: s.Name(), Err: err}
	}
	header := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	if e := Post(ctx, s.client, s.Name(), s.url, header, body, URLSecrets(s.url)); e != nil {
		return e
	}
	return nil
}

// slackBot posts with a bot token through chat.postMessage.
type slackBot struct {
	name        string
	api         string
	token       string
	channel     string
	client      *slack.Client
	includeLink bool
}

func newSlackBot(api, token, channel string, includeLink bool) *slackBot {
	return &slackBot{
		name:        "slack:" + channel,
		api:         api,
		token:       token,
		channel:     channel,
		client:      slack.New(token, slack.OptionAPIURL(api), slack.OptionHTTPClient(NewHTTPClient())),
		includeLink: includeLink,
	}
}

func (s *slackBot) Name() string                               { return s.name }
func (s *slackBot) Group(events []event.Event) [][]event.Event { return GroupFailures(events) }

func (s *slackBot) Notify(ctx context.Context, events []event.Event) error {
	m := RenderSlack(events, s.includeLink)
	_, _, err := s.client.PostMessageContext(ctx, s.channel,
		slack.MsgOptionText(m.Text, false),
		slack.MsgOptionBlocks(m.Blocks.BlockSet...))
	if err == nil {
		return nil
	}
	return s.classify(err)
}

// slackUpdater is the Slack bot with SLACK_UPDATE_MESSAGES=true: it also
// posts messages it can edit later (chat.postMessage, then chat.update).
type slackUpdater struct{ *slackBot }

// Post sends the message about ev and returns its handle,
// "<channel ID>/<ts>".
func (s slackUpdater) Post(ctx context.Context, ev event.Event) (string, error) {
	m := RenderSlack([]event.Event{ev}, s.includeLink)
	channel, ts, err := s.client.PostMessageContext(ctx, s.channel,
		slack.MsgOptionText(m.Text, false),
		slack.MsgOptionBlocks(m.Blocks.BlockSet...))
	if err != nil {
		return "", s.classify(err)
	}
	if channel == "" {
		channel = s.channel
	}
	if ts == "" || !validHandlePart(channel) || !isSlackTS(ts) {
		// The message was probably posted: sending it again would make a
		// second one.
		return "", &Error{Sink: s.name, StatusCode: http.StatusOK,
			Text: "chat.postMessage answered without a usable channel and ts: " + ErrorText([]byte(channel+" "+ts), []string{s.token})}
	}
	return channel + "/" + ts, nil
}

// Update replaces the message handle names (as Post returned it) with the
// message about ev, the one Notify would Post.
func (s slackUpdater) Update(ctx context.Context, handle string, ev event.Event) error {
	channel, ts, ok := parseSlackHandle(handle)
	if !ok {
		return &Error{Sink: s.name, Text: "not a Slack message handle (want <channel ID>/<ts>): " + strconv.Quote(Cut(handle, 60, Chars))}
	}
	m := RenderSlack([]event.Event{ev}, s.includeLink)
	if _, _, _, err := s.client.UpdateMessageContext(ctx, channel, ts,
		slack.MsgOptionText(m.Text, false),
		slack.MsgOptionBlocks(m.Blocks.BlockSet...)); err != nil {
		return s.classify(err)
	}
	return nil
}

// parseSlackHandle splits a handle Post made into the channel and the ts.
func parseSlackHandle(handle string) (channel, ts string, ok bool) {
	channel, ts, ok = strings.Cut(handle, "/")
	if !ok || !validHandlePart(channel) || !isSlackTS(ts) {
		return "", "", false
	}
	return channel, ts, true
}

// validHandlePart reports whether s can be a channel ID in a handle.
func validHandlePart(s string) bool {
	return s != "" && len(s) <= 100 && !strings.ContainsFunc(s, func(r rune) bool {
		return r <= ' ' || r == '/' || r == 0x7f || r > unicode.MaxASCII
	})
}

// isSlackTS reports whether s looks like a message ts, "1700000000.000100".
func isSlackTS(s string) bool {
	if s == "" || len(s) > 40 || strings.Count(s, ".") > 1 || s[0] == '.' {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r != '.' && (r < '0' || r > '9') })
}

// classify turns slack-go's errors into an *Error with Slack's own text.
func (s *slackBot) classify(err error) *Error {
	var (
		rate   *slack.RateLimitedError
		status slack.StatusCodeError
		resp   slack.SlackErrorResponse
	)
	switch {
	case errors.As(err, &rate):
		return &Error{Sink: s.name, StatusCode: http.StatusTooManyRequests, Text: "rate_limited", Retryable: true, RetryAfter: rate.RetryAfter}
	case errors.As(err, &status):
		return &Error{Sink: s.name, StatusCode: status.Code, Text: ErrorText([]byte(status.Status), []string{s.token}), Retryable: RetryableStatus(status.Code)}
	case errors.As(err, &resp):
		text := ErrorText([]byte(resp.Err), []string{s.token})
		return &Error{Sink: s.name, StatusCode: http.StatusOK, Text: text, Retryable: retrySlackError(resp.Err)}
	}
	return &Error{Sink: s.name, Retryable: true, Err: RedactError(err, s.api, []string{s.token})}
}

// retrySlackError reports whether a Web API error string is worth another
// try.
func retrySlackError(code string) bool {
	switch code {
	case "ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout":
		return true
	}
	return false
}
