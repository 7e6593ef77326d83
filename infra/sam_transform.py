#!/usr/bin/env python3
"""Apply the SAM transform to infra/template.yaml locally, as CloudFormation
would, with the AWS SAM translator library (aws-sam-translator).

    python3 infra/sam_transform.py [TEMPLATE] [--region R] [--code-bucket B]
                                   [--json OUT] [--param KEY=VALUE ...]

Prints the resources the transform produces, by type (infra/deploy's dry run
and pre-deploy check), or writes the whole transformed template as JSON
(--json; tests/infra/cfn_on_moto.py). A template the transform refuses
exits 1 with SAM's messages.

`sam deploy` uploads each local CodeUri (../target-lambda/packages/...) to
S3 first and the transform only accepts S3 locations, so each CodeUri is
replaced here by s3://<code bucket>/<function>/bootstrap.zip. Nothing is
called in AWS: SAM's managed policy names are not used by this template
(every policy is written out), so no IAM lookup is needed.
"""

import argparse
import collections
import json
import logging
import os
import re
import sys

CODE_URI = re.compile(r"^\.\./target-lambda/packages/([a-z0-9_-]+)/bootstrap\.zip$")


class _NoManagedPolicies:
    """The translator asks for managed policy ARNs only when a function lists
    a policy by name; this template never does."""

    def load(self):
        return {}


def code_key(function: str) -> str:
    return f"{function}/bootstrap.zip"


def load(path: str) -> dict:
    from samtranslator.yaml_helper import yaml_parse

    with open(path, encoding="utf-8") as f:
        return yaml_parse(f.read())


def rewrite_code_uris(template: dict, bucket: str) -> list:
    """Point every function's local package at s3://bucket/<name>/bootstrap.zip;
    returns the package names."""
    names = []
    for logical, res in template.get("Resources", {}).items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        uri = res.get("Properties", {}).get("CodeUri")
        m = CODE_URI.match(uri) if isinstance(uri, str) else None
        if not m:
            raise SystemExit(f"sam_transform: {logical}: CodeUri {uri!r} is not ../target-lambda/packages/<name>/bootstrap.zip")
        res["Properties"]["CodeUri"] = f"s3://{bucket}/{code_key(m.group(1))}"
        names.append(m.group(1))
    return names


def transform(path: str, region: str = "ca-central-1", bucket: str = "qi-groups-code", params: dict | None = None) -> dict:
    """The template at `path` after the SAM transform (a plain CloudFormation
    template as a dict)."""
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform as sam_transform

    template = load(path)
    rewrite_code_uris(template, bucket)
    values = dict(params or {})
    values.setdefault("AWS::Region", region)
    # The translator reads the region from the environment when it has no
    # session of its own.
    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    # A notice per function about a feature toggle the library ships without.
    logging.getLogger("samtranslator").setLevel(logging.ERROR)
    try:
        return sam_transform(template, values, _NoManagedPolicies())
    except InvalidDocumentException as e:
        problems = "\n  ".join(str(c) for c in e.causes)
        raise SystemExit(f"sam_transform: the SAM transform refused {path}:\n  {problems}") from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", nargs="?", default="infra/template.yaml")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION") or "ca-central-1")
    parser.add_argument("--code-bucket", default="qi-groups-code")
    parser.add_argument("--json", help="write the transformed template to this file")
    parser.add_argument("--param", action="append", default=[], help="KEY=VALUE (template parameter)")
    args = parser.parse_args()
    params = dict(p.split("=", 1) for p in args.param)
    out = transform(args.template, args.region, args.code_bucket, params)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1, sort_keys=True)
    counts = collections.Counter(r["Type"] for r in out["Resources"].values())
    print(f"SAM transform of {args.template}: {sum(counts.values())} resources")
    for kind, n in sorted(counts.items()):
        print(f"  {n:3d} {kind}")


if __name__ == "__main__":
    sys.exit(main())
