// Package lark is the Lark/Feishu sink: card messages to a custom bot,
// signed when the bot has a secret and paced under its rate limit.
package lark

import (
	"encoding/json"
	"strings"
	"time"
	"unicode"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/chatbot"
)

// Lark/Feishu custom bot limits: the request body, and the rate (100
// messages a minute and 5 a second per bot; more are refused with code
// 11232).
const (
	maxBody = 20000 // bytes; Lark says 20 KB
	// A token bucket of 5 refilled every 1.2s stays under both rates.
	burst = 5
	every = 1200 * time.Millisecond
)

// Message is the body of a Lark/Feishu custom bot's card message.
// Timestamp and Sign are set when the bot has a signing secret.
type Message struct {
	Timestamp string `json:"timestamp,omitempty"` // Unix seconds
	Sign      string `json:"sign,omitempty"`
	MsgType   string `json:"msg_type"` // "interactive"
	Card      Card   `json:"card"`
}

// Card is a message card: a coloured header, then elements.
type Card struct {
	Config   CardConfig `json:"config"`
	Header   Header     `json:"header"`
	Elements []Element  `json:"elements"`
}

// CardConfig is the card's configuration.
type CardConfig struct {
	WideScreenMode bool `json:"wide_screen_mode"`
}

// Header is the card's title and colour ("green", "red", "orange",
// "blue").
type Header struct {
	Template string `json:"template"`
	Title    Text   `json:"title"`
}

// Text is a text object: Tag "plain_text", or "lark_md" for Lark's
// markdown, which this package uses only for labels and values it knows
// to be plain.
type Text struct {
	Tag     string `json:"tag"`
	Content string `json:"content"`
}

// Element is one card element: "div" (Text and/or Fields), "action"
// (Actions), "hr", or "note" (Elements).
type Element struct {
	Tag      string   `json:"tag"`
	Text     *Text    `json:"text,omitempty"`
	Fields   []Field  `json:"fields,omitempty"`
	Actions  []Button `json:"actions,omitempty"`
	Elements []Text   `json:"elements,omitempty"`
}

// Field is one of a div's fields; short ones sit two to a row.
type Field struct {
	IsShort bool `json:"is_short"`
	Text    Text `json:"text"`
}

// Button is a button that opens URL.
type Button struct {
	Tag  string `json:"tag"` // "button"
	Text Text   `json:"text"`
	Type string `json:"type"` // "primary"
	URL  string `json:"url"`
}

// Render is the Lark card message about events: one event, or several
// failures sharing an error code (see GroupFailures).
func Render(events []event.Event, includeLink bool) Message {
	var card Card
	switch {
	case len(events) == 0:
		card = larkCard("blue", "No export events", larkNote("export-notifier"))
	case len(events) > 1:
		// Long groups are cut to fit the body limit: a shorter list of
		// exports, with the count of the rest.
		card = chatbot.Shrink(chatbot.MaxList, 100, func(budget int) Card { return larkGroup(events, budget) }, func(c Card) bool {
			b, err := json.Marshal(c)
			return err != nil || len(b) <= maxBody-500
		})
	case events[0].Type == event.Digest:
		card = larkDigest(events[0], includeLink)
	default:
		card = larkSingle(events[0], includeLink)
	}
	return Message{MsgType: "interactive", Card: card}
}

func larkSingle(ev event.Event, includeLink bool) Card {
	st := ev.Status
	title := chatbot.Headline(ev)
	var elements []Element
	var colour string
	switch ev.Type {
	case event.Completed:
		colour = "green"
		elements = append(elements, larkFields(chatbot.CompletedFacts(ev, includeLink)))
		if link := chatbot.Link(st, includeLink); link != "" {
			elements = append(elements, Element{Tag: "action", Actions: []Button{{
				Tag: "button", Text: Text{Tag: "plain_text", Content: "Download"}, Type: "primary", URL: link,
			}}})
		}
	case event.Failed:
		colour = "red"
		elements = append(elements, larkFailure(notify.FailureOf(ev))...)
		elements = append(elements, larkFields(chatbot.Facts(ev, chatbot.Fact{Name: "Status", Value: notify.ProgressText(st)})))
		elements = append(elements, larkHint(notify.Hint(st.Kind, notify.FailureOf(ev).Code))...)
	case event.Stalled:
		colour = "orange"
		elements = append(elements, larkPlain("No progress: "+notify.ProgressText(st)+"."))
		elements = append(elements, larkFields(chatbot.Facts(ev, chatbot.Fact{Name: "Total rows", Value: notify.Thousands(st.TotalCount)})))
	case event.Started:
		colour = "blue"
		elements = append(elements, larkFields(chatbot.StartedFacts(ev)))
	default:
		colour = "blue"
		elements = append(elements, larkFields(chatbot.Facts(ev, chatbot.Fact{Name: "Status", Value: notify.ProgressText(st)})))
	}
	elements = append(elements, Element{Tag: "hr"}, larkNote(chatbot.Footer(ev)))
	return larkCard(colour, title, elements...)
}

func larkGroup(events []event.Event, listBudget int) Card {
	first := events[0]
	title, sameCode := chatbot.GroupHeadline(events)
	colour := "blue"
	var elements []Element
	if sameCode {
		colour = "red"
		elements = append(elements, larkFailure(notify.FailureOf(first))...)
	}
	elements = append(elements, larkPlain(notify.FitLines(chatbot.GroupLines(events, sameCode), listBudget)))
	if sameCode {
		elements = append(elements, larkHint(notify.Hint(first.Status.Kind, notify.FailureOf(first).Code))...)
	}
	elements = append(elements, Element{Tag: "hr"}, larkNote(chatbot.GroupFooter(first)))
	return larkCard(colour, title, elements...)
}

func larkCard(colour, title string, elements ...Element) Card {
	return Card{
		Config:   CardConfig{WideScreenMode: true},
		Header:   Header{Template: colour, Title: Text{Tag: "plain_text", Content: notify.Cut(notify.OneLine(title), chatbot.MaxTitle, notify.Chars)}},
		Elements: elements,
	}
}

// larkFailure is the error code in bold and Security Center's message.
func larkFailure(f event.Failure) []Element {
	code, message := chatbot.Failure(f)
	head := Element{Tag: "div", Text: &Text{Tag: "plain_text", Content: code}}
	if larkPlainMarkdown(code) {
		head.Text = &Text{Tag: "lark_md", Content: "**" + code + "**"}
	}
	out := []Element{head}
	if message != "" {
		out = append(out, larkPlain(message))
	}
	return out
}

func larkHint(h string) []Element {
	if h == "" {
		return nil
	}
	return []Element{larkPlain("Hint: " + h)}
}

// larkFields shows facts two to a row: the name in bold and the value
// below it, or the whole field as plain text when the value holds
// characters that Lark's markdown would read.
func larkFields(facts []chatbot.Fact) Element {
	fields := make([]Field, len(facts))
	for i, f := range facts {
		value := notify.Cut(notify.OneLine(f.Value), chatbot.MaxValue, notify.Chars)
		text := Text{Tag: "plain_text", Content: f.Name + "\n" + value}
		if larkPlainMarkdown(value) {
			text = Text{Tag: "lark_md", Content: "**" + f.Name + "**\n" + value}
		}
		fields[i] = Field{IsShort: true, Text: text}
	}
	return Element{Tag: "div", Fields: fields}
}

// larkPlain is a div of plain text (text from outside goes only in plain
// text, where <at>, links and emphasis mean nothing).
func larkPlain(s string) Element {
	return Element{Tag: "div", Text: &Text{Tag: "plain_text", Content: s}}
}

func larkNote(s string) Element {
	return Element{Tag: "note", Elements: []Text{{Tag: "plain_text", Content: s}}}
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
