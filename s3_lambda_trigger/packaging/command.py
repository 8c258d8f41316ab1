"""The ``package`` subcommand: its options, and the report it prints."""

from __future__ import annotations

import argparse
import os
import sys

from .pipeline import BuildResult, build
from .target import ARCHITECTURES, DEFAULT_ARCHITECTURE, DEFAULT_RUNTIME, RUNTIMES
from .wheels import CACHE_ENV


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``package`` and its options to the command's subparsers."""
    p = sub.add_parser(
        "package",
        help="build the function zip: handler + your code + wheels for the target",
        description="Build a deterministic Lambda zip: this project's handler package, your "
        "--source packages/modules, and the wheels of -r requirements.txt for the target "
        "runtime and architecture (manylinux wheels: arm64 builds on x86_64, no Docker), with "
        "bytecode when a Python of the runtime's version is found. The same inputs give the "
        "same bytes.",
    )
    p.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="PATH",
        help="a package directory (with __init__.py) or a .py module, added at the zip root "
        "(repeatable)",
    )
    p.add_argument("-r", "--requirements", metavar="FILE", help="pip requirements file")
    p.add_argument("--runtime", choices=RUNTIMES, default=DEFAULT_RUNTIME, help="(%(default)s)")
    p.add_argument(
        "--architecture", choices=ARCHITECTURES, default=DEFAULT_ARCHITECTURE, help="(%(default)s)"
    )
    p.add_argument("-o", "--output", required=True, metavar="ZIP", help="the function zip")
    p.add_argument(
        "--layer-output",
        metavar="ZIP",
        help="put the dependencies in this layer zip (under python/) instead of the function zip",
    )
    p.add_argument(
        "--include-boto3",
        action="store_true",
        help="keep boto3, botocore, s3transfer and jmespath (left out by default: the Lambda "
        "runtime has them)",
    )
    p.add_argument(
        "--no-handler",
        dest="handler",
        action="store_false",
        help="leave out this project's handler package",
    )
    p.add_argument(
        "--find-links",
        action="append",
        default=[],
        metavar="DIR",
        help="also look for wheels here (passed to pip; repeatable)",
    )
    p.add_argument(
        "--cache-dir",
        metavar="DIR",
        help=f"wheel cache (default: ${CACHE_ENV} or ~/.cache/s3-lambda-trigger)",
    )
    p.add_argument(
        "--python",
        metavar="PATH",
        help="interpreter of the runtime's Python version, for bytecode (default: found on "
        "PATH or through pyenv)",
    )
    p.add_argument(
        "--no-bytecode",
        dest="bytecode",
        action="store_false",
        help="do not add __pycache__/*.pyc",
    )


def describe(result: BuildResult) -> str:
    """The command's report: target, then path, sizes and hashes of each zip."""
    bytecode = f"{result.target.cache_tag} ({result.bytecode})" if result.bytecode else "none"
    lines = [f"target: {result.target.describe()}", f"bytecode: {bytecode}"]
    if result.wheels:
        cached = "from the cache" if result.wheels_from_cache else "downloaded"
        lines.append(f"wheels: {len(result.wheels)} ({cached})")
    if result.left_out:
        lines.append(f"left out (the Lambda runtime has them): {', '.join(result.left_out)}")
    for label, archive in (("function zip", result.function), ("layer zip", result.layer)):
        if archive is None:
            continue
        lines += [
            f"{label}: {archive.path}",
            f"  size: {archive.size} bytes",
            f"  unzipped: {archive.unzipped_size} bytes",
            f"  files: {archive.files}",
            f"  sha256: {archive.sha256}",
            f"  base64sha256: {archive.base64_sha256}",
        ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> None:
    """Build as the options say, then print the report (see :func:`describe`)."""
    result = build(
        args.output,
        sources=args.source,
        requirements=args.requirements,
        runtime=args.runtime,
        architecture=args.architecture,
        layer_output=args.layer_output,
        include_boto3=args.include_boto3,
        handler=args.handler,
        find_links=args.find_links,
        cache_dir=args.cache_dir,
        python=args.python,
        bytecode=args.bytecode,
    )
    _print(describe(result))


def _print(text: str) -> None:
    """Print to stdout; a reader gone early (``| head -1``) is no error: the zip is built."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        # Point stdout at /dev/null, so the interpreter's last flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
