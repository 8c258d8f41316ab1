"""Parser: key decoding, delivery shapes, TestEvent, errors, idempotency key."""

from __future__ import annotations

import ast
import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from handler import S3EventError, S3Object, parse_event
from handler.model import Message
from handler.parse import parse_message, split_event
from s3_lambda_trigger.samples import SHAPES, make_event, s3_record, wrap

REPO = Path(__file__).resolve().parents[2]

WHEN = datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
TEST_EVENT = {
    "Service": "Amazon S3",
    "Event": "s3:TestEvent",
    "Time": "2025-01-02T03:04:05.000Z",
    "Bucket": "my-bucket",
    "RequestId": "5582815E1AEA5ADF",
    "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
}


def direct(raw_key: str, **kw: Any) -> dict[str, Any]:
    return {"Records": [s3_record("ObjectCreated:Put", "b", raw_key, when=WHEN, **kw)]}


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("New+File.jpg", "New File.jpg"),
        ("Happy%20Face.jpg", "Happy Face.jpg"),
        ("a%2Bb", "a+b"),
        ("a%40b", "a@b"),
        ("incoming/%EB%B3%B4%EA%B3%A0%EC%84%9C+1.csv", "incoming/보고서 1.csv"),
        ("caf%C3%A9%2Fx", "café/x"),
        ("100%25+done", "100% done"),
        ("plain/key.txt", "plain/key.txt"),
    ],
)
def test_key_decoding(raw: str, decoded: str) -> None:
    [r] = parse_event(direct(raw))
    assert (r.key, r.raw_key) == (decoded, raw)


def test_invalid_utf8_key_is_a_clear_error() -> None:
    with pytest.raises(S3EventError, match=r"Records\[0\]\.s3\.object\.key: not URL-encoded UTF-8"):
        parse_event(direct("%FF%FE"))


def test_eventbridge_key_is_decoded_like_a_notification_key() -> None:
    # S3 URL-encodes the key in EventBridge events too (as LocalStack delivers it, and as AWS
    # Lambda Powertools decodes it: unquote_plus).
    event = make_event("put", "b", "a+b%20c d/보고서.csv", shape="eventbridge", when=WHEN)
    assert event["detail"]["object"]["key"] == "a%2Bb%2520c+d/%EB%B3%B4%EA%B3%A0%EC%84%9C.csv"
    [r] = parse_event(event)
    assert r.key == "a+b%20c d/보고서.csv"
    assert r.raw_key == event["detail"]["object"]["key"]
    event["detail"]["object"]["key"] = "in/x%20y+z.dat"  # LocalStack's %20 for a space
    assert parse_event(event)[0].key == "in/x y z.dat"
    assert (r.event_name, r.detail_type, r.reason) == (
        "ObjectCreated:Put",
        "Object Created",
        "PutObject",
    )


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("action", ["put", "delete"])
def test_every_shape(shape: Any, action: Any) -> None:
    key = "incoming/보고서 1.csv"
    event = make_event(action, "bkt", key, shape=shape, size=7, when=WHEN, version_id="v1")
    [r] = parse_event(event)
    assert (r.bucket, r.key, r.version_id, r.event_source) == ("bkt", key, "v1", "aws:s3")
    if action == "put":
        assert (r.event_name, r.size) == ("ObjectCreated:Put", 7)
    else:
        assert (r.event_name, r.size, r.etag) == ("ObjectRemoved:Delete", None, None)
    assert r.event_time.replace(microsecond=0) == WHEN.replace(microsecond=0)
    assert r.event_time.tzinfo is not None
    [msg] = split_event(event)
    assert msg.is_sqs == (shape in ("sqs", "sns-sqs"))


def test_s3_event_name_prefix_normalised() -> None:
    event = direct("k")
    event["Records"][0]["eventName"] = "s3:ObjectRestore:Completed"
    assert parse_event(event)[0].event_name == "ObjectRestore:Completed"


def test_eventbridge_to_sqs() -> None:
    eb = make_event("delete", "b", "k", shape="eventbridge", when=WHEN)
    event = {"Records": [{"messageId": "1", "eventSource": "aws:sqs", "body": json.dumps(eb)}]}
    [r] = parse_event(event)
    assert (r.event_name, r.deletion_type) == ("ObjectRemoved:Delete", "Permanently Deleted")


@pytest.mark.parametrize("shape", ["direct", "sqs", "sns", "sns-sqs"])
def test_test_event_is_skipped(shape: Any) -> None:
    event = wrap(TEST_EVENT, shape)  # type: ignore[arg-type]
    assert parse_event(event) == []
    [msg] = split_event(event) if shape != "direct" else [None]
    if msg is not None:
        records, skipped = parse_message(msg)
        assert records == [] and len(skipped) == 1


def test_extra_fields_accepted() -> None:
    event = direct("k")
    event["Records"][0]["brandNew"] = {"x": 1}
    event["Records"][0]["s3"]["object"]["future"] = [1, 2]
    event["unexpected"] = True
    assert parse_event(event)[0].key == "k"


def test_optional_fields_absent() -> None:
    event = direct("k")
    rec = event["Records"][0]
    for name in ("userIdentity", "requestParameters", "responseElements"):
        del rec[name]
    del rec["s3"]["object"]["sequencer"], rec["s3"]["configurationId"]
    [r] = parse_event(event)
    assert (r.principal_id, r.request_id, r.source_ip, r.sequencer) == (None, None, None, None)
    assert r.idempotency_key.endswith("@t:" + WHEN.isoformat())


OBJ = r"^Records\[2\]\.s3\.object"


def _broken(mutate: Any) -> dict[str, Any]:
    event = {"Records": [s3_record("ObjectCreated:Put", "b", f"k{i}", when=WHEN) for i in range(3)]}
    mutate(event["Records"][2])
    return event


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r["s3"]["object"].pop("key"), r"^Records\[2\]\.s3\.object\.key: missing$"),
        (
            lambda r: r["s3"]["object"].update(key=5),
            OBJ + r"\.key: expected string",
        ),
        (lambda r: r["s3"]["object"].update(key=""), r"^Records\[2\]\.s3\.object\.key: empty$"),
        (lambda r: r["s3"]["bucket"].pop("name"), r"^Records\[2\]\.s3\.bucket\.name: missing$"),
        (lambda r: r.pop("s3"), r"^Records\[2\]\.s3: missing$"),
        (lambda r: r.update(s3=[]), r"^Records\[2\]\.s3: expected object, got list$"),
        (lambda r: r.pop("eventName"), r"^Records\[2\]\.eventName: missing$"),
        (lambda r: r.update(eventTime="yesterday"), r"^Records\[2\]\.eventTime: not an ISO 8601"),
        (
            lambda r: r["s3"]["object"].update(size="12"),
            r"^Records\[2\]\.s3\.object\.size: expected",
        ),
        (lambda r: r["s3"]["object"].update(size=-1), r"^Records\[2\]\.s3\.object\.size: expected"),
        (
            lambda r: r.update(eventSource="aws:dynamodb"),
            r"^Records\[2\]\.eventSource: expected aws:s3",
        ),
        (lambda r: r.pop("eventSource"), r"^Records\[2\]\.eventSource: missing$"),
        (lambda r: r.update(userIdentity="x"), r"^Records\[2\]\.userIdentity: expected object"),
    ],
)
def test_bad_record_error_names_index_and_field(mutate: Any, message: str) -> None:
    with pytest.raises(S3EventError, match=message) as info:
        parse_event(_broken(mutate))
    assert isinstance(info.value, ValueError)
    assert info.value.where.startswith("Records[2]")


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"foo": 1}, r"^event: not an S3 event .*got object with keys foo"),
        ([], r"^event: not an S3 event .*got list"),
        (None, r"^event: not an S3 event .*got null"),
        ({"Records": "x"}, r"^Records: expected a list, got str"),
        ({"Records": [1]}, r"^Records\[0\]: expected object, got int"),
    ],
)
def test_not_an_s3_event(event: Any, message: str) -> None:
    with pytest.raises(S3EventError, match=message):
        parse_event(event)


def test_nested_paths_in_errors() -> None:
    bad = direct("k")
    del bad["Records"][0]["s3"]["object"]["key"]
    cases = {
        "sqs": r"^Records\[0\]\.body\.Records\[0\]\.s3\.object\.key: missing$",
        "sns": r"^Records\[0\]\.Sns\.Message\.Records\[0\]\.s3\.object\.key: missing$",
        "sns-sqs": r"^Records\[0\]\.body\.Message\.Records\[0\]\.s3\.object\.key: missing$",
    }
    for shape, pattern in cases.items():
        with pytest.raises(S3EventError, match=pattern):
            parse_event(wrap(copy.deepcopy(bad), shape))  # type: ignore[arg-type]
    sqs = wrap(direct("k"), "sqs")
    sqs["Records"][0]["body"] = "{not json"
    with pytest.raises(S3EventError, match=r"^Records\[0\]\.body: not valid JSON"):
        parse_event(sqs)
    sqs["Records"][0]["body"] = '{"hello": "world"}'
    with pytest.raises(S3EventError, match=r"^Records\[0\]\.body\.Records: missing \(not an S3"):
        parse_event(sqs)
    eb = make_event("put", "b", "k", shape="eventbridge", when=WHEN)
    del eb["detail"]["object"]
    with pytest.raises(S3EventError, match=r"^detail\.object: missing$"):
        parse_event(eb)


def test_record_is_immutable_slotted_and_comparable() -> None:
    [r] = parse_event(direct("k", size=1))
    assert not hasattr(r, "__dict__")
    with pytest.raises(AttributeError):
        r.key = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        r.other = "x"  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        del r.key  # type: ignore[misc]
    copy_ = r._replace()
    assert copy_ == r and copy_ is not r and hash(copy_) == hash(r)
    assert r._replace(size=2) != r
    assert r != tuple(r)  # equal only to another S3Object
    assert (r == tuple(r)) is False
    assert {r: 1}[copy_] == 1
    assert repr(r).startswith("S3Object(bucket='b', key='k', raw_key='k', ")
    assert r._asdict()["size"] == 1
    assert S3Object._fields[:3] == ("bucket", "key", "raw_key")
    minimal = S3Object("b", "k", "k", "ObjectCreated:Put", WHEN, "r")
    assert minimal.size is None and minimal.event_source == "aws:s3"
    assert minimal.deletion_type is None


def test_idempotency_key() -> None:
    base = S3Object(
        bucket="b",
        key="a b/c#d",
        raw_key="a+b/c%23d",
        event_name="ObjectCreated:Put",
        event_time=WHEN,
        region="r",
        sequencer="00AB",
    )
    assert base.idempotency_key == "s3://b/a%20b/c%23d#ObjectCreated:Put@seq:00AB"
    versioned = base._replace(version_id="v1")
    assert versioned.idempotency_key == "s3://b/a%20b/c%23d#ObjectCreated:Put@v:v1"
    deleted = versioned._replace(event_name="ObjectRemoved:Delete")
    assert deleted.idempotency_key != versioned.idempotency_key
    # stable: same event delivered twice (even via another shape) -> same key
    e1 = make_event("put", "b", "x y", shape="sqs", when=WHEN, version_id="v")
    e2 = copy.deepcopy(e1)
    assert parse_event(e1)[0].idempotency_key == parse_event(e2)[0].idempotency_key
    direct_ev = make_event("put", "b", "x y", shape="direct", when=WHEN, version_id="v")
    eb = make_event("put", "b", "x y", shape="eventbridge", when=WHEN, version_id="v")
    assert parse_event(direct_ev)[0].idempotency_key == parse_event(eb)[0].idempotency_key


def test_runtime_record_type_matches_the_static_one() -> None:
    # handler.model builds S3Object's base with collections.namedtuple (cheap cold
    # start); the stub handler/_types.pyi spells the same class for mypy.  They must
    # agree, and the fast parser fills all 18 fields positionally.
    stub = ast.parse((REPO / "handler" / "_types.pyi").read_text())
    [cls] = [n for n in stub.body if isinstance(n, ast.ClassDef)]
    fields = [n for n in cls.body if isinstance(n, ast.AnnAssign)]
    names = tuple(n.target.id for n in fields if isinstance(n.target, ast.Name))
    defaults = {
        n.target.id: ast.literal_eval(n.value)
        for n in fields
        if isinstance(n.target, ast.Name) and n.value is not None
    }
    assert S3Object._fields == names
    assert S3Object._field_defaults == defaults
    assert len(names) == 19 and names[-1] == "raw"


def test_message_basics() -> None:
    [msg] = split_event(direct("k"))
    assert msg.where == "Records[0]" and msg.message_id is None and not msg.is_sqs
    assert msg == Message("Records[0]", direct("k")["Records"][0])
    assert msg != Message("Records[1]", msg.raw)
    assert repr(msg).startswith("Message(where='Records[0]', raw={")
    msg.message_id = "m"  # mutable, like the dataclass it replaced
    assert msg.message_id == "m"


def test_raw_is_kept_but_not_part_of_identity() -> None:
    event = make_event("put", "b", "k", when=datetime(2025, 1, 2, tzinfo=UTC))
    [a] = parse_event(event)
    [b] = parse_event(json.loads(json.dumps(event)))
    assert a.raw is event["Records"][0]
    c = b._replace(raw={"other": 1})
    assert a == b == c and hash(a) == hash(c) and len({a, b, c}) == 1
    assert "raw=" not in repr(a) and "key='k'" in repr(a)
    assert a != a._replace(key="other")
