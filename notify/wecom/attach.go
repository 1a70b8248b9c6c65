package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/chatbot"
)

// The sizes of file WeCom's upload_media takes.
const (
	attachMinBytes = 5
	attachMaxBytes = 20 << 20
)

// noteTime is what the file leaves of the attempt's time for telling
// that it could not be attached.
const noteTime = 2 * time.Second

// attachable reports whether ev is a completion whose file was archived
// (a lasting copy, of a known size) within the sizes WeCom takes. A
// larger file is not posted: the message's link to the copy stands.
func attachable(ev event.Event) bool {
	a := ev.Archive
	return ev.Type == event.Completed && ev.Status.Link != "" && a != nil && a.Error == "" &&
		a.Size >= attachMinBytes && a.Size <= attachMaxBytes
}

// attachFile posts ev's archived file after its message: upload_media
// with the bytes streamed from the copy's link, then a file message. The
// message is already posted, so a failure is told in a text message
// rather than returned: failing the delivery would post the message again.
func (s *sink) attachFile(ctx context.Context, ev event.Event) {
	secrets := append(append(s.Secrets[:len(s.Secrets):len(s.Secrets)], ev.Status.Link), notify.URLSecrets(ev.Status.Link)...)
	fileCtx := ctx
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		fileCtx, cancel = context.WithDeadline(ctx, deadline.Add(-noteTime))
		defer cancel()
	}
	err := s.sendFile(fileCtx, ev, secrets)
	if err == nil {
		return
	}
	text := "The file " + notify.AttachName(ev) + " could not be attached: " + notify.OneLine(notify.ErrorText([]byte(err.Error()), secrets))
	_ = s.post(ctx, textMessage{MsgType: "text", Text: textContent{Content: text}})
}

func (s *sink) sendFile(ctx context.Context, ev event.Event, secrets []string) error {
	id, err := s.upload(ctx, ev, secrets)
	if err != nil {
		return err
	}
	return s.post(ctx, fileMessage{MsgType: "file", File: fileMedia{MediaID: id}})
}

// post sends a message other than markdown through the bot's pacing.
func (s *sink) post(ctx context.Context, message any) error {
	return s.Send(ctx, func() (string, []byte, []string, error) {
		body, err := json.Marshal(message)
		return s.URL, body, nil, err
	})
}

// upload streams the file from its link into upload_media, as the
// multipart field "media", and returns its media_id.
func (s *sink) upload(ctx context.Context, ev event.Event, secrets []string) (string, error) {
	file, err := s.download(ctx, ev.Status.Link, secrets)
	if err != nil {
		return "", err
	}
	defer file.Body.Close()
	head, tail, contentType := multipartFrame(notify.AttachName(ev), file.ContentLength)
	body := io.MultiReader(strings.NewReader(head), file.Body, strings.NewReader(tail))
	header := http.Header{"Content-Type": {contentType}, "User-Agent": {"export-notifier"}}
	length := int64(len(head)+len(tail)) + file.ContentLength
	status, answer, e := notify.PostStreamForAnswer(ctx, s.Client, s.Sink, uploadURL(s.URL), header, body, length, secrets)
	if e := s.Answer.Verdict(s.Sink, chatbot.Reply{Status: status, Answer: answer, Err: e}, secrets); e != nil {
		return "", fmt.Errorf("upload_media: %w", e)
	}
	var media struct {
		MediaID string `json:"media_id"`
	}
	if json.Unmarshal(answer, &media) != nil || media.MediaID == "" {
		return "", errors.New("upload_media answered without a media_id")
	}
	return media.MediaID, nil
}

// download opens the file at link, refusing one whose length is unknown
// or outside what WeCom takes.
func (s *sink) download(ctx context.Context, link string, secrets []string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return nil, errors.New("the download link is not a URL")
	}
	res, err := s.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("the download failed: %w", notify.RedactError(err, link, secrets))
	}
	switch {
	case res.StatusCode != http.StatusOK:
		err = fmt.Errorf("the download answered %s", res.Status)
	case res.ContentLength < 0:
		err = errors.New("the download has no Content-Length")
	case res.ContentLength < attachMinBytes || res.ContentLength > attachMaxBytes:
		err = fmt.Errorf("the file has %s; WeCom takes 5 B to %s", notify.SizeText(res.ContentLength), notify.SizeText(attachMaxBytes))
	}
	if err != nil {
		res.Body.Close()
		return nil, err
	}
	return res, nil
}

// multipartFrame is what goes before and after a file of size bytes
// named name in a multipart/form-data body of one field, "media", and
// the body's Content-Type.
func multipartFrame(name string, size int64) (head, tail, contentType string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", "", "\n", "").Replace(name)
	_, _ = w.CreatePart(textproto.MIMEHeader{
		"Content-Disposition": {fmt.Sprintf(`form-data; name="media"; filename="%s"; filelength=%d`, quoted, size)},
		"Content-Type":        {"application/octet-stream"},
	})
	head = buf.String()
	buf.Reset()
	_ = w.Close()
	return head, buf.String(), w.FormDataContentType()
}

// uploadURL is upload_media beside the webhook's send, with its key and
// type=file.
func uploadURL(send string) string {
	u, err := url.Parse(send)
	if err != nil {
		return send
	}
	u.Path = path.Join(path.Dir(u.Path), "upload_media")
	q := u.Query()
	q.Set("type", "file")
	u.RawQuery = q.Encode()
	return u.String()
}

// The bodies of WeCom's file and text messages.
type (
	fileMessage struct {
		MsgType string    `json:"msgtype"` // "file"
		File    fileMedia `json:"file"`
	}
	fileMedia struct {
		MediaID string `json:"media_id"`
	}
	textMessage struct {
		MsgType string      `json:"msgtype"` // "text"
		Text    textContent `json:"text"`
	}
	textContent struct {
		Content string `json:"content"`
	}
)
