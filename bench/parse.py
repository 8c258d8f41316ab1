"""Parsing throughput: records/second, ours vs Powertools S3Event (table; no assertions).

Both read the same fields from a 100-record direct event: bucket, decoded key,
size, etag.  Ours also validates every record and parses eventTime.
Writes build/bench/parse.json.
"""

from __future__ import annotations

import json
import sys
import timeit
from pathlib import Path
from urllib.parse import unquote_plus

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from aws_lambda_powertools.utilities.data_classes import S3Event  # noqa: E402

from handler import parse_event  # noqa: E402
from handler.samples import make_event  # noqa: E402

N_RECORDS = 100


def payload() -> dict[str, object]:
    records = []
    for i in range(N_RECORDS):
        key = f"incoming/2025/보고서 {i}+final.csv" if i % 2 else f"logs/app-{i}.json"
        records += make_event("put", "bench-bucket", key, size=i * 10)["Records"]
    return {"Records": records}


def ours(event: dict[str, object]) -> int:
    n = 0
    for r in parse_event(event):
        _ = (r.bucket, r.key, r.size, r.etag)
        n += 1
    return n


def powertools(event: dict[str, object]) -> int:
    n = 0
    for r in S3Event(event).records:
        s3 = r.s3
        obj = s3.get_object
        _ = (s3.bucket.name, unquote_plus(obj.key), obj.size, obj.etag)
        n += 1
    return n


def main() -> None:
    event = payload()
    assert ours(event) == powertools(event) == N_RECORDS
    rows = {}
    for name, fn in (("ours", ours), ("powertools", powertools)):
        timer = timeit.Timer(lambda fn=fn: fn(event))
        loops, _ = timer.autorange()
        best = min(timer.repeat(repeat=7, number=loops)) / loops
        rows[name] = N_RECORDS / best
    ratio = rows["ours"] / rows["powertools"]
    print(f"parse {N_RECORDS}-record direct event, best of 7, {sys.version.split()[0]}")
    print(f"{'parser':12} {'records/s':>12} {'us/record':>10}")
    for name, rps in rows.items():
        print(f"{name:12} {rps:12,.0f} {1e6 / rps:10.2f}")
    print(f"ours / powertools: {ratio:.2f}x")
    out = REPO / "build" / "bench" / "parse.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "python": sys.version.split()[0],
                "records": N_RECORDS,
                "records_per_second": {k: round(v) for k, v in rows.items()},
                "ratio": round(ratio, 2),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
