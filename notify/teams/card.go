package teams

import (
	"encoding/json"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/chatbot"
)

// Media type and version of the cards this sink posts.
const (
	cardContentType = "application/vnd.microsoft.card.adaptive"
	cardVersion     = "1.5"
	cardSchema      = "http://adaptivecards.io/schemas/adaptive-card.json"
	// maxBody keeps a message well under Teams' 28 KB.
	maxBody = 20000
)

// Message is the body a Workflows webhook receives: a message envelope
// with one Adaptive Card attachment.
type Message struct {
	Type        string       `json:"type"` // "message"
	Attachments []Attachment `json:"attachments"`
}

// Attachment is the card, with its media type.
type Attachment struct {
	ContentType string  `json:"contentType"`
	ContentURL  *string `json:"contentUrl"` // null: the card is inline
	Content     Card    `json:"content"`
}

// Card is an Adaptive Card, version 1.5.
type Card struct {
	Schema  string    `json:"$schema"`
	Type    string    `json:"type"` // "AdaptiveCard"
	Version string    `json:"version"`
	Body    []Element `json:"body"`
	Actions []Action  `json:"actions,omitempty"`
	MSTeams *MSTeams  `json:"msteams,omitempty"`
}

// MSTeams holds Teams' own card options.
type MSTeams struct {
	Width string `json:"width"` // "Full"
}

// Element is one card element: a RichTextBlock (Inlines: text shown as
// it is, never read as markdown, which a TextBlock would do with text
// from Security Center) or a FactSet (Facts).
type Element struct {
	Type    string     `json:"type"`
	Inlines []TextRun  `json:"inlines,omitempty"`
	Facts   []CardFact `json:"facts,omitempty"`
}

// TextRun is text inside a RichTextBlock.
type TextRun struct {
	Type     string `json:"type"` // "TextRun"
	Text     string `json:"text"`
	Size     string `json:"size,omitempty"`
	Weight   string `json:"weight,omitempty"`
	Color    string `json:"color,omitempty"`
	IsSubtle bool   `json:"isSubtle,omitempty"`
	// SelectAction opens a link when the text is clicked.
	SelectAction *Action `json:"selectAction,omitempty"`
}

// CardFact is one title and value of a FactSet.
type CardFact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// Action is an Action.OpenUrl button.
type Action struct {
	Type  string `json:"type"` // "Action.OpenUrl"
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Render is the Teams message about events: one event, or several
// failures sharing an error code.
func Render(events []event.Event, includeLink bool) Message {
	var card Card
	switch {
	case len(events) == 0:
		card = newCard("Default", "No export events", small("export-notifier"))
	case len(events) > 1:
		// Long groups are cut to fit: a shorter list of exports, with the
		// count of the rest.
		card = chatbot.Shrink(chatbot.MaxList, 100, func(budget int) Card { return groupCard(events, budget) }, func(c Card) bool {
			b, err := json.Marshal(c)
			return err != nil || len(b) <= maxBody
		})
	case events[0].Type == event.Digest:
		card = digestCard(events[0], includeLink)
	default:
		card = singleCard(events[0], includeLink)
	}
	return Message{Type: "message", Attachments: []Attachment{{ContentType: cardContentType, Content: card}}}
}

func singleCard(ev event.Event, includeLink bool) Card {
	st := ev.Status
	var body []Element
	colour := "Accent"
	switch ev.Type {
	case event.Completed:
		colour = "Good"
		body = append(body, facts(chatbot.CompletedFacts(ev, includeLink)))
	case event.Failed:
		colour = "Attention"
		body = append(body, failure(notify.FailureOf(ev)))
		body = append(body, facts(chatbot.Facts(ev, chatbot.Fact{Name: "Status", Value: notify.ProgressText(st)})))
		body = append(body, hint(notify.Hint(st.Kind, notify.FailureOf(ev).Code))...)
	case event.Stalled:
		colour = "Warning"
		body = append(body, plain("No progress: "+notify.ProgressText(st)+"."))
		body = append(body, facts(chatbot.Facts(ev, chatbot.Fact{Name: "Total rows", Value: notify.Thousands(st.TotalCount)})))
	case event.Started:
		body = append(body, facts(chatbot.StartedFacts(ev)))
	default:
		body = append(body, facts(chatbot.Facts(ev, chatbot.Fact{Name: "Status", Value: notify.ProgressText(st)})))
	}
	card := newCard(colour, chatbot.Headline(ev), append(body, small(chatbot.Footer(ev)))...)
	if ev.Type == event.Completed {
		if link := chatbot.Link(st, includeLink); link != "" {
			card.Actions = []Action{{Type: "Action.OpenUrl", Title: "Download", URL: link}}
		}
	}
	return card
}

func groupCard(events []event.Event, listBudget int) Card {
	first := events[0]
	title, sameCode := chatbot.GroupHeadline(events)
	colour := "Accent"
	var body []Element
	if sameCode {
		colour = "Attention"
		body = append(body, failure(notify.FailureOf(first)))
	}
	body = append(body, plain(notify.FitLines(chatbot.GroupLines(events, sameCode), listBudget)))
	if sameCode {
		body = append(body, hint(notify.Hint(first.Status.Kind, notify.FailureOf(first).Code))...)
	}
	return newCard(colour, title, append(body, small(chatbot.GroupFooter(first)))...)
}

// newCard is a full-width card whose first element is the title, in
// colour: Good, Attention, Warning, Accent or Default.
func newCard(colour, title string, body ...Element) Card {
	head := Element{Type: "RichTextBlock", Inlines: []TextRun{{
		Type: "TextRun", Text: notify.Cut(notify.OneLine(title), chatbot.MaxTitle, notify.Chars),
		Size: "Medium", Weight: "Bolder", Color: colour,
	}}}
	return Card{
		Schema: cardSchema, Type: "AdaptiveCard", Version: cardVersion,
		Body:    append([]Element{head}, body...),
		MSTeams: &MSTeams{Width: "Full"},
	}
}

// failure is the error code in bold and Security Center's message, shown
// as they are.
func failure(f event.Failure) Element {
	code, message := chatbot.Failure(f)
	runs := []TextRun{{Type: "TextRun", Text: code, Weight: "Bolder"}}
	if message != "" {
		runs = append(runs, TextRun{Type: "TextRun", Text: ": " + message})
	}
	return Element{Type: "RichTextBlock", Inlines: runs}
}

func hint(h string) []Element {
	if h == "" {
		return nil
	}
	return []Element{plain("Hint: " + h)}
}

// facts is a FactSet; values are cut and on one line.
func facts(list []chatbot.Fact) Element {
	out := make([]CardFact, len(list))
	for i, f := range list {
		out[i] = CardFact{Title: f.Name, Value: notify.Cut(notify.OneLine(f.Value), chatbot.MaxValue, notify.Chars)}
	}
	return Element{Type: "FactSet", Facts: out}
}

// plain is text shown as it is: a RichTextBlock, whose runs are never
// read as markdown.
func plain(s string) Element {
	return Element{Type: "RichTextBlock", Inlines: []TextRun{{Type: "TextRun", Text: s}}}
}

func small(s string) Element {
	return Element{Type: "RichTextBlock", Inlines: []TextRun{{Type: "TextRun", Text: s, IsSubtle: true}}}
}
