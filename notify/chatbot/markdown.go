package chatbot

import (
	"strings"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
)

// Markdown is a markdown message about events (one event, or several
// failures sharing an error code; see notify.GroupFailures) in the subset
// DingTalk and WeCom both render: headings, bold, links and plain lines.
// The title is the headline, for a bot that shows one in its chat list;
// text is at most maxBytes long, a long group's list cut to fit.
func Markdown(events []event.Event, includeLink bool, maxBytes int) (title, text string) {
	var md markdown
	fits := func(string) bool { return md.Len() <= maxBytes }
	switch {
	case len(events) == 0:
		title = "No export events"
		md.heading(title)
		md.small("export-notifier")
	case len(events) > 1:
		// Long groups are cut to fit the limit: a shorter list of exports,
		// with the count of the rest.
		title = Shrink(MaxList, 100, func(budget int) string {
			md.Reset()
			return markdownGroup(&md, events, budget)
		}, fits)
	case events[0].Type == event.Digest:
		title = markdownDigest(&md, events[0], includeLink, maxBytes)
	default:
		// A long error message is cut further until the message fits.
		title = Shrink(MaxMessage, 50, func(budget int) string {
			md.Reset()
			return markdownSingle(&md, events[0], includeLink, budget)
		}, fits)
	}
	return notify.Cut(title, MaxTitle, notify.Chars), notify.Cut(md.String(), maxBytes, notify.Bytes)
}

func markdownSingle(md *markdown, ev event.Event, includeLink bool, maxMessage int) string {
	st := ev.Status
	title := notify.Cut(notify.OneLine(Headline(ev)), MaxTitle, notify.Chars)
	md.heading(title)
	switch ev.Type {
	case event.Completed:
		md.facts(CompletedFacts(ev, includeLink))
		if link := Link(st, includeLink); link != "" {
			md.link("Download", link)
		}
	case event.Failed:
		code, message := Failure(notify.FailureOf(ev))
		md.failure(code, notify.Cut(message, maxMessage, notify.Chars))
		md.facts(Facts(ev, Fact{Name: "Status", Value: notify.ProgressText(st)}))
		md.hint(notify.Hint(st.Kind, notify.FailureOf(ev).Code))
	case event.Stalled:
		md.paragraph("No progress: " + notify.ProgressText(st) + ".")
		md.facts(Facts(ev, Fact{Name: "Total rows", Value: notify.Thousands(st.TotalCount)}))
	case event.Started:
		md.facts(StartedFacts(ev))
	default:
		md.facts(Facts(ev, Fact{Name: "Status", Value: notify.ProgressText(st)}))
	}
	md.small(Footer(ev))
	return title
}

func markdownGroup(md *markdown, events []event.Event, listBudget int) string {
	first := events[0]
	title, sameCode := GroupHeadline(events)
	title = notify.Cut(notify.OneLine(title), MaxTitle, notify.Chars)
	md.heading(title)
	if sameCode {
		code, message := Failure(notify.FailureOf(first))
		md.failure(code, message)
	}
	md.list(notify.FitLines(GroupLines(events, sameCode), listBudget))
	if sameCode {
		md.hint(notify.Hint(first.Status.Kind, notify.FailureOf(first).Code))
	}
	md.small(GroupFooter(first))
	return title
}

// markdown builds a chat bot's markdown. Blocks are separated by blank
// lines, which DingTalk needs to break lines. Text from outside arrives cleaned to
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

func (m *markdown) facts(facts []Fact) {
	lines := make([]string, len(facts))
	for i, f := range facts {
		lines[i] = "- **" + f.Name + ":** " + mdText(notify.Cut(notify.OneLine(f.Value), MaxValue, notify.Chars))
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

// mdText keeps text from being read as HTML, which DingTalk's and WeCom's
// markdown render (<font>, <br>); the markdown around it is built by
// markdown.
func mdText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
