"""The parser against every recorded fixture in <repo>/../shared/fixtures/s3-events/.

Fixtures are read in place (never copied).  LocalStack extracts are adapted to
the wire shape as SOURCES.md describes: record lists are wrapped in
{"Records": [...]} (direct) or one SQS message each, SNS ``Message`` objects are
re-serialised to JSON strings, and the "date" placeholder for eventTime/time is
replaced by a real timestamp.  SAM templates get their {{{placeholders}}} filled.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from handler import S3EventError, parse_event
from handler.app import lambda_handler
from s3_lambda_trigger.samples import encode_key, wrap

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "s3-events"
TEMPLATE_KEY = "incoming/보고서 1.csv"
PLACEHOLDER_TIME = "2025-01-21T12:00:00.000Z"

# file -> [(eventName, decoded key)] expected from every Lambda shape built from it;
# None: not an S3 notification, must raise S3EventError.
EXPECTED: dict[str, list[tuple[str, str]] | None] = {
    "dotnet__cloudwatchevents-s3objectcreated.json": [("ObjectCreated:Put", "example-key")],
    "dotnet__cloudwatchevents-s3objectdeleted.json": [
        ("ObjectRemoved:DeleteMarkerCreated", "example-key")
    ],
    "dotnet__s3-event.json": [
        ("ObjectCreated:Put", "HappyFace.jpg"),
        ("ObjectCreated:Put", "New File.jpg"),
    ],
    "lambda-go__s3-event-with-decoded.json": [("ObjectCreated:Put", "Happy Face.jpg")],
    "lambda-go__s3-event.json": [("ObjectCreated:Put", "Happy Face.jpg")],
    "lambda-go__s3-glacier-event.json": [("ObjectRestore:Completed", "glacier-test.txt")],
    "lambda-go__s3-intelligenttier-event.json": [
        ("IntelligentTiering:TransitionAccess", "intelligent-tier-test.dat")
    ],
    "lambda-go__s3-lifecycle-event.json": [("LifecycleTransition", "lifecycle-test.dat")],
    "lambda-go__s3-replication-event.json": [
        ("Replication:OperationFailedReplication", "replication-test.png")
    ],
    "lambda-go__s3-restore-event.json": [("ObjectRestore:Completed", "glacier-test.txt")],
    "localstack-snapshot__eventbridge-object-created-deleted.json": [
        ("ObjectRemoved:Delete", "<key-name:1>"),
        ("ObjectCreated:Put", "<key-name:1>"),
    ],
    "localstack-snapshot__sns-object-created-put.json": [
        ("ObjectCreated:Put", "bucket-key"),
        ("ObjectCreated:Put", "bucket-key"),
    ],
    "localstack-snapshot__sqs-created-copy-put-removed-delete.json": [
        ("ObjectCreated:Copy", "<object-key:1>"),
        ("ObjectCreated:Put", "<object-key:2>"),
        ("ObjectRemoved:Delete", "<object-key:2>"),
    ],
    "localstack-snapshot__sqs-key-encoding-at-sign.json": [("ObjectCreated:Put", "a@b")],
    "localstack-snapshot__sqs-object-tagging-put.json": [("ObjectTagging:Put", "<object-key:1>")],
    "localstack-snapshot__sqs-restore-object-glacier.json": [
        ("ObjectRestore:Post", "my_key_restore"),
        ("ObjectRestore:Completed", "my_key_restore"),
    ],
    "localstack-snapshot__sqs-versioned-put-delete-deletemarker.json": [
        ("ObjectCreated:Put", "test-key"),
        ("ObjectCreated:Put", "test-key"),
        ("ObjectRemoved:Delete", "test-key"),
        ("ObjectRemoved:DeleteMarkerCreated", "test-key"),
    ],
    "powertools__s3Event.json": [("ObjectCreated:Put", "b21b84d653bb07b05b1e6b33684dc11b")],
    "powertools__s3EventBridgeNotificationObjectCreatedEvent.json": [
        ("ObjectCreated:Put", "IMG_m7fzo3.jpg")
    ],
    "powertools__s3EventBridgeNotificationObjectDeletedEvent.json": [
        ("ObjectRemoved:DeleteMarkerCreated", "IMG_m7fzo3.jpg")
    ],
    "powertools__s3EventBridgeNotificationObjectExpiredEvent.json": [
        ("LifecycleExpiration:DeleteMarkerCreated", "IMG_m7fzo3.jpg")
    ],
    "powertools__s3EventBridgeNotificationObjectRestoreCompletedEvent.json": [
        ("ObjectRestore:Completed", "IMG_m7fzo3.jpg")
    ],
    "powertools__s3EventDecodedKey.json": [("ObjectCreated:Put", "Happy Face.jpg")],
    "powertools__s3EventDeleteObject.json": [
        ("ObjectRemoved:Delete", "b21b84d653bb07b05b1e6b33684dc11b")
    ],
    "powertools__s3EventGlacier.json": [("ObjectCreated:Put", "b21b84d653bb07b05b1e6b33684dc11b")],
    "powertools__s3SqsEvent.json": [("ObjectCreated:Put", "test.pdf")],
    "sam-cli__S3BatchInvocation.json.tmpl": None,
    "sam-cli__S3Delete.json.tmpl": [("ObjectRemoved:Delete", TEMPLATE_KEY)],
    "sam-cli__S3Put.json.tmpl": [("ObjectCreated:Put", TEMPLATE_KEY)],
}


def fixtures_dir(where: Path = FIXTURES) -> Path:
    """The shared recorded fixtures; a missing directory is a test FAILURE, not a skip."""
    if not where.is_dir():
        pytest.fail(
            f"S3 event fixtures directory not found: {where} "
            "(expected <repo>/../shared/fixtures/s3-events/ with the recorded events "
            "the parser is tested against)",
            pytrace=False,
        )
    return where


def _fixture_names() -> list[str]:
    if not FIXTURES.is_dir():
        return ["<fixtures directory missing>"]
    return sorted(p.name for p in FIXTURES.iterdir() if p.name != "SOURCES.md")


def _fill_dates(value: Any) -> Any:
    """Replace LocalStack's "date" placeholder in eventTime / time with a timestamp."""
    if isinstance(value, dict):
        return {
            k: PLACEHOLDER_TIME if k in ("eventTime", "time") and v == "date" else _fill_dates(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_fill_dates(v) for v in value]
    return value


def _load(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.name.endswith(".tmpl"):
        for name, value in {
            "region": "eu-west-1",
            "bucket": "my-bucket",
            "partition": "aws",
            "bucket_arn": "arn:aws:s3:::my-bucket",
            "key": encode_key(TEMPLATE_KEY),
        }.items():
            text = text.replace("{{{" + name + "}}}", value)
    return json.loads(text)


def _sqs(body: str, n: int) -> dict[str, Any]:
    return {"messageId": f"m{n}", "eventSource": "aws:sqs", "body": body, "awsRegion": "x"}


def lambda_events(path: Path) -> dict[str, Any]:
    """Every Lambda-shaped event this fixture can be delivered as, by shape name."""
    doc = _fill_dates(_load(path))
    if path.name.startswith("localstack-snapshot__eventbridge"):
        return {f"eventbridge:{k}": v for k, v in doc.items()}
    if path.name.startswith("localstack-snapshot__sns"):
        envelopes = [{**env, "Message": json.dumps(env["Message"])} for env in doc]
        return {
            "sns": {"Records": [{"EventSource": "aws:sns", "Sns": env} for env in envelopes]},
            "sns-sqs": {"Records": [_sqs(json.dumps(e), i) for i, e in enumerate(envelopes)]},
        }
    if path.name.startswith("localstack-snapshot__sqs"):  # list of S3 records
        return {
            "direct": {"Records": doc},
            "sqs": {"Records": [_sqs(json.dumps({"Records": [r]}), i) for i, r in enumerate(doc)]},
        }
    if doc.get("source") == "aws.s3" or "Records" not in doc:  # EventBridge or foreign
        return {"as-is": doc}
    if doc["Records"][0].get("eventSource") == "aws:sqs":
        return {"as-is": doc}
    return {shape: wrap(doc, shape) for shape in ("direct", "sqs", "sns", "sns-sqs")}


@pytest.mark.parametrize("name", _fixture_names())
def test_fixture_parses(name: str) -> None:
    path = fixtures_dir() / name
    assert name in EXPECTED, f"new fixture {name}: add its expected records to EXPECTED"
    expected = EXPECTED[name]
    for shape, event in lambda_events(path).items():
        if expected is None:
            with pytest.raises(S3EventError, match="not an S3 event"):
                parse_event(event)
            continue
        records = parse_event(event)
        got = [(r.event_name, r.key) for r in records]
        if shape.startswith("eventbridge:"):  # one file holding two events
            want = [e for e in expected if e[0].startswith("ObjectCreated") == ("created" in shape)]
            assert got == want, shape
            continue
        assert got == expected, shape
        for r in records:
            assert r.event_source == "aws:s3"
            assert r.event_time.tzinfo is not None
            assert r.bucket
            assert r.size is None or r.size >= 0


def test_fixture_table_matches_directory() -> None:
    names = {p.name for p in fixtures_dir().iterdir() if p.name != "SOURCES.md"}
    assert names == set(EXPECTED), "fixtures and EXPECTED differ"


def test_every_fixture_through_handler(ctx: Any) -> None:
    """The default handler accepts every notification fixture in every shape."""
    for name, expected in EXPECTED.items():
        if expected is None:
            continue
        for shape, event in lambda_events(fixtures_dir() / name).items():
            result = lambda_handler(event, ctx)
            assert result["failed"] == 0, (name, shape)


def test_url_decoded_key_extra_field_agrees() -> None:
    """Where a fixture carries the non-AWS urlDecodedKey field, we decode to the same."""
    checked = 0
    for path in sorted(fixtures_dir().glob("*.json")):
        doc = _load(path)
        if not isinstance(doc, dict) or "Records" not in doc:
            continue
        for raw, rec in zip(doc["Records"], parse_event(_fill_dates(doc)), strict=False):
            decoded = raw.get("s3", {}).get("object", {}).get("urlDecodedKey")
            if decoded is not None:
                assert rec.key == decoded, path.name
                checked += 1
    assert checked >= 5


def test_specific_fixture_fields() -> None:
    d = fixtures_dir()
    [r] = parse_event(_load(d / "lambda-go__s3-event.json"))
    assert (r.bucket, r.key, r.raw_key) == ("sourcebucket", "Happy Face.jpg", "Happy%20Face.jpg")
    assert (r.size, r.etag, r.version_id) == (1024, "d41d8cd98f00b204e9800998ecf8427e", "version")
    assert r.event_time == datetime(1970, 1, 1, 0, 0, 0, 123000, tzinfo=UTC)
    assert (r.region, r.principal_id, r.source_ip) == ("us-east-1", "EXAMPLE", "127.0.0.1")
    assert (r.request_id, r.configuration_id) == ("C3D13FE58DE4C810", "testConfigRule")

    [r] = parse_event(_load(d / "powertools__s3EventDeleteObject.json"))
    assert (r.size, r.etag, r.version_id) == (None, None, None)
    assert r.sequencer == "0C0F6F405D6ED209E1"

    [r] = parse_event(_load(d / "dotnet__cloudwatchevents-s3objectcreated.json"))
    assert (r.bucket, r.key, r.size) == ("DOC-EXAMPLE-BUCKET1", "example-key", 5)
    assert r.version_id == "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e"
    assert (r.detail_type, r.reason, r.principal_id) == (
        "Object Created",
        "PutObject",
        "123456789012",
    )
    assert r.request_id == "N4N7GDK58NMKJ12R"
    assert r.source_ip == "1.2.3.4"
    assert r.configuration_id is None

    [r] = parse_event(_load(d / "powertools__s3EventBridgeNotificationObjectExpiredEvent.json"))
    assert (r.reason, r.deletion_type) == ("Lifecycle Expiration", "Delete Marker Created")
    assert r.source_ip is None

    [r] = parse_event(_load(d / "powertools__s3SqsEvent.json"))
    assert (r.key, r.size, r.version_id) == ("test.pdf", 104681, "yd3d4HaWOT2zguDLvIQLU6ptDTwKBnQV")


def test_localstack_date_placeholder_is_rejected_clearly() -> None:
    """Unfilled, the "date" placeholder is not a timestamp: a clear error, not a crash."""
    raw = json.loads(
        (fixtures_dir() / "localstack-snapshot__sqs-key-encoding-at-sign.json").read_text()
    )
    with pytest.raises(S3EventError, match=r"^Records\[0\]\.eventTime: not an ISO 8601 timestamp"):
        parse_event({"Records": raw})


def test_missing_fixture_dir_fails_not_skips(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match="fixtures directory not found"):
        fixtures_dir(tmp_path / "nope")
