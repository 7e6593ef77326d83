#!/usr/bin/env bash
# Infrastructure checks: cfn-lint (no errors, no warnings), checkov (no failed
# checks; every skip carries a reason), the CloudFront function's redirect
# cases in node, and infra/deploy --dry-run (every step printed, nothing
# called). The template-vs-code table schema test runs with
# the Rust tests (functions/tests/dynamo_schema.rs).
set -euo pipefail
cd "${QI_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
[ -d .venv/bin ] && export PATH="$PWD/.venv/bin:$PATH"
for tool in cfn-lint checkov python3 node; do
  command -v "$tool" >/dev/null || { echo "40-infra: missing prerequisite $tool (run scripts/install-test-deps)" >&2; exit 1; }
done
TEMPLATE=infra/template.yaml
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
fail() { echo "40-infra: FAIL: $*" >&2; exit 1; }

echo "-- cfn-lint $TEMPLATE"
# cfn-lint exits non-zero on errors (2), warnings (4) and informational (8).
cfn-lint --format parseable "$TEMPLATE" >"$WORK/cfn-lint.txt" 2>&1 || { cat "$WORK/cfn-lint.txt"; fail "cfn-lint reported problems"; }
[ ! -s "$WORK/cfn-lint.txt" ] || { cat "$WORK/cfn-lint.txt"; fail "cfn-lint printed findings"; }
echo "cfn-lint: no errors, no warnings"

echo "-- checkov $TEMPLATE"
checkov -f "$TEMPLATE" --framework cloudformation --skip-download --compact --quiet >"$WORK/checkov.txt" 2>&1 \
  || { cat "$WORK/checkov.txt"; fail "checkov reported failed checks"; }
grep -q "Failed checks: 0" "$WORK/checkov.txt" || { cat "$WORK/checkov.txt"; fail "checkov did not report 'Failed checks: 0'"; }
grep -E "Passed checks|Failed checks" "$WORK/checkov.txt"
checkov -f "$TEMPLATE" --framework cloudformation --skip-download -o json >"$WORK/checkov.json" 2>/dev/null || true
python3 - "$TEMPLATE" "$WORK/checkov.json" <<'EOF'
import json, re, sys
template, report = sys.argv[1], sys.argv[2]
# Every checkov skip in the template has an id and a non-empty one-line comment.
text = open(template).read()
skips = re.findall(r"- id: (CKV\w+)\n\s+comment: \"([^\"\n]*)\"", text)
ids = re.findall(r"- id: (CKV\w+)", text)
if len(skips) != len(ids):
    sys.exit(f"40-infra: a checkov skip in {template} lacks a one-line comment")
empty = [i for i, c in skips if len(c.strip()) < 20]
if empty:
    sys.exit(f"40-infra: checkov skips without a real reason: {empty}")
data = json.load(open(report))
if isinstance(data, list):
    data = data[0]
res = data["results"]
if res["failed_checks"]:
    sys.exit("40-infra: checkov failed: " + ", ".join(c["check_id"] + " " + c["resource"] for c in res["failed_checks"]))
if len(res["passed_checks"]) < 20:
    sys.exit("40-infra: checkov evaluated suspiciously few checks; did it parse the template?")
print(f"checkov: {len(res['passed_checks'])} passed, {len(res['skipped_checks'])} skipped (each with a reason), 0 failed")
EOF

echo "-- the CloudFront function, in node (tests/infra/pretty-urls.test.mjs)"
node --test tests/infra/pretty-urls.test.mjs || fail "the pretty-URL CloudFront function"

echo "-- the API's headers policy keeps the API's own CSP"
python3 - "$TEMPLATE" functions/src/http/html.rs <<'EOF'
import re, sys
t, code = open(sys.argv[1]).read(), open(sys.argv[2]).read()
csp = re.search(r'pub const CSP: &str = "([^"]+)"', code).group(1)
policy = t.split("ApiHeadersPolicy:\n", 1)[1].split("\n  # ", 1)[0]
if csp not in policy or "Override: false" not in policy.split("StrictTransportSecurity")[0]:
    sys.exit("40-infra: ApiHeadersPolicy must carry the API's CSP (functions/src/http/html.rs) with Override: false")
api = t.split("- PathPattern: /api/*", 1)[1].split("- PathPattern:", 1)[0]
if "ResponseHeadersPolicyId: !Ref ApiHeadersPolicy" not in api:
    sys.exit("40-infra: /api/* must use ApiHeadersPolicy, not the site's")
print("API headers policy: the API's CSP, not overridden")
EOF

echo "-- template content checks"
python3 - "$TEMPLATE" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
must = {
    "strict CSP": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'",
    "HSTS": "StrictTransportSecurity:",
    "nosniff": "ContentTypeOptions:",
    "frame options": "FrameOption: DENY",
    "referrer policy": "ReferrerPolicy: strict-origin-when-cross-origin",
    "HTTPS only": "ViewerProtocolPolicy: redirect-to-https",
    "origin access control": "OriginAccessControlOriginType: s3",
    "API behaviour": "PathPattern: /api/*",
    "caching disabled for the API": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
    "all viewer headers but Host to the API": "b689b0a8-53d0-40ab-baf2-68738e2966ac",
    "hashed assets cached a year": "DefaultTTL: 31536000",
    "404 page": "ResponsePagePath: /404.html",
    "TLS-only bucket": "aws:SecureTransport",
    "table on demand": "BillingMode: PAY_PER_REQUEST",
    "PITR": "PointInTimeRecoveryEnabled: true",
    "deletion protection": "DeletionProtectionEnabled: true",
    "API throttling": "ThrottlingRateLimit:",
    "arm64": "Architectures: [arm64]",
    "provided.al2023": "Runtime: provided.al2023",
}
missing = [k for k, v in must.items() if v not in t]
if missing:
    sys.exit("40-infra: template lacks: " + ", ".join(missing))
# The API access log must not record paths or query strings (?code=...).
fmt = re.search(r"Format: '(.*)'", t).group(1)
for bad in ("$context.path", "querystring", "$request"):
    if bad in fmt:
        sys.exit(f"40-infra: API access log format records {bad}")
if "$context.routeKey" not in fmt or "$context.status" not in fmt:
    sys.exit("40-infra: API access log format lacks routeKey/status")
for fn in ("signup", "activities", "pip", "status", "coaching"):
    if f"CodeUri: ../target-lambda/packages/{fn}/bootstrap.zip" not in t:
        sys.exit(f"40-infra: no function packaged from target-lambda/packages/{fn}/bootstrap.zip")
    for kind in ("errors", "throttles"):
        if f'qi-groups-${{Stage}}-{fn}-{kind}"' not in t:
            sys.exit(f"40-infra: no {kind} alarm for {fn}")
# No function may hold table-wide wildcards or SES beyond the identity. (In
# a KMS key policy, Resource "*" means the key itself: those are left out.)
policies = re.sub(r"KeyPolicy:.*?(?=\n  [A-Za-z])", "", t, flags=re.S)
if re.search(r"dynamodb:\*|ses:\*|Resource: \"\*\"", policies):
    sys.exit("40-infra: wildcard permission in the template")
print("template content: security headers, caching, API, table, functions, alarms present")
EOF

echo "-- CloudFront Function (pretty URLs), run in node"
command -v node >/dev/null || fail "missing prerequisite node"
python3 - "$TEMPLATE" >"$WORK/pretty-urls.js" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"PrettyUrlFunction:.*?FunctionCode: \|\n((?:        [^\n]*\n|\n)+)", t, re.S)
if not m:
    sys.exit("40-infra: PrettyUrlFunction code not found")
print("\n".join(l[8:] for l in m.group(1).splitlines()))
EOF
cat >>"$WORK/pretty-urls.js" <<'EOF'
const assert = require('assert');
const req = (uri, querystring = {}) => ({ request: { uri, querystring, headers: {} } });
assert.strictEqual(handler(req('/')).uri, '/index.html');
assert.strictEqual(handler(req('/groups/forming/')).uri, '/groups/forming/index.html');
assert.strictEqual(handler(req('/css/site.3f2a9c1b.css')).uri, '/css/site.3f2a9c1b.css');
assert.strictEqual(handler(req('/404.html')).uri, '/404.html');
let r = handler(req('/groups/forming'));
assert.strictEqual(r.statusCode, 301);
assert.strictEqual(r.headers.location.value, '/groups/forming/');
r = handler(req('/me', { saved: { value: 'qi_survey' } }));
assert.strictEqual(r.headers.location.value, '/me/?saved=qi_survey');
console.log('pretty URLs: / and /x/ serve index.html, /x redirects to /x/, files pass through');
EOF
node "$WORK/pretty-urls.js" || fail "the CloudFront Function does not map URLs as expected"

echo "-- infra/deploy --dry-run"
# aws and sam stubs that record any call: a dry run must call neither.
mkdir -p "$WORK/bin"
for tool in aws sam; do
  printf '#!/bin/sh\necho "%s $*" >>"%s/called"\nexit 1\n' "$tool" "$WORK" >"$WORK/bin/$tool"
  chmod +x "$WORK/bin/$tool"
done
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY PATH="$WORK/bin:$PATH" \
  infra/deploy --dry-run --stage citest >"$WORK/dry-run.txt" 2>&1 || { cat "$WORK/dry-run.txt"; fail "infra/deploy --dry-run failed"; }
[ ! -e "$WORK/called" ] || { cat "$WORK/called"; fail "the dry run called aws/sam"; }
cat "$WORK/dry-run.txt"
expect() { grep -qE -- "$1" "$WORK/dry-run.txt" || fail "dry run does not show: $2"; }
expect '^\+ infra/build-functions$' "building the Lambda packages"
expect '^\+ sam deploy --template-file infra/template.yaml --stack-name qi-groups-citest .*--capabilities CAPABILITY_IAM .*--no-fail-on-empty-changeset .*--parameter-overrides Stage=citest' "sam deploy of the stage's stack"
expect '^\+ .*cargo run --release .* build --base-url ' "building the site with its base URL"
expect "^\+ aws s3 sync public/ .*--include .*--cache-control 'public, max-age=31536000, immutable'" "uploading hashed assets with long caching"
expect "^\+ aws s3 sync public/ .*--exclude .*--cache-control 'public, max-age=60" "uploading pages with short caching"
expect '^\+ aws s3 sync public/ .* --delete$' "deleting stale files"
expect "^\+ aws cloudfront create-invalidation --distribution-id .* --paths '/\*'$" "invalidating CloudFront"
# Order: deploy before upload, upload before delete, delete before invalidation.
python3 - "$WORK/dry-run.txt" <<'EOF'
import sys
lines = [l for l in open(sys.argv[1]) if l.startswith("+ ")]
def first(s):
    for i, l in enumerate(lines):
        if s in l:
            return i
    sys.exit(f"40-infra: step missing: {s}")
order = [first("infra/build-functions"), first("sam deploy"), first(" build --base-url"),
         first("immutable"), first("max-age=60"), first("--delete"), first("create-invalidation")]
if order != sorted(order):
    sys.exit(f"40-infra: dry-run steps out of order: {order}")
print("dry run: build, deploy, site build, two-pass upload, delete, invalidate, in that order")
EOF
# The hashed-asset pattern matches what the generator emits and nothing else.
python3 - "$(sed -n "s/^HASHED_GLOB='\(.*\)'$/\1/p" infra/deploy)" <<'EOF'
import fnmatch, sys
glob = sys.argv[1]
assert glob, "HASHED_GLOB not found in infra/deploy"
for name in ("public/css/site.3f2a9c1b.css", "public/js/forms.0123abcd.js", "public/css/site.3f2a9c1b0d1e2f3a.css"):
    assert fnmatch.fnmatch(name, glob), f"{name} should be a hashed asset"
for name in ("public/index.html", "public/groups/forming/index.html", "public/404.html", "public/css/site.css", "public/css/forms.css", "public/favicon.ico", "public/robots.txt", "public/sitemap.xml"):
    assert not fnmatch.fnmatch(name, glob), f"{name} must not be cached for a year"
print("hashed-asset pattern: ok")
EOF
# A bad stage name is refused.
if infra/deploy --dry-run --stage 'Bad Stage' >/dev/null 2>&1; then fail "infra/deploy accepted a bad stage name"; fi
echo "40-infra: all infrastructure checks passed"
