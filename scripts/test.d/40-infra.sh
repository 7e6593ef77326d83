#!/usr/bin/env bash
# Infrastructure checks: cfn-lint (no errors, no warnings) and checkov (no
# failed checks; every skip carries a reason) on both templates
# (infra/template.yaml and the WAF edge stack infra/edge-waf.yaml), the
# CloudFront function's redirect cases in node, the templates' contents, the
# SAM-transformed template created on moto's CloudFormation
# (tests/infra/cfn_on_moto.py: table, functions, environments, IAM by key
# prefix; a drifted copy must fail), infra/deploy --dry-run (every step, in
# order, every parameter passed, nothing called), and infra/deploy's real
# path against a scripted aws (a failed first deploy, a failed rollback, a
# busy stack, the SES sandbox, an unverified identity). The template-vs-code
# table schema test runs with the Rust tests (functions/tests/dynamo_schema.rs).
#
# Needs a moto server at QI_TEST_DYNAMODB_ENDPOINT (scripts/test starts one
# and exports it); without it this suite fails, it never skips.
set -euo pipefail
cd "${QI_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
[ -d .venv/bin ] && export PATH="$PWD/.venv/bin:$PATH"
for tool in cfn-lint checkov python3 node; do
  command -v "$tool" >/dev/null || { echo "40-infra: missing prerequisite $tool (run scripts/install-test-deps)" >&2; exit 1; }
done
PY=python3
[ -x .venv/bin/python ] && PY=.venv/bin/python
"$PY" -c 'import samtranslator, moto, boto3' 2>/dev/null \
  || { echo "40-infra: missing prerequisite aws-sam-translator, moto or boto3 in $PY (run scripts/install-test-deps)" >&2; exit 1; }
[ -n "${QI_TEST_DYNAMODB_ENDPOINT:-}" ] \
  || { echo "40-infra: QI_TEST_DYNAMODB_ENDPOINT is not set: run scripts/test, or start moto (.venv/bin/python scripts/moto-server.py --port 5055) and export it" >&2; exit 1; }
TEMPLATE=infra/template.yaml
EDGE=infra/edge-waf.yaml
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
fail() { echo "40-infra: FAIL: $*" >&2; exit 1; }

for t in "$TEMPLATE" "$EDGE"; do
  echo "-- cfn-lint $t"
  # cfn-lint exits non-zero on errors (2), warnings (4) and informational (8).
  cfn-lint --format parseable "$t" >"$WORK/cfn-lint.txt" 2>&1 || { cat "$WORK/cfn-lint.txt"; fail "cfn-lint reported problems in $t"; }
  [ ! -s "$WORK/cfn-lint.txt" ] || { cat "$WORK/cfn-lint.txt"; fail "cfn-lint printed findings for $t"; }
  echo "cfn-lint: no errors, no warnings"
done

for t in "$TEMPLATE" "$EDGE"; do
  echo "-- checkov $t"
  checkov -f "$t" --framework cloudformation --skip-download --compact --quiet >"$WORK/checkov.txt" 2>&1 \
    || { cat "$WORK/checkov.txt"; fail "checkov reported failed checks in $t"; }
  grep -q "Failed checks: 0" "$WORK/checkov.txt" || { cat "$WORK/checkov.txt"; fail "checkov did not report 'Failed checks: 0' for $t"; }
  grep -E "Passed checks|Failed checks" "$WORK/checkov.txt"
  checkov -f "$t" --framework cloudformation --skip-download -o json >"$WORK/checkov.json" 2>/dev/null || true
  # The main template has dozens of resources, the edge template one web ACL.
  minimum=$([ "$t" = "$TEMPLATE" ] && echo 20 || echo 1)
  python3 - "$t" "$WORK/checkov.json" "$minimum" <<'EOF'
import json, re, sys
template, report, minimum = sys.argv[1], sys.argv[2], int(sys.argv[3])
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
if len(res["passed_checks"]) < minimum:
    sys.exit(f"40-infra: checkov evaluated suspiciously few checks on {template}; did it parse the template?")
print(f"checkov: {len(res['passed_checks'])} passed, {len(res['skipped_checks'])} skipped (each with a reason), 0 failed")
EOF
done

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
    "keys-only stream (the outbox)": "StreamViewType: KEYS_ONLY",
    "stream mapping on new outbox items": '\'{"eventName": ["INSERT"], "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "OUTBOX#"}]}}}}\'',
    "origin secret header": "HeaderName: X-Qi-Origin-Verify",
    "web ACL parameter": "WebACLId: !If [HasWebAcl, !Ref WebAclArn, !Ref AWS::NoValue]",
    "releases through an alias": "AutoPublishAlias: live",
    "canary releases in prod": "Type: !If [IsProd, Canary10Percent5Minutes, AllAtOnce]",
    "mail dead-letter alarm": 'AlarmName: !Sub "qi-groups-${Stage}-mail-dead-letters"',
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
for fn in ("signup", "activities", "pip", "status", "coaching", "reminders", "mailer", "mail-events"):
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


echo "-- the outbox, releases and edge in the template: who sends, rollback alarms"
python3 - "$TEMPLATE" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
# Only the mailer sends email; every function is released with its errors
# alarm as the rollback alarm.
body = t.split("\nResources:\n", 1)[1].split("\nOutputs:\n", 1)[0]
for block in re.split(r"\n(?=  [A-Za-z][A-Za-z0-9]*:\n)", body):
    name = block.strip().split(":", 1)[0]
    if "Type: AWS::Serverless::Function" not in block:
        continue
    sends = "ses:SendEmail" in block or "QI_MAIL_FROM" in block
    if sends != (name == "MailerFunction"):
        sys.exit(f"40-infra: {name}: only the mailer may send email (ses:SendEmail, QI_MAIL_FROM)")
    alarm = name.removesuffix("Function") + "ErrorsAlarm"
    if f"Alarms: [!Ref {alarm}]" not in block:
        sys.exit(f"40-infra: {name}: its DeploymentPreference does not roll back on {alarm}")
# Nothing calls a function's $LATEST: integrations, permissions, the schedule.
for bad in ("IntegrationUri: !GetAtt", "Arn: !GetAtt RemindersFunction.Arn", "Resource: !GetAtt RemindersFunction.Arn"):
    if bad in t:
        sys.exit(f"40-infra: {bad}: point it at the function's live alias")
for m in re.finditer(r"FunctionName: !Ref (\w+)\n", t):
    sys.exit(f"40-infra: a permission or mapping names {m.group(1)} ($LATEST), not {m.group(1)}.Alias")
print("template content: the outbox stream and mapping, the origin header, the web ACL, alias releases, only the mailer sending")
EOF

echo "-- the edge web ACL's rules"
python3 - "$EDGE" functions/openapi.yaml <<'EOF'
import re, sys
edge, api = open(sys.argv[1]).read(), open(sys.argv[2]).read()
paths = set(re.findall(r"^  (/api/[^:]+):", api, re.M))
wanted = {"/api/groups": "EXACTLY", "/api/access": "STARTS_WITH", "/api/access/recover": "EXACTLY", "/api/coaching": "EXACTLY"}
for path, how in wanted.items():
    if path not in paths:
        sys.exit(f"40-infra: {path} is not a path of functions/openapi.yaml: update infra/edge-waf.yaml")
    if not re.search(rf"PositionalConstraint: {how}\n\s+SearchString: {re.escape(path)}\n", edge):
        sys.exit(f"40-infra: the web ACL has no rate rule on {path} ({how})")
if edge.count("AggregateKeyType: IP") < 4 or "Scope: CLOUDFRONT" not in edge or "AWSManagedRulesCommonRuleSet" not in edge:
    sys.exit("40-infra: the web ACL lacks its per-IP rules, CloudFront scope or AWS common rules")
print("edge web ACL: per-IP limits on sign-up, access, recovery and coaching (paths as in openapi.yaml), AWS common rules")
EOF

echo "-- the SAM-transformed template on moto's CloudFormation ($QI_TEST_DYNAMODB_ENDPOINT)"
"$PY" tests/infra/cfn_on_moto.py || fail "the template on moto's CloudFormation"
# The same check must catch a function allowed more than its code does.
sed 's/dynamodb:LeadingKeys: \["TOKEN#\*", "OUTBOX#\*"\]/dynamodb:LeadingKeys: ["TOKEN#*", "OUTBOX#*", "COACHING#*"]/' "$TEMPLATE" >"$WORK/drifted.yaml"
if cmp -s "$TEMPLATE" "$WORK/drifted.yaml"; then fail "could not make a drifted copy of the template"; fi
if "$PY" tests/infra/cfn_on_moto.py "$WORK/drifted.yaml" >"$WORK/drifted.txt" 2>&1; then
  cat "$WORK/drifted.txt"; fail "cfn_on_moto.py passed a template whose functions may put COACHING# items"
fi
grep -q "table actions by key prefix differ" "$WORK/drifted.txt" || { cat "$WORK/drifted.txt"; fail "cfn_on_moto.py failed the drifted template for another reason"; }
echo "cfn_on_moto: a drifted template (an extra key prefix) is caught"

echo "-- infra/deploy --dry-run"
# aws and sam stubs that record any call: a dry run must call neither.
mkdir -p "$WORK/bin"
for tool in aws sam; do
  printf '#!/bin/sh\necho "%s $*" >>"%s/called"\nexit 1\n' "$tool" "$WORK" >"$WORK/bin/$tool"
  chmod +x "$WORK/bin/$tool"
done
dry_run() { # dry_run OUT [VAR=VALUE...]: infra/deploy --dry-run --stage citest with those settings
  local out="$1"; shift
  env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY PATH="$WORK/bin:$PATH" "$@" \
    infra/deploy --dry-run --stage citest >"$out" 2>&1 || { cat "$out"; fail "infra/deploy --dry-run $* failed"; }
  [ ! -e "$WORK/called" ] || { cat "$WORK/called"; fail "the dry run called aws/sam"; }
}
dry_run "$WORK/dry-run.txt"
cat "$WORK/dry-run.txt"
expect() { grep -qE -- "$1" "$WORK/dry-run.txt" || fail "dry run does not show: $2"; }
expect '^\+ aws sts get-caller-identity ' "the credentials check"
expect '^\+ aws sesv2 get-email-identity --region ca-central-1 --email-identity example.org ' "the SES identity check"
expect '^\+ aws sesv2 get-account ' "the SES sandbox check"
expect '^\+ \S*cfn-lint infra/template.yaml infra/edge-waf.yaml$' "cfn-lint of both templates"
expect '^\+ \S*python\S* infra/sam_transform.py infra/template.yaml' "the SAM transform"
expect '^SAM transform of infra/template.yaml: [0-9]+ resources' "the SAM transform's result (it runs in a dry run)"
expect "^\+ aws cloudformation describe-stacks --region ca-central-1 --stack-name qi-groups-citest --query 'Stacks\[0\]\.StackStatus'" "the stack's state"
expect '^\+ aws dynamodb describe-table --region ca-central-1 --table-name qi-groups-citest ' "the leftover-table check"
expect '^\+ infra/build-functions$' "building the Lambda packages"
expect '^\+ sam deploy --template-file infra/template.yaml --stack-name qi-groups-citest .*--capabilities CAPABILITY_IAM .*--no-fail-on-empty-changeset .*--parameter-overrides Stage=citest' "sam deploy of the stage's stack"
expect '^\+ .*cargo run --release .* build --base-url ' "building the site with its base URL"
expect "^\+ aws s3 sync public/ .*--include .*--cache-control 'public, max-age=31536000, immutable'" "uploading hashed assets with long caching"
expect "^\+ aws s3 sync public/ .*--exclude .*--cache-control 'public, max-age=60" "uploading pages with short caching"
expect '^\+ aws s3 sync public/ .* --delete$' "deleting stale files"
expect "^\+ aws cloudfront create-invalidation --distribution-id .* --paths '/\*'$" "invalidating CloudFront"
if grep -q 'edge-waf.yaml --no-fail' "$WORK/dry-run.txt"; then fail "Waf is off outside prod, yet the dry run deploys the edge stack"; fi
# Order: checks, validation, stack state, table, build, deploy, site,
# upload, delete, invalidate. Every template parameter passed, empty ones as "".
"$PY" - "$WORK/dry-run.txt" "$TEMPLATE" <<'EOF'
import shlex, sys
from samtranslator.yaml_helper import yaml_parse
sys.path.insert(0, "tests/infra")
from dry_run import DryRun
run = DryRun(sys.argv[1])
lines, first = run.lines, run.first
steps = ["sts get-caller-identity", "sesv2 get-email-identity", "sesv2 get-account", "cfn-lint", "sam_transform.py",
         "describe-stacks --region ca-central-1 --stack-name qi-groups-citest --query 'Stacks[0].StackStatus'",
         "dynamodb describe-table", "infra/build-functions", "sam deploy", " build --base-url",
         "immutable", "max-age=60", "--delete", "create-invalidation"]
order = [first(s) for s in steps]
if order != sorted(order):
    sys.exit(f"40-infra: dry-run steps out of order: {list(zip(steps, order))}")
deploy = shlex.split(lines[first("sam deploy")][2:])
args = deploy[deploy.index("--parameter-overrides") + 1:]
if any("=" not in a or a.endswith("=") for a in args):
    sys.exit(f"40-infra: an override SAM would not read (Key= is dropped, not emptied): {args}")
def sam_value(v):  # how SAM CLI reads Key=value (samcli/cli/types.py: wrapping quotes removed)
    return v[1:-1] if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'" else v
given = dict((a.split("=", 1)[0], sam_value(a.split("=", 1)[1])) for a in args)
params = yaml_parse(open(sys.argv[2]).read())["Parameters"]
if set(given) != set(params):
    sys.exit("40-infra: sam deploy must pass every parameter (one left out keeps its previous value): "
             f"missing {sorted(set(params) - set(given))}, unknown {sorted(set(given) - set(params))}")
differ = {k: (v, str(params[k].get("Default", ""))) for k, v in given.items()
          if k not in ("Stage", "ReleaseDigest") and v != str(params[k].get("Default", ""))}
if differ:
    sys.exit(f"40-infra: infra/deploy's defaults differ from the template's: {differ}")
import re
if not re.fullmatch(r"[0-9a-f]{12}", given["ReleaseDigest"]):
    sys.exit(f"40-infra: ReleaseDigest {given['ReleaseDigest']!r} is not 12 hex digits")
print(f"dry run: checks, validation, stack state, table, build, deploy, site, upload, delete, invalidate, in that order; "
      f"all {len(given)} parameters passed, empty ones as \"\"")
EOF

# A changed setting changes ReleaseDigest (which names every function's
# version), so it reaches the live alias; the same settings give the same one.
digest_of() { grep -o "ReleaseDigest=[0-9a-f]*" "$1" | head -1; }
dry_run "$WORK/dry-run-same.txt"
dry_run "$WORK/dry-run-pending.txt" PendingDays=15
[ "$(digest_of "$WORK/dry-run.txt")" = "$(digest_of "$WORK/dry-run-same.txt")" ] || fail "ReleaseDigest differs between two identical dry runs"
[ "$(digest_of "$WORK/dry-run.txt")" != "$(digest_of "$WORK/dry-run-pending.txt")" ] || fail "ReleaseDigest did not change with PendingDays"
echo "ReleaseDigest: stable for the same release, new when a setting changes"

echo "-- infra/deploy --dry-run with the WAF, an existing table and a custom domain"
dry_run "$WORK/dry-run-edge.txt" Waf=on TableName=qi-groups-restored DomainName=qi.example.org \
  CertificateArn=arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-1111-2222-333344445555
"$PY" - "$WORK/dry-run-edge.txt" <<'EOF'
import shlex, sys
sys.path.insert(0, "tests/infra")
from dry_run import DryRun
run = DryRun(sys.argv[1])
lines, first = run.lines, run.first
steps = ["sts get-caller-identity", "acm describe-certificate --region us-east-1", "cfn-lint",
         "describe-stacks --region us-east-1 --stack-name qi-groups-citest-edge",
         "dynamodb describe-table --region ca-central-1 --table-name qi-groups-restored", "describe-continuous-backups", "describe-time-to-live",
         "cloudformation deploy --region us-east-1 --stack-name qi-groups-citest-edge --template-file infra/edge-waf.yaml", "sam deploy"]
order = [first(s) for s in steps]
if order != sorted(order):
    sys.exit(f"40-infra: dry-run steps out of order: {list(zip(steps, order))}")
deploy = shlex.split(lines[first("sam deploy")][2:])
given = dict(a.split("=", 1) for a in deploy[deploy.index("--parameter-overrides") + 1:])
want = {"WebAclArn": "<WebAclArn>", "TableName": "qi-groups-restored", "TableStreamLabel": "<LatestStreamLabel>", "DomainName": "qi.example.org"}
wrong = {k: given.get(k) for k, v in want.items() if given.get(k) != v}
if wrong:
    sys.exit(f"40-infra: the main stack does not get the edge stack's web ACL, the table or the domain: {wrong}")
print("dry run (Waf=on, TableName, domain): certificate checked in us-east-1, edge stack before the main stack, its ARN and the table's stream passed")
EOF

echo "-- infra/deploy refuses bad settings before calling anything"
refuse() { # refuse WHY VAR=VALUE...
  local why="$1"; shift
  if env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY PATH="$WORK/bin:$PATH" "$@" infra/deploy --dry-run --stage citest >"$WORK/refused.txt" 2>&1; then
    fail "infra/deploy accepted $why ($*)"
  fi
  [ ! -e "$WORK/called" ] || fail "infra/deploy called aws/sam before refusing $why"
}
refuse "a certificate outside us-east-1" DomainName=qi.example.org CertificateArn=arn:aws:acm:ca-central-1:123456789012:certificate/0a1b2c3d
refuse "a domain without a certificate" DomainName=qi.example.org
refuse "a sender outside its SES identity" MailFromAddress=qi@other.example
refuse "Waf other than on or off" Waf=maybe
refuse "a quote in a setting" 'CoachingInbox=a"b@example.org'
if infra/deploy --dry-run --stage 'Bad Stage' >/dev/null 2>&1; then fail "infra/deploy accepted a bad stage name"; fi
echo "refused: certificate region, domain without certificate, sender identity, Waf value, quotes, stage name"

echo "-- infra/deploy's real path against a scripted aws (nothing reaches AWS)"
# A fake aws that answers from FAKE_* variables and records every call; sam
# must never be reached (each scenario stops before deploying).
mkdir -p "$WORK/fake"
cat >"$WORK/fake/aws" <<'EOF'
#!/usr/bin/env bash
echo "aws $*" >>"$FAKE_LOG"
case "$*" in
  *"sts get-caller-identity"*) echo 123456789012 ;;
  *"sesv2 get-email-identity"*) echo "${FAKE_VERIFIED:-True}" ;;
  *"sesv2 get-account"*) printf '%s\t%s\n' "${FAKE_PRODUCTION:-True}" True ;;
  *"cloudformation describe-stacks"*"StackStatus"*)
    if [ -e "$FAKE_DIR/deleted" ] || [ "${FAKE_STACK:-NONE}" = NONE ]; then
      echo "An error occurred (ValidationError) when calling the DescribeStacks operation: Stack with id x does not exist" >&2; exit 255
    fi
    echo "$FAKE_STACK" ;;
  *"cloudformation delete-stack"*) touch "$FAKE_DIR/deleted" ;;
  *"cloudformation wait stack-delete-complete"*) ;;
  *"dynamodb describe-table"*)
    if [ "${FAKE_TABLE:-none}" = exists ]; then echo ACTIVE
    else echo "An error occurred (ResourceNotFoundException) when calling the DescribeTable operation: Requested resource not found" >&2; exit 255; fi ;;
  *) echo "fake aws: unexpected call: $*" >&2; exit 1 ;;
esac
EOF
printf '#!/bin/sh\necho "sam $*" >>"$FAKE_LOG"\nexit 1\n' >"$WORK/fake/sam"
chmod +x "$WORK/fake/aws" "$WORK/fake/sam"
printf 'AWS_REGION=ca-central-1\nMailFromAddress=qi-groups@example.org\nMailFromIdentity=example.org\n' >"$WORK/stage.env"
scenario() { # scenario NAME STAGE MESSAGE [VAR=VALUE...]: infra/deploy must stop, saying MESSAGE
  local name="$1" stage="$2" message="$3"; shift 3
  rm -rf "$WORK/state"; mkdir -p "$WORK/state"
  if env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY PATH="$WORK/fake:$PATH" FAKE_DIR="$WORK/state" FAKE_LOG="$WORK/state/log" "$@" \
      infra/deploy --stage "$stage" --config "$WORK/stage.env" --skip-build >"$WORK/state/out" 2>&1; then
    cat "$WORK/state/out"; fail "$name: infra/deploy did not stop"
  fi
  grep -qF -- "$message" "$WORK/state/out" || { cat "$WORK/state/out"; fail "$name: infra/deploy did not say: $message"; }
  if grep -q '^sam deploy' "$WORK/state/log"; then fail "$name: sam deploy was called"; fi
}
scenario "a failed first deploy" citest "aws dynamodb update-table --region ca-central-1 --table-name qi-groups-citest --no-deletion-protection-enabled" \
  FAKE_STACK=ROLLBACK_COMPLETE FAKE_TABLE=exists
grep -q 'cloudformation delete-stack --region ca-central-1 --stack-name qi-groups-citest' "$WORK/state/log" || fail "the ROLLBACK_COMPLETE stack was not deleted"
grep -qF "add TableName=qi-groups-citest" "$WORK/state/out" || fail "reusing the leftover table (TableName) was not offered"
"$PY" - "$WORK/state/log" <<'EOF'
import sys
log = open(sys.argv[1]).read().splitlines()
def at(s):
    return next(i for i, l in enumerate(log) if s in l)
order = [at("sts get-caller-identity"), at("sesv2 get-email-identity"), at("sesv2 get-account"), at("describe-stacks"),
         at("delete-stack"), at("stack-delete-complete"), at("describe-table")]
if order != sorted(order):
    sys.exit(f"40-infra: the failed-first-deploy path ran out of order: {log}")
EOF
scenario "a failed update rollback" citest "aws cloudformation continue-update-rollback --region ca-central-1 --stack-name qi-groups-citest" \
  FAKE_STACK=UPDATE_ROLLBACK_FAILED
if grep -q 'delete-stack' "$WORK/state/log"; then fail "a stack in UPDATE_ROLLBACK_FAILED must not be deleted"; fi
scenario "a stack busy updating" citest "is busy (UPDATE_IN_PROGRESS)" FAKE_STACK=UPDATE_IN_PROGRESS
scenario "prod in the SES sandbox" prod "refusing to deploy prod in the SES sandbox" FAKE_PRODUCTION=False
grep -qF "aws sesv2 put-account-details" "$WORK/state/out" || fail "the sandbox message does not say how to request production access"
if grep -q 'describe-stacks' "$WORK/state/log"; then fail "the SES sandbox check must come before anything else"; fi
scenario "an unverified sender identity" citest "is not verified in ca-central-1" FAKE_VERIFIED=False
echo "real path: a ROLLBACK_COMPLETE stack deleted and the leftover table explained; a failed rollback, a busy stack, prod in the SES sandbox and an unverified identity stop with what to do; sam never called"

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
echo "40-infra: all infrastructure checks passed"
