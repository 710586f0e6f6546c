# The ledger's build. `make demo` and `make test` are the README's two
# commands; both fetch what they need through the Go module proxy.

GO          ?= go
BIN         := bin/ledger
DATA        ?= ./ledger-data
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCHTIME   ?= 1x
FUZZTIME    ?= 20s

.PHONY: all build run serve demo test test-short bench lint fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/ledger

# Load the demo data set from the 2022 report into $(DATA) and print totals.
demo run: build
	./$(BIN) demo --data $(DATA)

# Run the embedded NATS JetStream server on $(DATA) until Ctrl-C.
serve: build
	./$(BIN) serve --data $(DATA)

# Every test, against real embedded JetStream servers (file and memory
# storage), the built binary, and the fuzz seed corpora; then the linters.
test: lint
	$(GO) test -race -count=1 -timeout 10m ./...

test-short:
	$(GO) test -count=1 ./...

# Benchmarks report the ledger against raw JetStream measured in the same run.
bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -benchmem -timeout 30m ./bench/

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecodeEvent -fuzztime $(FUZZTIME) ./domain/

clean:
	rm -rf bin
