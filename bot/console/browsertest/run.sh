#!/bin/sh
# Runs the console's browser test: installs Debian's Chromium (apt) and
# playwright-core (npm ci) when missing, builds consoledemo, and runs the
# test with node's test runner. Fails when the test fails.
# Screenshots go to $SCREENSHOT_DIR (default bot/console/browsertest/screenshots, git-ignored).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
if [ ! -x /usr/bin/chromium ]; then
	apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
cd "$here"
if [ ! -d node_modules/playwright-core ]; then
	npm ci --no-audit --no-fund --silent
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$root" && go build -o "$work/consoledemo" ./bot/console/cmd/consoledemo)
CONSOLEDEMO="$work/consoledemo" node --test --test-concurrency=1 console.test.mjs
