package dingtalk

import (
	"strings"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/chatbot"
)

// Message is the body of a DingTalk custom bot's markdown message.
type Message struct {
	MsgType  string   `json:"msgtype"` // "markdown"
	Markdown Markdown `json:"markdown"`
}

// Markdown is a markdown message: Title is what the chat list and
// notifications show, Text the message itself.
type Markdown struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// Render is the DingTalk message about events: one event, or
// several failures sharing an error code (see GroupFailures).
func Render(events []event.Event, includeLink bool) Message {
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
		for budget := chatbot.MaxList; ; budget /= 2 {
			md.Reset()
			title = dingTalkGroup(&md, events, budget)
			if md.Len() <= maxText || budget < 100 {
				break
			}
		}
	case events[0].Type == event.Digest:
		title = dingTalkDigest(&md, events[0], includeLink)
	default:
		title = dingTalkSingle(&md, events[0], includeLink)
	}
	return Message{MsgType: "markdown", Markdown: Markdown{
		Title: notify.Cut(title, chatbot.MaxTitle, notify.Chars),
		Text:  notify.Cut(md.String(), maxText, notify.Bytes),
	}}
}

func dingTalkSingle(md *markdown, ev event.Event, includeLink bool) string {
	st := ev.Status
	title := notify.Cut(notify.OneLine(chatbot.Headline(ev)), chatbot.MaxTitle, notify.Chars)
	md.heading(title)
	switch ev.Type {
	case event.Completed:
		md.facts(chatbot.Facts(ev, chatbot.Fact{Name: "Total rows", Value: notify.Thousands(st.TotalCount)}))
		if link := chatbot.Link(st, includeLink); link != "" {
			md.link("Download", link)
		}
	case event.Failed:
		code, message := chatbot.Failure(notify.FailureOf(ev))
		md.failure(code, message)
		md.facts(chatbot.Facts(ev, chatbot.Fact{Name: "Status", Value: notify.ProgressText(st)}))
		md.hint(notify.Hint(st.Kind, notify.FailureOf(ev).Code))
	case event.Stalled:
		md.paragraph("No progress: " + notify.ProgressText(st) + ".")
		md.facts(chatbot.Facts(ev, chatbot.Fact{Name: "Total rows", Value: notify.Thousands(st.TotalCount)}))
	case event.Started:
		md.facts(chatbot.StartedFacts(ev))
	default:
		md.facts(chatbot.Facts(ev, chatbot.Fact{Name: "Status", Value: notify.ProgressText(st)}))
	}
	md.small(chatbot.Footer(ev))
	return title
}

func dingTalkGroup(md *markdown, events []event.Event, listBudget int) string {
	first := events[0]
	title, sameCode := chatbot.GroupHeadline(events)
	title = notify.Cut(notify.OneLine(title), chatbot.MaxTitle, notify.Chars)
	md.heading(title)
	if sameCode {
		code, message := chatbot.Failure(notify.FailureOf(first))
		md.failure(code, message)
	}
	md.list(notify.FitLines(chatbot.GroupLines(events, sameCode), listBudget))
	if sameCode {
		md.hint(notify.Hint(first.Status.Kind, notify.FailureOf(first).Code))
	}
	md.small(chatbot.GroupFooter(first))
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

func (m *markdown) facts(facts []chatbot.Fact) {
	lines := make([]string, len(facts))
	for i, f := range facts {
		lines[i] = "- **" + f.Name + ":** " + mdText(notify.Cut(notify.OneLine(f.Value), chatbot.MaxValue, notify.Chars))
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
