"""``backfill --batch-operations``: S3 Batch Operations jobs that invoke the function per object.

For buckets too large for one machine. Two kinds of manifest:

* ``generate`` (default): one job per rule, with ``ManifestGenerator.S3JobManifestGenerator``
  over the bucket filtered by the rule's prefix and suffix (``KeyNameConstraint``) and the
  time range (``CreatedAfter``/``CreatedBefore``). S3 lists the bucket itself.
* ``csv``: this command lists and filters the bucket (as a backfill does), writes a CSV
  manifest (``bucket,URL-encoded key[,version id]``) under the report prefix, and creates
  one job over it.

Every job: ``Operation.LambdaInvoke`` with the function ARN and ``InvocationSchemaVersion``
"2.0" (the handler answers each task: handler.batch_operations), a completion report of all
tasks (``Report_CSV_20180820``) under the report prefix, the module's Batch Operations role
(``create_batch_operations_role = true``, output ``batch_operations_role_arn``), priority 10,
no confirmation step. Neither emulator runs these jobs; the requests are tested with
botocore's Stubber.
"""

from __future__ import annotations

import argparse
import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TextIO
from urllib.parse import quote

from .checkpoint import Item
from .deployment import OperationError, client, describe
from .listing import pages
from .plan import Plan, bucket_region, lists_versions
from .rules import Rule

SCHEMA_VERSION = "2.0"
PRIORITY = 10
DEFAULT_REPORT_PREFIX = "s3-lambda-trigger/batch-operations/"


def arn_parts(function_arn: str) -> tuple[str, str]:
    """(partition, account id) of a Lambda function ARN."""
    parts = function_arn.split(":")
    if len(parts) < 7 or parts[0] != "arn" or parts[2] != "lambda":
        raise ValueError(f"not a Lambda function ARN: {function_arn!r}")
    return parts[1], parts[4]


def _common(
    *,
    function_arn: str,
    role_arn: str,
    report_bucket: str,
    report_prefix: str,
    description: str,
    token: str,
) -> dict[str, Any]:
    partition, account = arn_parts(function_arn)
    return {
        "AccountId": account,
        "ConfirmationRequired": False,
        "Operation": {
            "LambdaInvoke": {"FunctionArn": function_arn, "InvocationSchemaVersion": SCHEMA_VERSION}
        },
        "Report": {
            "Bucket": f"arn:{partition}:s3:::{report_bucket}",
            "Format": "Report_CSV_20180820",
            "Enabled": True,
            "Prefix": report_prefix.rstrip("/"),
            "ReportScope": "AllTasks",
        },
        "ClientRequestToken": token,
        "Description": description[:256],
        "Priority": PRIORITY,
        "RoleArn": role_arn,
    }


def generator_requests(
    *,
    bucket: str,
    rules: Sequence[Rule],
    function_arn: str,
    role_arn: str,
    report_bucket: str,
    report_prefix: str,
    since: datetime | None = None,
    before: datetime | None = None,
    token: Callable[[], str] = lambda: str(uuid.uuid4()),
) -> list[dict[str, Any]]:
    """One CreateJob request per rule, each with an S3JobManifestGenerator."""
    partition, _ = arn_parts(function_arn)
    requests = []
    for rule in rules:
        constraint: dict[str, list[str]] = {}
        if rule.prefix:
            constraint["MatchAnyPrefix"] = [rule.prefix]
        if rule.suffix:
            constraint["MatchAnySuffix"] = [rule.suffix]
        flt: dict[str, Any] = {}
        if constraint:
            flt["KeyNameConstraint"] = constraint
        if since is not None:
            flt["CreatedAfter"] = since
        if before is not None:
            flt["CreatedBefore"] = before
        generator: dict[str, Any] = {
            "SourceBucket": f"arn:{partition}:s3:::{bucket}",
            "EnableManifestOutput": False,
        }
        if flt:
            generator["Filter"] = flt
        request = _common(
            function_arn=function_arn,
            role_arn=role_arn,
            report_bucket=report_bucket,
            report_prefix=report_prefix,
            description=f"s3-lambda-trigger backfill s3://{bucket}/{rule.prefix}*{rule.suffix}",
            token=token(),
        )
        request["ManifestGenerator"] = {"S3JobManifestGenerator": generator}
        requests.append(request)
    return requests


def csv_manifest(bucket: str, items: Iterable[Item]) -> tuple[bytes, bool]:
    """The CSV manifest (keys URL-encoded, as Batch Operations requires) and whether it has
    a version id column (when any item has a version id)."""
    rows = list(items)
    versioned = any(i[4] for i in rows)
    lines = []
    for key, _, _, _, version in rows:
        line = f"{bucket},{quote(key, safe='/')}"
        if versioned:
            line += f",{version or ''}"
        lines.append(line + "\n")
    return "".join(lines).encode(), versioned


def manifest_request(
    *,
    bucket: str,
    manifest_bucket: str,
    manifest_key: str,
    manifest_etag: str,
    versioned: bool,
    function_arn: str,
    role_arn: str,
    report_bucket: str,
    report_prefix: str,
    token: str,
) -> dict[str, Any]:
    partition, _ = arn_parts(function_arn)
    request = _common(
        function_arn=function_arn,
        role_arn=role_arn,
        report_bucket=report_bucket,
        report_prefix=report_prefix,
        description=f"s3-lambda-trigger backfill s3://{bucket} (CSV manifest)",
        token=token,
    )
    request["Manifest"] = {
        "Spec": {
            "Format": "S3BatchOperations_CSV_20180820",
            "Fields": ["Bucket", "Key", "VersionId"] if versioned else ["Bucket", "Key"],
        },
        "Location": {
            "ObjectArn": f"arn:{partition}:s3:::{manifest_bucket}/{manifest_key}",
            "ETag": manifest_etag.strip('"'),
        },
    }
    return request


def create_jobs(s3control: Any, requests: Sequence[dict[str, Any]]) -> list[str]:
    """Send the CreateJob requests; the job ids."""
    return [str(s3control.create_job(**request)["JobId"]) for request in requests]


# --- the command ---------------------------------------------------------------------------


def create(args: argparse.Namespace, the_plan: Plan, sess: Any, out: TextIO) -> None:
    outputs = the_plan.outputs
    function_arn = args.function_arn or outputs.get("function_arn")
    if not function_arn and the_plan.function and the_plan.function.startswith("arn:"):
        function_arn = the_plan.function
    if not function_arn and the_plan.function:
        lam = client(sess, "lambda")
        try:
            function_arn = lam.get_function_configuration(FunctionName=the_plan.function)[
                "FunctionArn"
            ]
        except Exception as exc:
            raise OperationError(f"function {the_plan.function}: {describe(exc)}") from None
    if not function_arn:
        raise OperationError("no function ARN: pass --function-arn, or --terraform-dir")
    role_arn = args.role_arn or outputs.get("batch_operations_role_arn")
    if not role_arn:
        raise OperationError(
            "no IAM role for S3 Batch Operations: set create_batch_operations_role = true on "
            "the module and output batch_operations_role_arn, or pass --role-arn"
        )
    report_bucket = (
        args.report_bucket or outputs.get("batch_operations_report_bucket") or the_plan.bucket
    )
    report_prefix = (
        args.report_prefix or outputs.get("batch_operations_report_prefix") or DEFAULT_REPORT_PREFIX
    )
    try:
        arn_parts(function_arn)
    except ValueError as exc:
        raise OperationError(str(exc)) from None
    common = {
        "function_arn": function_arn,
        "role_arn": role_arn,
        "report_bucket": report_bucket,
        "report_prefix": report_prefix,
    }
    if args.manifest == "generate":
        requests = generator_requests(
            bucket=the_plan.bucket,
            rules=the_plan.rules,
            since=the_plan.window.since,
            before=the_plan.window.before,
            **common,
        )
    else:
        requests = [_csv_manifest_request(args, the_plan, sess, common, out)]
    if args.dry_run:
        print(f"dry run: would create {len(requests)} S3 Batch Operations job(s):", file=out)
        print(json.dumps(requests, indent=2, default=str), file=out)
        return
    control = client(sess, "s3control")
    try:
        ids = create_jobs(control, requests)
    except Exception as exc:
        raise OperationError(f"s3control CreateJob: {describe(exc)}") from None
    account = requests[0]["AccountId"]
    for job_id, request in zip(ids, requests, strict=True):
        print(f"created S3 Batch Operations job {job_id}: {request['Description']}", file=out)
        print(f"  aws s3control describe-job --account-id {account} --job-id {job_id}", file=out)
    print(
        f"reports: s3://{report_bucket}/{report_prefix.rstrip('/')}/job-<id>/ when a job ends",
        file=out,
    )


def _csv_manifest_request(
    args: argparse.Namespace, the_plan: Plan, sess: Any, common: dict[str, Any], out: TextIO
) -> dict[str, Any]:
    s3 = client(sess, "s3", pool=4)
    bucket_region(s3, the_plan.bucket, sess.region_name)
    versioned = lists_versions(s3, the_plan.bucket)
    entries: list[Item] = []
    try:
        for page in pages(s3, the_plan.bucket, the_plan.rules, window=the_plan.window,
                          versioned=versioned):  # fmt: skip
            entries.extend(page.items)
    except Exception as exc:
        raise OperationError(f"listing s3://{the_plan.bucket}: {describe(exc)}") from None
    if not entries:
        raise OperationError("no object matches the rules: no job to create")
    body, with_versions = csv_manifest(the_plan.bucket, entries)
    token = str(uuid.uuid4())
    key = f"{common['report_prefix'].rstrip('/')}/manifests/{token}.csv"
    etag = "0" * 32
    if not args.dry_run:
        try:
            put = s3.put_object(
                Bucket=common["report_bucket"], Key=key, Body=body, ContentType="text/csv"
            )
        except Exception as exc:
            raise OperationError(f"writing the manifest: {describe(exc)}") from None
        etag = put["ETag"]
        print(
            f"manifest: s3://{common['report_bucket']}/{key} ({len(entries):,} objects)", file=out
        )
    return manifest_request(
        bucket=the_plan.bucket,
        manifest_bucket=common["report_bucket"],
        manifest_key=key,
        manifest_etag=etag,
        versioned=with_versions,
        token=token,
        **common,
    )
