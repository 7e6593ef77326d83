#!/usr/bin/env bash
# Rust unit, fixture-site, CLI, conformance (SQLite + moto DynamoDB), handler
# and concurrency tests. This build's target/release/qi serves the site and
# browser suites too (see host-build.bash).
set -euo pipefail
cd "$QI_ROOT"
source scripts/test.d/host-build.bash
"${QI_CARGO_TEST[@]}" 2>&1
