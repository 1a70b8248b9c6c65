package dingtalk

import (
	"github.com/export-notifier/export-notifier/event"
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
	title, text := chatbot.Markdown(events, includeLink, maxText)
	return Message{MsgType: "markdown", Markdown: Markdown{Title: title, Text: text}}
}
