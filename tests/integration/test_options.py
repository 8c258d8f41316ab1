"""Every function and bucket option of the module at once: it applies, the function runs with
them (processor loaded from a layer), a second plan is empty, and destroy succeeds."""

from __future__ import annotations

import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from localstack_client.session import Session

from tests.integration.support import destroy, put_until_handled
from tools.stack import REPO, Stack, log_records

STACK = Path(__file__).parent / "stacks" / "options"


@pytest.fixture(scope="module")
def options(aws: Session, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Any]]:
    layer = tmp_path_factory.mktemp("layer") / "layer.zip"
    with zipfile.ZipFile(layer, "w") as archive:
        archive.write(STACK / "layer_processor.py", "python/layer_processor.py")
    name = f"it-options-{uuid.uuid4().hex[:8]}"
    variables = {"name": name, "package_file": str(REPO / "build" / "handler.zip")}
    stack = Stack(STACK, {**variables, "layer_file": str(layer)})
    stack.init()
    try:
        yield stack, stack.apply()
    finally:
        destroy(aws, stack, name)


def test_all_options_applied_and_function_runs_with_them(aws: Session, options) -> None:
    stack, out = options
    config = aws.client("lambda").get_function_configuration(FunctionName=out["function_name"])
    assert config["Architectures"] == ["arm64"]
    assert (config["MemorySize"], config["Timeout"], config["Runtime"]) == (256, 60, "python3.12")
    assert config["TracingConfig"]["Mode"] == "Active"
    assert config["LoggingConfig"]["LogFormat"] == "JSON"
    assert len(config["Layers"]) == 1
    assert config["Environment"]["Variables"]["S3_OUTPUT_PREFIX"] == "processed/"
    concurrency = aws.client("lambda").get_function_concurrency(FunctionName=out["function_name"])
    assert concurrency["ReservedConcurrentExecutions"] == 5

    s3 = aws.client("s3")
    bucket = out["bucket_name"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"

    key = f"uploads/{uuid.uuid4().hex[:6]}.bin"
    logs = aws.client("logs")
    lines, resent, _ = put_until_handled(
        aws, bucket, {key: b"data"},
        lambda: [r for r in log_records(logs, out["log_group_name"], "layer_processor")],
    )  # fmt: skip
    expected = {"message": "layer_processor", "key": key, "output": f"{bucket}/processed/"}
    assert lines and lines == [expected] * len(lines) and len(lines) <= 1 + resent, lines
    handled = [r["key"] for r in log_records(logs, out["log_group_name"])]
    assert set(handled) == {key} and len(handled) <= 1 + resent
    assert stack.pending_changes() == ""
