package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"
)

// webAPI calls the bot's Slack Web API methods as slack-go's Client sends
// them (a form carrying the token; a JSON answer) and fails with slack-go's
// error types. It stands in for a *slackgo.Client: every Client call hands
// the Client to its debug logger as an interface value, and with
// text/template in the binary (WEBHOOK_TEMPLATE looks methods up by name)
// the linker then keeps all of the Client's ~530 methods and the RTM client
// behind them, about 1.6 MB of the binary.
//
// To call one more method, add a webAPI method that fills a form and
// decodes into a struct embedding slackgo.SlackResponse, as postMessage
// does.
type webAPI struct {
	base   string // ending in "/"
	token  string
	client *http.Client
}

// postMessage is chat.postMessage of m to channel: the channel ID and the
// ts of the new message.
func (w webAPI) postMessage(ctx context.Context, channel string, m Message) (channelID, ts string, err error) {
	var answer struct {
		Channel string `json:"channel"`
		TS      string `json:"ts"`
		slackgo.SlackResponse
	}
	form, err := messageForm(channel, m)
	if err != nil {
		return "", "", err
	}
	if err := w.call(ctx, "chat.postMessage", form, &answer); err != nil {
		return "", "", err
	}
	return answer.Channel, answer.TS, nil
}

// updateMessage is chat.update: the message ts in channel becomes m.
func (w webAPI) updateMessage(ctx context.Context, channel, ts string, m Message) error {
	form, err := messageForm(channel, m)
	if err != nil {
		return err
	}
	form.Set("ts", ts)
	var answer slackgo.SlackResponse
	return w.call(ctx, "chat.update", form, &answer)
}

// messageForm is the form that posts m to channel: its fallback text and
// its blocks ("[]" for none, which clears an updated message's blocks).
func messageForm(channel string, m Message) (url.Values, error) {
	blocks := m.Blocks.BlockSet
	if blocks == nil {
		blocks = []slackgo.Block{}
	}
	b, err := json.Marshal(blocks)
	if err != nil {
		return nil, err
	}
	return url.Values{"channel": {channel}, "text": {m.Text}, "blocks": {string(b)}}, nil
}

// call posts form, with the token, to method and decodes the answer into
// answer. It fails with a *slackgo.RateLimitedError on a 429 carrying
// Retry-After, a slackgo.StatusCodeError on any other status but 200, and
// a slackgo.SlackErrorResponse when Slack answers "ok": false.
func (w webAPI) call(ctx context.Context, method string, form url.Values, answer interface{ Err() error }) error {
	form.Set("token", w.token)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.base+method, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if after := resp.Header.Get("Retry-After"); resp.StatusCode == http.StatusTooManyRequests && after != "" {
		seconds, err := strconv.ParseInt(after, 10, 64)
		if err != nil {
			return err
		}
		return &slackgo.RateLimitedError{RetryAfter: time.Duration(seconds) * time.Second}
	}
	if resp.StatusCode != http.StatusOK {
		return slackgo.StatusCodeError{Code: resp.StatusCode, Status: resp.Status}
	}
	if err := json.NewDecoder(resp.Body).Decode(answer); err != nil {
		return err
	}
	return answer.Err()
}
