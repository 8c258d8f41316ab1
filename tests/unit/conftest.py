"""Shared helpers for the handler unit tests."""

from __future__ import annotations

import io
import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from handler import log  # noqa: E402


class Ctx:
    """Minimal Lambda context."""

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.function_name = "unit"


class Logs:
    def __init__(self, buf: io.StringIO) -> None:
        self.buf = buf

    @property
    def lines(self) -> list[dict[str, Any]]:
        text = self.buf.getvalue()
        return [json.loads(line) for line in text.splitlines()]

    def messages(self, message: str) -> list[dict[str, Any]]:
        return [line for line in self.lines if line["message"] == message]


@pytest.fixture
def ctx() -> Ctx:
    return Ctx()


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Logs]:
    buf = io.StringIO()
    monkeypatch.setattr(log, "stream", buf)
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    yield Logs(buf)
