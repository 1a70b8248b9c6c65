package state

import "github.com/export-notifier/export-notifier/setting"

// Variables lists the environment variables that choose and reach the
// state store: STATE_URL, which the program opens, and those Open reads
// through Options.Getenv.
func Variables() []setting.Var {
	return []setting.Var{
		{Name: "STATE_URL", Meaning: "where the state lives: file:///dir, file://./dir or oss://bucket/prefix", Default: "file://./.export-notifier; file:///tmp/export-notifier on FC"},
		{Name: "OSS_ENDPOINT", Meaning: "endpoint of the oss:// state bucket: a host name or an https URL without a path", Default: "the region's, internal on FC"},
		{Name: "OSS_REGION", Meaning: "region of the oss:// state bucket, such as cn-hangzhou", Default: "the function's region"},
	}
}
