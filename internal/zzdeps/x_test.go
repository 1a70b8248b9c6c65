package zzdeps

import (
	_ "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	_ "github.com/alibabacloud-go/sas-20181203/v8/client"
	_ "github.com/alibabacloud-go/tea/tea"
	_ "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	_ "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
	_ "github.com/aliyun/fc-runtime-go-sdk/events"
	_ "github.com/aliyun/fc-runtime-go-sdk/fc"
	_ "github.com/aliyun/fc-runtime-go-sdk/fccontext"
	_ "github.com/santhosh-tekuri/jsonschema/v6"
	_ "github.com/slack-go/slack"
	_ "github.com/slack-go/slack/slacktest"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/time/rate"
)

var _ = standardwebhooks.NewWebhook
