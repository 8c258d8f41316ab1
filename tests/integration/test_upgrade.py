"""An existing direct-mode deployment plans no change after upgrading to the module with
delivery modes: examples/basic is applied with the module as it was before (commit BEFORE,
checked out with `git archive`), then planned with this working tree's module."""

from __future__ import annotations

import subprocess
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from localstack_client.session import Session

from tests.integration.support import destroy
from tools.stack import REPO, Stack

BEFORE = "c2f6d6ab5c77310c5f0f13074a322bdde6bf71fa"  # the last commit before `delivery`
EXAMPLE = REPO / "examples" / "basic"


def _old_module(into: Path) -> Path:
    archive = into / "before.tar"
    subprocess.run(
        ["git", "archive", "--format=tar", "-o", str(archive), BEFORE, "--", "*.tf"],
        cwd=REPO,
        check=True,
    )
    module = into / "module-before"
    with tarfile.open(archive) as tar:
        tar.extractall(module, filter="data")
    assert (module / "main.tf").is_file() and not (module / "sqs.tf").exists()
    return module


def _point_at(stack: Stack, module: Path) -> None:
    main = stack.directory / "main.tf"
    text = main.read_text()
    start = text.index('source = "') + len('source = "')
    end = text.index('"', start)
    main.write_text(text[:start] + str(module) + text[end:])


@pytest.fixture(scope="module")
def upgraded(aws: Session, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("upgrade")
    variables = {
        "name": f"it-upg-{uuid.uuid4().hex[:8]}",
        "package_file": str(REPO / "build" / "handler.zip"),
    }
    stack = Stack.copy_of(EXAMPLE, tmp / "root", variables)
    _point_at(stack, _old_module(tmp))
    stack.init()
    outputs = stack.apply()
    try:
        _point_at(stack, REPO)
        stack.init()
        yield {"stack": stack, **outputs}
    finally:
        destroy(aws, stack, outputs["bucket_name"])


def test_direct_mode_plans_exactly_as_before(upgraded) -> None:
    stack: Stack = upgraded["stack"]
    plan = stack.pending_changes()
    # The only difference allowed: the notification gained a count (a `moved` block), which is
    # no change to anything in AWS.
    assert plan == "" or (
        "0 to add, 0 to change, 0 to destroy" in plan
        and "aws_s3_bucket_notification.this has moved to" in plan
    ), plan
    assert "must be replaced" not in plan and "will be updated" not in plan
