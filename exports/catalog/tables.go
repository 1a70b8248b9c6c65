package catalog

import (
	"strings"

	"github.com/export-notifier/export-notifier/event"
)

// ExportTypes lists ExportRecord's export types (asset starts), as the SAS
// SDK v8.0.1 documents them.
func ExportTypes() []string {
	return []string{
		"assetInstance", "user", "port", "process", "sca", "database", "web", "software",
		"cron", "autorun", "lkm", "webserver", "virusScanExport", "imageVulExport",
		"imageBaseLineExport", "imageAffectedMaliciousExport", "baselineCspm", "attack",
		"accessKey", "exportObjectScanEvents", "domainDetail", "assetsPropertyScaProcessDetail",
		"exportHcWarning", "raspAttackAlert", "raspApplicationConfiguration",
		"raspWeaknessDetection", "raspInMemoryWebshellDetection", "raspInMemoryWebshellInsertion",
	}
}

// VulTypes lists ExportVul's vulnerability types: Linux software (cve),
// Windows system (sys), Web-CMS (cms), application (app), urgent (emg).
func VulTypes() []string { return []string{"cve", "sys", "cms", "app", "emg"} }

// Langs lists the languages the export APIs take.
func Langs() []string { return []string{"zh", "en"} }

// SuspEventTimeLayout is how ExportSuspEvents's TimeStart and TimeEnd are
// written.
const SuspEventTimeLayout = "2006-01-02 15:04:05"

// lang is the parameter every kind takes.
func lang() Field {
	return Field{Name: "lang", Flag: "lang", Param: "Lang", Values: Langs(),
		Help: "language of the file: zh (the API's default) or en"}
}

func assetKind() Kind {
	return Kind{Kind: event.Asset, API: "ExportRecord", Fields: []Field{
		lang(),
		{Name: "exportType", Flag: "export-type", Param: "ExportType", Values: ExportTypes(), Required: true,
			Help: "what to export (required): " + strings.Join(ExportTypes(), ", ")},
		{Name: "exportFileType", Flag: "export-file-type", Param: "ExportFileType", Values: []string{"virusScanExport"},
			Help: "virusScanExport, required with --export-type virusScanExport", check: virusScanFileType},
		{Name: "params", Flag: "params", Param: "Params", Type: Object, check: params,
			Help: `filter conditions as a JSON object, such as {"extend":"1"}`},
		{Name: "resourceDirectoryAccountId", Flag: "account", Param: "ResourceDirectoryAccountId", Type: Number,
			check: positive("account ID"), Help: "resource directory member account (default RESOURCE_DIRECTORY_ACCOUNT_ID)"},
		{Name: "accounts", Flag: "accounts", check: accounts,
			Help: "one export per member account: all (every member the caller may read) or IDs, comma-separated"},
	}}
}

func vulKind() Kind {
	return Kind{Kind: event.Vul, API: "ExportVul", Fields: []Field{
		lang(),
		{Name: "type", Flag: "type", Param: "Type", Values: VulTypes(), Required: true,
			Help: "vulnerability type (required): " + strings.Join(VulTypes(), ", ")},
		{Name: "dealed", Flag: "dealed", Param: "Dealed", Values: []string{"y", "n"}, Help: "y (fixed) or n"},
		{Name: "necessity", Flag: "necessity", Param: "Necessity", Values: []string{"asap", "later", "nntf"}, List: true,
			Help: "fix priorities, comma-separated: asap, later, nntf"},
		{Name: "attachTypes", Flag: "attach-types", Param: "AttachTypes", Values: []string{"sca"}, check: onlyWithAppType,
			Help: "sca, with --type app"},
		{Name: "cveId", Flag: "cve-id", Param: "CveId", check: cveID, Help: "a CVE ID, such as CVE-2022-44702"},
		{Name: "uuids", Flag: "uuids", Param: "Uuids", List: true, Help: "server UUIDs, comma-separated"},
		{Name: "vpcInstanceIds", Flag: "vpc-instance-ids", Param: "VpcInstanceIds", List: true, Help: "VPC IDs, comma-separated"},
		{Name: "aliasName", Flag: "alias-name", Param: "AliasName", Help: "vulnerability name"},
		{Name: "searchTags", Flag: "search-tags", Param: "SearchTags", Help: `tag, such as "Restart required"`},
		{Name: "groupId", Flag: "group-id", Param: "GroupId", Type: Number, check: positive("server group ID"),
			Help: "server or asset group ID"},
		{Name: "createTsStart", Flag: "create-ts-start", Param: "CreateTsStart", Type: Number, check: millis,
			Help: "first scanned at or after, in milliseconds since the epoch"},
		{Name: "createTsEnd", Flag: "create-ts-end", Param: "CreateTsEnd", Type: Number, check: millisAfter("createTsStart"),
			Help: "first scanned at or before, in milliseconds since the epoch"},
	}}
}

func suspEventKind() Kind {
	return Kind{Kind: event.SuspEvent, API: "ExportSuspEvents", Fields: []Field{
		lang(),
		{Name: "levels", Flag: "levels", Param: "Levels", Values: []string{"serious", "suspicious", "remind"}, List: true,
			Help: "severities, comma-separated: serious, suspicious, remind"},
		{Name: "dealed", Flag: "dealed", Param: "Dealed", Values: []string{"Y", "N"}, Help: "Y (handled) or N"},
		{Name: "status", Flag: "status", Param: "Status", Values: []string{"0", "1", "2", "4", "8", "16", "32", "64", "128"},
			Help: "handling status: 0 (all), 1 (pending), 2, 4, 8, 16, 32 (handled), 64, 128"},
		{Name: "timeStart", Flag: "time-start", Param: "TimeStart", check: suspEventTime,
			Help: `detected at or after, "2006-01-02 15:04:05"`},
		{Name: "timeEnd", Flag: "time-end", Param: "TimeEnd", check: suspEventTimeAfter("timeStart"),
			Help: `detected at or before, "2006-01-02 15:04:05"`},
		{Name: "parentEventTypes", Flag: "parent-event-types", Param: "ParentEventTypes", Help: "alert types, comma-separated"},
		{Name: "name", Flag: "name", Param: "Name", Help: "alert name"},
		{Name: "uuid", Flag: "uuid", Param: "Uuid", Help: "server UUID"},
		{Name: "clusterId", Flag: "cluster-id", Param: "ClusterId", Help: "cluster ID"},
		{Name: "groupId", Flag: "group-id", Param: "GroupId", Type: Number, check: positive("asset group ID"),
			Help: "server or asset group ID"},
	}}
}
