# make test installs what the tests need and runs every test: vet, unit and
# end-to-end tests (with the race detector), each fuzz target for a short
# bounded time, and the interoperability tests against independent peers.

GO       ?= go
FUZZTIME ?= 10s

# package:FuzzTarget pairs, each run for FUZZTIME.
FUZZ_TARGETS = \
	.:FuzzParseCallback \
	.:FuzzBrowserSecret \
	./emulator/myinfo:FuzzParsePKISign \
	./internal/jwx:FuzzCheckHeader \
	./provider/myinfo:FuzzDecodePerson \
	./provider/myinfo:FuzzFlatten \
	./provider/myinfo:FuzzParsePerson \
	./provider/myinfo:FuzzPersonRoundTrip

.PHONY: test vet unit fuzz interop build

test: vet unit fuzz interop

build:
	$(GO) build ./...

vet:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go'))"; \
	if [ -n "$$unformatted" ]; then echo "not gofmt-formatted: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags interop ./interop/...

unit:
	$(GO) test -race -count=1 ./...

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) $$pkg; \
	done

# Interoperability tests against independent implementations. MockPass
# (@opengovsg/mockpass, pinned by interop/mockpass/package-lock.json) is an
# independent Myinfo v3 provider; the Go tests start it on 127.0.0.1.
NPM         ?= npm
MOCKPASS_DIR = interop/mockpass

interop:
	@command -v node >/dev/null 2>&1 || { echo "interop: node (Node 20+) is required on PATH" >&2; exit 1; }
	@command -v $(NPM) >/dev/null 2>&1 || { echo "interop: npm is required on PATH" >&2; exit 1; }
	cd $(MOCKPASS_DIR) && if [ -f package-lock.json ]; then \
		$(NPM) ci --no-audit --no-fund; else $(NPM) install --no-audit --no-fund; fi
	$(GO) test -tags interop -count=1 -timeout 5m ./interop/...
