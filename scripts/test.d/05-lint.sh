#!/usr/bin/env bash
# Gates, before any test: Rust formatting (rustfmt.toml), clippy with warnings
# denied (the workspace lints deny unwrap/expect outside tests), ESLint on the
# browser scripts (site/static/js; config tests/browser/eslint.config.js), and
# the CSS custom-property check (scripts/lint/css-custom-properties.py).
# Every gate runs, so one run lists all problems; any failure fails the suite.
set -euo pipefail
cd "$QI_ROOT"

ESLINT=tests/browser/node_modules/.bin/eslint
missing() { echo "05-lint: missing prerequisite $1 (run scripts/install-test-deps)" >&2; exit 1; }
cargo fmt --version >/dev/null 2>&1 || missing "rustfmt (rustup component add rustfmt)"
cargo clippy --version >/dev/null 2>&1 || missing "clippy (rustup component add clippy)"
[ -x "$ESLINT" ] || missing "eslint in tests/browser/node_modules"

FAILED=()
gate() {
  local name="$1"; shift
  echo "-- $name: $*"
  if "$@" 2>&1; then echo "$name: ok"; else FAILED+=("$name"); fi
}

gate rustfmt cargo fmt --all --check
gate clippy cargo clippy --workspace --all-targets --all-features --quiet -- -D warnings
gate eslint "$ESLINT" -c tests/browser/eslint.config.js --max-warnings 0 site/static/js
gate css python3 scripts/lint/css-custom-properties.py site/static/css

if [ ${#FAILED[@]} -gt 0 ]; then
  echo "05-lint: FAIL: ${FAILED[*]}" >&2
  exit 1
fi
echo "05-lint: all gates passed"
