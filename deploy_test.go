package main

// deploy_test.go checks s.yaml, the Serverless Devs description that
// `make deploy` hands to `s deploy`, so that a wrong function fails
// `make test` instead of a deploy.
//
// The project's own checks always run: the runtime, the binary, one timer,
// no FC retries, and every setting of app.Variables in the environment with
// the secrets taken from the deployer's shell.
//
// When FC3_SCHEMA names the fc3 component's JSON schema (.ci/run sets it),
// each resource whose component is fc3 is also validated against it after
// `${vars.NAME}` is resolved from the file's vars; `${env(...)}` and other
// functions stay strings. The schema declares no additionalProperties, so on
// its own it accepts any misspelt field; the test closes every object schema
// that lists its properties, and checks timer trigger configs against the
// timer schema alone, because the schema's tablestore trigger config is any
// object at all.

import (
	"bytes"
	"cmp"
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
	"github.com/export-notifier/export-notifier/internal/app"
	"github.com/export-notifier/export-notifier/setting"
)

const (
	deployFile   = "s.yaml"
	readmeFile   = "README.md"
	fc3Component = "fc3"
	// fc3SchemaVar names the fc3 component's JSON schema file; the schema
	// checks are skipped without it.
	fc3SchemaVar = "FC3_SCHEMA"
)

func TestDeployFileValidatesAgainstFC3Schema(t *testing.T) {
	schemas := loadFC3Schemas(t)
	doc, err := parseDeployFile(readFile(t, deployFile))
	if err != nil {
		t.Fatalf("%s: %v", deployFile, err)
	}
	if err := schemas.validate(doc); err != nil {
		t.Fatalf("%s does not validate against %s:\n%v", deployFile, os.Getenv(fc3SchemaVar), err)
	}
}

// TestDeployFileDescribesTheFunction checks what the function needs beyond a
// valid shape: the go1 runtime and its binary, the timer, no FC retries, and
// every setting the program reads, with the secrets left to the environment.
func TestDeployFileDescribesTheFunction(t *testing.T) {
	text := string(readFile(t, deployFile))
	doc, err := parseDeployFile([]byte(text))
	if err != nil {
		t.Fatalf("%s: %v", deployFile, err)
	}
	for _, p := range deployProblems(doc, commentedSettings(text), app.Variables()) {
		t.Error(p)
	}
}

// TestDeployFileChecksCanFail feeds copies of s.yaml that the fc3 schema
// accepts but that would deploy the wrong function.
func TestDeployFileChecksCanFail(t *testing.T) {
	original := string(readFile(t, deployFile))
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
		{"hourly timer", "cronExpression: '@every 1m'", "cronExpression: '@every 60m'", "cronExpression"},
		{"following off", "FOLLOW_FOR: deadline", "FOLLOW_FOR: '0'", "FOLLOW_FOR"},
		{"timer disabled", "            enable: true", "            enable: false", "enable"},
		{"secret written in the file", "WEBHOOK_SECRET: ${env('WEBHOOK_SECRET', '')}", "WEBHOOK_SECRET: whsec_not-a-real-secret", "WEBHOOK_SECRET"},
		{"secret spelt out in a comment", "        WEBHOOK_SECRET: ${env('WEBHOOK_SECRET', '')}", "        # WEBHOOK_SECRET: whsec_not-a-real-secret", "must be ${env(WEBHOOK_SECRET"},
		{"setting missing", "        LOG_FORMAT: json\n", "", "LOG_FORMAT"},
		{"setting the program does not read", "        LOG_FORMAT: json", "        LOG_FORMAT: json\n        LOG_COLOUR: 'false'", "LOG_COLOUR"},
		{"state in /tmp", "STATE_URL: oss://${vars.stateBucket}/export-notifier", "STATE_URL: file:///tmp/export-notifier", "STATE_URL"},
		{"role not an ARN", "      role: ${vars.role}", "      role: export-notifier", "role"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Count(original, tc.from) != 1 {
				t.Fatalf("%s no longer contains %q exactly once; update this case", deployFile, tc.from)
			}
			broken := strings.Replace(original, tc.from, tc.to, 1)
			doc, err := parseDeployFile([]byte(broken))
			if err != nil {
				t.Fatalf("the copy does not parse: %v", err)
			}
			problems := deployProblems(doc, commentedSettings(broken), app.Variables())
			if len(problems) == 0 {
				t.Fatalf("a copy with %q accepted, want a problem", tc.to)
			}
			if joined := strings.Join(problems, "\n"); !strings.Contains(joined, tc.wantInError) {
				t.Errorf("problems do not name %q:\n%s", tc.wantInError, joined)
			}
		})
	}
}

// TestDeployFileAcceptsCommentedOutSettings lets s.yaml document an optional
// setting as a commented-out entry instead of an empty one.
func TestDeployFileAcceptsCommentedOutSettings(t *testing.T) {
	entry := regexp.MustCompile(`(?m)^ *#? *CLAIM_LEASE:.*$`)
	text := entry.ReplaceAllString(string(readFile(t, deployFile)), "        # CLAIM_LEASE: 10m")
	if !strings.Contains(text, "# CLAIM_LEASE: 10m") {
		t.Fatalf("%s has no CLAIM_LEASE entry to comment out", deployFile)
	}
	doc, err := parseDeployFile([]byte(text))
	if err != nil {
		t.Fatalf("%s: %v", deployFile, err)
	}
	if problems := deployProblems(doc, commentedSettings(text), app.Variables()); len(problems) > 0 {
		t.Errorf("a copy with CLAIM_LEASE commented out rejected:\n%s", strings.Join(problems, "\n"))
	}
}

// deployProblems lists where a parsed deploy file departs from what the
// function needs. commented holds the settings s.yaml shows commented out:
// documented there, left unset.
func deployProblems(doc map[string]any, commented map[string]string, settings []setting.Var) []string {
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
		if got := timers[0]["cronExpression"]; got != "@every 1m" {
			report("timer cronExpression = %v, want @every 1m (a following cycle a minute)", got)
		}
		if timers[0]["enable"] != true {
			report("timer trigger enable = %v, want true", timers[0]["enable"])
		}
		if _, ok := timers[0]["payload"].(string); !ok {
			report("timer trigger has no payload string to show where extra IDs go")
		}
	}

	env, _ := props["environmentVariables"].(map[string]any)
	names := setting.Names(settings)
	for _, name := range names {
		if _, ok := env[name]; !ok && commented[name] == "" {
			report("environmentVariables lacks %s (a setting the program reads), even commented out", name)
		}
	}
	for name := range env {
		if !slices.Contains(names, name) {
			report("environmentVariables sets %s, which the program does not read (app.Variables)", name)
		}
	}
	envRef := regexp.MustCompile(`^\$\{env\(\s*['"]?([A-Za-z0-9_]+)`)
	for _, v := range settings {
		if !v.Secret {
			continue
		}
		value, set := env[v.Name].(string)
		if !set {
			value = commented[v.Name]
		}
		if m := envRef.FindStringSubmatch(value); m == nil || m[1] != v.Name {
			// The value is not echoed: it may be the secret itself.
			report("environmentVariables.%s must be ${env(%s...)}, so the secret stays out of the repository", v.Name, v.Name)
		}
	}
	if got, _ := env["FOLLOW_FOR"].(string); got != "" && got != "deadline" {
		report("FOLLOW_FOR = %q, want deadline (or empty): a minute's timer announces within seconds only while following", got)
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

// TestDeployFileCommentedTriggersAreUsable keeps the commented trigger
// examples (the weekly cron) usable: uncommented, each parses and carries a
// payload the function accepts.
func TestDeployFileCommentedTriggersAreUsable(t *testing.T) {
	var sawTZ bool
	for i, tr := range commentedTriggerList(t) {
		if cron, _ := lookup(tr.(map[string]any), "triggerConfig.cronExpression").(string); strings.HasPrefix(cron, "CRON_TZ=Asia/Shanghai ") {
			sawTZ = true
		}
		// The example's payload must be one the function accepts.
		payload, _ := lookup(tr.(map[string]any), "triggerConfig.payload").(string)
		if _, err := handler.ParsePayload(payload); err != nil {
			t.Errorf("commented trigger %d: its payload would be refused: %v", i, err)
		}
	}
	if !sawTZ {
		t.Errorf("no commented trigger example shows CRON_TZ=Asia/Shanghai")
	}
}

// TestDeployFileCommentedTriggersValidateAgainstFC3Schema keeps the
// commented trigger examples deployable: uncommented, each must pass the
// schema too.
func TestDeployFileCommentedTriggersValidateAgainstFC3Schema(t *testing.T) {
	schemas := loadFC3Schemas(t)
	for i, tr := range commentedTriggerList(t) {
		value, err := toJSONValue(tr)
		if err != nil {
			t.Fatalf("commented trigger %d: %v", i, err)
		}
		if err := schemas.validateTrigger(value, fmt.Sprintf("commented trigger %d", i)); err != nil {
			t.Errorf("%v", err)
		}
	}
}

// commentedTriggerList parses s.yaml's commented trigger examples, in order.
func commentedTriggerList(t *testing.T) []any {
	t.Helper()
	examples := commentedTriggers(string(readFile(t, deployFile)))
	if len(examples) == 0 {
		t.Fatalf("%s has no commented trigger example (the weekly CRON_TZ cron)", deployFile)
	}
	var all []any
	for _, ex := range examples {
		var triggers []any
		if err := yaml.Unmarshal([]byte(ex), &triggers); err != nil {
			t.Fatalf("commented trigger example does not parse once uncommented: %v\n%s", err, ex)
		}
		all = append(all, triggers...)
	}
	return all
}

// TestDeployFileBrokenCopiesAreRejected proves the checks can fail: each copy
// of s.yaml with one deliberate mistake must be rejected with an error that
// names the field. The mistakes only the fc3 schema catches need FC3_SCHEMA.
func TestDeployFileBrokenCopiesAreRejected(t *testing.T) {
	var schemas *fc3Schemas
	if os.Getenv(fc3SchemaVar) != "" {
		loaded := loadFC3Schemas(t)
		schemas = &loaded
	}
	original := string(readFile(t, deployFile))
	for _, tc := range []struct {
		name, from, to, wantInError string
		bySchema                    bool // only the fc3 schema catches it
	}{
		{"misspelt top-level prop", "      memorySize: 128", "      memorysize: 128", "memorysize", true},
		{"misspelt nested prop", "        maxAsyncRetryAttempts: 0", "        maxAsyncRetries: 0", "maxAsyncRetries", true},
		{"misspelt timer field", "            cronExpression: '@every 1m'", "            cronExpresion: '@every 1m'", "cronExpresion", true},
		{"misspelt trigger field", "          triggerType: timer", "          triggertype: timer", "triggertype", true},
		{"misspelt resource field", "    props:", "    prop:", "prop", false},
		{"misspelt action field", "        - run: make build", "        - runs: make build", "runs", false},
		{"unknown action hook", "      pre-deploy:", "      before-deploy:", "before-deploy", false},
		{"memory as string", "      memorySize: 128", "      memorySize: '128'", "memorySize", true},
		{"memory not a multiple of 64", "      memorySize: 128", "      memorySize: 100", "memorySize", true},
		{"timeout as float", "      timeout: 60", "      timeout: 60.5", "timeout", true},
		{"retries out of range", "        maxAsyncRetryAttempts: 0", "        maxAsyncRetryAttempts: 9", "maxAsyncRetryAttempts", true},
		{"unknown runtime", "      runtime: go1", "      runtime: go1.x", "runtime", true},
		{"environment value not a string", "        POLL_CONCURRENCY: '8'", "        POLL_CONCURRENCY: 8", "POLL_CONCURRENCY", true},
		{"enable not a boolean", "            enable: true", "            enable: 'yes'", "enable", true},
		{"unknown region variable", "      region: ${vars.region}", "      region: ${vars.regoin}", "regoin", false},
		{"region variable not a region", "  region: cn-shanghai", "  region: cn-shanghia", "region", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Count(original, tc.from) != 1 {
				t.Fatalf("%s no longer contains %q exactly once; update this case", deployFile, tc.from)
			}
			if tc.bySchema && schemas == nil {
				t.Skip(fc3SchemaVar + " is not set: only the fc3 schema catches this mistake")
			}
			broken := strings.Replace(original, tc.from, tc.to, 1)
			doc, err := parseDeployFile([]byte(broken))
			if err == nil && schemas != nil {
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

// loadFC3Schemas compiles the schema FC3_SCHEMA names, and skips the test
// when it names none.
func loadFC3Schemas(t *testing.T) fc3Schemas {
	t.Helper()
	fc3Schema := os.Getenv(fc3SchemaVar)
	if fc3Schema == "" {
		t.Skip(fc3SchemaVar + " is not set: s.yaml is not validated against the fc3 component's JSON schema")
	}
	raw, err := os.ReadFile(fc3Schema)
	if err != nil {
		t.Fatalf("read the fc3 schema (%s): %v", fc3SchemaVar, err)
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

// commentedSetting is an environment entry shown commented out:
// "# NAME: value".
var commentedSetting = regexp.MustCompile(`(?m)^\s*#\s*([A-Z][A-Z0-9_]*):[ \t]*(.*)$`)

// commentedSettings returns the value of each environment entry s.yaml
// shows commented out, which documents a setting left unset.
func commentedSettings(text string) map[string]string {
	out := map[string]string{}
	for _, m := range commentedSetting.FindAllStringSubmatch(text, -1) {
		out[m[1]] = cmp.Or(strings.TrimSpace(m[2]), "''")
	}
	return out
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
	if err != nil {
		t.Fatalf("%v", err)
	}
	return data
}
