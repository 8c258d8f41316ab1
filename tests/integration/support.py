"""Helpers shared by the end-to-end tests."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from localstack_client.session import Session

from tools.stack import Stack, wait_for

MINISTACK_RESENDS = 2


def destroy(aws: Session, stack: Stack, bucket: str) -> None:
    """terraform destroy, with the one emulator workaround the suite needs.

    MiniStack ignores encoding-type=url in ListObjectVersions, so the AWS provider decodes a
    literal '+' in a key to a space and force_destroy retries forever (README, "Emulator
    differences"). There, such keys are removed first; LocalStack and AWS need nothing.
    """
    if os.environ.get("EMULATOR") == "ministack":
        s3 = aws.client("s3")
        for version in s3.list_object_versions(Bucket=bucket).get("Versions", []):
            if "+" in version["Key"] or "%" in version["Key"]:
                s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
    stack.destroy()


def put_until_handled(
    aws: Session,
    bucket: str,
    objects: dict[str, bytes],
    probe: Callable[[], list[Any]],
    done: Callable[[list[Any]], bool] = bool,
    timeout: float = 60.0,
) -> tuple[list[Any], int, dict[str, Any]]:
    """Put ``objects`` (key -> body) and wait until ``done(probe())``; return the last probe,
    the number of resends and the last put's response per key.

    MiniStack now and then never runs one asynchronous invocation while other stacks load it
    (its notification is logged, no invocation follows: README, emulator differences). There
    only, when ``done`` is still false after ``timeout``, every object is put again (a new
    event), at most MINISTACK_RESENDS times, and said; a test then allows one repeat per
    resend. Elsewhere the objects are put once and the result is returned as it is.
    """
    s3 = aws.client("s3")
    resends = 0
    while True:
        puts = {
            key: s3.put_object(Bucket=bucket, Key=key, Body=body) for key, body in objects.items()
        }
        result = wait_for(probe, done, timeout)
        if (
            done(result)
            or os.environ.get("EMULATOR") != "ministack"
            or resends == MINISTACK_RESENDS
        ):
            return result, resends, puts
        resends += 1
        print(f"MiniStack: nothing after {timeout:.0f} s for {sorted(objects)}; put again")
