"""End-to-end fixtures: the emulator must answer at AWS_ENDPOINT_URL (`make integration` starts
it); real `terraform apply`/`destroy` of the examples through tools.stack."""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from localstack_client.session import Session

from tests.integration.support import destroy
from tools.stack import REGION, REPO, Stack, endpoint


@pytest.hookimpl(tryfirst=True)  # before xdist reads the xdist_group marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)
            # `pytest -n N --dist loadgroup` (make integration): the tests that share a deployed
            # stack run on one worker; independent stacks apply in parallel. A test's own group
            # (e.g. one per delivery mode) wins over its file's.
            if item.get_closest_marker("xdist_group") is None:
                item.add_marker(pytest.mark.xdist_group(Path(str(item.fspath)).stem))


@pytest.fixture(scope="session")
def aws() -> Session:
    url = endpoint()
    try:
        urllib.request.urlopen(url, timeout=5)
    except urllib.error.HTTPError:
        pass  # it answered
    except OSError as error:
        pytest.fail(
            f"no emulator answers at {url} ({error}); run `make integration`, which starts one"
        )
    return Session(region_name=REGION)


@pytest.fixture(scope="module")
def basic(aws: Session) -> Iterator[tuple[Stack, dict[str, Any]]]:
    """examples/basic applied with a unique name; destroyed at the end if a test did not."""
    stack = Stack(REPO / "examples" / "basic", {"name": f"it-basic-{uuid.uuid4().hex[:8]}"})
    stack.init()
    outputs = stack.apply()
    yield stack, outputs
    if (stack.directory / "terraform.tfstate").exists():
        destroy(aws, stack, outputs["bucket_name"])
