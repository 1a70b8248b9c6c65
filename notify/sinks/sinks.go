// Package sinks is the one list of the kinds of sink. Reading the
// environment, building the sinks, previewing their messages and listing
// their variables all go through it, so that adding a sink is one new
// package under notify and one line in Kinds.
package sinks

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/console"
	"github.com/export-notifier/export-notifier/notify/dingtalk"
	"github.com/export-notifier/export-notifier/notify/lark"
	"github.com/export-notifier/export-notifier/notify/pagerduty"
	"github.com/export-notifier/export-notifier/notify/route"
	"github.com/export-notifier/export-notifier/notify/slack"
	"github.com/export-notifier/export-notifier/notify/teams"
	"github.com/export-notifier/export-notifier/notify/webhook"
	"github.com/export-notifier/export-notifier/notify/wecom"
	"github.com/export-notifier/export-notifier/setting"
)

// Kinds are every kind of sink, in the order their sinks are built and
// their messages previewed.
func Kinds() []notify.Kind {
	return []notify.Kind{
		slack.Kind(),
		dingtalk.Kind(),
		lark.Kind(),
		wecom.Kind(),
		teams.Kind(),
		webhook.Kind(),
		pagerduty.Kind(),
	}
}

// includeLink is the variable every sink shares.
func includeLink() setting.Var {
	return setting.Var{Name: "INCLUDE_LINK", Meaning: "put the export's download link in messages", Default: "true"}
}

// Variables are the environment variables of every sink, then INCLUDE_LINK
// and each sink's route.
func Variables() []setting.Var {
	var vars []setting.Var
	for _, k := range Kinds() {
		vars = append(vars, k.Variables...)
	}
	vars = append(vars, includeLink())
	for _, name := range routed() {
		vars = append(vars, setting.Var{
			Name:    RouteVariable(name),
			Meaning: "which events the " + name + " sink takes: field=v1,v2;... over type, kind and account (own: the caller's account); every term must match",
			Default: "every event",
		})
	}
	return vars
}

// routed are the kinds a route may be given: every kind, and the console.
func routed() []string { return append(Names(), "console") }

// RouteVariable is the variable that holds the route of the kind named
// name: SLACK_ROUTE for slack.
func RouteVariable(name string) string { return strings.ToUpper(name) + "_ROUTE" }

// KindOf is the kind of the sink named sink: its name up to the first
// ":" ("webhook" for "webhook:host#1a2b3c4d").
func KindOf(sink string) string {
	kind, _, _ := strings.Cut(sink, ":")
	return kind
}

// Names are the kinds' names, in order.
func Names() []string {
	var names []string
	for _, k := range Kinds() {
		names = append(names, k.Name)
	}
	return names
}

// Settings are every kind's settings, read and checked once.
type Settings struct {
	IncludeLink bool // INCLUDE_LINK
	names       []string
	configs     []notify.Config
	routes      map[string]route.Filter // by kind; a kind without one takes every event
}

// Read reads and checks every kind's variables through getenv (os.Getenv,
// or a test's map). An error names the variable, fits on one line and
// never holds the secret part of a value.
func Read(getenv func(string) string) (Settings, error) {
	s := Settings{IncludeLink: true, routes: map[string]route.Filter{}}
	for _, name := range routed() {
		f, err := route.Parse(RouteVariable(name), getenv(RouteVariable(name)))
		if err != nil {
			return Settings{}, err
		}
		if !f.IsZero() {
			s.routes[name] = f
		}
	}
	for _, k := range Kinds() {
		c, err := k.FromEnv(getenv)
		if err != nil {
			return Settings{}, err
		}
		s.names, s.configs = append(s.names, k.Name), append(s.configs, c)
	}
	if v := strings.TrimSpace(getenv(includeLink().Name)); v != "" {
		var err error
		if s.IncludeLink, err = notify.ParseBool(includeLink().Name, v); err != nil {
			return Settings{}, err
		}
	}
	return s, nil
}

// LogValue shows which sinks are configured without showing any secret.
func (s Settings) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, len(s.configs)+1)
	for i, c := range s.configs {
		attrs = append(attrs, slog.Any(s.names[i], c))
	}
	attrs = append(attrs, slog.Bool("includeLink", s.IncludeLink))
	for _, name := range routed() {
		if f, ok := s.routes[name]; ok {
			attrs = append(attrs, slog.String(RouteVariable(name), f.String()))
		}
	}
	return slog.GroupValue(attrs...)
}

// Takes reports whether sink takes ev: the sink itself would send
// something about it (see notify.Selective), and its kind's route passes
// it or, for an incident tool, passes what ev resolves.
func (s Settings) Takes(sink notify.Notifier, ev event.Event) bool {
	if !notify.Takes(sink, ev) {
		return false
	}
	return s.Routed(sink.Name(), ev) || notify.ResolvesIncidents(sink) && s.routedResolved(sink.Name(), ev)
}

// routedResolved reports whether the route of the sink named sink passes
// an event that opened an incident ev resolves.
func (s Settings) routedResolved(sink string, ev event.Event) bool {
	for _, in := range ev.Resolves {
		opened := ev
		opened.Type, opened.Resolves = in.Type, nil
		if s.Routed(sink, opened) {
			return true
		}
	}
	return false
}

// Routed reports whether the route of the sink named sink passes ev.
func (s Settings) Routed(sink string, ev event.Event) bool {
	f, ok := s.routes[KindOf(sink)]
	return !ok || f.Takes(ev)
}

// Route is the route of the kind named kind, as given; "" when it has none.
func (s Settings) Route(kind string) string { return s.routes[kind].String() }

// Notifiers are the configured sinks, in the order of Kinds. With none
// configured it is the console sink alone, writing to w (nil: nowhere).
func (s Settings) Notifiers(w io.Writer) []notify.Notifier {
	var out []notify.Notifier
	for _, c := range s.configs {
		out = append(out, c.Notifiers(s.IncludeLink)...)
	}
	if len(out) == 0 {
		if w == nil {
			w = io.Discard
		}
		out = append(out, console.New(w, s.IncludeLink))
	}
	return out
}

// Preview is what the kind named name would send about events, configured
// or not.
func (s Settings) Preview(name string, events []event.Event) ([]notify.Rendering, error) {
	for i, n := range s.names {
		if n == name {
			return s.configs[i].Preview(events, s.IncludeLink)
		}
	}
	return nil, fmt.Errorf("unknown sink %q (want %s)", name, strings.Join(Names(), ", "))
}

// FromEnv reads the sinks' settings through getenv and builds the
// configured sinks; with none configured, the console sink alone, writing
// to console.
func FromEnv(getenv func(string) string, console io.Writer) ([]notify.Notifier, error) {
	s, err := Read(getenv)
	if err != nil {
		return nil, err
	}
	return s.Notifiers(console), nil
}
