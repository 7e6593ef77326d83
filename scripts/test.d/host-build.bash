# Sourced by the suites (not a suite itself: scripts/test runs only *.sh).
#
# One host build serves every suite. 10-rust runs QI_CARGO_TEST; its root
# integration test (tests/qi_cli.rs) makes cargo build target/release/qi with
# the same profile and features as the tests. A separate
# `cargo build --release --bin qi` would resolve features without the
# dev-dependencies and recompile much of the tree (about 14 minutes here).
# The other suites call qi_host_bin, which runs the same cargo command with
# --no-run: a no-op after 10-rust, and a build when a suite runs alone or the
# sources changed (cargo decides). QI_BIN, if set, names a binary to use instead.
QI_CARGO_TEST=(cargo test --workspace --release --no-fail-fast)

# Prints the path of the qi binary of the host build, building it if needed.
qi_host_bin() {
  if [ -n "${QI_BIN:-}" ]; then
    [ -x "$QI_BIN" ] || { echo "QI_BIN=$QI_BIN is not an executable" >&2; return 1; }
    echo "$QI_BIN"
    return
  fi
  local log target
  log="$(mktemp)"
  if ! "${QI_CARGO_TEST[@]}" --no-run >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    return 1
  fi
  # Shown so a run log tells whether this step compiled anything.
  grep -E '^ *(Compiling|Finished)' "$log" | tail -n 3 >&2
  rm -f "$log"
  target="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
  [ -x "$target/release/qi" ] || { echo "the host build did not produce $target/release/qi" >&2; return 1; }
  echo "$target/release/qi"
}
