package dingtalk

import (
	"time"

	"github.com/export-notifier/export-notifier/notify"
)

// reply is one scripted answer of a bot.
type reply struct {
	status     int
	body       string
	retryAfter string
}

// fastRetrier keeps the backoff short so tests do not sleep for long; the
// Retry-After waits stay as the bot asks.
func fastRetrier() notify.Retrier {
	return notify.Retrier{MaxAttempts: 4, Backoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, AttemptTimeout: 5 * time.Second}
}
