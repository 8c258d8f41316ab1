"""Helpers shared by the end-to-end tests."""

from __future__ import annotations

import os

from localstack_client.session import Session

from tools.stack import Stack


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
