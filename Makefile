# The ProfitWell connector. `make run` serves on the embedded sandbox,
# `make test` is what CI runs.

GO          ?= go
BIN         ?= bin/connector
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# The same flags build the container image (see Dockerfile).
BUILD_FLAGS := -trimpath -ldflags '-s -w'
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
IMAGE       ?= profitwell-connector:$(VERSION)
PROMTOOL    ?= promtool

.PHONY: run test test-deps screenshots fmt-check test-deploy test-monitoring test-platforms image lint build cover golden docs clean bench bench-micro loadtest

## run: serve on :8080 against the embedded ProfitWell sandbox (no account needed)
run:
	$(GO) run ./cmd/connector --sandbox --log-format=console --drain-delay=1s

## test: vet, then every test with the race detector; then the deploy module
## (kustomize rendering, Dockerfile) and the Prometheus rules
test: test-deps fmt-check
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	@$(MAKE) --no-print-directory test-deploy test-monitoring
	@$(MAKE) --no-print-directory test-platforms

## test-deploy: render deploy/ offline with kustomize and decode every object
## strictly (a Go module of its own: deploy/go.mod)
test-deploy:
	cd deploy && $(GO) vet ./... && $(GO) test -race -count=1 ./...

## test-monitoring: promtool checks and unit tests of the alerting rules
## (Debian's prometheus package provides promtool; installed when missing)
test-monitoring:
	@command -v $(PROMTOOL) >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; \
	  else echo "the tests need promtool: sudo apt-get install prometheus"; exit 1; fi; }
	$(PROMTOOL) check rules deploy/monitoring/connector.rules.yaml
	$(PROMTOOL) test rules deploy/monitoring/connector.rules.test.yaml

## test-platforms: export the Zapier app and the n8n node and run them in
## zapier-platform-core and n8n-core against the connector on its sandbox
## (Node 20+; `npm ci` of each harness when its node_modules is missing)
test-platforms:
	@command -v node >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; \
	  else echo "the platform tests need Node 20 or later and npm"; exit 1; fi; }
	@z=manifest/zapierapp/testdata/harness; n=manifest/n8nnode/testdata/harness; \
	  { [ -d $$z/node_modules ] || (cd $$z && npm ci --no-audit --no-fund --loglevel=error); } & zp=$$!; \
	  { [ -d $$n/node_modules ] || (cd $$n && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error); } & np=$$!; \
	  wait $$zp; zs=$$?; wait $$np; ns=$$?; [ $$zs = 0 ] && [ $$ns = 0 ]
	CGO_ENABLED=0 $(GO) build -o bin/connector-platforms ./cmd/connector
	$(GO) vet -tags platforms ./manifest/...
	CONNECTOR_BIN=$(CURDIR)/bin/connector-platforms $(GO) test -tags platforms -count=1 ./manifest/zapierapp/ ./manifest/n8nnode/

## test-deps: Debian packages the tests use (redis-server for the tests of
## replicas sharing Redis, headless Chromium for the console's browser tests),
## installed when missing and running as root
test-deps:
	@command -v redis-server >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; \
	  else echo "the tests need redis-server: sudo apt-get install redis-server"; exit 1; fi; }
	@command -v chromium-headless-shell >/dev/null 2>&1 || command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium-headless-shell fonts-dejavu-core >/dev/null; \
	  else echo "the tests need headless Chromium: sudo apt-get install chromium-headless-shell"; exit 1; fi; }

## screenshots: the console's screenshots in the README (docs/console-*.png),
## taken by its browser test
screenshots: test-deps
	CONSOLE_SCREENSHOTS=$(CURDIR)/docs $(GO) test -count=1 -run 'TestConsoleRunsModules' ./api/console/

## fmt-check: fail when gofmt would change a tracked Go file
fmt-check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi

## lint: formatting, vet and staticcheck
lint: fmt-check
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

## build: a static binary in bin/
build:
	CGO_ENABLED=0 $(GO) build $(BUILD_FLAGS) -o $(BIN) ./cmd/connector

## image: the container image (needs a Docker engine); IMAGE=registry/name:tag
image:
	docker build -t $(IMAGE) .

## bench: connector vs direct calls vs a bare reverse proxy, each its own process
## on loopback (docs/BENCHMARKS.md); BENCH_OUT=file.json also writes JSON
bench:
	CGO_ENABLED=0 $(GO) build $(BUILD_FLAGS) -o bin/connector ./cmd/connector
	CGO_ENABLED=0 $(GO) build $(BUILD_FLAGS) -o bin/bench ./cmd/bench
	bin/bench -connector bin/connector

## bench-micro: the hot-path micro benchmarks, benchstat-friendly
bench-micro:
	$(GO) test -run '^$$' -bench . -benchmem -count=$${COUNT:-6} ./api/ ./modules/ ./manifest/ ./connection/profitwell/

## loadtest: bounded in-process load with upstream faults on loopback, checked
## (docs/RELIABILITY.md); LOAD_CONCURRENCY (16), LOAD_DURATION (20s), LOAD_FAULTS (on); then peak
## RSS of the connector process with 12,000 idle connections and 24 tenants x 10,000-row lists
loadtest:
	$(GO) build -o bin/loadtest ./cmd/loadtest
	$(GO) build -o bin/connector ./cmd/connector
	bin/loadtest
	bin/loadtest memory -connector bin/connector

## cover: per-package test coverage
cover:
	$(GO) test -count=1 -cover ./...

## golden: rewrite the golden files (manifest, README module table) from the code
golden docs:
	$(GO) test ./api/ ./modules/ ./cmd/connector/ -run 'Golden|README' -update

clean:
	rm -rf bin
