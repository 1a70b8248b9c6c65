package exports

import "github.com/export-notifier/export-notifier/event"

// describeAPI names the API that Get calls for kind, for logs.
func describeAPI(kind event.Kind) string {
	switch kind {
	case event.Vul:
		return "DescribeVulExportInfo"
	case event.HC:
		return "DescribeHcExportInfo"
	case event.Warning:
		return "DescribeWarningExportInfo"
	case event.SuspEvent:
		return "DescribeSuspEventExportInfo"
	default:
		return "DescribeExportInfo"
	}
}
