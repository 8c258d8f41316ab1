"""Notification rules as backfill reads them: from flags, ``terraform output`` or the state.

A rule is a (prefix, suffix) pair; an object matches a rule when its key starts with the
prefix and ends with the suffix (S3's filter semantics), and matches the set when it
matches any rule. Only rules that invoke the module's function with object-create events
count: a rule for another function, or for ObjectRemoved events only, is not backfilled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class RuleError(ValueError):
    """The rules given or found are unusable (printed as one ``error:`` line)."""


@dataclass(frozen=True, order=True)
class Rule:
    prefix: str = ""
    suffix: str = ""
    name: str = ""

    def matches(self, key: str) -> bool:
        return key.startswith(self.prefix) and key.endswith(self.suffix)

    def __str__(self) -> str:
        text = f"{self.prefix}*{self.suffix}"
        return f"{self.name} ({text})" if self.name else text


def matches(rules: Sequence[Rule], key: str) -> bool:
    return any(r.matches(key) for r in rules)


def from_flags(prefixes: Sequence[str], suffixes: Sequence[str]) -> list[Rule]:
    """Rules from repeated ``--prefix``/``--suffix``: paired in order when both are given the
    same number of times; a single one (or none) applies to every rule of the other."""
    prefixes, suffixes = list(prefixes), list(suffixes)
    if not prefixes and not suffixes:
        raise RuleError(
            "no rules: pass --prefix and/or --suffix (--prefix '' for the whole bucket)"
        )
    if len(prefixes) > 1 and len(suffixes) > 1 and len(prefixes) != len(suffixes):
        raise RuleError(
            f"bad rules: {len(prefixes)} --prefix and {len(suffixes)} --suffix flags; give "
            "them in pairs (one rule per pair), or one of them once to apply to every rule"
        )
    if len(prefixes) <= 1:
        prefixes = prefixes * max(len(suffixes), 1) or [""] * len(suffixes)
    if len(suffixes) <= 1:
        suffixes = suffixes * len(prefixes) or [""] * len(prefixes)
    rules = [Rule(p, s) for p, s in zip(prefixes, suffixes, strict=True)]
    for rule in rules:
        if rule.prefix.startswith("/"):
            raise RuleError(
                f"bad rules: prefix {rule.prefix!r} starts with '/'; S3 keys have no leading "
                "slash (use 'incoming/', not '/incoming/')"
            )
    return sorted(set(rules))


def _creates(events: object) -> bool:
    return isinstance(events, list) and any(
        isinstance(e, str) and e.startswith("s3:ObjectCreated:") for e in events
    )


def targets(function_arn: str, function: str) -> bool:
    """True if ``function_arn`` (a rule's target) is ``function`` (a name or an ARN)."""
    if function.startswith("arn:"):
        return function_arn.split(":")[:7] == function.split(":")[:7]
    return function_arn.split(":")[6:7] == [function]


def from_output(rules: object, function: str) -> list[Rule]:
    """Rules of the module's ``notification_rules`` output that invoke ``function`` (name or
    ARN) on object-create events."""
    if not isinstance(rules, Mapping):
        raise RuleError(f"bad rules: notification_rules is not a map of rules: {rules!r}")
    out = []
    for name, rule in rules.items():
        if not isinstance(rule, Mapping) or not isinstance(rule.get("function_arn"), str):
            raise RuleError(f"bad rules: rule {name!r} has no function_arn: {rule!r}")
        if targets(rule["function_arn"], function) and _creates(rule.get("events")):
            out.append(Rule(rule.get("filter_prefix") or "", rule.get("filter_suffix") or "", name))
    return sorted(out)


def from_state(state: Mapping[str, Any]) -> tuple[str, str, list[Rule]]:
    """(bucket, function ARN, rules) from ``terraform show -json``: the one
    aws_s3_bucket_notification in the state, and the function of its module."""
    notifications: list[tuple[str, dict[str, Any]]] = []
    functions: dict[str, list[dict[str, Any]]] = {}
    for address, resource in _resources(state.get("values", {}).get("root_module", {})):
        values = resource.get("values") or {}
        if resource.get("type") == "aws_s3_bucket_notification":
            notifications.append((address, values))
        elif resource.get("type") == "aws_lambda_function":
            functions.setdefault(address, []).append(values)
    if len(notifications) != 1:
        found = ", ".join(a or "root" for a, _ in notifications) or "none"
        raise RuleError(
            f"expected one aws_s3_bucket_notification in the Terraform state, found {found}; "
            "pass --bucket, --function and --prefix/--suffix, or output notification_rules"
        )
    address, values = notifications[0]
    own = functions.get(address, [])
    if len(own) != 1 or not own[0].get("arn"):
        raise RuleError(f"no single aws_lambda_function next to the notification in {address}")
    function_arn = str(own[0]["arn"])
    rules = [
        Rule(r.get("filter_prefix") or "", r.get("filter_suffix") or "", r.get("id") or "")
        for r in values.get("lambda_function") or []
        if targets(str(r.get("lambda_function_arn")), function_arn) and _creates(r.get("events"))
    ]
    return str(values.get("bucket")), function_arn, sorted(rules)


def _resources(module: Mapping[str, Any]) -> Iterable[tuple[str, dict[str, Any]]]:
    for resource in module.get("resources") or []:
        yield module.get("address", ""), resource
    for child in module.get("child_modules") or []:
        yield from _resources(child)


def listing_prefixes(rules: Sequence[Rule]) -> list[str]:
    """The fewest prefixes to list so that every key a rule can match is listed once, in
    key order: a prefix that extends another is dropped ('' lists the whole bucket)."""
    out: list[str] = []
    for prefix in sorted({r.prefix for r in rules}):
        if not any(prefix.startswith(kept) for kept in out):
            out.append(prefix)
    return out
