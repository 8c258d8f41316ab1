"""A LocalStack ``RuntimeExecutor`` that runs Python zip functions in local subprocesses.

LocalStack's stock executor starts one Docker container per execution environment and runs
its Go ``init`` in it. This one starts ``runtime.py`` (shipped next to this module) with the
interpreter that matches the function's runtime; it speaks the same callback protocol
(``ExecutorEndpoint``): POST ``/status/<id>/ready``, receive ``/invoke``, answer with
``/invocations/<id>/logs`` and ``/response`` or ``/error``.

Environment variables read by this module (in the LocalStack process):

- ``LAMBDA_LOCAL_PYTHON_3_13`` (etc.): interpreter to use for that runtime.
- ``LAMBDA_LOCAL_EXTRA_PATH``: ``os.pathsep``-separated dirs appended to the function's
  ``sys.path`` after code and layers (used for boto3, which Lambda's runtime ships).
"""

from __future__ import annotations

import functools
import glob
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from localstack import config
from localstack.aws.api.lambda_ import PackageType
from localstack.services.lambda_.invocation.executor_endpoint import (
    ExecutorEndpoint,
    StatusErrorException,
)
from localstack.services.lambda_.invocation.lambda_models import (
    FunctionVersion,
    InvocationResult,
)
from localstack.services.lambda_.invocation.runtime_executor import (
    LambdaRuntimeException,
    RuntimeExecutor,
)
from localstack.utils.net import get_free_tcp_port

LOG = logging.getLogger(__name__)

RUNTIME_SCRIPT = Path(__file__).with_name("runtime.py")
STOP_TIMEOUT_S = 3.0
LOG_TAIL_CHARS = 4000
# Taken from LocalStack's own environment and handed to the function's process; everything
# else of LocalStack's environment (its config) stays out of the function.
PASSTHROUGH_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


def _python_version_of(runtime: str) -> str | None:
    """``python3.13`` -> ``3.13``; None for non-Python runtimes."""
    if not runtime.startswith("python"):
        return None
    return runtime.removeprefix("python")


def _version_key(path: str) -> tuple[int, ...]:
    name = Path(path).parent.parent.name  # .../versions/3.13.0/bin/python
    parts: list[int] = []
    for piece in name.split("."):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts)


@functools.cache
def find_interpreter(runtime: str) -> str:
    """The Python interpreter for a Lambda runtime such as ``python3.13``.

    Order: ``LAMBDA_LOCAL_PYTHON_3_13``, pyenv's newest ``3.13.*``, ``python3.13`` on PATH,
    then LocalStack's own interpreter (with a warning).
    """
    version = _python_version_of(runtime)
    if version is None:
        raise LambdaRuntimeException(
            f"The local executor runs only Python runtimes, not {runtime!r}"
        )
    override = os.environ.get(f"LAMBDA_LOCAL_PYTHON_{version.replace('.', '_')}")
    if override:
        return override
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    candidates = [
        path
        for path in glob.glob(os.path.join(pyenv_root, "versions", f"{version}.*", "bin", "python"))
        if os.access(path, os.X_OK)
        and _version_key(path)[:2] == tuple(map(int, version.split(".")))
    ]
    if candidates:
        return max(candidates, key=_version_key)
    on_path = shutil.which(f"python{version}")
    if on_path:
        return on_path
    LOG.warning(
        "No Python %s interpreter found for runtime %s; running it with %s",
        version,
        runtime,
        sys.executable,
    )
    return sys.executable


def _gateway_host_port() -> tuple[str, int]:
    listen = config.GATEWAY_LISTEN[0]
    host = listen.host
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return host, listen.port


class LocalRuntimeExecutor(RuntimeExecutor):
    """One local subprocess per execution environment."""

    executor_endpoint: ExecutorEndpoint
    process: subprocess.Popen[bytes] | None
    log_path: Path

    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id=id, function_version=function_version)
        self.executor_endpoint = ExecutorEndpoint(self.id)
        self.process = None
        log_dir = Path(tempfile.gettempdir()) / "lambda-local-executor"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{function_version.id.function_name}-{self.id}.log"

    # -- lifecycle -----------------------------------------------------------------------

    def start(self, env_vars: dict[str, str]) -> None:
        self.executor_endpoint.start()
        config_ = self.function_version.config
        if config_.package_type != PackageType.Zip or not config_.code:
            raise LambdaRuntimeException("The local executor runs only zip-packaged functions")
        interpreter = find_interpreter(str(config_.runtime))
        code_dir = config_.code.get_unzipped_code_location()
        layer_dirs = [
            str(layer.code.get_unzipped_code_location()) for layer in config_.layers if layer.code
        ]
        port = get_free_tcp_port()

        env = {key: os.environ[key] for key in PASSTHROUGH_ENV if key in os.environ}
        env.update({key: str(value) for key, value in env_vars.items()})
        env.update(
            {
                "LAMBDA_TASK_ROOT": str(code_dir),
                "LAMBDA_RUNTIME_DIR": str(RUNTIME_SCRIPT.parent),
                "LOCAL_EXECUTOR_PORT": str(port),
                "LOCAL_EXECUTOR_LAYER_DIRS": os.pathsep.join(layer_dirs),
                "LOCAL_EXECUTOR_EXTRA_PATH": os.environ.get("LAMBDA_LOCAL_EXTRA_PATH", ""),
                "PYTHONUNBUFFERED": "1",
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        LOG.debug(
            "Starting local runtime %s for %s with %s on port %d",
            self.id,
            self.function_version.qualified_arn,
            interpreter,
            port,
        )
        with self.log_path.open("ab") as log_file:
            # -S: no site-packages of the interpreter (Lambda's runtime has none of yours)
            self.process = subprocess.Popen(
                [interpreter, "-S", str(RUNTIME_SCRIPT)],
                env=env,
                cwd=code_dir,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        threading.Thread(
            target=self._watch_process,
            args=(self.process,),
            name=f"lambda-local-watch-{self.id}",
            daemon=True,
        ).start()
        self.executor_endpoint.container_address = "127.0.0.1"
        self.executor_endpoint.container_port = port
        self.executor_endpoint.wait_for_startup()  # type: ignore[no-untyped-call]

    def _watch_process(self, process: subprocess.Popen[bytes]) -> None:
        """Fail a pending startup at once if the runtime process dies before it is ready."""
        code = process.wait()
        future = self.executor_endpoint.startup_future
        if future is not None and not future.done():
            message = f"Local runtime process exited with code {code} during startup"
            LOG.warning("%s:\n%s", message, self.get_logs()[-LOG_TAIL_CHARS:])
            future.set_exception(StatusErrorException(message, payload=b""))

    def stop(self) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=STOP_TIMEOUT_S)
            except ProcessLookupError:
                pass
        try:
            self.executor_endpoint.shutdown()
        except Exception as e:
            LOG.debug("Error while stopping executor endpoint %s: %s", self.id, e)
        self.log_path.unlink(missing_ok=True)

    # -- addresses -----------------------------------------------------------------------

    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        return _gateway_host_port()[0]

    def get_runtime_endpoint(self) -> str:
        host, port = _gateway_host_port()
        prefix = self.executor_endpoint.get_endpoint_prefix()  # type: ignore[no-untyped-call]
        return f"http://{host}:{port}{prefix}"

    # -- invocation ----------------------------------------------------------------------

    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        LOG.debug("Sending invoke-payload to local executor %s", self.id)
        return self.executor_endpoint.invoke(payload)

    def get_logs(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "Local runtime process was not started"

    # -- versions ------------------------------------------------------------------------

    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        config_ = function_version.config
        if config_.package_type != PackageType.Zip:
            raise LambdaRuntimeException("The local executor runs only zip-packaged functions")
        find_interpreter(str(config_.runtime))  # fails early for non-Python runtimes
        if config_.code:
            config_.code.prepare_for_execution()
        for layer in config_.layers:
            if layer.code:
                layer.code.prepare_for_execution()

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        """Nothing to clean: the unzipped code belongs to LocalStack's code store."""

    @classmethod
    def validate_environment(cls) -> bool:
        return True
