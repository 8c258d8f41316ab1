#!/usr/bin/env python3
"""Start, stop and inspect a local AWS emulator for the end-to-end tests (stdlib only).

    python emulator/ctl.py start  [--emulator localstack|ministack]
    python emulator/ctl.py stop   [--emulator ...]
    python emulator/ctl.py status [--emulator ...]
    python emulator/ctl.py env    [--emulator ...]    # eval "$(python emulator/ctl.py env)"

The endpoint is ``AWS_ENDPOINT_URL`` if set, else http://127.0.0.1:4566 (localstack) or
http://127.0.0.1:4567 (ministack). ``start`` reuses an emulator that already answers there
and leaves it alone on ``stop``; otherwise it installs the pinned emulator into
``.venv-<name>`` (only when the pins change), starts it in the background and records its
pid in ``build/emulator/<name>.pid``. ``stop`` stops only what that pid file names.

Knobs: ``LOCALSTACK_PYTHON`` / ``MINISTACK_PYTHON`` (interpreter for the venv),
``EMULATOR_START_TIMEOUT`` (seconds, default 120), ``LOCALSTACK_LAMBDA_EXECUTOR`` (``local``,
the default and the tested one, or ``docker`` to run functions in LocalStack's containers).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build" / "emulator"
EXECUTOR_PKG = REPO / "emulator" / "localstack-local-executor"
RUNTIME_LIBS = BUILD / "lambda-runtime-libs"
# What Lambda's Python runtime ships for handlers that import boto3; same pin as the dev deps.
RUNTIME_LIBS_PINS = ("boto3==1.43.11", "botocore==1.43.11")
REGION = "us-east-1"
STOP_TIMEOUT_S = 20.0


class SetupError(Exception):
    """An expected failure: printed as one line, exit status 1."""


@dataclass(frozen=True)
class Emulator:
    name: str
    title: str
    default_port: int
    python_version: str
    python_env: str
    pins: tuple[str, ...]
    health_path: str
    process_marker: str  # must appear in the pid's command line before we signal it
    local_packages: tuple[Path, ...] = field(default=())

    @property
    def venv(self) -> Path:
        return REPO / f".venv-{self.name}"

    @property
    def venv_python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def instance(self) -> str:
        """``name``, or ``name-<port>`` for an instance on another port (its own pid file,
        log, state and temp dirs, so that a second emulator can run beside the first)."""
        port = urllib.parse.urlsplit(endpoint_for(self)).port or self.default_port
        return self.name if port == self.default_port else f"{self.name}-{port}"

    @property
    def pid_file(self) -> Path:
        return BUILD / f"{self.instance}.pid"

    @property
    def log_file(self) -> Path:
        return BUILD / f"{self.instance}.log"

    @property
    def install_log(self) -> Path:
        return BUILD / f"{self.name}-install.log"


EMULATORS: dict[str, Emulator] = {
    "localstack": Emulator(
        name="localstack",
        title="LocalStack",
        default_port=4566,
        python_version="3.13",  # localstack-core 2026.3.0 fails on 3.11 and 3.12
        python_env="LOCALSTACK_PYTHON",
        pins=(
            "localstack-core[runtime]==2026.3.0",
            "service-identity",
            "cbor2<6",
            "pyopenssl<25",
            "cryptography<45",
        ),
        health_path="/_localstack/health",
        process_marker="localstack.runtime.main",
        local_packages=(EXECUTOR_PKG,),
    ),
    "ministack": Emulator(
        name="ministack",
        title="MiniStack",
        default_port=4567,  # its own default is 4566; 4567 lets both run side by side
        python_version="3.13",  # functions run on MiniStack's own interpreter
        python_env="MINISTACK_PYTHON",
        # boto3: functions run in MiniStack's venv, and Lambda's runtime ships boto3.
        pins=("ministack==1.5.33", "boto3==1.43.106"),
        health_path="/_ministack/health",
        process_marker="ministack",
    ),
}


# -- small helpers ---------------------------------------------------------------------------


def rel(path: Path) -> str:
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


def endpoint_for(emulator: Emulator) -> str:
    return os.environ.get("AWS_ENDPOINT_URL") or f"http://127.0.0.1:{emulator.default_port}"


def host_port(endpoint: str) -> tuple[str, int]:
    parsed = urllib.parse.urlparse(endpoint)
    if not parsed.hostname or parsed.scheme != "http":
        raise SetupError(f"AWS_ENDPOINT_URL={endpoint!r} is not an http://host:port URL")
    return parsed.hostname, parsed.port or 80


def health(emulator: Emulator, endpoint: str) -> dict[str, object] | None:
    """The health document if the emulator answers at ``endpoint``, else None."""
    paths = (emulator.health_path, "/_localstack/health")
    for path in dict.fromkeys(paths):
        try:
            with urllib.request.urlopen(endpoint.rstrip("/") + path, timeout=2) as response:
                document = json.loads(response.read() or b"{}")
                return document if isinstance(document, dict) else {}
        except (urllib.error.URLError, OSError, ValueError):
            continue
    return None


def port_open(host: str, port: int) -> bool:
    import socket  # noqa: PLC0415

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def docker_works() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        result = subprocess.run(
            ["docker", "info"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def find_python(emulator: Emulator) -> str:
    override = os.environ.get(emulator.python_env)
    if override:
        if not os.access(override, os.X_OK):
            raise SetupError(f"{emulator.python_env}={override} is not an executable interpreter")
        return override
    version = emulator.python_version
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    candidates = sorted(
        glob.glob(os.path.join(pyenv_root, "versions", f"{version}.*", "bin", "python")),
        key=lambda p: [int(x) for x in Path(p).parent.parent.name.split(".") if x.isdigit()],
    )
    if candidates:
        return candidates[-1]
    on_path = shutil.which(f"python{version}")
    if on_path:
        return on_path
    if sys.version_info[:2] == tuple(int(x) for x in version.split(".")):
        return sys.executable
    raise SetupError(
        f"python {version} not found (needed for {emulator.title}): install it with "
        f"`pyenv install {version}` or set {emulator.python_env}=/path/to/python{version}"
    )


def tree_hash(root: Path) -> str:
    """Hash of a local package's sources (pyproject.toml and src/)."""
    digest = hashlib.sha256()
    files = [root / "pyproject.toml", *sorted((root / "src").rglob("*"))]
    for path in files:
        if path.is_file() and "__pycache__" not in path.parts and ".egg-info" not in str(path):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def run_logged(cmd: list[str], log: Path, what: str) -> None:
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        result = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        raise SetupError(f"{what} failed (exit {result.returncode}); see {rel(log)}")


# -- venv --------------------------------------------------------------------------------------


def ensure_venv(emulator: Emulator) -> None:
    """Create/update ``.venv-<name>`` when its stamp (python, pins, local packages) changed."""
    python = find_python(emulator)
    stamp_data = {
        "python": python,
        "pins": list(emulator.pins),
        "local": {rel(p): tree_hash(p) for p in emulator.local_packages},
    }
    stamp = json.dumps(stamp_data, sort_keys=True)
    stamp_file = emulator.venv / ".ctl-stamp.json"
    if emulator.venv_python.exists() and stamp_file.exists() and stamp_file.read_text() == stamp:
        return
    BUILD.mkdir(parents=True, exist_ok=True)
    emulator.install_log.write_text("")
    started = time.monotonic()
    print(
        f"Installing {emulator.title} into {rel(emulator.venv)} (log: {rel(emulator.install_log)})",
        flush=True,
    )
    if not emulator.venv_python.exists():
        run_logged([python, "-m", "venv", str(emulator.venv)], emulator.install_log, "venv")
    pip = [str(emulator.venv_python), "-m", "pip", "install", "--disable-pip-version-check"]
    run_logged([*pip, *emulator.pins], emulator.install_log, f"pip install for {emulator.title}")
    for package in emulator.local_packages:
        # same version number on every change: force the reinstall of our own package
        run_logged(
            [*pip, "--no-deps", "--force-reinstall", str(package)],
            emulator.install_log,
            f"pip install {rel(package)}",
        )
        # setuptools builds in the source tree; keep the clone clean
        shutil.rmtree(package / "build", ignore_errors=True)
        for egg_info in (package / "src").glob("*.egg-info"):
            shutil.rmtree(egg_info, ignore_errors=True)
    stamp_file.write_text(stamp)
    print(f"Installed {emulator.title} in {time.monotonic() - started:.1f} s", flush=True)


def ensure_runtime_libs(emulator: Emulator) -> None:
    """boto3 for functions run by the local executor (Lambda's runtime ships it)."""
    stamp = json.dumps(list(RUNTIME_LIBS_PINS))
    stamp_file = RUNTIME_LIBS / ".ctl-stamp.json"
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        return
    shutil.rmtree(RUNTIME_LIBS, ignore_errors=True)
    RUNTIME_LIBS.mkdir(parents=True)
    run_logged(
        [
            str(emulator.venv_python),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--target",
            str(RUNTIME_LIBS),
            *RUNTIME_LIBS_PINS,
        ],
        emulator.install_log,
        f"pip install --target {rel(RUNTIME_LIBS)}",
    )
    stamp_file.write_text(stamp)


# -- process -----------------------------------------------------------------------------------


def read_pid(emulator: Emulator) -> int | None:
    try:
        return int(emulator.pid_file.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None


def is_ours_alive(emulator: Emulator, pid: int) -> bool:
    """The pid is alive and still runs this emulator (not a reused pid)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc (e.g. macOS): trust the pid file
    if state == "Z":
        return False
    # the command line can read empty for a moment right after exec
    return not cmdline or emulator.process_marker in cmdline


def rss_mb(pid: int) -> float | None:
    """RSS of the process and its descendants (Linux /proc), in MB."""
    try:
        children: dict[int, list[int]] = {}
        for stat in glob.glob("/proc/[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = Path(stat).read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(Path(stat).parent.name))
        total_kb = 0
        todo = [pid]
        while todo:
            current = todo.pop()
            todo.extend(children.get(current, []))
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{current}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total_kb += int(line.split()[1])
        return total_kb / 1024
    except OSError:
        return None


def launch_command(emulator: Emulator, host: str, port: int) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    env.pop("AWS_ENDPOINT_URL", None)
    state = BUILD / f"{emulator.instance}-state"
    tmp = BUILD / f"{emulator.instance}-tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env["TMPDIR"] = str(tmp)
    if emulator.name == "localstack":
        state.mkdir(parents=True, exist_ok=True)
        env.update(
            {
                "GATEWAY_LISTEN": f"{host}:{port}",
                "SERVICES": "s3,lambda,iam,sts,logs,sqs,kms,sns,events,cloudwatch",
                "DISABLE_EVENTS": "1",
                "SKIP_SSL_CERT_DOWNLOAD": "1",
                "LAMBDA_RETRY_BASE_DELAY": "5",
                "LOCALSTACK_VOLUME_DIR": str(state),
            }
        )
        executor = os.environ.get("LOCALSTACK_LAMBDA_EXECUTOR", "local")
        if executor == "docker":  # only when asked: the tested path is the local executor
            if not docker_works():
                raise SetupError(
                    "LOCALSTACK_LAMBDA_EXECUTOR=docker, but `docker info` fails: start Docker "
                    "or unset the variable to use the local executor"
                )
            print("LOCALSTACK_LAMBDA_EXECUTOR=docker: LocalStack runs functions in Docker")
            env.pop("LAMBDA_RUNTIME_EXECUTOR", None)
        elif executor != "local":
            raise SetupError(
                f"LOCALSTACK_LAMBDA_EXECUTOR={executor!r}: use local (the default) or docker"
            )
        else:
            ensure_runtime_libs(emulator)
            env["LAMBDA_RUNTIME_EXECUTOR"] = "local"
            env["LAMBDA_LOCAL_EXTRA_PATH"] = str(RUNTIME_LIBS)
        return [str(emulator.venv_python), "-m", "localstack.runtime.main"], env
    state.mkdir(parents=True, exist_ok=True)
    env.update(
        {
            "GATEWAY_PORT": str(port),
            "BIND_HOST": host,
            "S3_DATA_DIR": str(state / "s3"),
            "MINISTACK_REGION": REGION,
        }
    )
    return [str(emulator.venv_python), "-m", "ministack"], env


def start(emulator: Emulator) -> int:
    endpoint = endpoint_for(emulator)
    host, port = host_port(endpoint)
    document = health(emulator, endpoint)
    pid = read_pid(emulator)
    if document is not None:
        if pid is not None and is_ours_alive(emulator, pid):
            print(f"{emulator.title} already running at {endpoint} (pid {pid}, started by ctl.py)")
        else:
            version = document.get("version", "?")
            print(
                f"Reusing the emulator already answering at {endpoint} (version {version}); "
                "not started by ctl.py, so `stop` will leave it alone"
            )
        return 0
    if pid is not None and not is_ours_alive(emulator, pid):
        emulator.pid_file.unlink(missing_ok=True)
        pid = None
    if pid is None and port_open(host, port):
        raise SetupError(
            f"{host}:{port} is in use but {emulator.title} does not answer there; "
            "stop what holds the port or set AWS_ENDPOINT_URL to another port"
        )
    BUILD.mkdir(parents=True, exist_ok=True)
    install_started = time.monotonic()
    ensure_venv(emulator)
    install_s = time.monotonic() - install_started
    started = time.monotonic()
    process: subprocess.Popen[bytes] | None = None
    if pid is None:
        cmd, env = launch_command(emulator, host, port)
        with emulator.log_file.open("w") as log:
            process = subprocess.Popen(
                cmd,
                env=env,
                cwd=BUILD,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        pid = process.pid
        emulator.pid_file.write_text(f"{pid}\n{endpoint}\n")
    timeout_s = float(os.environ.get("EMULATOR_START_TIMEOUT", "120"))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if health(emulator, endpoint) is not None:
            elapsed = time.monotonic() - started
            print(f"{emulator.title} is up at {endpoint} in {elapsed:.1f} s (pid {pid})")
            if install_s > 1:
                print(f"(venv setup took {install_s:.1f} s)")
            return 0
        exited = process.poll() is not None if process else not is_ours_alive(emulator, pid)
        if exited:
            emulator.pid_file.unlink(missing_ok=True)
            raise SetupError(
                f"{emulator.title} exited during startup; see {rel(emulator.log_file)}"
            )
        time.sleep(0.25)
    raise SetupError(
        f"{emulator.title} did not answer at {endpoint} within {timeout_s:g} s; "
        f"see {rel(emulator.log_file)} (still running as pid {pid}; `stop` ends it)"
    )


def stop(emulator: Emulator) -> int:
    endpoint = endpoint_for(emulator)
    pid = read_pid(emulator)
    if pid is None or not is_ours_alive(emulator, pid):
        emulator.pid_file.unlink(missing_ok=True)
        if health(emulator, endpoint) is not None:
            print(f"Left the emulator at {endpoint} alone: ctl.py did not start it")
        else:
            print(f"No {emulator.title} started by ctl.py is running")
        return 0
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline and is_ours_alive(emulator, pid):
        time.sleep(0.2)
    if is_ours_alive(emulator, pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        time.sleep(0.5)
    emulator.pid_file.unlink(missing_ok=True)
    print(f"Stopped {emulator.title} (pid {pid})")
    return 0


def status(emulator: Emulator) -> int:
    endpoint = endpoint_for(emulator)
    document = health(emulator, endpoint)
    pid = read_pid(emulator)
    ours = pid is not None and is_ours_alive(emulator, pid)
    owner = f"started by ctl.py, pid {pid}" if ours else "not started by ctl.py"
    if document is None:
        print(f"{emulator.title}: not answering at {endpoint} ({owner})")
        return 3
    line = f"{emulator.title}: answering at {endpoint} ({owner}"
    if ours and pid is not None:
        rss = rss_mb(pid)
        if rss is not None:
            line += f", RSS {rss:.0f} MB"
    print(line + ")")
    return 0


def env_vars(emulator: Emulator) -> dict[str, str]:
    """What a client (terraform, boto3, the tests) needs to talk to the emulator."""
    return {
        "AWS_ENDPOINT_URL": endpoint_for(emulator),
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "EMULATOR": emulator.name,
    }


def env(emulator: Emulator) -> int:
    for key, value in env_vars(emulator).items():
        print(f"export {key}={value}")
    return 0


def run(emulator: Emulator, command: list[str]) -> int:
    """Start the emulator (or reuse one), run a command with env_vars, stop what we started."""
    if not command:
        raise SetupError("run needs a command after --, e.g. `ctl.py run -- pytest tests/`")
    code = start(emulator)
    if code != 0:
        return code
    try:
        environment = {**os.environ, **env_vars(emulator)}
        return subprocess.run(command, env=environment, check=False).returncode
    except OSError as e:
        raise SetupError(f"cannot run {command[0]!r}: {e.strerror}") from None
    finally:
        stop(emulator)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="run: ctl.py run [--emulator NAME] -- COMMAND [ARGS...]",
    )
    parser.add_argument("command", choices=("start", "stop", "status", "env", "run"))
    parser.add_argument("--emulator", choices=sorted(EMULATORS), default="localstack")
    argv = sys.argv[1:] if argv is None else argv
    command = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    emulator = EMULATORS[args.emulator]
    commands = {"start": start, "stop": stop, "status": status, "env": env}
    try:
        if args.command == "run":
            return run(emulator, command)
        if command:
            parser.error(f"{args.command} takes no command after --")
        return commands[args.command](emulator)
    except SetupError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
