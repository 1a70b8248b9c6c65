package slack

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
)

// The bot's messages about events carry their IDs in Slack's message
// metadata, so that a cycle taking over another's claim can find what
// that cycle posted before it died (Delivered).
const (
	metadataType = "export_notifier_event"
	metadataIDs  = "event_ids" // space-separated
)

// How far back Delivered looks: from a little before the earliest event
// was decided (Slack's clock and ours may differ), and at most
// historyPages pages of Slack's largest page.
const (
	historySkew  = 10 * time.Minute
	historyPage  = 200
	historyPages = 5
)

// eventMetadata is the metadata of the message about events, or nil
// when none has an ID.
func eventMetadata(events []event.Event) *slackgo.SlackMetadata {
	var ids []string
	for _, ev := range events {
		if ev.ID != "" {
			ids = append(ids, ev.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return &slackgo.SlackMetadata{EventType: metadataType, EventPayload: map[string]any{metadataIDs: strings.Join(ids, " ")}}
}

// Delivered looks in the channel's recent history (conversations.history)
// for the bot's messages about events and returns the IDs it finds.
func (s *slackBot) Delivered(ctx context.Context, events []event.Event) (map[string]bool, error) {
	want, found := map[string]bool{}, map[string]bool{}
	var oldest time.Time
	for _, ev := range events {
		if ev.ID == "" {
			continue
		}
		want[ev.ID] = true
		if oldest.IsZero() || ev.Time.Before(oldest) {
			oldest = ev.Time
		}
	}
	if len(want) == 0 {
		return found, nil
	}
	if strings.HasPrefix(s.channel, "#") {
		return nil, &notify.Error{Sink: s.name, Text: "reading the channel's history needs SLACK_CHANNEL as a channel ID (C0123456789), not a #name"}
	}
	oldestTS := ""
	if !oldest.IsZero() {
		oldestTS = strconv.FormatInt(oldest.Add(-historySkew).Unix(), 10) + ".000000"
	}
	cursor := ""
	for range historyPages {
		page, err := s.web.history(ctx, s.channel, oldestTS, cursor, historyPage)
		if err != nil {
			return nil, s.classify(err)
		}
		for _, m := range page.Messages {
			for _, id := range eventsIn(m, want) {
				found[id] = true
			}
		}
		if len(found) == len(want) || !page.HasMore || page.ResponseMetaData.NextCursor == "" {
			break
		}
		cursor = page.ResponseMetaData.NextCursor
	}
	return found, nil
}

// eventsIn returns the events among want that m is the bot's message
// about: those its metadata names or, should the metadata be missing,
// the one its footer names ("Event `<id>`", in a message about one event).
func eventsIn(m slackgo.Message, want map[string]bool) []string {
	var ids []string
	if m.Metadata.EventType == metadataType {
		listed, _ := m.Metadata.EventPayload[metadataIDs].(string)
		for _, id := range strings.Fields(listed) {
			if want[id] {
				ids = append(ids, id)
			}
		}
		return ids
	}
	if len(m.Blocks.BlockSet) == 0 {
		return nil
	}
	b, err := json.Marshal(m.Blocks)
	if err != nil {
		return nil
	}
	for id := range want {
		if strings.Contains(string(b), "Event `"+id+"`") {
			ids = append(ids, id)
		}
	}
	return ids
}

var _ notify.Deduper = (*slackBot)(nil)
