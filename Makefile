# The ledger's build. `make demo` and `make test` are the README's two
# commands; both fetch what they need through the Go module proxy.

GO          ?= go
BIN         := bin/ledger
DATA        ?= ./ledger-data
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# The stock NATS CLI, for the test that attacks serve's NATS port with it.
NATS_CLI    := github.com/nats-io/natscli/nats@v0.5.0
BENCHTIME   ?= 1x
FUZZTIME    ?= 20s

.PHONY: all build run serve demo test test-short test-faults bench bench-load lint fuzz clean stress-cluster release cross-check

# The machines the offices have: the release builds each, and CI
# type-checks each (the native one is built by the tests).
RELEASE_TARGETS := linux/amd64 linux/arm64 linux/loong64 windows/amd64 darwin/arm64
CROSS_TARGETS   := linux/arm64 linux/loong64 windows/amd64 darwin/arm64
# The version stamped into a release: the tag on HEAD, else the commit.
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

# Every parser of outside input has a fuzz target with a seed corpus in its
# package's testdata/fuzz.
FUZZ_TARGETS := ./domain/:FuzzDecodeEvent ./domain/:FuzzDecodeStoredFast ./domain/:FuzzDecodeEventFast ./domain/:FuzzFastEncoders ./domain/:FuzzEffectDeltas ./eventstore/natsjs/:FuzzReadAck ./httpapi/:FuzzRecordBody ./integrity/:FuzzInclusionProof \
	./integrity/:FuzzParseCheckpoint ./reconcile/statement/:FuzzParseCSV ./witness/:FuzzAddCheckpoint

all: build

build:
	$(GO) build -buildvcs=auto -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/ledger

# Binaries for every target in dist/, with the version stamped in and
# SHA-256 sums beside them.
release:
	@rm -rf dist && mkdir -p dist
	@for target in $(RELEASE_TARGETS); do \
		os=$${target%/*}; arch=$${target#*/}; suffix=""; [ "$$os" = windows ] && suffix=".exe"; \
		out=dist/ledger-$(VERSION)-$$os-$$arch$$suffix; echo "build $$out"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -buildvcs=auto -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o $$out ./cmd/ledger || exit 1; \
	done
	cd dist && sha256sum ledger-* > SHA256SUMS && cat SHA256SUMS

# Type-checks the command and everything under it for the other targets,
# and vets package service, whose Windows adapter builds on Windows only.
cross-check:
	@for target in $(CROSS_TARGETS); do \
		echo "vet for $$target"; GOOS=$${target%/*} GOARCH=$${target#*/} CGO_ENABLED=0 $(GO) vet ./cmd/ledger ./service || exit 1; \
	done

# Load the demo data set from the 2022 report into $(DATA) and print totals.
demo run: build
	./$(BIN) demo --data $(DATA)

# Run the embedded NATS JetStream server on $(DATA) until Ctrl-C.
serve: build
	./$(BIN) serve --data $(DATA)

# Every test, against real embedded JetStream servers (file and memory
# storage), the built binary, and the fuzz seed corpora; then the linters.
# The cluster tests that kill and restart nodes run after them, one at a
# time and without the race detector: three race-instrumented servers on
# two cores, beside every other package's tests, spend their time electing
# leaders. Among them, three external nats-server processes (the pinned
# version, run from docs/examples/nats-cluster.conf) lose their stream
# leader under three `serve --nats` nodes.
CLUSTER_TESTS := ^TestClusterSurvives
test: lint cross-check bin/nats
	LEDGER_NATS_CLI=$(abspath bin/nats) $(GO) test -race -count=1 -timeout 20m -skip '$(CLUSTER_TESTS)' ./...
	$(GO) test -count=1 -timeout 15m -run '$(CLUSTER_TESTS)' ./eventstore/natsjs/ ./node/
	LEDGER_CLUSTER_FAULTS=1 $(GO) test -count=1 -timeout 8m -run '^(TestFaultClusterLosesNodes|TestFaultExternalClusterLosesStreamLeader|TestFaultClusterReplicaResync)$$' ./cmd/ledger/

# The cluster tests STRESS_RUNS times (default 10) with two busy loops on
# the machine, as a CI whose two cores are busy has: every run must pass.
STRESS_RUNS ?= 10
stress-cluster:
	@busy=""; for core in 1 2; do (while :; do :; done) & busy="$$busy $$!"; done; \
	trap 'kill $$busy' EXIT INT TERM; failed=0; \
	for run in $$(seq $(STRESS_RUNS)); do \
		if $(GO) test -count=1 -timeout 20m -run '^TestCluster' ./eventstore/natsjs/ ./node/ >/tmp/stress-cluster-$$run.log 2>&1; \
		then echo "run $$run: pass"; else echo "run $$run: FAIL (/tmp/stress-cluster-$$run.log)"; failed=$$((failed+1)); fi; \
	done; echo "$$failed of $(STRESS_RUNS) runs failed"; test $$failed -eq 0

test-short: bin/nats
	LEDGER_NATS_CLI=$(abspath bin/nats) $(GO) test -count=1 ./...

bin/nats:
	GOBIN=$(abspath bin) $(GO) install $(NATS_CLI)

# Benchmarks report the ledger against raw JetStream measured in the same run.
bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -benchmem -timeout 30m ./bench/

# Sustained appends for 60 s through the API on one node and on a three-node
# cluster, against raw JetStream on the same setup.
bench-load:
	LEDGER_LOAD_SECONDS=60 $(GO) test -run '^$$' -bench BenchmarkLoad -benchtime 1x -timeout 30m ./bench/

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

fuzz:
	@for target in $(FUZZ_TARGETS); do \
		package=$${target%%:*}; name=$${target##*:}; \
		echo "fuzz $$name in $$package for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$package || exit 1; \
	done

# The fault tests: SIGKILL during appends, a three-node cluster losing its
# stream leader and then a follower, an external nats-server cluster losing
# its stream leader under serve --nats, a full store, 32 writers on one fund,
# tampered data directories. They also run in `make test`.
test-faults:
	LEDGER_CLUSTER_FAULTS=1 $(GO) test -count=1 -timeout 10m -run 'Fault|Cluster|FullStore|ThirtyTwo|Tamper|Backup' ./...

clean:
	rm -rf bin
