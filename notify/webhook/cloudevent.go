package webhook

import (
	"net/url"
	"strconv"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
)

// CloudEvent is the default webhook body: a CloudEvents 1.0 event in
// structured JSON mode.
type CloudEvent struct {
	SpecVersion     string    `json:"specversion"`
	ID              string    `json:"id"`
	Source          string    `json:"source"`
	Type            string    `json:"type"`
	Subject         string    `json:"subject"`
	Time            time.Time `json:"time"`
	DataContentType string    `json:"datacontenttype"`
	Data            EventData `json:"data"`
}

// EventData is the "data" of a CloudEvent: the export as Security Center
// last described it, and for failures what went wrong.
type EventData struct {
	ExportID                   int64          `json:"exportId"`
	Kind                       event.Kind     `json:"kind"`
	Status                     event.State    `json:"status"`
	FileName                   string         `json:"fileName,omitempty"`
	TotalCount                 int64          `json:"totalCount"`
	CurrentCount               int64          `json:"currentCount"`
	Progress                   int            `json:"progress"`
	Link                       string         `json:"link,omitempty"`
	Message                    string         `json:"message,omitempty"`
	RequestID                  string         `json:"requestId,omitempty"`
	ResourceDirectoryAccountID int64          `json:"resourceDirectoryAccountId,omitempty"`
	Region                     string         `json:"region,omitempty"`
	Error                      *event.Failure `json:"error,omitempty"`
	// Start, for started events, is what the payload asked to start, as
	// its "start" item gave it.
	Start *event.StartSpec `json:"start,omitempty"`
	// Archive, for completions with ARCHIVE_URL set, is where the file is
	// kept (bucket, key, size, crc64) and when the link to it expires.
	Archive *event.Archive `json:"archive,omitempty"`
	// Digest, for digest events, is the batch's summary: a row per ready
	// export of a member account, the failures grouped by code.
	Digest *event.BatchDigest `json:"digest,omitempty"`
}

// NewCloudEvent describes ev as a CloudEvent; the link is left out unless
// includeLink.
func NewCloudEvent(ev event.Event, includeLink bool) CloudEvent {
	st := ev.Status
	source := "/export-notifier/sas"
	if ev.Region != "" {
		source += "/" + url.PathEscape(ev.Region)
	}
	d := EventData{
		ExportID:                   st.ID,
		Kind:                       st.Kind,
		Status:                     st.State,
		FileName:                   st.FileName,
		TotalCount:                 st.TotalCount,
		CurrentCount:               st.CurrentCount,
		Progress:                   st.Progress,
		Message:                    st.Message,
		RequestID:                  st.RequestID,
		ResourceDirectoryAccountID: st.Account,
		Region:                     ev.Region,
		Error:                      ev.Error,
		Start:                      ev.Start,
		Archive:                    ev.Archive,
		Digest:                     notify.DigestOf(ev, includeLink),
	}
	if includeLink {
		d.Link = st.Link
	}
	return CloudEvent{
		SpecVersion:     "1.0",
		ID:              ev.ID,
		Source:          source,
		Type:            ev.Type.CloudEventType(),
		Subject:         strconv.FormatInt(st.ID, 10),
		Time:            ev.Time.UTC(),
		DataContentType: plainJSON,
		Data:            d,
	}
}

// CloudEventBody is the default webhook body for ev.
func CloudEventBody(ev event.Event, includeLink bool) ([]byte, error) {
	return notify.MarshalJSON(NewCloudEvent(ev, includeLink), "")
}
