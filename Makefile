# Everyday commands. CI runs .ci/run, which does what `make check` does on a
# machine where it first makes sure Redis answers.

.PHONY: test lint check bench fuzz build

build:
	go build -o senda ./cmd/senda

test:
	go test -race -count=1 ./...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	go vet ./...
	@PATH="$$PATH:$$(go env GOPATH)/bin"; command -v staticcheck >/dev/null || go install honnef.co/go/tools/cmd/staticcheck@latest
	PATH="$$PATH:$$(go env GOPATH)/bin" staticcheck ./...

check: lint test

bench:
	go test -run '^$$' -bench . -benchmem ./flows/ ./bot/app/ ./bot/twilio/ ./bot/sealer/ ./bot/twilio/

fuzz:
	go test -run '^$$' -fuzz FuzzStep -fuzztime 60s ./flows/
	go test -run '^$$' -fuzz FuzzLoad -fuzztime 60s ./content/
	go test -run '^$$' -fuzz FuzzAgreement -fuzztime 60s ./bot/twilio/
	go test -run '^$$' -fuzz FuzzOpen -fuzztime 60s ./bot/sealer/
