#!/usr/bin/env bash
# Rust unit, fixture-site, conformance (SQLite + moto DynamoDB), handler and
# concurrency tests.
set -euo pipefail
cd "$QI_ROOT"
cargo test --workspace --release 2>&1
