// Command fn is a function for fcruntime's tests: it runs under fc.Start
// (fc-runtime-go-sdk v0.3.1) and answers each invocation with what the SDK
// gave it, so the tests see the runtime API through the real SDK.
//
// FN_EVENT chooses the handler's event type: "timer" (default,
// events.TimerEvent), "bytes" ([]byte, the raw body) or "rawjson"
// (json.RawMessage). The payload (or, for bytes and rawjson, the whole event)
// "fail" makes it return an error, "typed-error" an error with a chosen
// errorType, "panic" makes it panic and "hang" makes it ignore its deadline.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fc"
	"github.com/aliyun/fc-runtime-go-sdk/fc/messages"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
)

func main() {
	switch os.Getenv("FN_EVENT") {
	case "bytes":
		fc.Start(func(ctx context.Context, event []byte) (map[string]any, error) {
			return answer(ctx, string(event), map[string]any{"event": string(event)})
		})
	case "rawjson":
		fc.Start(func(ctx context.Context, event json.RawMessage) (map[string]any, error) {
			return answer(ctx, string(event), map[string]any{"event": string(event)})
		})
	default:
		fc.Start(func(ctx context.Context, ev events.TimerEvent) (map[string]any, error) {
			var payload string
			if ev.Payload != nil {
				payload = *ev.Payload
			}
			return answer(ctx, payload, map[string]any{
				"hasPayload":  ev.Payload != nil,
				"payload":     ev.Payload,
				"triggerName": ev.TriggerName,
				"triggerTime": ev.TriggerTime,
			})
		})
	}
}

// answer echoes the invocation's context; secrets only as SHA-256 digests.
func answer(ctx context.Context, input string, out map[string]any) (map[string]any, error) {
	switch input {
	case "fail":
		return nil, errors.New("payload asked to fail")
	case "typed-error":
		// The SDK passes this type through, so errorType is ours to choose.
		return nil, messages.InvokeResponse_Error{Message: "payload asked for a typed error", Type: "InvalidInput"}
	case "panic":
		panic("payload asked to panic")
	case "hang":
		select {}
	}
	fcc, ok := fccontext.FromContext(ctx)
	out["hasFcContext"] = ok
	if ok {
		out["requestId"] = fcc.RequestID
		out["accessKeyId"] = fcc.Credentials.AccessKeyId
		out["accessKeySecretSha256"] = digest(fcc.Credentials.AccessKeySecret)
		out["securityTokenSha256"] = digest(fcc.Credentials.SecurityToken)
		out["region"] = fcc.Region
		out["accountId"] = fcc.AccountId
		out["retryCount"] = fcc.RetryCount
		out["functionName"] = fcc.Function.Name
		out["functionHandler"] = fcc.Function.Handler
		out["functionMemory"] = fcc.Function.Memory
		out["functionTimeout"] = fcc.Function.Timeout
		out["qualifier"] = fcc.Service.Qualifier
	}
	if deadline, ok := ctx.Deadline(); ok {
		out["deadlineUnixMilli"] = deadline.UnixMilli()
		out["deadlineInFuture"] = time.Until(deadline) > 0
	}
	return out, nil
}

func digest(secret string) string {
	if secret == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
