#!/usr/bin/env bash
# The two size limits CI holds every non-test Go file to (issue 16):
#   - no function with a cyclomatic complexity over 20 (gocyclo), so a
#     function stays a few named phases a reader can hold in mind;
#   - no file over 700 lines, so a package splits into files with one job.
# Test files are left out: a test reads top to bottom as a script of cases.
# gocyclo comes from the Go module proxy, pinned, when it is missing.
# Fails with the offending functions or files named.
set -euo pipefail
cd "$(dirname "$0")/.."

max_complexity=20
max_lines=700
gocyclo_version=v0.6.0

export PATH="$PATH:$(go env GOPATH)/bin"
if ! command -v gocyclo >/dev/null 2>&1; then
  echo "ci: installing gocyclo $gocyclo_version"
  go install "github.com/fzipp/gocyclo/cmd/gocyclo@$gocyclo_version"
fi

files=$(git ls-files '*.go' | grep -v '_test\.go$')
failed=0

echo "ci: gocyclo -over $max_complexity (non-test Go files)"
# gocyclo -over exits 1 when it lists a function, and on its own errors.
if ! complex=$(gocyclo -over "$max_complexity" $files); then
  if [ -n "$complex" ]; then
    echo "ci: these functions have a cyclomatic complexity over $max_complexity (complexity package function file:line);"
    echo "    split each into named phases:"
    echo "$complex"
  else
    echo "ci: gocyclo failed (see above)"
  fi
  failed=1
fi

echo "ci: no non-test Go file over $max_lines lines"
long=""
for f in $files; do
  n=$(wc -l <"$f")
  if [ "$n" -gt "$max_lines" ]; then
    long="$long$f has $n lines"$'\n'
  fi
done
if [ -n "$long" ]; then
  echo "ci: these files are over $max_lines lines; split each into files with one job:"
  printf '%s' "$long"
  failed=1
fi

exit "$failed"
