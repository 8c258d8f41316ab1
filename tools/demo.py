"""`make demo`: apply examples/basic on the emulator, upload one object, print the handler's
log line for it, destroy. Expects AWS_ENDPOINT_URL (set by `emulator/ctl.py env`)."""

from __future__ import annotations

import json
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from localstack_client.session import Session  # type: ignore[import-untyped]

from tools.stack import REGION, REPO, Stack, TerraformError, log_records, wait_for


def main() -> int:
    stack = Stack(REPO / "examples" / "basic", {"name": f"demo-{uuid.uuid4().hex[:8]}"})
    session = Session(region_name=REGION)
    try:
        print("terraform init + apply examples/basic ...", flush=True)
        stack.init()
        out = stack.apply()
        print(f"  applied in {stack.timings['apply']:.1f} s: bucket {out['bucket_name']}")
        key = "incoming/보고서 1.csv"
        body = b"id,amount\n1,42\n"
        print(f"upload s3://{out['bucket_name']}/{key} ({len(body)} bytes)", flush=True)
        started = time.perf_counter()
        session.client("s3").put_object(Bucket=out["bucket_name"], Key=key, Body=body)
        logs = session.client("logs")
        records = wait_for(
            lambda: [r for r in log_records(logs, out["log_group_name"]) if r.get("key") == key],
            bool,
        )
        if not records:
            print(
                f"error: no log line for {key} in {out['log_group_name']} after 60 s",
                file=sys.stderr,
            )
            return 1
        print(f"handler log line ({time.perf_counter() - started:.2f} s after the upload):")
        print(json.dumps(records[0], ensure_ascii=False, indent=2))
        return 0
    except TerraformError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        print("terraform destroy ...", flush=True)
        stack.destroy()


if __name__ == "__main__":
    sys.exit(main())
