"""s3-lambda-trigger package: wheels for the target, deterministic zips, bytecode, limits.

Needs the network to PyPI (Pillow and boto3 wheels; Pillow is downloaded at most once
per architecture per session, every other Pillow build runs offline from that wheel)
and a Python 3.13 (the default runtime's version) for the bytecode tests: without one
they fail, they do not skip.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from s3_lambda_trigger import packaging
from s3_lambda_trigger.packaging import (
    ARCHITECTURES,
    RUNTIMES,
    Archive,
    BuildResult,
    PackagingError,
    Target,
    build,
    check_sizes,
    find_python,
    pipeline,
)

REPO = Path(__file__).resolve().parents[2]
PILLOW = "pillow==12.0.0\n"
EPOCH = (1980, 1, 1, 0, 0, 0)
EM = {"x86_64": 62, "arm64": 183}  # ELF e_machine: EM_X86_64, EM_AARCH64
MACHINE = {"x86_64": "x86_64", "arm64": "aarch64"}
PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath")
HANDLER_DIR = packaging.handler_package()
HANDLER_FILES = sorted(  # relative paths of the handler's sources, e.g. "app.py"
    p.relative_to(HANDLER_DIR).as_posix()
    for p in HANDLER_DIR.rglob("*.py")
    if "__pycache__" not in p.parts
)
EVENT = {
    "Records": [{
        "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
        "eventTime": "2025-01-02T03:04:05.000Z", "awsRegion": "us-east-1",
        "s3": {"bucket": {"name": "my-bucket"}, "object": {"key": "incoming/a.csv"}},
    }]
}  # fmt: skip

MYPKG = {
    "__init__.py": 'KINDS = frozenset({"csv", "json", "parquet", "avro", "orc", "txt"})\n'
    "def kind(key):\n"
    '    ext = key.rsplit(".", 1)[-1]\n'
    '    return ext if ext in {"csv", "json", "gz", "zip", "tar", "bz2"} else None\n',
    "sub/__init__.py": "",
    "sub/mod.py": "from .. import KINDS\nVALUE = sorted(KINDS)\n",
    "notes.txt": "package data: shipped as is\n",
}


def _python313() -> str:
    python = find_python(Target("python3.13"))
    assert python, "no Python 3.13 on this machine (PATH or pyenv): the bytecode tests need one"
    return python


def make_source(root: Path, *, mtime: int = 1_700_000_000, mode: int = 0o644) -> Path:
    """``root/mypkg``: a small package, plus junk that must not reach the zip."""
    pkg = root / "mypkg"
    for name, text in MYPKG.items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(text)
    (pkg / "__pycache__").mkdir()
    (pkg / "__pycache__" / "__init__.cpython-311.pyc").write_bytes(os.urandom(32))
    (pkg / "sub" / "stray.pyc").write_bytes(os.urandom(16))
    (pkg / ".DS_Store").write_bytes(os.urandom(16))
    (pkg / ".mypy_cache").mkdir()
    (pkg / ".mypy_cache" / "junk.txt").write_text(str(mtime))
    for path in [pkg, *pkg.rglob("*")]:
        if path.is_file():
            path.chmod(mode)
        os.utime(path, (mtime, mtime))
    return pkg


@dataclass
class Built:
    root: Path
    source: Path
    requirements: Path
    cache: Path
    wheel_dir: Path
    result: BuildResult
    data: bytes


@pytest.fixture(scope="session")
def pillow(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Built]:
    """A first build of mypkg + Pillow per architecture: the only Pillow download."""
    built: dict[str, Built] = {}
    pip_env = {k: v for k, v in os.environ.items() if k.startswith("PIP_")}

    def get(arch: str) -> Built:
        if arch not in built:
            with pytest.MonkeyPatch.context() as mp:  # the network, whatever the test set
                for name in [k for k in os.environ if k.startswith("PIP_")]:
                    mp.delenv(name)
                for name, value in pip_env.items():
                    mp.setenv(name, value)
                built[arch] = first_build(arch)
        return built[arch]

    def first_build(arch: str) -> Built:
        root = tmp_path_factory.mktemp(f"pillow-{arch}")
        source = make_source(root / "src")
        req = root / "requirements.txt"
        req.write_text(PILLOW)
        out = root / "out" / "function.zip"
        result = build(out, sources=[source], requirements=req, architecture=arch,
                       cache_dir=root / "cache", python=_python313())  # fmt: skip
        assert not result.wheels_from_cache
        wheel_dir = root / "cache" / "wheels" / f"python3.13-{arch}"
        return Built(root, source, req, root / "cache", wheel_dir, result,
                     out.read_bytes())  # fmt: skip

    return get


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No package index at all: pip finds only what --find-links gives it."""
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """An index that refuses every connection, at once."""
    for name in ("PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "1")


def cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "s3_lambda_trigger", "package", *args], cwd=cwd,
        env={**os.environ, **(env or {})}, capture_output=True, text=True, check=False,
    )  # fmt: skip


def error_line(run: subprocess.CompletedProcess[str]) -> str:
    """The one ``error:`` line of a failed command (and nothing like a traceback)."""
    assert run.returncode == 1, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, run.stderr
    return errors[0]


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def wheel_files(zf: zipfile.ZipFile, prefix: str = "") -> set[str]:
    """Entries exactly as their wheel has them: listed in a RECORD with the same hash."""
    names = set(zf.namelist())
    same = set()
    for record in sorted(n for n in names if n.endswith(".dist-info/RECORD")):
        for row in csv.reader(zf.read(record).decode().splitlines()):
            path, digest = prefix + row[0], row[1]
            if digest and path in names and record_hash(zf.read(path)) == digest:
                same.add(path)
    return same


def assert_deterministic_layout(zf: zipfile.ZipFile, *, tmp: list[str], home: str = "") -> None:
    """Sorted, fixed metadata, no directories, no caches, no paths of this machine.

    ``tmp`` must be in no entry; ``home`` in no entry but the files copied unchanged from
    a wheel (a wheel may hold its builder's paths, e.g. /root/usr/lib/gcc in a .so).
    """
    infos = zf.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert len(set(names)) == len(names)
    unmodified = wheel_files(zf, "python/" if names[0].startswith("python/") else "")
    for info in infos:
        assert not info.is_dir(), info.filename
        assert info.date_time == EPOCH
        assert info.create_system == 3
        assert info.compress_type == zipfile.ZIP_DEFLATED
        mode = info.external_attr >> 16
        assert mode == 0o100644 or (mode == 0o100755 and info.filename in unmodified), info
        assert not info.filename.startswith("/") and ".." not in info.filename.split("/")
        assert not info.filename.startswith(("bin/", "python/bin/")), info.filename
        assert not info.filename.endswith("direct_url.json"), info.filename
        data = zf.read(info)
        for path in [*tmp, "s3-lambda-trigger-package-"]:
            assert path.encode() not in data, (path, info.filename)
        if home and info.filename not in unmodified:
            assert home.encode() not in data, (home, info.filename)
        if info.filename.endswith(".pyc"):
            assert "/__pycache__/" in f"/{info.filename}"
            assert info.filename.endswith(".cpython-313.pyc"), info.filename
        if info.filename.endswith(".dist-info/RECORD"):
            for row in csv.reader(data.decode().splitlines()):
                assert not row[0].startswith(("/", "../")), row


def pyc_of(source: str) -> str:
    """``handler/app.py`` -> ``handler/__pycache__/app.cpython-313.pyc``."""
    folder, _, name = source.rpartition("/")
    return f"{folder}/__pycache__/{name[:-3]}.cpython-313.pyc"


def elf_machine(data: bytes) -> int:
    assert data[:4] == b"\x7fELF"
    return int.from_bytes(data[18:20], "little")


# --- interpreters --------------------------------------------------------------------


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_finds_an_interpreter_of_each_runtime(runtime: str) -> None:
    target = Target(runtime)
    python = find_python(target)
    assert python, f"no Python {target.python_version} found (PATH, pyenv)"
    tag = subprocess.run([python, "-c", "import sys; print(sys.implementation.cache_tag)"],
                         capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    assert tag == target.cache_tag


def test_python_of_another_version_is_refused(tmp_path: Path) -> None:
    wrong = find_python(Target("python3.12"))
    assert wrong
    with pytest.raises(PackagingError, match=r"cpython-312.*python3\.13 needs cpython-313"):
        build(tmp_path / "f.zip", python=wrong)


# --- pillow, both architectures ------------------------------------------------------


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_same_inputs_give_the_same_bytes(
    arch: str, pillow: Callable[[str], Built], tmp_path: Path, offline: None
) -> None:
    first = pillow(arch)
    # Two more clean builds: other cache dirs (empty: pip download runs, offline, from the
    # first build's wheel), other mtimes, modes and junk in the sources.
    datas = []
    for i, (mtime, mode) in enumerate([(1_000_000_001, 0o600), (1_750_000_000, 0o755)]):
        source = make_source(tmp_path / f"src-{i}", mtime=mtime, mode=mode)
        out = tmp_path / f"out-{i}" / "function.zip"
        result = build(out, sources=[source], requirements=first.requirements,
                       architecture=arch, cache_dir=tmp_path / f"cache-{i}",
                       find_links=[str(first.wheel_dir)])  # fmt: skip
        assert not result.wheels_from_cache
        datas.append(out.read_bytes())
        assert not [p for p in out.parent.iterdir() if p.name != "function.zip"]  # no temp files
    assert datas[0] == datas[1] == first.data

    with zipfile.ZipFile(io.BytesIO(first.data)) as zf:
        assert_deterministic_layout(zf, tmp=[str(tmp_path), str(first.root)], home=str(Path.home()))
        names = zf.namelist()
        assert "mypkg/notes.txt" in names and "mypkg/sub/mod.py" in names
        assert "mypkg/__pycache__/__init__.cpython-313.pyc" in names
        assert not [n for n in names if "cpython-311" in n or "stray" in n or "/." in f"/{n}"]
        handler = sorted(n for n in names if n.startswith("handler/") and n.endswith(".py"))
        assert handler == [f"handler/{f}" for f in HANDLER_FILES]
        assert "PIL/Image.py" in names and "PIL/__pycache__/Image.cpython-313.pyc" in names
        assert [n for n in names if n.endswith(".py") and pyc_of(n) not in names] == []


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_shared_libraries_are_built_for_the_architecture(
    arch: str, pillow: Callable[[str], Built]
) -> None:
    with zipfile.ZipFile(io.BytesIO(pillow(arch).data)) as zf:
        libs = [n for n in zf.namelist() if n.endswith(".so") or ".so." in n]
        assert len(libs) > 5
        assert {n: elf_machine(zf.read(n)) for n in libs} == {n: EM[arch] for n in libs}
        wheel = zf.read("pillow-12.0.0.dist-info/WHEEL").decode()
    tags = [line for line in wheel.splitlines() if line.startswith("Tag:")]
    assert tags and all(t.endswith(MACHINE[arch]) and "cp313-cp313-manylinux" in t for t in tags)


def test_rebuild_with_unchanged_requirements_needs_no_network(
    pillow: Callable[[str], Built], tmp_path: Path, no_network: None
) -> None:
    first = pillow("x86_64")
    cache = tmp_path / "cache"
    shutil.copytree(first.cache, cache)
    out = tmp_path / "again.zip"
    result = build(out, sources=[first.source], requirements=first.requirements,
                   cache_dir=cache)  # fmt: skip
    assert result.wheels_from_cache
    assert out.read_bytes() == first.data

    # A requirement that is not in the cache: pip must download, and there is no network.
    req = tmp_path / "requirements.txt"
    req.write_text(PILLOW + "six==1.17.0\n")
    with pytest.raises(PackagingError, match=r"could not reach the package index.*127\.0\.0\.1:9"):
        build(out, requirements=req, cache_dir=cache)


def test_layer_output_holds_the_dependencies(
    pillow: Callable[[str], Built], tmp_path: Path, offline: None
) -> None:
    first = pillow("x86_64")
    function, layer = tmp_path / "function.zip", tmp_path / "layer.zip"
    run = cli("--source", str(first.source), "-r", str(first.requirements), "-o", str(function),
              "--layer-output", str(layer), "--find-links", str(first.wheel_dir),
              "--cache-dir", str(tmp_path / "cache"), cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stderr
    with zipfile.ZipFile(function) as fz, zipfile.ZipFile(layer) as lz:
        fnames, lnames = fz.namelist(), lz.namelist()
        assert_deterministic_layout(lz, tmp=[str(tmp_path)], home=str(Path.home()))
        assert_deterministic_layout(fz, tmp=[str(tmp_path)], home=str(Path.home()))
    assert {n.split("/")[0] for n in fnames} == {"handler", "mypkg"}
    assert all(n.startswith("python/") for n in lnames)
    assert "python/PIL/Image.py" in lnames and "python/pillow-12.0.0.dist-info/RECORD" in lnames
    assert "python/PIL/__pycache__/Image.cpython-313.pyc" in lnames
    for path in (function, layer):
        data = path.read_bytes()
        digest = hashlib.sha256(data).digest()
        assert f"{path}\n  size: {len(data)} bytes" in run.stdout
        assert digest.hex() in run.stdout and base64.b64encode(digest).decode() in run.stdout
    assert "layer zip:" in run.stdout and "target: python3.13 x86_64" in run.stdout


# --- boto3 and co --------------------------------------------------------------------


def test_boto3_is_left_out_unless_asked_for(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("boto3\n")
    common = ["-r", "requirements.txt", "--no-handler", "--no-bytecode", "--cache-dir", "cache"]
    default = cli(*common, "-o", "default.zip", cwd=tmp_path)
    assert default.returncode == 0, default.stderr
    assert "left out (the Lambda runtime has them): boto3 " in default.stdout
    kept = cli(*common, "--include-boto3", "-o", "kept.zip", cwd=tmp_path)
    assert kept.returncode == 0, kept.stderr
    assert "left out" not in kept.stdout

    def tops(name: str) -> set[str]:
        with zipfile.ZipFile(tmp_path / name) as zf:
            names = zf.namelist()
            for record in (n for n in names if n.endswith(".dist-info/RECORD")):
                for line in zf.read(record).decode().splitlines():  # every RECORD line is there
                    assert line.split(",")[0] in names, (record, line)
        return {n.split("/")[0].split("-")[0].lower() for n in names}

    default_tops, kept_tops = tops("default.zip"), tops("kept.zip")
    assert not default_tops & set(PROVIDED)
    assert {"urllib3", "dateutil", "six.py"} <= default_tops  # botocore's own dependencies stay
    assert set(PROVIDED) <= kept_tops
    assert kept_tops - default_tops == set(PROVIDED)


# --- failures ------------------------------------------------------------------------


def make_sdist(where: Path, name: str = "tinysdist", version: str = "0.1") -> Path:
    """A minimal pyproject-based source distribution, and no wheel of it."""
    base = f"{name}-{version}"
    files = {
        f"{base}/pyproject.toml": '[build-system]\nrequires = ["setuptools>=68"]\n'
        'build-backend = "setuptools.build_meta"\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\n',
        f"{base}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{base}/{name}/__init__.py": "VALUE = 1\n",
    }
    where.mkdir(parents=True, exist_ok=True)
    path = where / f"{base}.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for member, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def test_dependency_without_a_wheel_for_the_target(tmp_path: Path) -> None:
    make_sdist(tmp_path / "dists")
    (tmp_path / "requirements.txt").write_text("tinysdist==0.1\n")
    run = cli("-r", "requirements.txt", "--find-links", "dists", "--architecture", "arm64",
              "-o", "f.zip", "--cache-dir", "cache", cwd=tmp_path,
              env={"PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": os.devnull})  # fmt: skip
    line = error_line(run)
    for words in ("no wheel of tinysdist", "python3.13", "arm64", "manylinux2014_aarch64",
                  "Pin a version", "--find-links", "another package"):  # fmt: skip
        assert words in line, line
    assert run.stdout == "" and "ERROR:" not in run.stderr
    assert not (tmp_path / "f.zip").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--source", "missing"], r"--source missing: no such file or directory"),
        (["--source", "notpkg"], r"--source notpkg: a directory without __init__\.py"),
        (["--source", "notes.txt"], r"--source notes\.txt: neither a package directory"),
        (["--source", "my-pkg"], r"--source my-pkg: 'my-pkg' cannot be imported"),
        (["-r", "nope.txt"], r"-r nope\.txt: no such requirements file"),
        (["--source", "a/mypkg", "--source", "b/mypkg.py"], r"both give the top-level name"),
        (["--source", "a/mypkg", "--source", "c/mypkg"], r"both give the top-level name"),
        (["--source", "handler"], r"named 'handler'.*--no-handler"),
        (["--layer-output", "l.zip"], r"--layer-output .*-r requirements"),
        (["--find-links", "nowhere"], r"--find-links nowhere: no such directory"),
        (["--runtime", "python3.12", "--python", "PY313"], r"cpython-313, but python3\.12"),
    ],
)  # fmt: skip
def test_bad_input_gives_one_clear_error(tmp_path: Path, args: list[str], expected: str) -> None:
    (tmp_path / "notpkg").mkdir()
    (tmp_path / "notes.txt").write_text("x")
    for pkg in ("a/mypkg", "c/mypkg", "handler", "my-pkg"):
        (tmp_path / pkg).mkdir(parents=True)
        (tmp_path / pkg / "__init__.py").write_text("")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "mypkg.py").write_text("")
    args = [_python313() if arg == "PY313" else arg for arg in args]
    run = cli(*args, "-o", "f.zip", cwd=tmp_path)
    assert re.search(expected, error_line(run)), run.stderr
    assert not (tmp_path / "f.zip").exists()


# --- size limits ---------------------------------------------------------------------


def archive(path: str, size: int, unzipped: int) -> Archive:
    return Archive(Path(path), size, unzipped, 1, "00" * 32, "")


def test_size_limits() -> None:
    check_sizes([archive("f.zip", 100, 1000)], zipped_limit=100, unzipped_limit=1000)
    check_sizes([archive("f.zip", 100, 600), archive("l.zip", 100, 400)],
                zipped_limit=100, unzipped_limit=1000)  # fmt: skip
    with pytest.raises(PackagingError) as zipped:
        check_sizes([archive("f.zip", 52_428_801, 1)])
    message = str(zipped.value)
    assert "f.zip is 50.0 MB (52,428,801 bytes) zipped" in message
    assert "50.0 MB (52,428,800 bytes) limit" in message
    assert "--layer-output" in message and "S3" in message
    with pytest.raises(PackagingError, match=r"l\.zip is 0\.0 MB \(101 bytes\)"):
        check_sizes([archive("f.zip", 100, 1), archive("l.zip", 101, 1)], zipped_limit=100)
    with pytest.raises(PackagingError) as unzipped:
        check_sizes([archive("f.zip", 1, 200_000_000), archive("l.zip", 1, 62_144_001)])
    message = str(unzipped.value)
    assert "the function and its layer unzip to 250.0 MB (262,144,001 bytes)" in message
    assert "250.0 MB (262,144,000 bytes) limit" in message


def test_build_checks_the_limits(tmp_path: Path) -> None:
    source = make_source(tmp_path / "src")
    with pytest.raises(PackagingError, match=r"is \d+\.\d MB \([\d,]+ bytes\) zipped.*--layer-"):
        build(tmp_path / "f.zip", sources=[source], bytecode=False, zipped_limit=1000)
    with pytest.raises(PackagingError, match=r"the function unzip to \d+\.\d MB \([\d,]+ bytes"):
        build(tmp_path / "f.zip", sources=[source], bytecode=False, unzipped_limit=1000)
    result = build(tmp_path / "f.zip", sources=[source], bytecode=False)
    assert result.function.size > 1000 and result.function.unzipped_size > 1000


def test_over_50_mb_zipped_fails_for_real(tmp_path: Path) -> None:
    pkg = tmp_path / "big"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "blob.bin").write_bytes(os.urandom(51 * 1024 * 1024))  # does not compress
    line = error_line(cli("--source", "big", "-o", "f.zip", "--no-bytecode", cwd=tmp_path))
    assert re.search(r"f\.zip is 51\.\d MB \([\d,]+ bytes\) zipped", line), line
    assert "50.0 MB (52,428,800 bytes) limit" in line
    assert "--layer-output" in line


# --- bytecode and the default build --------------------------------------------------


def test_default_build_is_the_handler_and_runs(tmp_path: Path) -> None:
    run = cli("--output", "build/handler.zip", cwd=tmp_path,
              env={"S3_LAMBDA_TRIGGER_CACHE": str(tmp_path / "cache")})  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    out = tmp_path / "build" / "handler.zip"
    data = out.read_bytes()
    digest = hashlib.sha256(data).digest()
    assert "target: python3.13 x86_64" in run.stdout and "bytecode: cpython-313" in run.stdout
    assert f"function zip: build/handler.zip\n  size: {len(data)} bytes" in run.stdout
    assert f"sha256: {digest.hex()}" in run.stdout
    assert f"base64sha256: {base64.b64encode(digest).decode()}" in run.stdout
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        assert_deterministic_layout(zf, tmp=[str(tmp_path)], home=str(Path.home()))
        zf.extractall(tmp_path / "x")
    sources = sorted(n for n in names if n.endswith(".py"))
    assert sources == [f"handler/{f}" for f in HANDLER_FILES]
    assert sorted(n for n in names if n.endswith(".pyc")) == sorted(map(pyc_of, sources))
    assert len(names) == 2 * len(HANDLER_FILES)

    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]);"
        "import handler.app as a;"
        "r = a.lambda_handler(json.loads(sys.argv[2]), None);"
        "assert r['processed'] == 1, r;"
        "assert a.__file__.startswith(sys.argv[1]), a.__file__;"
        "print(r['processed'])"
    )
    for python in (_python313(), sys.executable):
        ran = subprocess.run([python, "-I", "-c", code, str(tmp_path / "x"), json.dumps(EVENT)],
                             capture_output=True, text=True, check=False)  # fmt: skip
        assert ran.returncode == 0 and ran.stdout.splitlines()[-1] == "1", ran.stderr  # after logs

    again = cli("-o", "again.zip", cwd=tmp_path)
    assert again.returncode == 0 and (tmp_path / "again.zip").read_bytes() == data


def test_bytecode_is_used_by_the_runtime_and_is_unchecked_hash(tmp_path: Path) -> None:
    python = _python313()
    source = make_source(tmp_path / "src")
    first = build(tmp_path / "a.zip", sources=[source])
    second = build(tmp_path / "b.zip", sources=[source], python=python)
    assert first.bytecode and second.bytecode == os.path.abspath(python)
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        pycs = {n: zf.read(n) for n in zf.namelist() if n.endswith(".pyc")}
        zf.extractall(tmp_path / "x")
    assert "handler/__pycache__/app.cpython-313.pyc" in pycs
    assert "mypkg/sub/__pycache__/mod.cpython-313.pyc" in pycs
    magic = subprocess.run([python, "-c", "import importlib.util, sys;"
                            "sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())"],
                           capture_output=True, text=True, check=True).stdout  # fmt: skip
    for name, data in pycs.items():
        assert data[:4].hex() == magic, name
        assert int.from_bytes(data[4:8], "little") == 0b01, name  # hash-based, unchecked
        assert str(tmp_path).encode() not in data

    # The runtime's Python loads them without compiling (-v: "matches" / "code object from").
    run = subprocess.run(
        [python, "-I", "-v", "-c", "import sys; sys.path.insert(0, sys.argv[1]);"
         "import handler.app, mypkg.sub.mod", str(tmp_path / "x")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    for module in ("handler/__pycache__/app", "mypkg/sub/__pycache__/mod"):
        pyc = f"{tmp_path / 'x'}/{module}.cpython-313.pyc"
        assert f"# {pyc} matches " in run.stderr
        assert f"# code object from '{pyc}'" in run.stderr


def test_no_bytecode(tmp_path: Path) -> None:
    source = make_source(tmp_path / "src")
    run = cli("--source", str(source), "-o", "f.zip", "--no-bytecode", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "bytecode: none" in run.stdout and run.stderr == ""
    with zipfile.ZipFile(tmp_path / "f.zip") as zf:
        assert not [n for n in zf.namelist() if n.endswith(".pyc") or "__pycache__" in n]


def test_without_an_interpreter_one_note_and_no_bytecode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "find_python", lambda target, explicit=None: None)
    notes: list[str] = []
    result = build(tmp_path / "f.zip", runtime="python3.12", note=notes.append)
    assert result.bytecode is None
    assert len(notes) == 1 and "python3.12" in notes[0] and "--python" in notes[0]
    with zipfile.ZipFile(tmp_path / "f.zip") as zf:
        assert not [n for n in zf.namelist() if n.endswith(".pyc")]


def test_syntax_error_in_your_code_is_reported(tmp_path: Path) -> None:
    source = make_source(tmp_path / "src")
    (source / "broken.py").write_text("def f(:\n    pass\n")
    with pytest.raises(PackagingError, match=r"mypkg/broken\.py line 1: SyntaxError"):
        build(tmp_path / "f.zip", sources=[source])
    build(tmp_path / "f.zip", sources=[source], bytecode=False)  # not checked without bytecode


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("S3_LAMBDA_TRIGGER_CACHE", raising=False)
    assert packaging.default_cache_dir() == Path.home() / ".cache" / "s3-lambda-trigger"
    monkeypatch.setenv("S3_LAMBDA_TRIGGER_CACHE", "/somewhere")
    assert packaging.default_cache_dir() == Path("/somewhere")
