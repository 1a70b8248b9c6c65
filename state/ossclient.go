package state

import "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

// OSSConfig is the OSS SDK configuration an oss:// state store uses,
// built from opts the same way (endpoint and region from OSS_ENDPOINT and
// OSS_REGION or FC's region, the credentials, plain http to loopback
// only), for other buckets of the same deployment, such as the archive.
func OSSConfig(opts Options) (*oss.Config, error) {
	if opts.Getenv == nil {
		opts.Getenv = func(string) string { return "" }
	}
	return ossConfig(opts)
}
