# Everyday commands. CI runs .ci/run, which does what `make check` does on a
# machine where it first makes sure Redis answers.

.PHONY: test lint check bench fuzz build release

# VERSION names a release build: the tag on HEAD (v0.1.0), else the nearest
# tag, commits since it and the commit (v0.1.0-3-gabc1234), with -dirty for
# uncommitted changes. `make release VERSION=v0.1.0` sets it by hand.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
# Static, reproducible binaries: no cgo (no libc to match on the server), no
# local paths in the binary, the version stamped in (cmd/senda/version.go).
RELEASE_FLAGS = -trimpath -buildvcs=true -ldflags "-s -w -X github.com/senda-org/senda/bot/buildinfo.version=$(VERSION)"
RELEASE_TARGETS = linux/amd64 linux/arm64 windows/amd64 darwin/arm64

build:
	go build -o senda ./cmd/senda

test:
	go test -race -count=1 ./...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	go vet ./...
	@PATH="$$PATH:$$(go env GOPATH)/bin"; command -v staticcheck >/dev/null || go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
	PATH="$$PATH:$$(go env GOPATH)/bin" staticcheck ./...
	bash .ci/limits.sh

check: lint test

bench:
	go test -run '^$$' -bench . -benchmem ./flows/ ./bot/app/ ./bot/twilio/ ./bot/sealer/ ./bot/twilio/

fuzz:
	go test -run '^$$' -fuzz FuzzStep -fuzztime 60s ./flows/
	go test -run '^$$' -fuzz FuzzLoad -fuzztime 60s ./content/
	go test -run '^$$' -fuzz FuzzAgreement -fuzztime 60s ./bot/twilio/
	go test -run '^$$' -fuzz FuzzOpen -fuzztime 60s ./bot/sealer/

# release builds every target into dist/ and writes dist/SHA256SUMS. Tagging
# a release: docs/RELEASING.md.
release:
	rm -rf dist && mkdir -p dist
	@set -e; for t in $(RELEASE_TARGETS); do \
		os=$${t%/*}; arch=$${t#*/}; ext=; [ $$os = windows ] && ext=.exe; \
		out=dist/senda-$(VERSION)-$$os-$$arch$$ext; \
		echo "build $$out"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch go build $(RELEASE_FLAGS) -o $$out ./cmd/senda; \
	done
	cd dist && sha256sum senda-* > SHA256SUMS
	@cat dist/SHA256SUMS
