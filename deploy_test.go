package main

// deploy_test.go checks s.yaml, the Serverless Devs description that
// `make deploy` hands to `s deploy`, so that a misspelt field or a wrong type
// fails `make test` instead of a deploy.
//
// Each resource whose component is fc3 is validated against the fc3
// component's own schema (../shared/reference/fc3-schema.json, beside the
// clone in CI) after `${vars.NAME}` is resolved from the file's vars;
// `${env(...)}` and other functions stay strings. The schema declares no
// additionalProperties, so on its own it accepts any misspelt field; the test
// closes every object schema that lists its properties, and checks timer
// trigger configs against the timer schema alone, because the schema's
// tablestore trigger config is any object at all.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/export-notifier/export-notifier/handler"
)

const (
	deployFile   = "s.yaml"
	fc3Schema    = "../shared/reference/fc3-schema.json"
	designDoc    = "../shared/DESIGN.md"
	fc3Component = "fc3"
)

// secretSettings must come from the deploying shell, never from s.yaml itself.
var secretSettings = []string{"SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN", "WEBHOOK_URL", "WEBHOOK_SECRET", "WEBHOOK_HEADERS",
	"DINGTALK_WEBHOOK_URL", "DINGTALK_SECRET", "LARK_WEBHOOK_URL", "LARK_SECRET"}

// issueSettings are settings that issues added after DESIGN.md's table was
// written (where an issue and the design differ, the issue wins).
var issueSettings = []string{
	"OSS_ENDPOINT", "OSS_REGION", // issue 3: where the oss:// state bucket is
	"DINGTALK_WEBHOOK_URL", "DINGTALK_SECRET", "LARK_WEBHOOK_URL", "LARK_SECRET", // issue 6: chat bots
	"SLACK_UPDATE_MESSAGES", // issue 6: Slack messages that update themselves
}

func TestDeployFileValidatesAgainstFC3Schema(t *testing.T) {
	schemas := loadFC3Schemas(t)
	doc, err := parseDeployFile(readFile(t, deployFile))
	if err != nil {
		t.Fatalf("%s: %v", deployFile, err)
	}
	if err := schemas.validate(doc); err != nil {
		t.Fatalf("%s does not validate against %s:\n%v", deployFile, fc3Schema, err)
	}
}

// TestDeployFileMeetsIssue5 checks what the function needs beyond a valid
// shape: the go1 runtime and its binary, the timer, no FC retries, and every
// setting of DESIGN.md with the secrets left to the environment.
func TestDeployFileMeetsIssue5(t *testing.T) {
	doc, err := parseDeployFile(readFile(t, deployFile))
	if err != nil {
		t.Fatalf("%s: %v", deployFile, err)
	}
	for _, p := range issue5Problems(doc, designSettings(t)) {
		t.Error(p)
	}
}

// TestDeployFileIssue5ChecksCanFail feeds copies of s.yaml that the fc3 schema
// accepts but that would deploy the wrong function.
func TestDeployFileIssue5ChecksCanFail(t *testing.T) {
	original := string(readFile(t, deployFile))
	settings := designSettings(t)
	for _, tc := range []struct {
		name, from, to, wantInError string
	}{
		{"other runtime", "      runtime: go1", "      runtime: custom.debian12", "runtime"},
		{"other handler", "      handler: main", "      handler: bootstrap", "handler"},
		{"other code directory", "      code: ./target", "      code: ./bin", "code"},
		{"more memory", "      memorySize: 128", "      memorySize: 256", "memorySize"},
		{"shorter timeout", "      timeout: 60", "      timeout: 30", "timeout"},
		{"FC retries left on", "        maxAsyncRetryAttempts: 0", "        maxAsyncRetryAttempts: 3", "maxAsyncRetryAttempts"},
		{"no build before deploy", "        - run: make build", "        - run: go build", "make build"},
		{"hourly timer", "cronExpression: '@every 5m'", "cronExpression: '@every 60m'", "cronExpression"},
		{"timer disabled", "            enable: true", "            enable: false", "enable"},
		{"secret written in the file", "WEBHOOK_SECRET: ${env('WEBHOOK_SECRET', '')}", "WEBHOOK_SECRET: whsec_not-a-real-secret", "WEBHOOK_SECRET"},
		{"setting missing", "        LOG_FORMAT: json\n", "", "LOG_FORMAT"},
		{"setting DESIGN.md lacks", "        LOG_FORMAT: json", "        LOG_FORMAT: json\n        LOG_COLOUR: 'false'", "LOG_COLOUR"},
		{"state in /tmp", "STATE_URL: oss://${vars.stateBucket}/export-notifier", "STATE_URL: file:///tmp/export-notifier", "STATE_URL"},
		{"role not an ARN", "      role: ${vars.role}", "      role: export-notifier", "role"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Count(original, tc.from) != 1 {
				t.Fatalf("%s no longer contains %q exactly once; update this case", deployFile, tc.from)
			}
			doc, err := parseDeployFile([]byte(strings.Replace(original, tc.from, tc.to, 1)))
			if err != nil {
				t.Fatalf("the copy does not parse: %v", err)
			}
			problems := issue5Problems(doc, settings)
			if len(problems) == 0 {
				t.Fatalf("a copy with %q accepted, want a problem", tc.to)
			}
			if joined := strings.Join(problems, "\n"); !strings.Contains(joined, tc.wantInError) {
				t.Errorf("problems do not name %q:\n%s", tc.wantInError, joined)
			}
		})
	}
}

// issue5Problems lists where a parsed deploy file departs from what issue 5
// asks of the function.
func issue5Problems(doc map[string]any, settings []string) []string {
	var problems []string
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if got := doc["edition"]; got != "3.0.0" {
		report("edition = %v, want 3.0.0", got)
	}
	resources := fc3Resources(doc)
	if len(resources) != 1 {
		report("%d fc3 resources, want exactly one", len(resources))
		return problems
	}
	var name string
	for name = range resources {
	}
	res := resources[name]
	props, _ := res["props"].(map[string]any)
	where := "resources." + name

	for _, want := range []struct {
		path string
		want any
	}{
		{"runtime", "go1"},
		{"handler", "main"},
		{"code", "./target"},
		{"memorySize", 128},
		{"timeout", 60},
		{"asyncInvokeConfig.maxAsyncRetryAttempts", 0},
	} {
		if got := lookup(props, want.path); got != want.want {
			report("%s.props.%s = %#v, want %#v", where, want.path, got, want.want)
		}
	}
	if !hasRunAction(res, "pre-deploy", "make build") {
		report("%s.actions.pre-deploy does not run `make build`, so `s deploy` would upload a stale or missing target/main", where)
	}
	if role, _ := props["role"].(string); !strings.HasPrefix(role, "acs:ram::") || !strings.Contains(role, ":role/") {
		report("%s.props.role = %q, want a RAM role ARN (acs:ram::<account>:role/<name>)", where, role)
	}

	var timers []map[string]any
	triggers, _ := props["triggers"].([]any)
	for _, tr := range triggers {
		if tr, _ := tr.(map[string]any); tr["triggerType"] == "timer" {
			cfg, _ := tr["triggerConfig"].(map[string]any)
			timers = append(timers, cfg)
		}
	}
	if len(timers) != 1 {
		report("%s.props.triggers has %d timer triggers, want one", where, len(timers))
	} else {
		if got := timers[0]["cronExpression"]; got != "@every 5m" {
			report("timer cronExpression = %v, want @every 5m", got)
		}
		if timers[0]["enable"] != true {
			report("timer trigger enable = %v, want true", timers[0]["enable"])
		}
		if _, ok := timers[0]["payload"].(string); !ok {
			report("timer trigger has no payload string to show where extra IDs go")
		}
	}

	env, _ := props["environmentVariables"].(map[string]any)
	for _, setting := range settings {
		if _, ok := env[setting]; !ok {
			report("environmentVariables lacks %s (a setting of DESIGN.md)", setting)
		}
	}
	for setting := range env {
		if !slices.Contains(settings, setting) {
			report("environmentVariables sets %s, which DESIGN.md does not define", setting)
		}
	}
	envRef := regexp.MustCompile(`^\$\{env\(\s*['"]?([A-Za-z0-9_]+)`)
	for _, secret := range secretSettings {
		v, _ := env[secret].(string)
		if m := envRef.FindStringSubmatch(v); m == nil || m[1] != secret {
			// The value is not echoed: it may be the secret itself.
			report("environmentVariables.%s must be ${env(%s...)}, so the secret stays out of the repository", secret, secret)
		}
	}
	bucket, _ := lookup(doc, "vars.stateBucket").(string)
	if bucket == "" {
		report("vars.stateBucket is missing: the state bucket must be a variable")
	}
	if got, _ := env["STATE_URL"].(string); !strings.HasPrefix(got, "oss://"+bucket+"/") {
		report("STATE_URL = %q, want oss://<vars.stateBucket>/<prefix>: /tmp on FC lasts one instance", got)
	}
	if region, _ := lookup(doc, "vars.region").(string); region == "" || props["region"] != region {
		report("%s.props.region = %v, want the region variable (vars.region)", where, props["region"])
	}
	return problems
}

// TestDeployFileCommentedTriggersValidate keeps the commented trigger examples
// (the weekly cron) deployable: uncommented, each must pass the same checks.
func TestDeployFileCommentedTriggersValidate(t *testing.T) {
	schemas := loadFC3Schemas(t)
	examples := commentedTriggers(string(readFile(t, deployFile)))
	if len(examples) == 0 {
		t.Fatalf("%s has no commented trigger example (the weekly CRON_TZ cron)", deployFile)
	}
	var sawTZ bool
	for _, ex := range examples {
		var triggers []any
		if err := yaml.Unmarshal([]byte(ex), &triggers); err != nil {
			t.Fatalf("commented trigger example does not parse once uncommented: %v\n%s", err, ex)
		}
		for i, tr := range triggers {
			value, err := toJSONValue(tr)
			if err != nil {
				t.Fatalf("commented trigger %d: %v", i, err)
			}
			if err := schemas.validateTrigger(value, fmt.Sprintf("commented trigger %d", i)); err != nil {
				t.Errorf("%v", err)
			}
			if cron, _ := lookup(tr.(map[string]any), "triggerConfig.cronExpression").(string); strings.HasPrefix(cron, "CRON_TZ=Asia/Shanghai ") {
				sawTZ = true
			}
			// The example's payload must be one the function accepts.
			payload, _ := lookup(tr.(map[string]any), "triggerConfig.payload").(string)
			if _, err := handler.ParsePayload(payload); err != nil {
				t.Errorf("commented trigger %d: its payload would be refused: %v", i, err)
			}
		}
	}
	if !sawTZ {
		t.Errorf("no commented trigger example shows CRON_TZ=Asia/Shanghai")
	}
}

// TestDeployFileBrokenCopiesAreRejected proves the checks can fail: each copy
// of s.yaml with one deliberate mistake must be rejected with an error that
// names the field.
func TestDeployFileBrokenCopiesAreRejected(t *testing.T) {
	schemas := loadFC3Schemas(t)
	original := string(readFile(t, deployFile))
	for _, tc := range []struct {
		name, from, to, wantInError string
	}{
		{"misspelt top-level prop", "      memorySize: 128", "      memorysize: 128", "memorysize"},
		{"misspelt nested prop", "        maxAsyncRetryAttempts: 0", "        maxAsyncRetries: 0", "maxAsyncRetries"},
		{"misspelt timer field", "            cronExpression: '@every 5m'", "            cronExpresion: '@every 5m'", "cronExpresion"},
		{"misspelt trigger field", "          triggerType: timer", "          triggertype: timer", "triggertype"},
		{"misspelt resource field", "    props:", "    prop:", "prop"},
		{"misspelt action field", "        - run: make build", "        - runs: make build", "runs"},
		{"unknown action hook", "      pre-deploy:", "      before-deploy:", "before-deploy"},
		{"memory as string", "      memorySize: 128", "      memorySize: '128'", "memorySize"},
		{"memory not a multiple of 64", "      memorySize: 128", "      memorySize: 100", "memorySize"},
		{"timeout as float", "      timeout: 60", "      timeout: 60.5", "timeout"},
		{"retries out of range", "        maxAsyncRetryAttempts: 0", "        maxAsyncRetryAttempts: 9", "maxAsyncRetryAttempts"},
		{"unknown runtime", "      runtime: go1", "      runtime: go1.x", "runtime"},
		{"environment value not a string", "        POLL_CONCURRENCY: '8'", "        POLL_CONCURRENCY: 8", "POLL_CONCURRENCY"},
		{"enable not a boolean", "            enable: true", "            enable: 'yes'", "enable"},
		{"unknown region variable", "      region: ${vars.region}", "      region: ${vars.regoin}", "regoin"},
		{"region variable not a region", "  region: cn-shanghai", "  region: cn-shanghia", "region"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Count(original, tc.from) != 1 {
				t.Fatalf("%s no longer contains %q exactly once; update this case", deployFile, tc.from)
			}
			broken := strings.Replace(original, tc.from, tc.to, 1)
			doc, err := parseDeployFile([]byte(broken))
			if err == nil {
				err = schemas.validate(doc)
			}
			if err == nil {
				t.Fatalf("a copy with %q accepted, want an error", tc.to)
			}
			if !strings.Contains(err.Error(), tc.wantInError) {
				t.Errorf("error does not name %q:\n%v", tc.wantInError, err)
			}
			t.Logf("rejected as wanted:\n%v", err)
		})
	}
}

// fc3Schemas holds the closed fc3 props schema and, because the props schema
// lets any object pass as a trigger config, the closed timer config schema.
type fc3Schemas struct {
	props, trigger, timerConfig *jsonschema.Schema
}

func loadFC3Schemas(t *testing.T) fc3Schemas {
	t.Helper()
	raw, err := os.ReadFile(fc3Schema)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s is missing: the fc3 schema lives in the shared/ directory beside this clone "+
			"(CI checks it out there); without it s.yaml cannot be validated", fc3Schema)
	}
	if err != nil {
		t.Fatalf("read the fc3 schema: %v", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: %v", fc3Schema, err)
	}
	closeObjectSchemas(doc)
	abs, err := filepath.Abs(fc3Schema)
	if err != nil {
		t.Fatal(err)
	}
	url := "file://" + filepath.ToSlash(abs)
	c := jsonschema.NewCompiler()
	if err := c.AddResource(url, doc); err != nil {
		t.Fatalf("%s: %v", fc3Schema, err)
	}
	compile := func(loc string) *jsonschema.Schema {
		s, err := c.Compile(loc)
		if err != nil {
			t.Fatalf("compile %s: %v", loc, err)
		}
		return s
	}
	return fc3Schemas{
		props:       compile(url),
		trigger:     compile(url + "#/definitions/ITrigger"),
		timerConfig: compile(url + "#/definitions/ITimerTriggerConfig"),
	}
}

// closeObjectSchemas sets additionalProperties: false on every object schema
// that lists its properties and says nothing about others, so a misspelt
// field is an error. It walks schema keywords only, and leaves if/then/else
// alone: an "if" that lists one property must still match objects with more.
func closeObjectSchemas(schema any) {
	s, ok := schema.(map[string]any)
	if !ok {
		return
	}
	_, hasProps := s["properties"].(map[string]any)
	_, hasAdditional := s["additionalProperties"]
	_, hasPatterns := s["patternProperties"]
	if hasProps && s["type"] == "object" && !hasAdditional && !hasPatterns {
		s["additionalProperties"] = false
	}
	for _, kw := range []string{"properties", "definitions", "$defs", "patternProperties"} {
		if m, ok := s[kw].(map[string]any); ok {
			for _, sub := range m {
				closeObjectSchemas(sub)
			}
		}
	}
	for _, kw := range []string{"anyOf", "allOf", "oneOf", "items"} {
		switch v := s[kw].(type) {
		case []any:
			for _, sub := range v {
				closeObjectSchemas(sub)
			}
		case map[string]any:
			closeObjectSchemas(v)
		}
	}
	for _, kw := range []string{"additionalProperties", "not", "additionalItems", "contains"} {
		closeObjectSchemas(s[kw])
	}
}

// validate checks every fc3 resource of a parsed deploy file.
func (s fc3Schemas) validate(doc map[string]any) error {
	var problems []string
	for name, res := range fc3Resources(doc) {
		where := "resources." + name + ".props"
		props, err := toJSONValue(res["props"])
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		problems = describe(problems, where, s.props.Validate(props))
		obj, _ := props.(map[string]any)
		triggers, _ := obj["triggers"].([]any)
		for i, tr := range triggers {
			problems = s.checkTrigger(problems, tr, fmt.Sprintf("%s.triggers[%d]", where, i))
		}
	}
	return problemsError(problems)
}

// validateTrigger checks one trigger on its own.
func (s fc3Schemas) validateTrigger(tr any, where string) error {
	return problemsError(s.checkTrigger(nil, tr, where))
}

// checkTrigger checks one trigger, and a timer's config against the timer
// schema alone.
func (s fc3Schemas) checkTrigger(problems []string, tr any, where string) []string {
	problems = describe(problems, where, s.trigger.Validate(tr))
	if obj, _ := tr.(map[string]any); obj["triggerType"] == "timer" {
		problems = describe(problems, where+".triggerConfig", s.timerConfig.Validate(obj["triggerConfig"]))
	}
	return problems
}

// describe adds one line per field that a schema violation names, each
// saying where the field is, skipping lines already there.
func describe(problems []string, where string, err error) []string {
	if err == nil {
		return problems
	}
	add := func(line string) {
		if !slices.Contains(problems, line) {
			problems = append(problems, line)
		}
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		add(where + ": " + err.Error())
		return problems
	}
	var walk func(u jsonschema.OutputUnit)
	walk = func(u jsonschema.OutputUnit) {
		if len(u.Errors) == 0 && u.Error != nil {
			loc := where
			for _, tok := range strings.Split(u.InstanceLocation, "/")[1:] {
				tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
				if _, err := strconv.Atoi(tok); err == nil {
					loc += "[" + tok + "]"
				} else {
					loc += "." + tok
				}
			}
			add(loc + ": " + u.Error.String())
		}
		for _, c := range u.Errors {
			walk(c)
		}
	}
	walk(*ve.DetailedOutput())
	return problems
}

func problemsError(problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(problems, "\n"))
}

// Serverless Devs' own keys; a misspelt one would be ignored by `s` or make it
// fail late, so they are checked here too (the fc3 schema covers only props).
var (
	topLevelKeys  = []string{"edition", "name", "access", "vars", "actions", "resources", "flow", "template", "extend"}
	resourceKeys  = []string{"component", "props", "actions", "access", "extend"}
	actionHook    = regexp.MustCompile(`^(pre|success|fail|complete)-[a-z0-9-]+$`)
	actionKeys    = []string{"run", "path", "plugin", "args", "allow_failure", "component"}
	varsReference = regexp.MustCompile(`\$\{\s*vars\.([A-Za-z0-9_-]+)\s*\}`)
)

// parseDeployFile parses s.yaml, checks Serverless Devs' own structure and
// resolves ${vars.NAME}; other ${...} expressions stay strings.
func parseDeployFile(data []byte) (map[string]any, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if err := unknownKeys("", doc, topLevelKeys); err != nil {
		return nil, err
	}
	resources, ok := doc["resources"].(map[string]any)
	if !ok || len(resources) == 0 {
		return nil, errors.New("resources: missing or not a map")
	}
	if err := checkActions("actions", doc["actions"]); err != nil {
		return nil, err
	}
	for name, res := range resources {
		res, ok := res.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("resources.%s: not a map", name)
		}
		if err := unknownKeys("resources."+name+".", res, resourceKeys); err != nil {
			return nil, err
		}
		if _, ok := res["component"].(string); !ok {
			return nil, fmt.Errorf("resources.%s.component: missing", name)
		}
		if err := checkActions("resources."+name+".actions", res["actions"]); err != nil {
			return nil, err
		}
	}
	vars, _ := doc["vars"].(map[string]any)
	resolved, err := resolveVars(doc, vars, "", 0)
	if err != nil {
		return nil, err
	}
	return resolved.(map[string]any), nil
}

func unknownKeys(prefix string, m map[string]any, known []string) error {
	for k := range m {
		if !slices.Contains(known, k) {
			return fmt.Errorf("%s%s: unknown field (known: %s)", prefix, k, strings.Join(known, ", "))
		}
	}
	return nil
}

func checkActions(where string, actions any) error {
	if actions == nil {
		return nil
	}
	hooks, ok := actions.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: not a map", where)
	}
	for hook, steps := range hooks {
		if !actionHook.MatchString(hook) {
			return fmt.Errorf("%s.%s: unknown hook (want pre-, success-, fail- or complete-<command>)", where, hook)
		}
		list, ok := steps.([]any)
		if !ok {
			return fmt.Errorf("%s.%s: not a list", where, hook)
		}
		for i, step := range list {
			step, ok := step.(map[string]any)
			if !ok {
				return fmt.Errorf("%s.%s[%d]: not a map", where, hook, i)
			}
			if err := unknownKeys(fmt.Sprintf("%s.%s[%d].", where, hook, i), step, actionKeys); err != nil {
				return err
			}
			if _, hasRun := step["run"]; hasRun {
				if _, ok := step["path"].(string); !ok {
					return fmt.Errorf("%s.%s[%d].path: a run step needs the directory it runs in", where, hook, i)
				}
			}
		}
	}
	return nil
}

// resolveVars replaces ${vars.NAME}: a string that is only the reference
// takes the variable's value and type, one that embeds it takes its text.
func resolveVars(v any, vars map[string]any, where string, depth int) (any, error) {
	if depth > 8 {
		return nil, fmt.Errorf("%s: variables refer to each other too deeply", where)
	}
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, sub := range v {
			r, err := resolveVars(sub, vars, join(where, k), depth)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, sub := range v {
			r, err := resolveVars(sub, vars, fmt.Sprintf("%s[%d]", where, i), depth)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case string:
		value := func(name string) (any, error) {
			val, ok := vars[name]
			if !ok {
				return nil, fmt.Errorf("%s: ${vars.%s} is not defined in vars", where, name)
			}
			return resolveVars(val, vars, "vars."+name, depth+1)
		}
		if m := varsReference.FindStringSubmatch(v); m != nil && m[0] == v {
			return value(m[1])
		}
		var firstErr error
		out := varsReference.ReplaceAllStringFunc(v, func(ref string) string {
			val, err := value(varsReference.FindStringSubmatch(ref)[1])
			if err != nil {
				firstErr = cmpOr(firstErr, err)
				return ref
			}
			return fmt.Sprint(val)
		})
		return out, firstErr
	default:
		return v, nil
	}
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func join(where, key string) string {
	if where == "" {
		return key
	}
	return where + "." + key
}

func fc3Resources(doc map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	resources, _ := doc["resources"].(map[string]any)
	for name, res := range resources {
		res, _ := res.(map[string]any)
		if c, _ := res["component"].(string); c == fc3Component || strings.HasPrefix(c, fc3Component+"@") {
			out[name] = res
		}
	}
	return out
}

func hasRunAction(res map[string]any, hook, command string) bool {
	actions, _ := res["actions"].(map[string]any)
	steps, _ := actions[hook].([]any)
	for _, step := range steps {
		if step, _ := step.(map[string]any); step["run"] == command {
			return true
		}
	}
	return false
}

// lookup follows a dotted path through nested maps.
func lookup(m map[string]any, path string) any {
	var cur any = m
	for _, key := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[key]
	}
	return cur
}

// toJSONValue converts a YAML value into what encoding/json would produce
// (json.Number for numbers), the form the schema library validates.
func toJSONValue(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(data))
}

// designSettings lists the variables of DESIGN.md's configuration table.
func designSettings(t *testing.T) []string {
	t.Helper()
	text := string(readFile(t, designDoc))
	start := strings.Index(text, "## Configuration")
	if start < 0 {
		t.Fatalf("%s has no Configuration section", designDoc)
	}
	section := text[start+len("## Configuration"):]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	name := regexp.MustCompile("`([A-Z][A-Z0-9_]+)`")
	var settings []string
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		for _, m := range name.FindAllStringSubmatch(cells[1], -1) {
			settings = append(settings, m[1])
		}
	}
	if len(settings) < 10 {
		t.Fatalf("found only %d settings in %s's configuration table: %v", len(settings), designDoc, settings)
	}
	return append(settings, issueSettings...)
}

// commentedTriggers returns each commented-out trigger list item of s.yaml,
// uncommented, as YAML text.
func commentedTriggers(text string) []string {
	var out []string
	var cur []string
	indent := -1
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.Join(cur, "\n"))
		}
		cur, indent = nil, -1
	}
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		body, isComment := strings.CutPrefix(trimmed, "# ")
		switch {
		case isComment && strings.HasPrefix(body, "- triggerName:"):
			flush()
			indent = len(line) - len(trimmed)
			cur = append(cur, body)
		case isComment && indent >= 0 && len(line)-len(trimmed) == indent && strings.HasPrefix(body, "  "):
			cur = append(cur, body)
		default:
			flush()
		}
	}
	flush()
	return out
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) && strings.HasPrefix(name, "../shared/") {
		t.Fatalf("%s is missing: the shared/ directory must sit beside this clone (CI checks it out there)", name)
	}
	if err != nil {
		t.Fatalf("%v", err)
	}
	return data
}
