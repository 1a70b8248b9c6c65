package exports

import "github.com/export-notifier/export-notifier/setting"

// Variables lists the environment variables ConfigFromEnv reads as
// settings. It also falls back on FC_REGION and ALIBABA_CLOUD_REGION_ID,
// which the platform or the shell sets, not the deployer.
func Variables() []setting.Var {
	return []setting.Var{
		{Name: "SAS_REGION", Meaning: "region whose Security Center endpoint to use", Default: "FC's region, else ALIBABA_CLOUD_REGION_ID, else " + DefaultRegion},
		{Name: "SAS_ENDPOINT", Meaning: "full URL that overrides the region's endpoint", Default: "from the region"},
		{Name: "RESOURCE_DIRECTORY_ACCOUNT_ID", Meaning: "member account asked about for asset exports that name none"},
	}
}
