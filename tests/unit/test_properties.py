"""Property: any S3 key survives S3-style encoding in every delivery shape."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote as url_quote
from urllib.parse import quote_plus
from urllib.parse import unquote_plus as url_unquote_plus

from hypothesis import given, settings
from hypothesis import strategies as st

from handler import parse_event
from handler.events import quote, unquote_plus
from handler.samples import eventbridge_event, s3_record, wrap

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
def test_eventbridge_key_taken_verbatim(key: str) -> None:
    [record] = parse_event(eventbridge_event("put", "b", key, when=WHEN, size=1))
    assert record.key == record.raw_key == key


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
