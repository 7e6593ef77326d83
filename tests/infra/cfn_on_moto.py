#!/usr/bin/env python3
"""Create infra/template.yaml, SAM-transformed, as a stack on moto's
CloudFormation, then read back with boto3 what it created: the table (keys,
index, stream, time to live), the functions (runtime, architecture, handler,
timeouts, the environment each function's code reads) and each function's
role (the actions it may take, on which key prefixes of the table). The
parts moto cannot create are checked on the transformed template instead.

    QI_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:5055 .venv/bin/python tests/infra/cfn_on_moto.py [TEMPLATE]

(TEMPLATE: another copy of the template, e.g. a drifted one that must fail.)

Run by scripts/test.d/40-infra.sh against the moto server scripts/test
starts. Without QI_TEST_DYNAMODB_ENDPOINT this is an error, never a skip.
"""

import ast
import copy
import importlib.util
import io
import json
import os
import re
import secrets
import sys
import time
import zipfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TEMPLATE = os.path.join(ROOT, "infra", "template.yaml")
REGION = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "ca-central-1"
CODE_BUCKET = "qi-groups-cfn-moto-code"
# The origin secret's dynamic reference ({{resolve:secretsmanager:...}}) is
# resolved by CloudFormation when it creates a resource; moto's
# CloudFormation neither creates the secret nor resolves the reference, so
# each such value is replaced by this one before the stack is created.
TEST_ORIGIN_SECRET = "test-origin-secret-0123456789abcdef"

FAILURES: list = []


def check(ok: bool, what: str) -> None:
    if not ok:
        FAILURES.append(what)


def fail_now(what: str) -> None:
    sys.exit(f"cfn_on_moto: FAIL: {what}")


# ------------------------------------------------------------ expectations
# The functions, their packages and the environment each one's code reads
# (functions/src/lambda.rs, env.rs, mail_lambda.rs), exactly.
COMMON_ENV = {"QI_TABLE_NAME", "QI_STAGE", "RUST_LOG"}
APP_ENV = {"QI_PUBLIC_BASE_URL", "QI_COACHING_INBOX", "QI_CYCLE", "QI_CYCLE_START", "QI_PENDING_DAYS"}
REQUEST = ("signup", "activities", "pip", "status", "coaching")
FUNCTIONS = {
    **{name: {"timeout": 10, "env": COMMON_ENV | APP_ENV | {"QI_ORIGIN_SECRET"}} for name in REQUEST},
    "reminders": {"timeout": 300, "env": COMMON_ENV | APP_ENV | {"QI_REMINDER_AFTER_PERIODS"}},
    "mailer": {"timeout": 60, "env": COMMON_ENV | {"QI_MAIL_FROM", "QI_SES_CONFIGURATION_SET", "QI_MAIL_DEAD_LETTER_QUEUE_URL"}},
    "mail-events": {"timeout": 10, "env": COMMON_ENV},
}
LOGICAL = {
    "signup": "SignupFunction",
    "activities": "ActivitiesFunction",
    "pip": "PipFunction",
    "status": "StatusFunction",
    "coaching": "CoachingFunction",
    "reminders": "RemindersFunction",
    "mailer": "MailerFunction",
    "mail-events": "MailEventsFunction",
}
# Read by the code but deliberately not set in AWS (the embedded default is used).
UNSET_ON_PURPOSE = {"QI_CREDITS_FILE"}

# Table actions each function may take, by key prefix (dynamodb:LeadingKeys):
# what functions/src/store/dynamo/ does on each function's code paths, plus
# the outbox contract (every request function and the reminder job puts
# OUTBOX# items and reads UNDELIVERABLE# ones).
UNDELIVERABLE_READ = {"dynamodb:GetItem": {"UNDELIVERABLE#*"}, "dynamodb:BatchGetItem": {"UNDELIVERABLE#*"}}


def merge(*maps):
    out: dict = {}
    for m in maps:
        for action, prefixes in m.items():
            out.setdefault(action, set()).update(prefixes)
    return out


TABLE_ACTIONS = {
    "signup": merge(
        {
            "dynamodb:GetItem": {"INVITE#*"},
            "dynamodb:ConditionCheckItem": {"INVITE#*"},
            "dynamodb:PutItem": {"GROUP#*", "TOKEN#*", "OUTBOX#*"},
            "dynamodb:UpdateItem": {"LIMIT#*"},
        },
        UNDELIVERABLE_READ,
    ),
    "activities": merge(
        {"dynamodb:Query": {"GROUP#*"}, "dynamodb:UpdateItem": {"GROUP#*"}, "dynamodb:PutItem": {"OUTBOX#*"}},
        UNDELIVERABLE_READ,
    ),
    "pip": merge(
        {
            "dynamodb:Query": {"GROUP#*"},
            "dynamodb:UpdateItem": {"GROUP#*", "PHYSICIAN#*"},
            "dynamodb:DeleteItem": {"GROUP#*"},
            "dynamodb:ConditionCheckItem": {"GROUP#*"},
            "dynamodb:PutItem": {"TOKEN#*", "OUTBOX#*"},
        },
        UNDELIVERABLE_READ,
    ),
    "status": merge(
        {
            "dynamodb:Query": {"GROUP#*"},
            "dynamodb:PutItem": {"GROUP#*", "PHYSICIAN#*", "TOKEN#*", "OUTBOX#*"},
            "dynamodb:UpdateItem": {"GROUP#*", "LIMIT#*"},
            "dynamodb:DeleteItem": {"GROUP#*", "PHYSICIAN#*"},
            "dynamodb:ConditionCheckItem": {"GROUP#*"},
            "dynamodb:GetItem": {"PHYSICIAN#*"},
        },
        UNDELIVERABLE_READ,
    ),
    "coaching": merge(
        {"dynamodb:Query": {"GROUP#*"}, "dynamodb:UpdateItem": {"GROUP#*"}, "dynamodb:PutItem": {"COACHING#*", "OUTBOX#*"}},
        UNDELIVERABLE_READ,
    ),
    "reminders": merge(
        {"dynamodb:Query": {"GROUP#*", "GROUPS"}, "dynamodb:UpdateItem": {"GROUP#*"}, "dynamodb:PutItem": {"OUTBOX#*"}},
        UNDELIVERABLE_READ,
    ),
    # The sweep lists the queued mails: the gsi1 partition OUTBOX.
    "mailer": merge({"dynamodb:GetItem": {"OUTBOX#*"}, "dynamodb:UpdateItem": {"OUTBOX#*"}, "dynamodb:Query": {"OUTBOX"}}, UNDELIVERABLE_READ),
    "mail-events": {
        "dynamodb:GetItem": {"UNDELIVERABLE#*"},
        "dynamodb:PutItem": {"UNDELIVERABLE#*"},
        "dynamodb:UpdateItem": {"UNDELIVERABLE#*"},
    },
}
STREAM_ACTIONS = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"}

# Resource types this test reads back from moto: if moto could not create
# one of them, the test would prove nothing.
RELIED_ON = {"AWS::DynamoDB::Table", "AWS::Lambda::Function", "AWS::IAM::Role", "AWS::SQS::Queue", "AWS::Logs::LogGroup"}
# Why each type moto's CloudFormation lacks (or cannot wire) is left out.
DROP_REASONS = {
    "AWS::Lambda::Alias": "moto's CloudFormation has no Lambda aliases (checked on the template: every caller uses the live alias)",
    "AWS::CodeDeploy::Application": "moto's CloudFormation has no CodeDeploy (deployment preferences checked on the template)",
    "AWS::CodeDeploy::DeploymentGroup": "moto's CloudFormation has no CodeDeploy (rollback alarms checked on the template)",
    "AWS::CloudWatch::Alarm": "moto's CloudFormation has no alarms (names, metrics and actions checked on the template)",
    "AWS::SecretsManager::Secret": "moto's CloudFormation has no secrets (its dynamic references are replaced by a test value)",
    "AWS::SES::ConfigurationSet": "moto's CloudFormation has no SES resources",
    "AWS::SES::ConfigurationSetEventDestination": "moto's CloudFormation has no SES resources",
    "AWS::SNS::Subscription": "moto's CloudFormation has no SNS subscriptions (checked on the template)",
    "AWS::SNS::TopicPolicy": "moto's CloudFormation has no SNS topic policies",
    "AWS::Scheduler::Schedule": "moto's CloudFormation has no EventBridge Scheduler (its target checked on the template)",
    "AWS::S3::BucketPolicy": "moto's CloudFormation has no bucket policies",
    "AWS::CloudFront::Distribution": "moto's CloudFormation has no CloudFront (origin header and web ACL checked on the template)",
    "AWS::CloudFront::Function": "moto's CloudFormation has no CloudFront (the function runs in node: pretty-urls.test.mjs)",
    "AWS::CloudFront::OriginAccessControl": "moto's CloudFormation has no CloudFront",
    "AWS::CloudFront::ResponseHeadersPolicy": "moto's CloudFormation has no CloudFront",
    "AWS::CloudFront::CachePolicy": "moto's CloudFormation has no CloudFront",
    "AWS::ApiGatewayV2::Api": "moto's CloudFormation has no HTTP APIs (routes checked by functions/tests/dynamo_schema.rs)",
    "AWS::ApiGatewayV2::Stage": "moto's CloudFormation has no HTTP APIs",
    "AWS::ApiGatewayV2::Integration": "moto's CloudFormation has no HTTP APIs (integrations' alias checked on the template)",
    "AWS::ApiGatewayV2::Route": "moto's CloudFormation has no HTTP APIs",
    # Supported by moto, but they name a function's alias, which moto cannot create.
    "AWS::Lambda::Permission": "names the live alias, which moto's CloudFormation cannot create (checked on the template)",
    "AWS::Lambda::EventSourceMapping": "names the live alias, which moto's CloudFormation cannot create (checked on the template)",
}
ALIAS_USERS = {"AWS::Lambda::Permission", "AWS::Lambda::EventSourceMapping"}


# ------------------------------------------------------------------- setup
def load_sam_transform():
    spec = importlib.util.spec_from_file_location("sam_transform", os.path.join(ROOT, "infra", "sam_transform.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def moto_types() -> set:
    from moto.cloudformation.parsing import get_model_map

    return set(get_model_map())


def drop_unsupported(template: dict) -> tuple:
    """Remove the resources moto cannot create; every Ref, GetAtt, Sub
    variable and DependsOn naming them becomes a placeholder (or goes)."""
    supported = moto_types()
    resources = template["Resources"]
    dropped = {}
    for logical, res in resources.items():
        kind = res["Type"]
        if kind not in supported or kind in ALIAS_USERS:
            dropped[logical] = kind
    types = set(dropped.values())
    relied = types & RELIED_ON
    if relied:
        fail_now(f"moto's CloudFormation cannot create {sorted(relied)}, which this test reads back")
    unexplained = types - set(DROP_REASONS)
    if unexplained:
        fail_now(f"resource types moto cannot create and this test does not account for: {sorted(unexplained)}")
    for logical in dropped:
        del resources[logical]

    def placeholder(name, attr=None):
        return f"dropped-{name}" + (f"-{attr}" if attr else "")

    def sub_text(text):
        def repl(m):
            ref = m.group(1)
            name, _, attr = ref.partition(".")
            return placeholder(name, attr or None) if name in dropped else m.group(0)

        return re.sub(r"\$\{([A-Za-z0-9:.]+)\}", repl, text)

    def walk(node):
        if isinstance(node, dict):
            if len(node) == 1:
                (key, value), = node.items()
                if key == "Ref" and value in dropped:
                    return placeholder(value)
                if key == "Fn::GetAtt":
                    name, attr = (value.split(".", 1) if isinstance(value, str) else value)
                    if name in dropped:
                        return placeholder(name, attr)
                if key == "Fn::Sub":
                    text = value if isinstance(value, str) else value[0]
                    if "{{resolve:secretsmanager:" in text:
                        return TEST_ORIGIN_SECRET
                    if isinstance(value, str):
                        return {"Fn::Sub": sub_text(value)}
                    return {"Fn::Sub": [sub_text(value[0]), walk(value[1])]}
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, str) and "{{resolve:secretsmanager:" in node:
            return TEST_ORIGIN_SECRET
        return node

    for logical, res in list(resources.items()):
        res = walk(res)
        deps = res.get("DependsOn")
        if isinstance(deps, str):
            deps = [deps]
        if deps is not None:
            deps = [d for d in deps if d not in dropped]
            if deps:
                res["DependsOn"] = deps
            else:
                res.pop("DependsOn")
        resources[logical] = res
    template["Outputs"] = {k: v for k, v in walk(template.get("Outputs", {})).items() if "dropped-" not in json.dumps(v)}
    return template, dropped


def bootstrap_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        z.writestr(info, "#!/bin/sh\necho not a real function\n")
    return buf.getvalue()


# ------------------------------------------------------------ static checks
def ref_of(node):
    return node.get("Ref") if isinstance(node, dict) else None


def check_transformed(t: dict, stage: str) -> None:
    """What moto cannot create, checked on the transformed template."""
    r = t["Resources"]
    aliases = {k: v for k, v in r.items() if v["Type"] == "AWS::Lambda::Alias"}
    alias_of = {}
    for name, logical in LOGICAL.items():
        alias = f"{logical}Aliaslive"
        check(alias in aliases and aliases[alias]["Properties"]["Name"] == "live", f"{name}: no live alias")
        alias_of[logical] = alias
        group = r.get(f"{logical}DeploymentGroup", {}).get("Properties", {})
        alarms = [ref_of(a["Name"]) for a in group.get("AlarmConfiguration", {}).get("Alarms", [])]
        errors_alarm = f"{logical.removesuffix('Function')}ErrorsAlarm"
        check(errors_alarm in alarms, f"{name}: its errors alarm is not a rollback alarm (got {alarms})")
        config = json.dumps(group.get("DeploymentConfigName"))
        check("IsProd" in config and "Canary10Percent5Minutes" in config and "AllAtOnce" in config,
              f"{name}: deployment is not canary in prod, all at once elsewhere ({config})")
        check(aliases.get(alias, {}).get("UpdatePolicy", {}).get("CodeDeployLambdaAliasUpdate") is not None,
              f"{name}: its alias is not moved by CodeDeploy")
    for logical, res in r.items():
        props = res.get("Properties", {})
        if res["Type"] == "AWS::ApiGatewayV2::Integration":
            check(ref_of(props.get("IntegrationUri")) in alias_of.values(), f"{logical}: IntegrationUri is not a live alias")
        if res["Type"] == "AWS::Lambda::Permission":
            check(ref_of(props.get("FunctionName")) in alias_of.values(), f"{logical}: FunctionName is not a live alias")
        if res["Type"] == "AWS::SNS::Subscription" and props.get("Protocol") == "lambda":
            check(ref_of(props.get("Endpoint")) == alias_of["MailEventsFunction"], f"{logical}: mail events go to {props.get('Endpoint')}")
        if res["Type"] == "AWS::Lambda::Function":
            # moto's CloudFormation drops these two: checked here.
            check(props.get("Architectures") == ["arm64"], f"{logical}: architectures {props.get('Architectures')}")
            role = props.get("Role", {}).get("Fn::GetAtt", [None])[0]
            managed = r.get(role, {}).get("Properties", {}).get("ManagedPolicyArns")
            check(managed == ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
                  f"{logical}: managed policies {managed} (only AWSLambdaBasicExecutionRole: its logs)")
    sched = r["RemindersSchedule"]["Properties"]["Target"]
    check(ref_of(sched["Arn"]) == alias_of["RemindersFunction"], "the schedule does not invoke the reminders alias")
    role_stmt = r["RemindersScheduleRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]
    check(ref_of(role_stmt["Resource"]) == alias_of["RemindersFunction"], "the schedule's role may invoke more than the alias")
    sweep = r["MailerSweepSchedule"]["Properties"]
    check(ref_of(sweep["Target"]["Arn"]) == alias_of["MailerFunction"], "the mail sweep does not invoke the mailer's alias")
    check(sweep["ScheduleExpression"] == "rate(5 minutes)", "the mail sweep runs every 5 minutes")
    check("Records" not in sweep["Target"].get("Input", ""), "the sweep's input must not look like a stream batch")
    sweep_stmt = r["MailerSweepScheduleRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]
    check(ref_of(sweep_stmt["Resource"]) == alias_of["MailerFunction"], "the sweep's role may invoke more than the mailer's alias")

    esm = r["MailerStreamMapping"]["Properties"]
    check(ref_of(esm["FunctionName"]) == alias_of["MailerFunction"], "the stream mapping does not invoke the mailer's alias")
    check(esm.get("StartingPosition") == "TRIM_HORIZON", "stream mapping: StartingPosition")
    check(esm.get("BatchSize") == 10, "stream mapping: BatchSize")
    check(0 < esm.get("MaximumBatchingWindowInSeconds", 0) <= 5, "stream mapping: batching window")
    check(esm.get("FunctionResponseTypes") == ["ReportBatchItemFailures"], "stream mapping: ReportBatchItemFailures")
    check(esm.get("BisectBatchOnFunctionError") is True, "stream mapping: bisect on error")
    check(1 <= esm.get("MaximumRetryAttempts", 0) <= 10, "stream mapping: MaximumRetryAttempts")
    check(0 < esm.get("MaximumRecordAgeInSeconds", 0) <= 86400, "stream mapping: MaximumRecordAgeInSeconds")
    check(esm.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination") == {"Fn::GetAtt": ["MailDeadLetterQueue", "Arn"]},
          "stream mapping: failures do not go to the mail dead-letter queue")
    patterns = [json.loads(f["Pattern"]) for f in esm.get("FilterCriteria", {}).get("Filters", [])]
    check(patterns == [{"eventName": ["INSERT"], "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "OUTBOX#"}]}}}}],
          f"stream mapping: filter is not INSERTs of OUTBOX# items ({patterns})")
    check("Table" in json.dumps(esm.get("EventSourceArn")) and "StreamArn" in json.dumps(esm.get("EventSourceArn")),
          "stream mapping: not the table's stream")
    dest = r["MailEventDestination"]["Properties"]["EventDestination"]
    check(sorted(dest["MatchingEventTypes"]) == ["bounce", "complaint"], "SES event destination: bounces and complaints")
    check(ref_of(dest["SnsDestination"]["TopicARN"]) == "MailEventsTopic", "SES events do not go to MailEventsTopic")
    key_services = [s["Principal"].get("Service") for s in r["AlarmTopicKey"]["Properties"]["KeyPolicy"]["Statement"]]
    check("ses.amazonaws.com" in key_services and "cloudwatch.amazonaws.com" in key_services,
          "the topics' key does not let SES and CloudWatch publish")
    check(r["MailConfigurationSet"]["Properties"]["Name"] == {"Fn::Sub": "qi-groups-${Stage}"}, "configuration set name")

    origins = r["Distribution"]["Properties"]["DistributionConfig"]["Origins"]
    api = [o for o in origins if o["Id"] == "api"][0]
    headers = {h["HeaderName"]: h["HeaderValue"] for h in api.get("OriginCustomHeaders", [])}
    check("{{resolve:secretsmanager:${OriginSecret}:SecretString}}" in json.dumps(headers.get("X-Qi-Origin-Verify")),
          "the API origin does not send X-Qi-Origin-Verify from the origin secret")
    site = [o for o in origins if o["Id"] == "site"][0]
    check("OriginCustomHeaders" not in site, "the site origin must not carry the origin secret")
    check("HasWebAcl" in json.dumps(r["Distribution"]["Properties"]["DistributionConfig"].get("WebACLId")),
          "the distribution does not use WebAclArn")
    gen = r["OriginSecret"]["Properties"]["GenerateSecretString"]
    check(gen.get("ExcludePunctuation") is True and gen.get("PasswordLength", 0) >= 32, "origin secret: long, no punctuation")

    alarms = {json.dumps(v["Properties"]["AlarmName"]): v["Properties"] for v in r.values() if v["Type"] == "AWS::CloudWatch::Alarm"}
    wanted = [f"qi-groups-${{Stage}}-{n}-{k}" for n in FUNCTIONS for k in ("errors", "throttles")] + [
        "qi-groups-${Stage}-api-5xx",
        "qi-groups-${Stage}-mail-dead-letters",
        "qi-groups-${Stage}-mail-delayed",
        "qi-groups-${Stage}-table-read-throttles",
        "qi-groups-${Stage}-table-write-throttles",
        "qi-groups-${Stage}-table-system-errors",
        "qi-groups-${Stage}-ses-bounce-rate",
        "qi-groups-${Stage}-ses-complaint-rate",
    ]
    for name in wanted:
        props = alarms.get(json.dumps({"Fn::Sub": name}))
        check(props is not None, f"alarm {name} missing")
        if props:
            check(props.get("AlarmActions") == [{"Ref": "AlarmTopic"}], f"alarm {name} does not notify AlarmTopic")
            check(props.get("TreatMissingData") == "notBreaching", f"alarm {name}: missing data should not breach")
    dlq = alarms.get(json.dumps({"Fn::Sub": "qi-groups-${Stage}-mail-dead-letters"}), {})
    check(dlq.get("MetricName") == "ApproximateNumberOfMessagesVisible" and dlq.get("Threshold") == 1, "dead-letter alarm: ≥ 1 visible message")
    for name, metric, most in (("ses-bounce-rate", "Reputation.BounceRate", 0.05), ("ses-complaint-rate", "Reputation.ComplaintRate", 0.001)):
        a = alarms.get(json.dumps({"Fn::Sub": f"qi-groups-${{Stage}}-{name}"}), {})
        check(a.get("Namespace") == "AWS/SES" and a.get("MetricName") == metric and 0 < a.get("Threshold", 1) <= most,
              f"alarm {name}: {metric} at most {most}")


# ------------------------------------------------------------- moto checks
def statements_of(iam, role_name):
    out = []
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        doc = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        if isinstance(doc, str):
            # moto keeps a CloudFormation-made inline policy as the Python
            # repr of its dict, not JSON.
            try:
                doc = json.loads(doc)
            except json.JSONDecodeError:
                doc = ast.literal_eval(doc)
        st = doc["Statement"]
        out.extend(st if isinstance(st, list) else [st])
    return out


def as_list(x):
    return x if isinstance(x, list) else [x]


def check_role(iam, name, role_arn, table_arn, queue_arn) -> None:
    role_name = role_arn.rsplit("/", 1)[1]
    table_actions: dict = {}
    other = []
    for st in statements_of(iam, role_name):
        check(st.get("Effect") == "Allow", f"{name}: a statement that is not Allow")
        actions = as_list(st["Action"])
        resources = as_list(st["Resource"])
        check("*" not in resources, f"{name}: Resource * in {st}")
        check(all("*" not in a for a in actions), f"{name}: wildcard action in {actions}")
        stream = [a for a in actions if a in STREAM_ACTIONS]
        table = [a for a in actions if a.startswith("dynamodb:") and a not in STREAM_ACTIONS]
        if stream:
            check(resources == [f"{table_arn}/stream/*"], f"{name}: stream actions on {resources}, not the table's stream")
            other.extend(stream)
        if table:
            keys = st.get("Condition", {}).get("ForAllValues:StringLike", {}).get("dynamodb:LeadingKeys")
            check(keys is not None, f"{name}: table actions {table} without a LeadingKeys condition")
            check(all(r in (table_arn, f"{table_arn}/index/gsi1") for r in resources), f"{name}: table actions on {resources}")
            for a in table:
                table_actions.setdefault(a, set()).update(as_list(keys or []))
        for a in actions:
            if not a.startswith("dynamodb:"):
                other.append(a)
                if a == "ses:SendEmail":
                    if any(r.endswith(":identity/*") for r in resources):
                        check(st.get("Condition", {}).get("StringEquals", {}).get("ses:FromAddress") == "qi-groups@example.org",
                              f"{name}: ses:SendEmail on identities without the ses:FromAddress condition")
                    else:
                        check(all(":configuration-set/" in r for r in resources), f"{name}: ses:SendEmail on {resources}")
                elif a == "sqs:SendMessage":
                    check(resources == [queue_arn], f"{name}: sqs:SendMessage on {resources}")
    expected = TABLE_ACTIONS[name]
    check(table_actions == expected,
          f"{name}: table actions by key prefix differ:\n      got      {sorted((k, sorted(v)) for k, v in table_actions.items())}\n"
          f"      expected {sorted((k, sorted(v)) for k, v in expected.items())}")
    want_other = sorted(STREAM_ACTIONS | {"sqs:SendMessage", "ses:SendEmail"}) if name == "mailer" else []
    check(sorted(set(other)) == want_other, f"{name}: non-table actions {sorted(set(other))}, expected {want_other}")
    if name == "mailer":
        check(other.count("ses:SendEmail") == 2, "mailer: ses:SendEmail on the identities and on the configuration set")


def env_names_in_code() -> set:
    names = set()
    for rel in ("functions/src/lambda.rs", "functions/src/env.rs", "functions/src/mail_lambda.rs"):
        path = os.path.join(ROOT, rel)
        if os.path.exists(path):
            names |= set(re.findall(r'"(QI_[A-Z_]+)"', open(path, encoding="utf-8").read()))
    return names


def main() -> None:
    endpoint = os.environ.get("QI_TEST_DYNAMODB_ENDPOINT", "").strip()
    if not endpoint:
        fail_now("QI_TEST_DYNAMODB_ENDPOINT is not set (scripts/test starts moto and sets it; or run "
                 ".venv/bin/python scripts/moto-server.py --port 5055 and export it)")
    import boto3

    session = boto3.session.Session(aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
                                    aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"), region_name=REGION)

    def client(service):
        return session.client(service, endpoint_url=endpoint)

    stage = "motocfn" + secrets.token_hex(3)
    stack = f"qi-groups-{stage}"
    table_name = f"qi-groups-{stage}"

    sam = load_sam_transform()
    template_path = sys.argv[1] if len(sys.argv) > 1 else TEMPLATE
    transformed = sam.transform(template_path, REGION, CODE_BUCKET)
    check_transformed(copy.deepcopy(transformed), stage)
    # Every function's version is named by ReleaseDigest: another digest,
    # another version of each (so a changed setting reaches the alias).
    versions = {}
    for digest in ("aaaaaaaaaaaa", "bbbbbbbbbbbb"):
        t = sam.transform(template_path, REGION, CODE_BUCKET, {"ReleaseDigest": digest})
        versions[digest] = {k for k, v in t["Resources"].items() if v["Type"] == "AWS::Lambda::Version"}
    for logical in LOGICAL.values():
        check(f"{logical}Versionaaaaaaaaaa" in versions["aaaaaaaaaaaa"] and f"{logical}Versionbbbbbbbbbb" in versions["bbbbbbbbbbbb"],
              f"{logical}: its version is not named by ReleaseDigest (AutoPublishCodeSha256)")
    template, dropped = drop_unsupported(copy.deepcopy(transformed))
    by_type: dict = {}
    for logical, kind in dropped.items():
        by_type.setdefault(kind, []).append(logical)
    print(f"cfn_on_moto: left out {len(dropped)} resources moto's CloudFormation cannot create:")
    for kind in sorted(by_type):
        print(f"  {len(by_type[kind]):3d} {kind}: {DROP_REASONS[kind]}")

    s3 = client("s3")
    try:
        s3.create_bucket(Bucket=CODE_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    code = bootstrap_zip()
    for name in FUNCTIONS:
        s3.put_object(Bucket=CODE_BUCKET, Key=sam.code_key(name), Body=code)

    cfn = client("cloudformation")
    parameters = [{"ParameterKey": "Stage", "ParameterValue": stage}, {"ParameterKey": "ReleaseDigest", "ParameterValue": "0123456789ab"}]
    cfn.create_stack(StackName=stack, TemplateBody=json.dumps(template), Parameters=parameters,
                     Capabilities=["CAPABILITY_IAM"])
    for _ in range(120):
        status = cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
        if not status.endswith("IN_PROGRESS"):
            break
        time.sleep(0.5)
    if status != "CREATE_COMPLETE":
        events = cfn.describe_stack_events(StackName=stack)["StackEvents"]
        reasons = [f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}" for e in events if "FAILED" in e["ResourceStatus"]]
        fail_now(f"stack {stack} is {status}: {reasons}")
    print(f"cfn_on_moto: stack {stack} created ({len(template['Resources'])} resources)")

    try:
        ddb, lam, iam, sqs = client("dynamodb"), client("lambda"), client("iam"), client("sqs")
        # The table.
        t = ddb.describe_table(TableName=table_name)["Table"]
        check([(k["AttributeName"], k["KeyType"]) for k in t["KeySchema"]] == [("pk", "HASH"), ("sk", "RANGE")], "table key schema")
        gsis = {g["IndexName"]: g for g in t.get("GlobalSecondaryIndexes", [])}
        check(list(gsis) == ["gsi1"], f"table indexes {list(gsis)}")
        if "gsi1" in gsis:
            check([(k["AttributeName"], k["KeyType"]) for k in gsis["gsi1"]["KeySchema"]] == [("gsi1pk", "HASH"), ("gsi1sk", "RANGE")],
                  "gsi1 key schema")
            check(gsis["gsi1"]["Projection"]["ProjectionType"] == "ALL", "gsi1 projection")
        check(t.get("StreamSpecification") == {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
              f"table stream {t.get('StreamSpecification')}, expected KEYS_ONLY")
        check(bool(t.get("LatestStreamArn")), "table has no stream ARN")
        check(t.get("BillingModeSummary", {}).get("BillingMode") == "PAY_PER_REQUEST", "table billing")
        check(t.get("DeletionProtectionEnabled") is True, "table deletion protection")
        ttl = ddb.describe_time_to_live(TableName=table_name).get("TimeToLiveDescription", {})
        ttl_note = ""
        if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
            check(ttl.get("AttributeName") == "ttl", f"time to live on {ttl.get('AttributeName')}")
        else:
            ttl_note = f" (moto reports time to live as {ttl.get('TimeToLiveStatus')}; the template's setting is checked by dynamo_schema.rs)"
        table_arn = t["TableArn"]

        queue_url = sqs.get_queue_url(QueueName=f"qi-groups-{stage}-mail-dead-letters")["QueueUrl"]
        qa = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
        check(qa.get("MessageRetentionPeriod") == "1209600", f"dead-letter queue keeps messages {qa.get('MessageRetentionPeriod')} s, not 14 days")
        check(qa.get("KmsMasterKeyId") == "alias/aws/sqs", "dead-letter queue not encrypted with KMS")
        queue_arn = qa["QueueArn"]

        # The functions.
        read_by_code = env_names_in_code()
        set_anywhere = set()
        for name, want in FUNCTIONS.items():
            fn = f"qi-groups-{stage}-{name}"
            try:
                c = lam.get_function(FunctionName=fn)["Configuration"]
            except lam.exceptions.ResourceNotFoundException:
                check(False, f"function {fn} not created")
                continue
            check(c.get("Runtime") == "provided.al2023", f"{name}: runtime {c.get('Runtime')}")
            # Architectures and the managed policies: on the template
            # (check_transformed), as moto's CloudFormation ignores them.
            check(c.get("Handler") == "bootstrap", f"{name}: handler {c.get('Handler')}")
            check(c.get("Timeout") == want["timeout"], f"{name}: timeout {c.get('Timeout')}, expected {want['timeout']}")
            check(c.get("MemorySize") == 256, f"{name}: memory {c.get('MemorySize')}")
            env = c.get("Environment", {}).get("Variables", {})
            set_anywhere |= set(env)
            check(set(env) == want["env"], f"{name}: environment {sorted(env)}, expected {sorted(want['env'])}")
            check(env.get("QI_TABLE_NAME") == table_name, f"{name}: QI_TABLE_NAME {env.get('QI_TABLE_NAME')}")
            if "QI_ORIGIN_SECRET" in want["env"]:
                check(env.get("QI_ORIGIN_SECRET") == TEST_ORIGIN_SECRET, f"{name}: QI_ORIGIN_SECRET is not the origin secret")
            if name == "mailer":
                check(env.get("QI_MAIL_FROM") == "qi-groups@example.org", "mailer: QI_MAIL_FROM")
                # moto's Ref gives the queue's AWS address, get_queue_url moto's own.
                dlq_url = env.get("QI_MAIL_DEAD_LETTER_QUEUE_URL", "")
                check(dlq_url.startswith("https://sqs.") and dlq_url.rsplit("/", 2)[-2:] == queue_url.rsplit("/", 2)[-2:],
                      f"mailer: QI_MAIL_DEAD_LETTER_QUEUE_URL {dlq_url} is not the queue {queue_url}")
                check(env.get("QI_SES_CONFIGURATION_SET") == "dropped-MailConfigurationSet", "mailer: QI_SES_CONFIGURATION_SET is not the configuration set")
            if name == "reminders":
                check(env.get("QI_REMINDER_AFTER_PERIODS") == "2", "reminders: QI_REMINDER_AFTER_PERIODS")
            logs = client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{fn}")["logGroups"]
            check([g.get("retentionInDays") for g in logs if g["logGroupName"] == f"/aws/lambda/{fn}"] == [365], f"{name}: log group")
            check_role(iam, name, c["Role"], table_arn, queue_arn)
        missing = read_by_code - set_anywhere - UNSET_ON_PURPOSE
        check(not missing, f"read by the functions' code but set on no function: {sorted(missing)}")
        if "QI_ORIGIN_SECRET" not in read_by_code:
            print("cfn_on_moto: note: functions/src does not read QI_ORIGIN_SECRET yet (the Rust side's part of issue 14)")
        topics = client("sns").list_topics()["Topics"]
        for topic in (f"qi-groups-{stage}-alarms", f"qi-groups-{stage}-mail-events"):
            arns = [x["TopicArn"] for x in topics if x["TopicArn"].endswith(":" + topic)]
            check(len(arns) == 1, f"topic {topic} missing")
            if arns:
                attrs = client("sns").get_topic_attributes(TopicArn=arns[0])["Attributes"]
                check(bool(attrs.get("KmsMasterKeyId")), f"topic {topic} not encrypted")
    finally:
        cfn.delete_stack(StackName=stack)
        # The table is retained with its stack (and deletion-protected), as in AWS.
        try:
            ddb = client("dynamodb")
            ddb.update_table(TableName=table_name, DeletionProtectionEnabled=False)
            ddb.delete_table(TableName=table_name)
        except Exception:  # noqa: BLE001 - best-effort cleanup of a test stack
            pass

    if FAILURES:
        sys.exit("cfn_on_moto: FAIL:\n  - " + "\n  - ".join(FAILURES))
    print(f"cfn_on_moto: table (keys, gsi1, KEYS_ONLY stream, deletion protection, time to live{ttl_note}), "
          f"{len(FUNCTIONS)} functions (runtime, arm64, handler, timeouts, environment) and their roles "
          "(actions by key prefix) as expected; aliases, releases, stream mapping, SES events, origin header and alarms "
          "checked on the transformed template")


if __name__ == "__main__":
    main()
