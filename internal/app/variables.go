package app

import (
	"slices"

	"github.com/export-notifier/export-notifier/archive"
	"github.com/export-notifier/export-notifier/exports"
	"github.com/export-notifier/export-notifier/handler"
	"github.com/export-notifier/export-notifier/notify/sinks"
	"github.com/export-notifier/export-notifier/setting"
	"github.com/export-notifier/export-notifier/state"
)

// Variables lists every setting export-notifier reads from the
// environment, each once: the ones a deployer sets, so each is documented
// in README.md and appears in s.yaml. The variables the surroundings set
// are in PlatformVariables.
func Variables() []setting.Var {
	return slices.Concat(
		handler.Variables(),
		exports.Variables(),
		state.Variables(),
		archive.Variables(),
		sinks.Variables(),
		ownVariables(),
	)
}

// ownVariables are the settings this package reads itself.
func ownVariables() []setting.Var {
	return []setting.Var{
		{Name: "POLL_TIMEOUT", Meaning: "deadline of one CLI cycle, retries included, 1s to 24h; on FC the invocation's deadline applies", Default: "60s"},
		{Name: "LOG_LEVEL", Meaning: "debug, info, warn or error", Default: "info"},
		{Name: "LOG_FORMAT", Meaning: "json or text", Default: "JSON on FC, text elsewhere"},
	}
}

// PlatformVariables lists the variables the program reads that its
// surroundings set rather than its deployer: Function Compute sets FC_*,
// the credentials come from the invocation on FC and from the shell
// elsewhere, and GOGC and GOMEMLIMIT are the Go runtime's own. s.yaml does not set
// them.
func PlatformVariables() []setting.Var {
	return []setting.Var{
		{Name: "FC_RUNTIME_API", Meaning: "set by Function Compute: the process serves invocations instead of running a command"},
		{Name: "FC_REGION", Meaning: "set by Function Compute: the function's region, the default for SAS_REGION and the OSS state bucket"},
		{Name: "ALIBABA_CLOUD_REGION_ID", Meaning: "the default for SAS_REGION off FC"},
		{Name: "ALIBABA_CLOUD_ACCESS_KEY_ID", Meaning: "AccessKey ID off FC", Secret: true},
		{Name: "ALIBABA_CLOUD_ACCESS_KEY_SECRET", Meaning: "AccessKey secret off FC", Secret: true},
		{Name: "ALIBABA_CLOUD_SECURITY_TOKEN", Meaning: "STS token that goes with a temporary AccessKey", Secret: true},
		{Name: "GOGC", Meaning: "the Go garbage collector's target: how far the heap grows past what was live before a collection", Default: "50 on the command line when GOMEMLIMIT is unset too; the runtime's 100 on FC"},
		{Name: "GOMEMLIMIT", Meaning: "the Go runtime's soft memory limit; on FC it replaces the one set from the function's memory", Default: "three quarters of the function's memory on FC"},
	}
}
