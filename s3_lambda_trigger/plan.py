"""What a backfill sends, from where, to where: the flags, then terraform output, then the state.

Also the checks of the bucket every mode needs (it exists, its region, versioning).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import rules
from .deployment import (
    OperationError,
    describe,
    endpoint,
    error_code,
    terraform_json,
    terraform_outputs,
)
from .listing import Window, is_versioned
from .rules import Rule, RuleError

CACHE_ENV = "S3_LAMBDA_TRIGGER_CACHE"


@dataclass
class Plan:
    bucket: str
    rules: list[Rule]
    window: Window
    function: str | None = None
    queue_url: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def target(self) -> str:
        return f"queue:{self.queue_url}" if self.queue_url else f"function:{self.function}"

    def config(self, region: str) -> dict[str, Any]:
        """What identifies this backfill in its checkpoint."""
        return {
            "bucket": self.bucket,
            "rules": [[r.prefix, r.suffix] for r in self.rules],
            "since": self.window.since.isoformat() if self.window.since else None,
            "before": self.window.before.isoformat() if self.window.before else None,
            "target": self.target,
            "region": region,
            "endpoint": endpoint(),
        }


def plan(args: argparse.Namespace) -> Plan:
    """Bucket, rules and target from the flags, then terraform output, then the state."""
    outputs = terraform_outputs(args.terraform_dir) if args.terraform_dir else {}
    bucket = args.bucket or outputs.get("bucket_name")
    function = args.function or outputs.get("function_name") or args.function_arn
    queue_url = args.queue_url or (None if args.function else outputs.get("queue_url"))
    try:
        if args.prefix or args.suffix:
            found = rules.from_flags(args.prefix, args.suffix)
        elif "notification_rules" in outputs:
            owner = outputs.get("function_arn") or function
            if not owner:
                raise RuleError(
                    "cannot tell which rules invoke the module's function: no function_arn or "
                    "function_name output; pass --function"
                )
            found = rules.from_output(outputs["notification_rules"], owner)
            if not found:
                raise RuleError(
                    f"no rule in the notification_rules output of {args.terraform_dir} invokes "
                    f"{owner} on object-create events: nothing to backfill"
                )
        elif args.terraform_dir:
            state_bucket, function_arn, found = rules.from_state(
                terraform_json(args.terraform_dir, "show")
            )
            bucket = bucket or state_bucket
            function = function or function_arn
            if not found:
                raise RuleError(
                    f"no notification rule in the state of {args.terraform_dir} invokes "
                    f"{function_arn} on object-create events: nothing to backfill"
                )
        else:
            found = rules.from_flags([], [])
    except RuleError as exc:
        raise OperationError(str(exc)) from None
    if not bucket:
        raise OperationError(
            "no bucket: pass --bucket, or --terraform-dir with a bucket_name output"
        )
    if not queue_url and not function and not args.dry_run:
        raise OperationError(
            "no function: pass --function (or --queue-url), or --terraform-dir with a "
            "function_name output"
        )
    window = Window(args.modified_since, args.modified_before)
    if window.since and window.before and window.since >= window.before:
        raise OperationError("--modified-since must be earlier than --modified-before")
    return Plan(bucket, found, window, function, queue_url, outputs)


def checkpoint_path(config: dict[str, Any]) -> Path:
    env = os.environ.get(CACHE_ENV)
    base = Path(env) if env else Path.home() / ".cache" / "s3-lambda-trigger"
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:12]
    return base / "backfill" / f"{config['bucket']}-{digest}.jsonl"


def bucket_region(s3: Any, bucket: str, default: str) -> str:
    """The bucket's region (HeadBucket), or an OperationError if it is missing or denied."""
    try:
        response = s3.head_bucket(Bucket=bucket)
    except Exception as exc:
        code = error_code(exc)
        if code in ("404", "NoSuchBucket", "NotFound"):
            raise OperationError(f"no such bucket: {bucket}") from None
        if code in ("403", "AccessDenied"):
            raise OperationError(f"access denied to bucket {bucket} (s3:ListBucket)") from None
        raise OperationError(f"bucket {bucket}: {describe(exc)}") from None
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    return str(response.get("BucketRegion") or headers.get("x-amz-bucket-region") or default)


def lists_versions(s3: Any, bucket: str) -> bool:
    """Whether to list versions; False without s3:GetBucketVersioning."""
    try:
        return is_versioned(s3, bucket)
    except Exception as exc:
        if error_code(exc) in ("403", "AccessDenied"):
            return False
        raise OperationError(f"bucket {bucket}: {describe(exc)}") from None
