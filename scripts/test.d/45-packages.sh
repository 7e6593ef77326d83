#!/usr/bin/env bash
# Lambda packages: one cargo-lambda build of every function (infra/build-functions,
# the same command infra/deploy runs), then for each function the template
# names: its zip holds exactly an executable `bootstrap` that is an aarch64
# (e_machine 183) 64-bit little-endian ELF, and the zip is under 5 MB.
set -euo pipefail
cd "${QI_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
[ -d .venv/bin ] && export PATH="$PWD/.venv/bin:$PATH"
command -v cargo-lambda >/dev/null || { echo "45-packages: missing prerequisite cargo-lambda (run scripts/install-test-deps)" >&2; exit 1; }

mkdir -p target/test-logs
t0=$(date +%s)
echo "-- infra/build-functions (log: target/test-logs/cargo-lambda.log)"
if ! infra/build-functions >target/test-logs/cargo-lambda.log 2>&1; then
  tail -40 target/test-logs/cargo-lambda.log
  echo "45-packages: FAIL: cargo lambda build failed" >&2
  exit 1
fi
echo "cargo lambda build: $(( $(date +%s) - t0 ))s"

# The functions infra/template.yaml deploys, from its CodeUri lines.
mapfile -t FUNCTIONS < <(sed -n 's#^ *CodeUri: \.\./target-lambda/packages/\([a-z0-9_-]*\)/bootstrap\.zip$#\1#p' infra/template.yaml)
[ ${#FUNCTIONS[@]} -ge 5 ] || { echo "45-packages: FAIL: expected at least 5 CodeUri entries in infra/template.yaml, found ${#FUNCTIONS[@]}" >&2; exit 1; }

python3 - "${FUNCTIONS[@]}" <<'EOF'
import os, struct, sys, zipfile
LIMIT = 5 * 1024 * 1024
bad = []
print(f"{'function':<12} {'zip':>10} {'bootstrap':>11}  check")
for fn in sys.argv[1:]:
    path = f"target-lambda/packages/{fn}/bootstrap.zip"
    if not os.path.isfile(path):
        bad.append(f"{fn}: {path} missing (no binary named {fn} in functions/src/bin?)")
        continue
    size = os.path.getsize(path)
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        if "bootstrap" not in names:
            bad.append(f"{fn}: zip has no bootstrap (has {names})")
            continue
        info = z.getinfo("bootstrap")
        head = z.open("bootstrap").read(64)
    problems = []
    if head[:4] != b"\x7fELF":
        problems.append("not an ELF file")
    else:
        if head[4] != 2:
            problems.append("not 64-bit")
        if head[5] != 1:
            problems.append("not little-endian")
        (e_machine,) = struct.unpack_from("<H", head, 18)
        if e_machine != 183:
            problems.append(f"e_machine {e_machine}, not 183 (aarch64)")
    mode = (info.external_attr >> 16) & 0o777
    if not mode & 0o100:
        problems.append(f"bootstrap not executable in the zip (mode {oct(mode)})")
    if size > LIMIT:
        problems.append(f"zip is {size} bytes, over the 5 MB budget")
    print(f"{fn:<12} {size/1048576:>8.2f}MB {info.file_size/1048576:>9.2f}MB  {'ok: aarch64 ELF bootstrap' if not problems else '; '.join(problems)}")
    bad += [f"{fn}: {p}" for p in problems]
if bad:
    sys.exit("45-packages: FAIL:\n  " + "\n  ".join(bad))
print(f"45-packages: {len(sys.argv) - 1} packages ok")
EOF
