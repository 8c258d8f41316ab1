"""Lazily created, cached AWS SDK clients (boto3 is imported only when needed)."""

from __future__ import annotations

import functools
import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


@functools.cache
def client(service: str, region: str | None = None) -> Any:
    """A boto3 client, created on first use and reused across invocations."""
    boto3 = importlib.import_module("boto3")  # provided by the Lambda runtime
    return boto3.client(service, region_name=region)
