# export-notifier: build, test and run.
# `make demo` and `make test` are the two set-up commands (see README.md).

GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
BIN         := bin/export-notifier
PKGS        := ./...

.PHONY: all build package test lint fuzz bench chaos demo deploy bucket role clean

all: build

# target/main is what FC's go1 runtime runs (handler: main); bin/ is for
# this machine.
build:
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags='-s -w' -o target/main .
	$(GO) build -o $(BIN) .

# The zip lives outside target/: s.yaml uploads target/ as the code package,
# and a zip inside it would be uploaded too.
package: build
	mkdir -p dist
	rm -f dist/function.zip
	cd target && zip -q -X ../dist/function.zip main
	@echo "dist/function.zip: main at the root, ready for FC"

lint:
	@fmt=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$fmt" ]; then echo "gofmt would change:"; echo "$$fmt"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)

# Tests never reach a cloud: no ECS metadata look-ups from the credential chain.
test: export ALIBABA_CLOUD_ECS_METADATA_DISABLED = true
test: lint
	$(GO) test -race -count=1 $(PKGS)

# Short fuzz runs of every parser (FUZZTIME each); corpus entries worth
# keeping go to the package's testdata/fuzz.
FUZZTIME ?= 15s
FUZZ := ./event:FuzzParseList ./exports/catalog:FuzzParseStartSpec ./handler:FuzzParseInvocation ./handler:FuzzParseFollowFor \
	./state:FuzzDecode ./state:FuzzDecodeRecord ./internal/sassim:FuzzParseScenario ./notify/sinks:FuzzRead \
	./notify/webhook:FuzzParseHeaders ./notify/webhook:FuzzParseTemplate ./internal/jsonkeys:FuzzUnique \
	./notify/chatbot:FuzzBotAnswers ./notify/sinks:FuzzBotSettings ./notify/route:FuzzParse ./notify/pagerduty:FuzzAnswerText \
	./scrub:FuzzString ./event:FuzzLinkExpires ./archive:FuzzKey ./archive:FuzzSettingsFromEnv \
	./internal/crc64ecma:FuzzChecksum
fuzz:
	@for t in $(FUZZ); do \
	  echo "fuzz $${t#*:} in $${t%%:*}"; \
	  $(GO) test -list="^$${t#*:}$$" "$${t%%:*}" | grep -qx "$${t#*:}" || { echo "no fuzz target $${t#*:} in $${t%%:*}"; exit 1; }; \
	  $(GO) test -run='^$$' -fuzz="^$${t#*:}$$" -fuzztime=$(FUZZTIME) "$${t%%:*}" || exit 1; \
	done

bench: build
	$(GO) run ./internal/bench -binary target/main

# Rounds of 1-4 overlapping polls of the built binary, 45% of them killed
# with SIGKILL (at a random moment, or while a receiver holds one of their
# deliveries), against the simulator and local receivers; prints per sink
# the events missing and the repeats per kill.
# The seed is printed: CHAOS_SEED=<seed> repeats a run's draw. `make test`
# runs a short one.
CHAOS_ITERATIONS ?= 100
chaos: export ALIBABA_CLOUD_ECS_METADATA_DISABLED = true
chaos:
	CHAOS_ITERATIONS=$(CHAOS_ITERATIONS) CHAOS_SEED=$(CHAOS_SEED) \
	  $(GO) test -count=1 -timeout 30m -run '^TestChaos$$' -v .

# The whole flow on the built-in simulator: no cloud account needed.
demo:
	$(GO) build -o $(BIN) .
	$(BIN) demo

# Deploys with Serverless Devs (s.yaml runs `make build` before deploying).
deploy:
	@command -v s >/dev/null || { echo "make deploy: Serverless Devs is not installed: npm install -g @serverless-devs/s, then s config add"; exit 1; }
	s deploy -y

# The two prerequisites of `make deploy` that live in the cloud account: the
# state bucket and the function's RAM role (deploy/*.json). They need the
# aliyun CLI, configured with an AccessKey that may create them; tests never
# run them. Keep REGION, STATE_BUCKET and ROLE in step with s.yaml's vars.
REGION       ?= cn-shanghai
STATE_BUCKET ?= my-export-notifier-state
ROLE         ?= export-notifier
ALIYUN_CLI    = command -v aliyun >/dev/null || { echo "make $@: the aliyun CLI is not installed: see https://github.com/aliyun/aliyun-cli, then aliyun configure"; exit 1; }

# A new bucket has versioning off, which the state store requires.
bucket:
	@$(ALIYUN_CLI)
	aliyun oss mb oss://$(STATE_BUCKET) -e oss-$(REGION).aliyuncs.com

role:
	@$(ALIYUN_CLI)
	aliyun ram CreateRole --RoleName $(ROLE) --AssumeRolePolicyDocument "$$(cat deploy/fc-trust-policy.json)"
	aliyun ram CreatePolicy --PolicyName $(ROLE)-sas --PolicyDocument "$$(cat deploy/ram-policy.json)"
	aliyun ram CreatePolicy --PolicyName $(ROLE)-state --PolicyDocument "$$(sed 's/my-export-notifier-state/$(STATE_BUCKET)/g' deploy/oss-state-policy.json)"
	aliyun ram AttachPolicyToRole --PolicyType Custom --PolicyName $(ROLE)-sas --RoleName $(ROLE)
	aliyun ram AttachPolicyToRole --PolicyType Custom --PolicyName $(ROLE)-state --RoleName $(ROLE)

clean:
	rm -rf bin target dist
