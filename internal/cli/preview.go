package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/sinks"
)

// runPreview prints what a sample event looks like in each sink (Slack's
// Block Kit JSON with a Block Kit Builder link, the webhook body, the chat
// bots' messages), honouring INCLUDE_LINK and WEBHOOK_TEMPLATE, without
// sending anything. With --json it prints one JSON object alone, so that
// it can be piped.
func runPreview(_ context.Context, args []string, env Env) int {
	names := strings.Join(sinks.Names(), ",")
	fs := newFlags("preview", "preview [--event completed|failed|stalled|started|digest] [--kind K] [--account ID|own] [--count N] [--sinks "+names+"] [--json]",
		"Prints which configured sinks a sample event reaches (their _ROUTE settings),\n"+
			"the messages it produces in each sink, and a Block Kit\n"+
			"Builder link that shows the Slack message rendered. Sends nothing.\n"+
			"Reads INCLUDE_LINK and WEBHOOK_TEMPLATE, so a custom template can be tried.\n"+
			"With --json, prints one JSON object alone: each sink's name to its message bodies.",
		"preview",
		"preview --event failed --count 3 --sinks slack",
		"preview --event completed --json | jq .webhook",
		"preview --event failed --kind vul --account own",
		"preview --event digest --count 200 --sinks slack,dingtalk,lark",
		"WEBHOOK_TEMPLATE=\"$(cat body.tmpl)\" preview --sinks webhook")
	typeName := fs.String("event", string(event.Completed), "event type: completed, failed, stalled, started, or digest (a batch's, with DIGEST=batch)")
	sinkList := fs.String("sinks", "slack,webhook", "messages to show, comma separated: "+strings.Join(sinks.Names(), ", "))
	kindName := fs.String("kind", "", "the sample export's kind: asset, vul, hc, warning or suspEvent (default: the sample's)")
	account := fs.String("account", "", "the sample export's member account ID, or own for the caller's account (default: the sample's)")
	count := fs.Int("count", 1, "number of failures sharing one error code, to preview a grouped message (with --event failed); with --event digest, the batch's member accounts")
	asJSON := fs.Bool("json", false, "print one JSON object alone: each sink's name to the list of its message bodies")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "export-notifier preview: "+format+"\n", a...)
		return code
	}
	typ, err := previewType(*typeName)
	if err != nil {
		return fs.usageError(env, "--event: "+err.Error())
	}
	if *count < 1 || *count > 1000 || (*count > 1 && typ != event.Failed && typ != event.Digest) {
		return fs.usageError(env, fmt.Sprintf("--count %d: want 1, or up to 1000 with --event failed or digest", *count))
	}
	events, err := previewEvents(typ, *count, *kindName, *account)
	if err != nil {
		return fs.usageError(env, err.Error())
	}
	show, err := previewSinks(*sinkList)
	if err != nil {
		return fs.usageError(env, "--sinks: "+err.Error())
	}
	settings, err := sinks.Read(env.Getenv)
	if err != nil {
		return fail(ExitUsage, "%v", err)
	}
	out, err := previewOutput(settings, show, events, *asJSON)
	if err != nil {
		return fail(ExitUsage, "%v", err)
	}
	if _, err := env.Stdout.Write(out); err != nil {
		return fail(ExitFailed, "%v", err)
	}
	return ExitOK
}

// previewOutput is every message of the sinks named in show about events,
// for people or, with asJSON, as one JSON object.
func previewOutput(settings sinks.Settings, show []string, events []event.Event, asJSON bool) ([]byte, error) {
	rendered := make([][]notify.Rendering, len(show))
	for i, name := range show {
		var err error
		if rendered[i], err = settings.Preview(name, events); err != nil {
			return nil, err
		}
	}
	if asJSON {
		return previewJSON(show, rendered)
	}
	return append(previewReach(settings, events[0]), previewText(rendered)...), nil
}

// previewReach says which of the configured sinks (the console when none
// is) ev reaches, and why the others do not.
func previewReach(settings sinks.Settings, ev event.Event) []byte {
	var reach, not []string
	for _, n := range settings.Notifiers(nil) {
		kind := sinks.KindOf(n.Name())
		switch {
		case settings.Takes(n, ev):
			reach = append(reach, n.Name())
		case !settings.Routed(n.Name(), ev):
			not = append(not, fmt.Sprintf("%s (%s=%s)", n.Name(), sinks.RouteVariable(kind), settings.Route(kind)))
		default:
			not = append(not, n.Name()+" (it sends nothing about such events)")
		}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "A %s event about %s reaches: ", ev.Type, ev.Status.Ref)
	if len(reach) == 0 {
		b.WriteString("no sink (it would be recorded and sent nowhere)")
	}
	b.WriteString(strings.Join(reach, ", "))
	if len(not) > 0 {
		b.WriteString("; not " + strings.Join(not, ", "))
	}
	b.WriteString("\n\n")
	return b.Bytes()
}

// previewSinks are the sinks a --sinks list names, in its order.
func previewSinks(list string) ([]string, error) {
	var show []string
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(sinks.Names(), name) {
			return nil, fmt.Errorf("unknown sink %q (want %s)", name, strings.Join(sinks.Names(), ", "))
		}
		show = append(show, name)
	}
	return show, nil
}

// previewText is the preview for people: each message's title, its body
// (indented when it is JSON) and its notes.
func previewText(rendered [][]notify.Rendering) []byte {
	var out bytes.Buffer
	for _, messages := range rendered {
		for _, r := range messages {
			fmt.Fprintf(&out, "%s:\n%s\n\n", r.Title, indentJSON(r.Body))
			for _, note := range r.Notes {
				fmt.Fprintf(&out, "%s\n\n", note)
			}
		}
	}
	return out.Bytes()
}

// previewJSON is one JSON object: each sink's name to the list of its
// message bodies, a body that is not JSON (a template's) as a string.
func previewJSON(names []string, rendered [][]notify.Rendering) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("{")
	for i, name := range names {
		bodies := make([]any, len(rendered[i]))
		for j, r := range rendered[i] {
			bodies[j] = string(r.Body)
			if json.Valid(r.Body) {
				bodies[j] = json.RawMessage(r.Body)
			}
		}
		v, err := notify.MarshalJSON(bodies, "  ")
		if err != nil {
			return nil, err
		}
		key, _ := json.Marshal(name) // a string always marshals
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n  %s: %s", key, bytes.ReplaceAll(v, []byte("\n"), []byte("\n  ")))
	}
	b.WriteString("\n}\n")
	return b.Bytes(), nil
}

// previewEvents are count sample events of type typ, of the kind and
// member account given (empty: the sample's); several failures share the
// sample's error code, as one cycle's would. A completion resolves a
// failure, so that incident tools show what they would receive.
func previewEvents(typ event.Type, count int, kind, account string) ([]event.Event, error) {
	if typ == event.Digest {
		return []event.Event{notify.SampleDigest(max(count, 2), false)}, nil
	}
	events := make([]event.Event, count)
	for i := range events {
		ev := notify.SampleEvent(typ)
		ref := &ev.Status.Ref
		ref.ID += int64(i)
		if kind != "" {
			k, err := event.ParseKind(kind)
			if err != nil {
				return nil, fmt.Errorf("--kind: %w", err)
			}
			ref.Kind = k
		}
		switch account {
		case "":
		case "own":
			ref.Account = 0
		default:
			a, err := strconv.ParseInt(account, 10, 64)
			if err != nil || a <= 0 {
				return nil, fmt.Errorf("--account: %s is neither a member account ID nor own", event.Quote(account))
			}
			ref.Account = a
		}
		if ref.Account != 0 && ref.Kind != event.Asset {
			// The sample's own account goes with its kind; a kind that
			// takes none drops it.
			if account != "" {
				return nil, fmt.Errorf("--account: only asset exports belong to a member account; %s exports do not", ref.Kind)
			}
			ref.Account = 0
		}
		if typ == event.Completed {
			ev.Resolves = []event.Incident{{Type: event.Failed, Code: "NoPermission", Since: ev.Time.Add(-time.Hour)}}
		}
		ev.ID = event.NewID(*ref, ev.Key())
		events[i] = ev
	}
	return events, nil
}

// indentJSON indents body when it is JSON, and leaves any other template
// output as it is.
func indentJSON(body []byte) []byte {
	var b bytes.Buffer
	if err := json.Indent(&b, body, "", "  "); err != nil {
		return body
	}
	return b.Bytes()
}

// previewType is the event type --event names: one of NOTIFY_ON's, or
// digest.
func previewType(name string) (event.Type, error) {
	if name == string(event.Digest) {
		return event.Digest, nil
	}
	return event.ParseType(name)
}
