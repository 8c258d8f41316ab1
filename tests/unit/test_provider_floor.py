"""The AWS provider floor the module declares is the oldest version that has everything it uses.

FEATURES records, for every resource and data source type in the module root's *.tf, for the
arguments and values that arrived late, and for what an upcoming change adds (planned), the first
hashicorp/aws release that has it and where that comes from. The floor is the newest of them; it
must be declared, exactly, as ">= FLOOR" by versions.tf, every examples/*/ configuration and every
other configuration with a terraform block under tests/ and bench/stacks/.

"CHANGELOG" means hashicorp/terraform-provider-aws CHANGELOG.md, the release heading named. An
entry marked "bound" is an upper bound (the feature is in that release; the exact first release
was not pinned down); bounds sit far below the floor, so they cannot move it.

Adding a resource type, a late argument or a runtime without a row here fails this test: look up
its first provider release, add the row, and raise the declared floors if it is the newest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
import pytest

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Feature:
    name: str  # "type", "type.argument" or 'type.argument="value"'
    version: str  # first hashicorp/aws release that has it
    source: str
    planned: bool = False  # not used yet: an upcoming change adds it


PRE_SPLIT = "bound: in Terraform core before the providers were split out; in provider 0.1.0"

FEATURES = (
    # --- resources the module creates -----------------------------------------------------
    Feature("aws_s3_bucket", "0.1.0", PRE_SPLIT),
    Feature("aws_s3_bucket_policy", "0.1.0", PRE_SPLIT),
    Feature("aws_s3_bucket_notification", "0.1.0", PRE_SPLIT),
    Feature(
        "aws_s3_bucket_notification.eventbridge",
        "3.74.0",
        "bound: not in the 3.68.0-3.73.0 CHANGELOG sections (the stored 3.74.0 section lists no"
        " enhancements); asked for in provider issue #22013 (2021-12-02) and reported supported"
        " by terraform-aws-modules/terraform-aws-s3-bucket#131 on 2022-02-06, before 3.74.1",
    ),
    Feature(
        "aws_s3_bucket_public_access_block",
        "1.54.0",
        "CHANGELOG 1.54.0 (December 21, 2018): New Resource (#6607)",
    ),
    Feature(
        "aws_s3_bucket_ownership_controls",
        "3.10.0",
        "CHANGELOG 3.10.0 (October 09, 2020): New Resource (#15482)",
    ),
    Feature(
        "aws_s3_bucket_server_side_encryption_configuration",
        "3.75.0",
        "CHANGELOG 3.75.0 (March 18, 2022): New Resource (#23476), backport of 4.0.0 (#22609)",
    ),
    Feature(
        "aws_s3_bucket_versioning",
        "3.75.0",
        "CHANGELOG 3.75.0 (March 18, 2022): New Resource (#23432), backport of 4.0.0 (#5132)",
    ),
    Feature("aws_iam_role", "0.1.0", PRE_SPLIT),
    Feature("aws_iam_role_policy", "0.1.0", PRE_SPLIT),
    Feature("aws_cloudwatch_log_group", "0.1.0", PRE_SPLIT),
    Feature("aws_lambda_function", "0.1.0", PRE_SPLIT),
    Feature(
        "aws_lambda_function.logging_config",
        "5.32.0",
        "CHANGELOG 5.32.0 (January 11, 2024): resource/aws_lambda_function: Add"
        " `logging_config` configuration block (#35050)",
    ),
    Feature(
        'aws_lambda_function.runtime="python3.11"',
        "5.11.0",
        "bound: provider issue #32817 (5.10 rejects python3.11 at plan);"
        " cattle-ops/terraform-aws-gitlab-runner#979 requires >= 5.11.0 for it",
    ),
    Feature(
        'aws_lambda_function.runtime="python3.12"',
        "5.32.0",
        "CHANGELOG 5.32.0 (January 11, 2024): Add support for `python3.12` `runtime` value"
        " (#35049)",
    ),
    Feature(
        'aws_lambda_function.runtime="python3.13"',
        "5.76.0",
        "the module's default runtime. Provider issue #40107: 5.75.1 rejects python3.13 at plan"
        " (`expected runtime to be one of [...]`, the list of aws-sdk-go-v2's lambda enum);"
        " aws-sdk-go-v2 service/lambda v1.66.0 (2024-11-11) adds python3.13; 5.76.0"
        " (2024-11-14) is the next provider release; cattle-ops/terraform-aws-gitlab-runner#1266"
        " settled on >= 5.76 for python3.13 from the provider docs",
    ),
    Feature(
        "aws_lambda_function_recursion_config",
        "5.67.0",
        "CHANGELOG 5.67.0 (September 12, 2024): New Resource (#39153)",
    ),
    Feature(
        "aws_lambda_function_event_invoke_config",
        "2.42.0",
        "bound: New Resource in provider PR #11165 (opened 2019-12-06, merged); in every 3.x",
    ),
    Feature("aws_lambda_permission", "0.1.0", PRE_SPLIT),
    Feature("aws_sqs_queue", "0.1.0", PRE_SPLIT),
    Feature(
        "aws_sqs_queue.sqs_managed_sse_enabled",
        "3.69.0",
        "CHANGELOG 3.69.0 (December 09, 2021): resource/aws_sqs_queue: Add"
        " `sqs_managed_sse_enabled` argument (#21954)",
    ),
    # --- data sources -------------------------------------------------------------------------
    Feature("data.aws_caller_identity", "0.1.0", PRE_SPLIT),
    Feature("data.aws_partition", "1.0.0", "bound: in every 1.x release"),
    Feature("data.aws_region", "0.1.0", PRE_SPLIT),
    # --- planned: an upcoming change adds these ------------------------------------------------
    Feature("aws_lambda_event_source_mapping", "0.1.0", PRE_SPLIT, planned=True),
    Feature(
        "aws_lambda_event_source_mapping.scaling_config",
        "4.51.0",
        "CHANGELOG 4.51.0 (January 19, 2023): resource/aws_lambda_event_source_mapping: Add"
        " `scaling_config` argument (#28876); maximum_concurrency is its only field",
        planned=True,
    ),
    Feature("aws_cloudwatch_event_rule", "0.1.0", PRE_SPLIT, planned=True),
    Feature("aws_cloudwatch_event_target", "0.1.0", PRE_SPLIT, planned=True),
    Feature(
        "aws_cloudwatch_event_target.dead_letter_config",
        "3.29.0",
        "CHANGELOG 3.29.0 (February 19, 2021): Adds `dead_letter_config` attributes (#17241)",
        planned=True,
    ),
    Feature(
        "aws_cloudwatch_event_target.retry_policy",
        "3.29.0",
        "CHANGELOG 3.29.0 (February 19, 2021): Adds `retry_policy` attributes (#17241)",
        planned=True,
    ),
    Feature("aws_cloudwatch_metric_alarm", "0.1.0", PRE_SPLIT, planned=True),
)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


FLOOR = max((f.version for f in FEATURES), key=_version)


def _unquote(value: Any) -> str:
    text = str(value)
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        return dict(hcl2.load(f))


def _types(doc: dict[str, Any], kind: str) -> set[str]:
    return {_unquote(name) for block in doc.get(kind, []) for name in block}


def _module_types() -> set[str]:
    used: set[str] = set()
    for path in sorted(REPO.glob("*.tf")):
        doc = _load(path)
        used |= _types(doc, "resource")
        used |= {f"data.{t}" for t in _types(doc, "data")}
    return used


def _configurations() -> list[Path]:
    """Every .tf file with a terraform block: the module, examples, tests, bench stacks."""
    candidates = [REPO / "versions.tf"]
    for pattern in ("examples/*/*.tf", "tests/**/*.tf", "bench/stacks/**/*.tf"):
        candidates += sorted(REPO.glob(pattern))
    found = []
    for path in candidates:
        if ".terraform" in path.parts or path.name.endswith("_override.tf"):
            continue  # provider caches and generated emulator overrides
        if re.search(r"^terraform\s*\{", path.read_text(encoding="utf-8"), re.M):
            found.append(path)
    return found


def _aws_constraint(path: Path) -> str | None:
    for block in _load(path).get("terraform", []):
        for providers in block.get("required_providers", []):
            aws = providers.get("aws")
            if aws is not None:
                return _unquote(aws.get("version"))
    return None


def test_table_has_every_resource_and_data_source_the_module_uses() -> None:
    known = {f.name for f in FEATURES}
    missing = sorted(_module_types() - known)
    assert not missing, (
        f"{missing} used by the module but not in FEATURES: find the first hashicorp/aws release"
        " with each (CHANGELOG), add a row, and raise the declared floor if it is newer than"
        f" {FLOOR}"
    )


def test_table_has_every_allowed_runtime() -> None:
    text = (REPO / "variables.tf").read_text(encoding="utf-8")
    allowed = re.search(r"contains\(\[([^\]]*)\],\s*var\.runtime\)", text)
    assert allowed, "variables.tf: runtime validation not found"
    known = {f.name for f in FEATURES}
    for runtime in re.findall(r'"([^"]+)"', allowed.group(1)):
        assert f'aws_lambda_function.runtime="{runtime}"' in known, (
            f"runtime {runtime} is allowed but FEATURES does not say which provider accepts it"
        )


def test_every_row_names_a_version_and_a_source() -> None:
    for feature in FEATURES:
        assert re.fullmatch(r"\d+\.\d+\.\d+", feature.version), feature
        assert feature.source.strip(), feature


def test_floor_is_the_newest_entry() -> None:
    assert FLOOR == "5.76.0", "update the README text on the provider floor as well"


def test_configurations_are_found() -> None:
    names = {p.relative_to(REPO).as_posix() for p in _configurations()}
    assert "versions.tf" in names
    assert {f"examples/{d.name}/main.tf" for d in (REPO / "examples").iterdir() if d.is_dir()} <= (
        names
    )


@pytest.mark.parametrize("path", _configurations(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_declared_floor_is_the_table_floor(path: Path) -> None:
    constraint = _aws_constraint(path)
    assert constraint == f">= {FLOOR}", (
        f"{path.relative_to(REPO)}: hashicorp/aws version is {constraint!r}, expected"
        f' ">= {FLOOR}" (the first release with everything the module uses, see FEATURES)'
    )
