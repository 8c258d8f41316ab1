"""Property: any S3 key survives S3-style encoding in every delivery shape."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any
from unittest import mock
from urllib.parse import quote as url_quote
from urllib.parse import quote_plus
from urllib.parse import unquote_plus as url_unquote_plus

from hypothesis import given, settings
from hypothesis import strategies as st

from handler import S3EventError, model, parse_checked, parse_event
from handler.model import quote, unquote_plus
from handler.parse import _s3_fast
from s3_lambda_trigger.samples import eventbridge_event, s3_record, wrap

WHEN = datetime(2025, 1, 2, tzinfo=UTC)

keys = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=300).filter(
    lambda k: 1 <= len(k.encode("utf-8")) <= 1024
)
safe = st.sampled_from(["", "/", "/*~", "-_.*/~!'()"])  # encoders differ in what they keep


@settings(max_examples=300, deadline=None)
@given(key=keys, safe_chars=safe, shape=st.sampled_from(["direct", "sqs", "sns", "sns-sqs"]))
def test_encoded_key_round_trips(key: str, safe_chars: str, shape: Any) -> None:
    raw = quote_plus(key, safe=safe_chars)
    event = wrap({"Records": [s3_record("ObjectCreated:Put", "b", raw, when=WHEN)]}, shape)
    [record] = parse_event(event)
    assert record.key == key
    assert record.raw_key == raw


@settings(max_examples=200, deadline=None)
@given(key=keys)
def test_eventbridge_key_round_trips(key: str) -> None:
    [record] = parse_event(eventbridge_event("put", "b", key, when=WHEN, size=1))
    assert record.key == key and record.raw_key == quote_plus(key, safe="/")


@settings(max_examples=200, deadline=None)
@given(key=keys, version=st.one_of(st.none(), st.text(min_size=1, max_size=40)))
def test_idempotency_key_is_stable_and_injective_on_key(key: str, version: str | None) -> None:
    [a] = parse_event({"Records": [s3_record("ObjectCreated:Put", "b", quote_plus(key), when=WHEN,
                                              version_id=version)]})  # fmt: skip
    [b] = parse_event({"Records": [s3_record("ObjectCreated:Put", "b", quote_plus(key + "x"),
                                              when=WHEN, version_id=version)]})  # fmt: skip
    assert a.idempotency_key == a.idempotency_key
    assert a.idempotency_key != b.idempotency_key


@settings(max_examples=500, deadline=None)
@given(text=st.text(st.sampled_from("%+aZ09/é한 fF2Ez%%")) | st.text())
def test_unquote_plus_matches_urllib(text: str) -> None:
    try:
        expected = url_unquote_plus(text, errors="strict")
    except UnicodeDecodeError:
        try:
            unquote_plus(text)
        except UnicodeDecodeError:
            return
        raise AssertionError("expected UnicodeDecodeError") from None
    assert unquote_plus(text) == expected


@settings(max_examples=300, deadline=None)
@given(text=keys)
def test_quote_matches_urllib(text: str) -> None:
    assert quote(text) == url_quote(text, safe="/")


# --- the fast paths give exactly what the general (checked) paths give ---------------

ESCAPE_EDGES = [
    "%", "a%", "%4", "%4g", "%g4", "%zz", "%%41", "%41%", "+%2B+", "a+b", "%c3%a9", "%C3%A9",
    "%C3", "%C3%28", "%A9", "%ED%A0%80", "%F4%90%80%80", "%C0%AF", "%FF", "%00", "%0A%0D",
    "\\", "\\x41", "a\\%41", "%5C", "%5Cx41", "\\u00e9%41", "\\N{DASH}", "é%41", "é%C3%A9",
    "%E2%82%AC+%E2%82", "%F0%9F%98%80", "\x00%41", "%7F%80",
]  # fmt: skip


def _check_unquote(text: str) -> None:
    try:
        expected = url_unquote_plus(text, errors="strict")
    except UnicodeDecodeError:
        try:
            unquote_plus(text)
        except UnicodeDecodeError:
            return
        raise AssertionError(f"expected UnicodeDecodeError for {text!r}") from None
    assert unquote_plus(text) == expected, text


def test_unquote_plus_edge_cases() -> None:
    for text in ESCAPE_EDGES:
        _check_unquote(text)


escape_text = st.lists(
    st.sampled_from(["%", "+", "\\", "x", "a", "F", "f", "0", "9", "g", "/", "é"])
    | st.sampled_from(["%C3", "%A9", "%E2%82%AC", "%ED%A0%80", "%F0%9F%98%80", "%FF", "%2B"]),
    max_size=40,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(text=escape_text)
def test_unquote_plus_fast_path_matches_urllib(text: str) -> None:
    _check_unquote(text)


@settings(max_examples=200, deadline=None)
@given(key=keys)
def test_encoded_keys_take_the_fast_path(key: str) -> None:
    raw = quote_plus(key, safe="/")
    with mock.patch.object(model, "_unquote_slow", side_effect=AssertionError) as slow:
        assert unquote_plus(raw) == key
    slow.assert_not_called()  # valid S3-encoded keys never need the general decoder


# A notification record with any field missing or of any JSON type: _s3_fast (the
# fast path) must either decline (None) or give exactly what the checked parser gives.
FIELDS = [
    ("s3",), ("s3", "bucket"), ("s3", "bucket", "name"), ("s3", "object"),
    ("s3", "object", "key"), ("s3", "object", "size"), ("s3", "object", "eTag"),
    ("s3", "object", "versionId"), ("s3", "object", "sequencer"), ("s3", "configurationId"),
    ("eventSource",), ("eventName",), ("eventTime",), ("awsRegion",), ("userIdentity",),
    ("userIdentity", "principalId"), ("requestParameters",),
    ("requestParameters", "sourceIPAddress"), ("responseElements",),
    ("responseElements", "x-amz-request-id"),
]  # fmt: skip
DELETE = object()
values = st.sampled_from(
    [DELETE, None, "", "x", "aws:s3", "s3:ObjectCreated:Put", "%zz", "%C3", "a+b%2B",
     "2025-01-02T03:04:05Z", "2025-01-02T03:04:05", "2025-01-02T03:04:05.123+02:00", "nope",
     0, 1, -1, True, False, 1.5, 2**70, [], ["x"], {}, {"name": "b"}]
)  # fmt: skip


@settings(max_examples=1000, deadline=None)
@given(changes=st.lists(st.tuples(st.sampled_from(FIELDS), values), max_size=4))
def test_fast_record_parser_agrees_with_checked_parser(
    changes: list[tuple[tuple[str, ...], object]],
) -> None:
    rec = s3_record("ObjectCreated:Put", "b", "a+b%2F%C3%A9", when=WHEN, size=3, etag="e",
                    version_id="v")  # fmt: skip
    for path, value in changes:
        parent: Any = rec
        for name in path[:-1]:
            parent = parent.get(name) if isinstance(parent, dict) else None
        if isinstance(parent, dict):
            if value is DELETE:
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = copy.deepcopy(value)
    fast = _s3_fast(rec)
    try:
        checked = parse_checked.s3_record(rec, "Records[0]")
    except S3EventError:
        assert fast is None
        return
    if rec.get("eventSource") == "aws:s3":
        assert fast is None or fast == checked
        if not changes:
            assert fast is not None  # a typical record takes the fast path
    else:
        assert fast is None
