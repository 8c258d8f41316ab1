"""The build: check the inputs, stage code and wheels, compile, zip, check the sizes."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .archive import UNZIPPED_LIMIT, ZIPPED_LIMIT, Archive, check_sizes, tree_entries, write_zip
from .bytecode import compile_trees, find_python
from .errors import PackagingError
from .prune import clean_site
from .sources import Source, check_sources, copy_package, handler_package, top_name
from .target import DEFAULT_ARCHITECTURE, DEFAULT_RUNTIME, Target
from .wheels import check_find_links, default_cache_dir, fetch_wheels, install_wheels


@dataclass(frozen=True)
class BuildResult:
    """What :func:`build` wrote."""

    target: Target
    function: Archive
    layer: Archive | None
    bytecode: str | None  # the interpreter that compiled the .pyc, None for no bytecode
    wheels: tuple[str, ...]  # wheel files installed
    left_out: tuple[str, ...]  # "name version" of distributions the runtime provides
    wheels_from_cache: bool  # True when no pip download ran

    @property
    def archives(self) -> tuple[Archive, ...]:
        return (self.function,) if self.layer is None else (self.function, self.layer)


def _note(message: str) -> None:
    print(f"note: {message}", file=sys.stderr)


def _top_names(root: Path) -> set[str]:
    return {top_name(p.name) for p in root.iterdir()} if root.is_dir() else set()


@dataclass(frozen=True)
class _Plan:
    """The checked inputs of one build."""

    target: Target
    output: Path
    layer: Path | None
    sources: list[Source]
    requirements: Path | None
    find_links: list[str]
    handler_dir: Path | None
    include_boto3: bool


def _plan(
    output: Path | str,
    *,
    sources: Sequence[Path | str],
    requirements: Path | str | None,
    target: Target,
    layer_output: Path | str | None,
    include_boto3: bool,
    handler: bool,
    find_links: Sequence[str],
) -> _Plan:
    layer = Path(layer_output) if layer_output is not None else None
    if layer is not None and layer.resolve() == Path(output).resolve():
        raise PackagingError("--layer-output must differ from --output")
    checked = check_sources(sources)
    req = Path(requirements) if requirements is not None else None
    if req is not None and not req.is_file():
        raise PackagingError(f"-r {requirements}: no such requirements file")
    if layer is not None and req is None:
        raise PackagingError("--layer-output holds the dependencies: also pass -r requirements")
    handler_dir = handler_package() if handler else None
    if handler_dir is not None and "handler" in {top_name(s.name) for s in checked}:
        raise PackagingError(
            "a --source is named 'handler', like this project's handler package; pass "
            "--no-handler to deploy yours instead, or rename it"
        )
    return _Plan(
        target=target,
        output=Path(output),
        layer=layer,
        sources=checked,
        requirements=req,
        find_links=check_find_links(find_links),
        handler_dir=handler_dir,
        include_boto3=include_boto3,
    )


def _stage_code(plan: _Plan, root: Path) -> None:
    """Copy the handler and the sources to ``root`` (the function zip's root)."""
    root.mkdir()
    if plan.handler_dir is not None:
        copy_package(plan.handler_dir, root / "handler", python_only=True)
    for source in plan.sources:
        if source.is_package:
            copy_package(source.path, root / source.name, python_only=False)
        else:
            shutil.copyfile(source.path, root / source.name)


def _stage_dependencies(
    plan: _Plan, site: Path, cache: Path
) -> tuple[list[Path], bool, tuple[str, ...]]:
    """Install the wheels into ``site``: (wheels, whether from the cache, left out)."""
    site.mkdir()
    if plan.requirements is None:
        return [], False, ()
    wheels, from_cache = fetch_wheels(
        plan.requirements,
        plan.target,
        cache,
        find_links=plan.find_links,
        include_boto3=plan.include_boto3,
    )
    install_wheels(wheels, site, plan.target)
    left_out = clean_site(site, include_boto3=plan.include_boto3)
    return wheels, from_cache, left_out


def _bytecode_python(target: Target, python: str | None, note: Callable[[str], None]) -> str | None:
    interpreter = find_python(target, python)
    if interpreter is None:
        note(
            f"no Python {target.python_version} found (looked on PATH for "
            f"python{target.python_version} and in pyenv), so the zip has no bytecode and "
            f"every cold start of {target.runtime} compiles the code; pass --python "
            f"/path/to/python{target.python_version} to add it, or --no-bytecode to "
            "silence this note"
        )
    return interpreter


def build(
    output: Path | str,
    *,
    sources: Sequence[Path | str] = (),
    requirements: Path | str | None = None,
    runtime: str = DEFAULT_RUNTIME,
    architecture: str = DEFAULT_ARCHITECTURE,
    layer_output: Path | str | None = None,
    include_boto3: bool = False,
    handler: bool = True,
    find_links: Sequence[str] = (),
    cache_dir: Path | str | None = None,
    python: str | None = None,
    bytecode: bool = True,
    zipped_limit: int = ZIPPED_LIMIT,
    unzipped_limit: int = UNZIPPED_LIMIT,
    note: Callable[[str], None] = _note,
) -> BuildResult:
    """Build the function zip (and the layer zip); see the package docstring.

    Raises PackagingError for bad inputs, dependencies without a wheel for the target,
    and zips over Lambda's size limits (those zips are written, for a look or an upload
    through S3).
    """
    target = Target(runtime, architecture)
    plan = _plan(
        output,
        sources=sources,
        requirements=requirements,
        target=target,
        layer_output=layer_output,
        include_boto3=include_boto3,
        handler=handler,
        find_links=find_links,
    )
    interpreter = _bytecode_python(target, python, note) if bytecode else None
    cache = (Path(cache_dir) if cache_dir is not None else default_cache_dir()).resolve()
    with tempfile.TemporaryDirectory(prefix="s3-lambda-trigger-package-") as tmp:
        function_root, site = Path(tmp, "function"), Path(tmp, "site")
        _stage_code(plan, function_root)
        wheels, from_cache, left_out = _stage_dependencies(plan, site, cache)
        clash = sorted(_top_names(function_root) & _top_names(site))
        if clash:
            raise PackagingError(
                f"{', '.join(clash)}: both in your code and in the dependencies of -r "
                f"{requirements}; rename your package or drop the requirement"
            )
        if interpreter is not None:
            compile_trees(interpreter, [(function_root, True), (site, False)], target)

        function_entries = tree_entries(function_root)
        site_entries = tree_entries(site, "python/" if plan.layer else "", keep_exec=True)
        if plan.layer is None:
            function_entries += site_entries
        if not function_entries:
            raise PackagingError("nothing to put in the function zip: pass --source or -r")
        function = write_zip(function_entries, plan.output)
        layer = write_zip(site_entries, plan.layer) if plan.layer is not None else None

    result = BuildResult(
        target=target,
        function=function,
        layer=layer,
        bytecode=interpreter,
        wheels=tuple(w.name for w in wheels),
        left_out=left_out,
        wheels_from_cache=from_cache,
    )
    check_sizes(result.archives, zipped_limit=zipped_limit, unzipped_limit=unzipped_limit)
    return result
