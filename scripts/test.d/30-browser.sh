#!/usr/bin/env bash
# Real-browser tests: headless Debian Chromium, driven by playwright-core,
# against `qi serve` (the built site plus the local API on the embedded
# store) on a free port with a throw-away data directory.
# A missing prerequisite (Chromium, node_modules, cargo) fails the suite.
set -euo pipefail
ROOT="${QI_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
cd "$ROOT"

die() { echo "30-browser: $*" >&2; exit 1; }
[ -x /usr/bin/chromium ] || die "missing /usr/bin/chromium (run scripts/install-test-deps)"
command -v node >/dev/null || die "missing node (run scripts/install-test-deps)"
[ -d tests/browser/node_modules/playwright-core ] && [ -d tests/browser/node_modules/axe-core ] \
  || die "missing tests/browser/node_modules (run scripts/install-test-deps, which runs npm ci there)"

# The qi of the host build 10-rust made (QI_BIN: another one).
source scripts/test.d/host-build.bash
QI="$(qi_host_bin)" || die "no qi binary"
echo "qi: $QI"

WORK="$(mktemp -d)"
LOGS="$ROOT/target/test-logs"
mkdir -p "$LOGS"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# This cycle's invitation list for the tests: CPSO numbers 1BB0NN for test
# file block BB (see cpsoBlock in tests/browser/helpers.js) are invited;
# peers (5BBxNN) and the "uninvited" numbers (7BBxNN) are not.
{
  echo "cpso,name,email"
  for block in $(seq 1 9); do
    for n in $(seq 0 19); do
      cpso=$((100000 + block * 100 + n))
      echo "$cpso,Dr. Invited $cpso,invited.$cpso@example.org"
    done
  done
} >"$WORK/invitations.csv"
mkdir -p "$WORK/data"
"$QI" admin invitations import "$WORK/invitations.csv" --data-dir "$WORK/data" >"$LOGS/browser-import.log" 2>&1 \
  || { cat "$LOGS/browser-import.log" >&2; die "could not import the test invitation list"; }

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
BASE="http://127.0.0.1:$PORT"
echo "starting qi serve on $BASE (log: target/test-logs/browser-serve.log)"
"$QI" serve --port "$PORT" --data-dir "$WORK/data" >"$LOGS/browser-serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do
  curl -fsS -o /dev/null "$BASE/" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 30 "$LOGS/browser-serve.log" >&2; die "qi serve exited"; }
  sleep 0.2
done
curl -fsS -o /dev/null "$BASE/" || { tail -n 30 "$LOGS/browser-serve.log" >&2; die "qi serve did not answer on $BASE"; }

export QI_BASE_URL="$BASE"
set +e
# Arguments, if any, name test files to run instead of all of tests/browser/.
node --test --test-concurrency=1 --test-reporter=spec "${@:-tests/browser/}" 2>&1
STATUS=$?
set -e

# Personal data must never reach the server's log: no names, plan text or codes
# from the tests (the dev outbox lines print links by design, so codes are
# checked only outside lines that announce an email).
if grep -v -i -E 'outbox|email|mail' "$LOGS/browser-serve.log" | grep -E 'Dr\. (Lead|Peer)|example\.org|Shared EMR|code=' >/dev/null; then
  echo "30-browser: personal data found in the server log:" >&2
  grep -v -i -E 'outbox|email|mail' "$LOGS/browser-serve.log" | grep -E 'Dr\. (Lead|Peer)|example\.org|Shared EMR|code=' | head -5 >&2
  STATUS=1
fi
echo "screenshots: tests/browser/artifacts/"
exit $STATUS
