package teams

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// The Adaptive Card 1.5 rules this sink relies on, checked on the JSON as
// a workflow receives it, apart from the structs that build it: the
// envelope, the card's type and version, and for each element and action
// this sink uses its required properties, its allowed properties and the
// values of its enumerations.
var (
	cardKeys    = []string{"$schema", "type", "version", "body", "actions", "msteams"}
	textRunKeys = []string{"type", "text", "size", "weight", "color", "isSubtle", "italic", "selectAction"}
	enums       = map[string][]string{
		"size":   {"Default", "Small", "Medium", "Large", "ExtraLarge"},
		"weight": {"Default", "Lighter", "Bolder"},
		"color":  {"Default", "Dark", "Light", "Accent", "Good", "Warning", "Attention"},
	}
)

// validateMessage checks body against those rules and returns every
// problem found.
func validateMessage(body []byte) []string {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	var p problems
	p.keys("message", m, []string{"type", "attachments"})
	p.equal("message.type", m["type"], "message")
	attachments, _ := m["attachments"].([]any)
	if len(attachments) != 1 {
		p.add("message.attachments: %d attachments, want 1", len(attachments))
	}
	for i, a := range attachments {
		at, _ := a.(map[string]any)
		name := fmt.Sprintf("attachments[%d]", i)
		p.keys(name, at, []string{"contentType", "contentUrl", "content"})
		p.equal(name+".contentType", at["contentType"], "application/vnd.microsoft.card.adaptive")
		card, _ := at["content"].(map[string]any)
		p.card(name+".content", card)
	}
	return p
}

type problems []string

func (p *problems) add(format string, a ...any) { *p = append(*p, fmt.Sprintf(format, a...)) }

func (p *problems) keys(name string, m map[string]any, allowed []string) {
	if m == nil {
		p.add("%s: missing or not an object", name)
		return
	}
	for k := range m {
		if !slices.Contains(allowed, k) {
			p.add("%s: property %q is not one of %v", name, k, allowed)
		}
	}
}

func (p *problems) equal(name string, got any, want string) {
	if got != want {
		p.add("%s = %v, want %q", name, got, want)
	}
}

func (p *problems) text(name string, v any) {
	if s, ok := v.(string); !ok || strings.TrimSpace(s) == "" {
		p.add("%s: required text missing", name)
	}
}

func (p *problems) enumerations(name string, m map[string]any) {
	for prop, values := range enums {
		if v, ok := m[prop]; ok && !slices.Contains(values, fmt.Sprint(v)) {
			p.add("%s.%s = %v, not one of %v", name, prop, v, values)
		}
	}
}

func (p *problems) card(name string, card map[string]any) {
	p.keys(name, card, cardKeys)
	p.equal(name+".type", card["type"], "AdaptiveCard")
	p.equal(name+".version", card["version"], "1.5")
	p.text(name+".$schema", card["$schema"])
	body, _ := card["body"].([]any)
	if len(body) == 0 {
		p.add("%s.body: empty", name)
	}
	for i, e := range body {
		el, _ := e.(map[string]any)
		p.element(fmt.Sprintf("%s.body[%d]", name, i), el)
	}
	actions, _ := card["actions"].([]any)
	for i, a := range actions {
		act, _ := a.(map[string]any)
		n := fmt.Sprintf("%s.actions[%d]", name, i)
		p.action(n, act)
		p.text(n+".title", act["title"])
	}
	if ms, ok := card["msteams"].(map[string]any); ok {
		p.keys(name+".msteams", ms, []string{"width"})
		p.equal(name+".msteams.width", ms["width"], "Full")
	}
}

// action checks an Action.OpenUrl: a card's button, or a text run's
// selectAction, whose title is optional.
func (p *problems) action(name string, act map[string]any) {
	p.keys(name, act, []string{"type", "title", "url"})
	p.equal(name+".type", act["type"], "Action.OpenUrl")
	if u, err := url.Parse(fmt.Sprint(act["url"])); err != nil || u.Scheme != "https" || u.Host == "" {
		p.add("%s.url: not an absolute https URL", name)
	}
}

func (p *problems) element(name string, el map[string]any) {
	switch el["type"] {
	case "RichTextBlock":
		p.keys(name, el, []string{"type", "inlines"})
		inlines, _ := el["inlines"].([]any)
		if len(inlines) == 0 {
			p.add("%s.inlines: required, empty", name)
		}
		for i, in := range inlines {
			run, _ := in.(map[string]any)
			n := fmt.Sprintf("%s.inlines[%d]", name, i)
			p.keys(n, run, textRunKeys)
			p.equal(n+".type", run["type"], "TextRun")
			p.text(n+".text", run["text"])
			p.enumerations(n, run)
			if sel, ok := run["selectAction"]; ok {
				act, _ := sel.(map[string]any)
				p.action(n+".selectAction", act)
			}
		}
	case "FactSet":
		p.keys(name, el, []string{"type", "facts"})
		facts, _ := el["facts"].([]any)
		if len(facts) == 0 {
			p.add("%s.facts: required, empty", name)
		}
		for i, f := range facts {
			fact, _ := f.(map[string]any)
			n := fmt.Sprintf("%s.facts[%d]", name, i)
			p.keys(n, fact, []string{"title", "value"})
			p.text(n+".title", fact["title"])
			p.text(n+".value", fact["value"])
		}
	default:
		p.add("%s: element type %v is not one this sink uses (RichTextBlock, FactSet)", name, el["type"])
	}
}
