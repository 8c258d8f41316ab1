"""Where a backfill sends its records: the function (asynchronous invokes) or the SQS queue.

A sender takes a batch of (key, S3 notification document) pairs and returns, per key, a
``Sent``: error None (accepted) or an error text, and ``retried`` when the SDK had to send the
request again (after a time-out or a 5xx the first request may have been accepted too: the
object may arrive twice, and the backfill records it as a redelivery). Errors that no retry
can fix (no such function or queue, access denied, bad credentials) raise FatalDeliveryError
instead, which stops the backfill: every later send would fail the same way.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol

from .deployment import describe, error_code

Batch = Sequence[tuple[str, dict[str, Any]]]


class Sent(NamedTuple):
    key: str
    error: str | None = None  # None: accepted
    retried: bool = False  # the SDK sent the request more than once


Outcome = list[Sent]

FATAL_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "AccessDeniedException",
        "AccessDenied",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "ExpiredTokenException",
        "ExpiredToken",
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
        "KMSAccessDeniedException",
    }
)


class FatalDeliveryError(RuntimeError):
    """A send failed in a way every other send would too."""


class Sender(Protocol):
    @property
    def batch_size(self) -> int: ...

    def describe(self) -> str: ...

    def send(self, batch: Batch) -> Outcome: ...


class LambdaEventSender:
    """``Invoke`` with InvocationType=Event: one record per invocation, as S3 sends them, or
    up to ``records_per_event`` records in one event's ``Records`` list (fewer, cheaper
    invocations; the handler processes each record, but a failure of one fails the event, so
    Lambda retries, and the on-failure queue keeps, all of its records)."""

    MAX_RECORDS = 50  # 50 records of the longest keys stay under the 256 KB async payload limit

    def __init__(self, client: Any, function: str, records_per_event: int = 1) -> None:
        if not 1 <= records_per_event <= self.MAX_RECORDS:
            raise ValueError(f"records per event must be 1 to {self.MAX_RECORDS}")
        self.client = client
        self.function = function
        self.batch_size = records_per_event

    def describe(self) -> str:
        per = "" if self.batch_size == 1 else f", {self.batch_size} records per event"
        return f"function {self.function} (asynchronous invokes{per})"

    def send(self, batch: Batch) -> Outcome:
        out: Outcome = []
        for start in range(0, len(batch), self.batch_size):
            part = batch[start : start + self.batch_size]
            records = [r for _, document in part for r in document["Records"]]
            error, retried = self._invoke({"Records": records})
            out.extend(Sent(key, error, retried) for key, _ in part)
        return out

    def _invoke(self, event: dict[str, Any]) -> tuple[str | None, bool]:
        payload = json.dumps(event, ensure_ascii=False).encode()
        try:
            response = self.client.invoke(
                FunctionName=self.function, InvocationType="Event", Payload=payload
            )
        except Exception as exc:
            if error_code(exc) in FATAL_CODES:
                raise FatalDeliveryError(f"invoke {self.function}: {describe(exc)}") from exc
            return describe(exc), False
        retried = bool(response.get("ResponseMetadata", {}).get("RetryAttempts"))
        status = response.get("StatusCode")
        return (None if status == 202 else f"invoke answered status {status}"), retried


class QueueSender:
    """``SendMessageBatch``: up to 10 S3 notification messages per call (body = the
    notification JSON, as S3 writes it into a queue). Entries that SQS reports failed are
    retried twice, then counted as failed."""

    batch_size = 10
    RETRIES = 2

    def __init__(self, client: Any, queue_url: str) -> None:
        self.client = client
        self.queue_url = queue_url

    def describe(self) -> str:
        return f"queue {self.queue_url} (SendMessageBatch)"

    def send(self, batch: Batch) -> Outcome:
        entries = {
            str(i): (key, json.dumps(doc, ensure_ascii=False)) for i, (key, doc) in enumerate(batch)
        }
        errors: dict[str, str | None] = {}
        retried: set[str] = set()
        todo = list(entries)
        for _ in range(self.RETRIES + 1):
            if not todo:
                break
            try:
                response = self.client.send_message_batch(
                    QueueUrl=self.queue_url,
                    Entries=[{"Id": i, "MessageBody": entries[i][1]} for i in todo],
                )
            except Exception as exc:
                if error_code(exc) in FATAL_CODES:
                    raise FatalDeliveryError(f"send to {self.queue_url}: {describe(exc)}") from exc
                errors.update(dict.fromkeys(todo, describe(exc)))
                break
            if response.get("ResponseMetadata", {}).get("RetryAttempts"):
                retried.update(todo)
            for ok in response.get("Successful", []):
                errors[ok["Id"]] = None
            todo = []
            for failed in response.get("Failed", []):
                errors[failed["Id"]] = f"{failed.get('Code')}: {failed.get('Message', '')}"
                if not failed.get("SenderFault"):
                    todo.append(failed["Id"])
        return [
            Sent(entries[i][0], errors.get(i, "no answer from SQS"), i in retried) for i in entries
        ]
