package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	slackgo "github.com/slack-go/slack"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
)

// AttachMaxBytes is the largest file SLACK_ATTACH_FILE posts: Slack takes
// files up to 1 GB.
const AttachMaxBytes int64 = 1 << 30

// attachFiles attaches the files of the completions among events, when
// SLACK_ATTACH_FILE asks for it and the message shows links.
func (s *slackBot) attachFiles(ctx context.Context, channel, ts string, events []event.Event) {
	if !s.attachFile || !s.includeLink || channel == "" || !isSlackTS(ts) {
		return
	}
	for _, ev := range events {
		if ev.Type == event.Completed && ev.Status.Link != "" {
			s.attach(ctx, channel, ts, ev)
		}
	}
}

// attach posts a completed export's file in the thread of the message ts
// in channel, with Slack's upload flow: files.getUploadURLExternal for
// the file's name and length, the bytes streamed from the download link
// to the upload URL, then files.completeUploadExternal into the thread.
// The message is already posted, so a failure is told in the thread
// rather than returned: failing the delivery would post the message again.
func (s *slackBot) attach(ctx context.Context, channel, ts string, ev event.Event) {
	if err := s.upload(ctx, channel, ts, ev); err != nil {
		text := "The file could not be attached: " + notify.OneLine(notify.ErrorText([]byte(err.Error()), []string{s.token, ev.Status.Link}))
		form := url.Values{"channel": {channel}, "thread_ts": {ts}, "text": {text}}
		var answer slackgo.SlackResponse
		_ = s.web.call(ctx, "chat.postMessage", form, &answer)
	}
}

func (s *slackBot) upload(ctx context.Context, channel, ts string, ev event.Event) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ev.Status.Link, nil)
	if err != nil {
		return errors.New("the download link is not a URL")
	}
	res, err := s.web.client.Do(req)
	if err != nil {
		return errors.New("the download failed: " + transportReason(err))
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode != http.StatusOK:
		return fmt.Errorf("the download answered %s", res.Status)
	case res.ContentLength < 0:
		return errors.New("the download has no Content-Length")
	case res.ContentLength > AttachMaxBytes:
		return fmt.Errorf("the file has %s, more than the %s Slack takes", notify.SizeText(res.ContentLength), notify.SizeText(AttachMaxBytes))
	}
	name := notify.AttachName(ev)
	var target struct {
		UploadURL string `json:"upload_url"`
		FileID    string `json:"file_id"`
		slackgo.SlackResponse
	}
	form := url.Values{"filename": {name}, "length": {strconv.FormatInt(res.ContentLength, 10)}}
	if err := s.web.call(ctx, "files.getUploadURLExternal", form, &target); err != nil {
		return fmt.Errorf("files.getUploadURLExternal: %w", err)
	}
	put, err := http.NewRequestWithContext(ctx, http.MethodPost, target.UploadURL, res.Body)
	if err != nil {
		return errors.New("files.getUploadURLExternal gave no usable upload_url")
	}
	put.ContentLength = res.ContentLength
	put.Header.Set("Content-Type", "application/octet-stream")
	up, err := s.web.client.Do(put)
	if err != nil {
		return errors.New("the upload failed: " + transportReason(err))
	}
	up.Body.Close()
	if up.StatusCode != http.StatusOK {
		return fmt.Errorf("the upload answered %s", up.Status)
	}
	files, _ := json.Marshal([]map[string]string{{"id": target.FileID, "title": name}})
	done := url.Values{"files": {string(files)}, "channel_id": {channel}, "thread_ts": {ts}}
	var answer slackgo.SlackResponse
	if err := s.web.call(ctx, "files.completeUploadExternal", done, &answer); err != nil {
		return fmt.Errorf("files.completeUploadExternal: %w", err)
	}
	return nil
}

// transportReason is a transport error without its URL, which holds a
// signature.
func transportReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
