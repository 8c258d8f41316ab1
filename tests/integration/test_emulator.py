"""The emulator's Lambda service itself (on LocalStack: this project's local executor,
emulator/localstack-local-executor), driven with boto3, not through the module: the function's
environment per Python runtime, the error shape of a failing invoke, and a timeout followed by
a working invoke of the same function.

What the rest of the suite already proves end to end through Terraform is not repeated here:
S3 notification -> Lambda -> Logs exactly once (test_basic.py), an async failure in the
on-failure queue after one retry (test_delivery.py, poison test), a layer's python/ on the
import path (test_options.py, processor loaded from a layer).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.config import Config
from localstack_client.session import Session

ROLE = "arn:aws:iam::000000000000:role/x"  # neither emulator checks that the role exists
RUNTIMES = ("python3.11", "python3.12", "python3.13")
EMULATOR = os.environ.get("EMULATOR", "localstack")
CreateFunction = Callable[..., tuple[str, str]]

PROBE = """
import os
import sys

ENV = ["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME",
       "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_ENDPOINT_URL", "MY_VAR"]


def handler(event, context):
    import boto3  # the runtime's bundled boto3, not the test's

    # Reaches the emulator with the endpoint and credentials the function was given.
    me = boto3.client("lambda").get_function(FunctionName=context.function_name)
    return {
        "python": "%d.%d" % sys.version_info[:2],
        "boto3": boto3.__version__,
        "self_arn": me["Configuration"]["FunctionArn"],
        "env": {k: os.environ.get(k) for k in ENV},
        "context": {
            "aws_request_id": context.aws_request_id,
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": int(context.memory_limit_in_mb),
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining_ms": context.get_remaining_time_in_millis(),
        },
    }
"""

FAIL = """
def handler(event, context):
    raise ValueError("boom from test_emulator")
"""

SLOW = """
import time


def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {"slept": event.get("sleep", 0)}
"""


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def lam(aws: Session) -> Any:
    # No client retries: a slow or failed invoke must show as it is, not be repeated.
    return aws.client("lambda", config=Config(retries={"max_attempts": 1}, read_timeout=120))


@pytest.fixture(scope="module")
def create_function(lam: Any) -> Iterator[CreateFunction]:
    """create_function(kind, source, **options) -> (name, arn), Active; deleted at the end."""
    created: list[str] = []

    def create(kind: str, source: str, **options: Any) -> tuple[str, str]:
        name = f"it-emu-{kind}-{uuid.uuid4().hex[:8]}"
        arn: str = lam.create_function(
            FunctionName=name,
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": _zip(source)},
            **{"Runtime": "python3.13", "Timeout": 10, **options},
        )["FunctionArn"]
        created.append(name)
        lam.get_waiter("function_active_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
        return name, arn

    yield create
    for name in created:
        with contextlib.suppress(lam.exceptions.ResourceNotFoundException):
            lam.delete_function(FunctionName=name)


def _invoke(lam: Any, name: str, event: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    return response, json.loads(response["Payload"].read())


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_function_environment_matches_its_runtime(
    lam: Any, create_function: CreateFunction, runtime: str
) -> None:
    name, arn = create_function(
        runtime.replace(".", ""),
        PROBE,
        Runtime=runtime,
        MemorySize=256,
        Timeout=20,
        Environment={"Variables": {"MY_VAR": "hello"}},
    )

    response, payload = _invoke(lam, name, {})

    assert "FunctionError" not in response, payload
    if EMULATOR == "localstack":  # the executor picks the interpreter matching the runtime
        assert payload["python"] == runtime.removeprefix("python"), payload
    else:  # MiniStack runs every runtime on one interpreter (README, "Emulator differences")
        assert payload["python"].startswith("3."), payload
    assert payload["boto3"], payload
    assert payload["self_arn"] == arn  # boto3 in the function reached this emulator
    env = payload["env"]
    assert env["AWS_ENDPOINT_URL"].startswith("http"), env
    assert (env["AWS_REGION"], env["AWS_DEFAULT_REGION"]) == ("us-east-1", "us-east-1"), env
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["MY_VAR"] == "hello"
    context = payload["context"]
    assert uuid.UUID(context["aws_request_id"])
    assert context["function_name"] == name
    assert context["function_version"] == "$LATEST"
    assert context["invoked_function_arn"] == arn
    assert context["memory_limit_in_mb"] == 256
    assert context["log_group_name"] == f"/aws/lambda/{name}"
    assert context["log_stream_name"]
    assert 0 < context["remaining_ms"] <= 20_000


def test_failing_function_reports_the_error(lam: Any, create_function: CreateFunction) -> None:
    name, _ = create_function("fail", FAIL)

    response, payload = _invoke(lam, name, {"x": 1})

    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert "boom from test_emulator" in payload["errorMessage"], payload
    if EMULATOR == "ministack":  # README, "Emulator differences found"
        assert payload["errorType"] == "Runtime.HandlerError", payload
        assert "stackTrace" not in payload, payload
    else:
        assert payload["errorType"] == "ValueError", payload
        assert isinstance(payload["stackTrace"], list) and payload["stackTrace"], payload
        assert "raise ValueError" in "".join(payload["stackTrace"]), payload


def test_timeout_is_reported_and_the_function_works_again(
    lam: Any, create_function: CreateFunction
) -> None:
    name, _ = create_function("slow", SLOW, Timeout=1)

    started = time.monotonic()
    response, payload = _invoke(lam, name, {"sleep": 30})
    took = time.monotonic() - started

    assert took < 15, f"the 1 s timeout was not enforced: invoke took {took:.1f} s"
    assert "FunctionError" in response, payload
    assert payload["errorType"] == "Sandbox.Timedout", payload
    assert "timed out after 1.00 seconds" in payload["errorMessage"], payload

    response, payload = _invoke(lam, name, {})

    assert "FunctionError" not in response, payload
    assert payload == {"slept": 0}
