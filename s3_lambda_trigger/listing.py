"""List a bucket's objects that match the rules and a time range, page by page, in key order.

Unversioned buckets: ListObjectsV2 per listing prefix (``StartAfter`` resumes). Versioned
(or versioning-suspended) buckets: ListObjectVersions (``KeyMarker`` resumes), keeping each
key's latest version unless that is a delete marker. Each page yields the last key listed
(where a resumed listing starts after), how many objects it listed, and the matching items.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .checkpoint import Item
from .rules import Rule, listing_prefixes, matches


@dataclass(frozen=True)
class Page:
    last: str  # the last key listed in this page
    listed: int  # objects listed (latest versions only, no delete markers)
    items: list[Item]  # those that match: [key, size, etag, last-modified ISO, version id]


@dataclass(frozen=True)
class Window:
    """LastModified in [since, before); either end may be open."""

    since: datetime | None = None
    before: datetime | None = None

    def __contains__(self, when: datetime) -> bool:
        return (self.since is None or when >= self.since) and (
            self.before is None or when < self.before
        )


def is_versioned(s3: Any, bucket: str) -> bool:
    """True if the bucket has (or had) versioning: its objects may carry version ids."""
    status = s3.get_bucket_versioning(Bucket=bucket).get("Status")
    return status in ("Enabled", "Suspended")


def item(key: str, size: int, etag: str, modified: datetime, version: str | None) -> Item:
    return [key, int(size), etag.strip('"'), modified.astimezone(UTC).isoformat(), version]


def pages(
    s3: Any,
    bucket: str,
    rules: Sequence[Rule],
    *,
    window: Window | None = None,
    start_after: str | None = None,
    versioned: bool = False,
    page_size: int = 1000,
) -> Iterator[Page]:
    """The pages of every listing prefix of ``rules``, in key order, after ``start_after``."""
    listing = _Listing(s3, bucket, rules, window or Window(), page_size)
    for prefix in listing_prefixes(rules):
        if versioned:
            yield from listing.versions(prefix, start_after)
        else:
            yield from listing.objects(prefix, start_after)


@dataclass(frozen=True)
class _Listing:
    s3: Any
    bucket: str
    rules: Sequence[Rule]
    window: Window
    page_size: int

    def _wanted(self, key: str, modified: datetime) -> bool:
        return matches(self.rules, key) and modified in self.window

    def objects(self, prefix: str, start_after: str | None) -> Iterator[Page]:
        params: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        if start_after:
            params["StartAfter"] = start_after
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(**params, PaginationConfig={"PageSize": self.page_size}):
            contents = page.get("Contents") or []
            if not contents:
                continue
            items = [
                item(o["Key"], o.get("Size", 0), o.get("ETag", ""), o["LastModified"], None)
                for o in contents
                if self._wanted(o["Key"], o["LastModified"])
            ]
            yield Page(contents[-1]["Key"], len(contents), items)

    def versions(self, prefix: str, start_after: str | None) -> Iterator[Page]:
        params: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        if start_after:
            params["KeyMarker"] = start_after
        paginator = self.s3.get_paginator("list_object_versions")
        for page in paginator.paginate(**params, PaginationConfig={"PageSize": self.page_size}):
            versions = page.get("Versions") or []
            markers = page.get("DeleteMarkers") or []
            keys = [v["Key"] for v in versions] + [m["Key"] for m in markers]
            if not keys:
                continue
            latest = [v for v in versions if v.get("IsLatest")]
            items = [
                item(
                    v["Key"], v.get("Size", 0), v.get("ETag", ""), v["LastModified"], v["VersionId"]
                )
                for v in latest
                if self._wanted(v["Key"], v["LastModified"])
            ]
            yield Page(max(keys), len(latest), items)
