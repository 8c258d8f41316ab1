"""Static types for mypy only: a stub with no module behind it, never imported.

handler.model builds ``S3Object``'s base with ``collections.namedtuple`` at run
time (no ``typing`` import, less to compile on a cold start); this is the same
class spelled as a ``typing.NamedTuple`` so that mypy knows the fields.  Not in
the Lambda zip (only *.py is packaged).
"""

from datetime import datetime
from typing import Any, NamedTuple

class _S3ObjectFields(NamedTuple):
    bucket: str
    key: str  # decoded
    raw_key: str  # as delivered (URL-encoded, '+' for space)
    event_name: str  # normalised, e.g. "ObjectCreated:Put"
    event_time: datetime  # timezone-aware
    region: str
    size: int | None = None
    etag: str | None = None
    version_id: str | None = None
    sequencer: str | None = None
    principal_id: str | None = None
    request_id: str | None = None
    source_ip: str | None = None
    configuration_id: str | None = None
    event_source: str = "aws:s3"
    detail_type: str | None = None  # EventBridge only
    reason: str | None = None  # EventBridge only: detail.reason
    deletion_type: str | None = None  # EventBridge only: detail.deletion-type
    raw: dict[str, Any] | None = None  # the JSON record / EventBridge event, as delivered
