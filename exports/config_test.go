package exports_test

import (
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/exports"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name     string
		vars     map[string]string
		region   string
		endpoint string // of the client built from the config
		account  int64
	}{
		{"defaults", nil, "cn-shanghai", "https://tds.cn-shanghai.aliyuncs.com", 0},
		{"a mainland region", map[string]string{"SAS_REGION": "cn-hangzhou"}, "cn-hangzhou", "https://tds.cn-shanghai.aliyuncs.com", 0},
		{"an international region", map[string]string{"SAS_REGION": "eu-central-1"}, "eu-central-1", "https://tds.ap-southeast-1.aliyuncs.com", 0},
		{"FC's region", map[string]string{"FC_REGION": "ap-northeast-1", "ALIBABA_CLOUD_REGION_ID": "cn-beijing"}, "ap-northeast-1", "https://tds.ap-southeast-1.aliyuncs.com", 0},
		{"SAS_REGION wins", map[string]string{"SAS_REGION": "cn-beijing", "FC_REGION": "ap-northeast-1"}, "cn-beijing", "https://tds.cn-shanghai.aliyuncs.com", 0},
		{"the CLI's region", map[string]string{"ALIBABA_CLOUD_REGION_ID": "us-east-1"}, "us-east-1", "https://tds.ap-southeast-1.aliyuncs.com", 0},
		{"the simulator", map[string]string{"SAS_ENDPOINT": "http://127.0.0.1:8741"}, "cn-shanghai", "http://127.0.0.1:8741", 0},
		{"localhost", map[string]string{"SAS_ENDPOINT": "http://localhost:8741/"}, "cn-shanghai", "http://localhost:8741", 0},
		{"a localhost name, as sinks accept", map[string]string{"SAS_ENDPOINT": "http://sas.localhost:8741"}, "cn-shanghai", "http://sas.localhost:8741", 0},
		{"an https endpoint", map[string]string{"SAS_ENDPOINT": "https://tds.ap-southeast-1.aliyuncs.com", "SAS_REGION": "ap-southeast-1"}, "ap-southeast-1", "https://tds.ap-southeast-1.aliyuncs.com", 0},
		{"a member account", map[string]string{"RESOURCE_DIRECTORY_ACCOUNT_ID": "16670360956"}, "cn-shanghai", "https://tds.cn-shanghai.aliyuncs.com", 16670360956},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := exports.ConfigFromEnv(env(tt.vars))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Region != tt.region || cfg.Account != tt.account {
				t.Errorf("config %+v, want region %s and account %d", cfg, tt.region, tt.account)
			}
			client, err := exports.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if client.Endpoint() != tt.endpoint || client.Region() != tt.region {
				t.Errorf("endpoint %s in %s, want %s in %s", client.Endpoint(), client.Region(), tt.endpoint, tt.region)
			}
		})
	}
}

func TestConfigFromEnvRejectsBadValues(t *testing.T) {
	tests := []struct {
		name, variable, value string
	}{
		{"unknown region", "SAS_REGION", "mars-north-1"},
		{"not a region", "SAS_REGION", "https://tds.cn-shanghai.aliyuncs.com"},
		{"FC's region unknown", "FC_REGION", "xx-nowhere-9"},
		{"plain http to a remote host", "SAS_ENDPOINT", "http://tds.cn-shanghai.aliyuncs.com"},
		{"another scheme", "SAS_ENDPOINT", "ftp://127.0.0.1"},
		{"no scheme", "SAS_ENDPOINT", "tds.cn-shanghai.aliyuncs.com"},
		{"a path", "SAS_ENDPOINT", "https://tds.cn-shanghai.aliyuncs.com/api"},
		{"a query", "SAS_ENDPOINT", "https://tds.cn-shanghai.aliyuncs.com?x=1"},
		{"user information", "SAS_ENDPOINT", "https://user@tds.cn-shanghai.aliyuncs.com"},
		{"a bad port", "SAS_ENDPOINT", "http://127.0.0.1:99999"},
		{"no host", "SAS_ENDPOINT", "https://"},
		{"not a number", "RESOURCE_DIRECTORY_ACCOUNT_ID", "abc"},
		{"negative", "RESOURCE_DIRECTORY_ACCOUNT_ID", "-5"},
		{"zero", "RESOURCE_DIRECTORY_ACCOUNT_ID", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := exports.ConfigFromEnv(env(map[string]string{tt.variable: tt.value}))
			if err == nil {
				t.Fatalf("%s=%q accepted", tt.variable, tt.value)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.variable) || !strings.Contains(msg, tt.value) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line naming %s and %q", msg, tt.variable, tt.value)
			}
		})
	}
}

func TestConfigErrorsHideEndpointPasswords(t *testing.T) {
	_, err := exports.ConfigFromEnv(env(map[string]string{"SAS_ENDPOINT": "https://user:hunter2@tds.cn-shanghai.aliyuncs.com"}))
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "SAS_ENDPOINT") {
		t.Fatalf("error %v: want SAS_ENDPOINT named without its password", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []exports.Config{
		{Region: "nowhere"},
		{Endpoint: "http://10.0.0.1:8741"},
		{Account: -1},
	} {
		if _, err := exports.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}
