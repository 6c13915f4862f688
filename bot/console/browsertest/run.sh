#!/bin/sh
# Runs the console's browser tests: installs Debian's Chromium (apt) and
# playwright-core (npm ci, from the committed package-lock.json) when
# missing, builds consoledemo and senda, and runs both tests with node's
# test runner: console.test.mjs (every page, over consoledemo with seeded
# figures and a fake Twilio) and serve.test.mjs (the console as `senda
# serve` wires it), and reports.test.mjs (Reportes: a report through
# the signed webhook, published to seguridad over a fake Twilio REST API,
# and discarded). Every page is checked with axe-core (no serious or
# critical violation) and for errors logged in the browser (pagecheck.mjs).
# Exits non-zero when a test fails.
# Screenshots go to $SCREENSHOT_DIR (default bot/console/browsertest/screenshots, git-ignored).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
if [ ! -x /usr/bin/chromium ]; then
	echo "browsertest: installing Debian's chromium"
	$sudo_cmd apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi
cd "$here"
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/axe-core ]; then
	echo "browsertest: npm ci (playwright-core and axe-core, no browser download)"
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$root" && go build -o "$work/consoledemo" ./bot/console/cmd/consoledemo && go build -o "$work/senda" ./cmd/senda)
CONSOLEDEMO="$work/consoledemo" SENDA_BIN="$work/senda" node --test --test-concurrency=1 console.test.mjs serve.test.mjs reports.test.mjs
