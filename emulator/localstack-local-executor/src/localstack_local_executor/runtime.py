"""Lambda Python runtime for LocalStack's ``local`` executor (run as a script, stdlib only).

It does inside a local process what LocalStack's runtime init does inside a container:

1. puts the code dir, the layers' ``python/`` dirs and ``LOCAL_EXECUTOR_EXTRA_PATH`` on
   ``sys.path`` and imports the handler named by ``_HANDLER`` (``module.function``);
2. serves ``POST /invoke`` on 127.0.0.1:``LOCAL_EXECUTOR_PORT``;
3. POSTs ``<LOCALSTACK_RUNTIME_ENDPOINT>/status/<LOCALSTACK_RUNTIME_ID>/ready``;
4. runs each invocation on the main thread, captures its stdout, stderr and logging as the
   invocation's log (with Lambda's START/END/REPORT lines), and POSTs
   ``/invocations/<id>/logs`` then ``/invocations/<id>/response`` or ``/error``.

A timed-out or exited (``sys.exit``) invocation is answered with an error, then the process
re-executes itself, like Lambda resetting the execution environment.
"""

from __future__ import annotations

import http.server
import importlib
import io
import json
import logging
import math
import os
import queue
import resource
import sys
import threading
import time
import traceback
import urllib.request
from datetime import datetime, timezone
from typing import Any, TextIO

RESTARTED_ENV = "LOCAL_EXECUTOR_RESTARTED"
DEFAULT_TIMEOUT_S = 3.0
POST_TIMEOUT_S = 30.0

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _iso_now() -> str:
    now = datetime.now(timezone.utc)  # noqa: UP017 - runs on older interpreters too
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _post(url: str, body: bytes) -> None:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with _OPENER.open(request, timeout=POST_TIMEOUT_S) as response:
        response.read()


def _post_json(url: str, obj: object) -> None:
    _post(url, json.dumps(obj).encode())


def _max_rss_mb() -> int:
    """Peak RSS of this process. ru_maxrss would include LocalStack's (kept across exec)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


# -- sys.path ------------------------------------------------------------------------------


def _setup_sys_path() -> None:
    """Lambda's order: /var/task, /opt/python/lib/pythonX.Y/site-packages, /opt/python, runtime."""
    script_dir = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != script_dir]
    version_dir = f"python{sys.version_info.major}.{sys.version_info.minor}"
    front = [os.environ["LAMBDA_TASK_ROOT"]]
    # Layers are extracted to /opt in order, later ones overwriting earlier ones.
    layer_dirs = [d for d in os.environ.get("LOCAL_EXECUTOR_LAYER_DIRS", "").split(os.pathsep) if d]
    for site_dir in ("lib/" + version_dir + "/site-packages", ""):
        for layer_dir in reversed(layer_dirs):
            path = os.path.join(layer_dir, "python", site_dir).rstrip("/")
            if os.path.isdir(path):
                front.append(path)
    extra = [d for d in os.environ.get("LOCAL_EXECUTOR_EXTRA_PATH", "").split(os.pathsep) if d]
    pythonpath = [d for d in os.environ.get("PYTHONPATH", "").split(os.pathsep) if d]
    rest = [p for p in sys.path if p not in pythonpath]
    sys.path[:] = pythonpath + front + rest + extra


# -- logging capture -------------------------------------------------------------------------


class _Tee(io.TextIOBase):
    """Writes to the invocation's log buffer and to the process' own output."""

    def __init__(self, buffer: io.StringIO, original: TextIO) -> None:
        self._buffer = buffer
        self._original = original
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self._buffer.write(text)
        self._original.write(text)
        return len(text)

    def flush(self) -> None:
        self._original.flush()

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


class _LambdaFormatter(logging.Formatter):
    """Lambda's text format; multi-line records stay one CloudWatch event (joined with \\r)."""

    def __init__(self) -> None:
        super().__init__("[%(levelname)s]\t%(asctime)s\t%(aws_request_id)s\t%(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, timezone.utc)  # noqa: UP017
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(record.msecs):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", "\r")


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Always writes to the current ``sys.stdout`` (swapped per invocation)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


REQUEST_ID_FILTER = _RequestIdFilter()


def _setup_logging() -> None:
    handler = _StdoutHandler()
    handler.setFormatter(_LambdaFormatter())
    handler.addFilter(REQUEST_ID_FILTER)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "WARNING").upper())


# -- context -------------------------------------------------------------------------------


class LambdaContext:
    """The attributes and methods of Lambda's Python context object."""

    def __init__(self, request_id: str, invoked_arn: str, deadline: float) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))

    def log(self, message: str) -> None:
        sys.stdout.write(message)


# -- the runtime ---------------------------------------------------------------------------


def _error_body(error_type: str, message: str, stack: list[str], request_id: str) -> dict[str, Any]:
    return {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": request_id,
        "stackTrace": stack,
    }


class Runtime:
    def __init__(self) -> None:
        self.endpoint = os.environ["LOCALSTACK_RUNTIME_ENDPOINT"].rstrip("/")
        self.runtime_id = os.environ["LOCALSTACK_RUNTIME_ID"]
        self.port = int(os.environ["LOCAL_EXECUTOR_PORT"])
        self.timeout_s = float(os.environ.get("AWS_LAMBDA_FUNCTION_TIMEOUT") or DEFAULT_TIMEOUT_S)
        self.memory_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invocations: queue.Queue[dict[str, Any]] = queue.Queue()
        self.handler: Any = None
        self.init_error: dict[str, Any] | None = None
        self.init_duration_ms: float | None = None
        self.finished = threading.Event()
        self.reported = threading.Lock()

    # init

    def load_handler(self) -> None:
        started = time.perf_counter()
        spec = os.environ.get("_HANDLER", "")
        module_name, _, function_name = spec.rpartition(".")
        try:
            if not module_name:
                raise ValueError(f"Bad handler '{spec}': not enough values to unpack")
            module = importlib.import_module(module_name.replace("/", "."))
        except SyntaxError as e:
            self.init_error = _error_body(
                "Runtime.UserCodeSyntaxError",
                f"Syntax error in module '{module_name}': {e}",
                traceback.format_list(traceback.extract_tb(e.__traceback__)),
                "",
            )
        except ImportError as e:
            self.init_error = _error_body(
                "Runtime.ImportModuleError",
                f"Unable to import module '{module_name}': {e}",
                [],
                "",
            )
        except Exception as e:
            self.init_error = _error_body(
                type(e).__name__,
                str(e),
                traceback.format_list(traceback.extract_tb(e.__traceback__)),
                "",
            )
        else:
            self.handler = getattr(module, function_name, None)
            if self.handler is None:
                self.init_error = _error_body(
                    "Runtime.HandlerNotFound",
                    f"Handler '{function_name}' missing on module '{module_name}'",
                    [],
                    "",
                )
        self.init_duration_ms = (time.perf_counter() - started) * 1000

    # HTTP

    def serve(self) -> None:
        runtime = self

        class InvokeHandler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if self.path.rstrip("/") != "/invoke":
                    self.send_response(404)
                    self.end_headers()
                    return
                runtime.invocations.put(json.loads(body))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                """Keep HTTP access lines out of the function's output."""

        server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), InvokeHandler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, name="invoke-server", daemon=True).start()

    def signal_ready(self) -> None:
        if os.environ.get(RESTARTED_ENV):
            return
        _post(f"{self.endpoint}/status/{self.runtime_id}/ready", b"{}")

    # invocations

    def run_forever(self) -> None:
        while True:
            self.invoke(self.invocations.get())

    def invoke(self, invocation: dict[str, Any]) -> None:
        request_id = str(invocation.get("invoke-id", ""))
        started = time.monotonic()
        deadline = started + self.timeout_s
        buffer = io.StringIO()
        original_out, original_err = sys.stdout, sys.stderr
        sys.stdout = _Tee(buffer, original_out)
        sys.stderr = _Tee(buffer, original_err)
        REQUEST_ID_FILTER.request_id = request_id
        sys.stdout.write(f"START RequestId: {request_id} Version: {self.version}\n")
        self.finished.clear()
        watchdog = threading.Thread(
            target=self._watchdog,
            args=(request_id, started, deadline, buffer),
            name="timeout-watchdog",
            daemon=True,
        )
        watchdog.start()
        outcome: tuple[str, bytes]
        try:
            outcome = self._call_handler(invocation, request_id, deadline)
        except SystemExit as e:
            body = _error_body(
                "Runtime.ExitError",
                f"RequestId: {request_id} Error: Runtime exited with error: exit status {e.code}",
                [],
                request_id,
            )
            self._finish(
                request_id, started, buffer, "error", json.dumps(body).encode(), status="error"
            )
            self._restart()
            return
        finally:
            sys.stdout, sys.stderr = original_out, original_err
        self._finish(request_id, started, buffer, *outcome, status=None)

    def _call_handler(
        self, invocation: dict[str, Any], request_id: str, deadline: float
    ) -> tuple[str, bytes]:
        if self.init_error is not None:
            error = self.init_error
            sys.stdout.write(f"[ERROR] {error['errorType']}: {error['errorMessage']}\n")
            return "error", json.dumps({**error, "requestId": request_id}).encode()
        raw = invocation.get("payload") or "{}"
        try:
            event = json.loads(raw)
            context = LambdaContext(
                request_id, str(invocation.get("invoked-function-arn", "")), deadline
            )
            result = self.handler(event, context)
        except Exception as e:
            stack = traceback.format_list(traceback.extract_tb(e.__traceback__)[1:])
            error_type = type(e).__name__
            message = str(e)
            lines = [f"[ERROR] {error_type}: {message}", "Traceback (most recent call last):"]
            lines += [frame.rstrip("\n").replace("\n", "\r") for frame in stack]
            sys.stdout.write("\r".join(lines) + "\n")
            return "error", json.dumps(_error_body(error_type, message, stack, request_id)).encode()
        try:
            return "response", json.dumps(result).encode()
        except (TypeError, ValueError) as e:
            message = f"Unable to marshal response: {e}"
            sys.stdout.write(f"[ERROR] Runtime.MarshalError: {message}\n")
            return "error", json.dumps(
                _error_body("Runtime.MarshalError", message, [], request_id)
            ).encode()

    def _finish(
        self,
        request_id: str,
        started: float,
        buffer: io.StringIO,
        kind: str,
        body: bytes,
        *,
        status: str | None,
    ) -> None:
        """Send logs then the result, once per invocation (the watchdog may race us)."""
        if not self.reported.acquire(blocking=False):
            return
        try:
            self.finished.set()
            duration_ms = (time.monotonic() - started) * 1000
            max_rss_mb = _max_rss_mb()
            report = (
                f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
                f"Billed Duration: {math.ceil(duration_ms)} ms\tMemory Size: {self.memory_mb} MB\t"
                f"Max Memory Used: {max_rss_mb} MB"
            )
            if self.init_duration_ms is not None:
                report += f"\tInit Duration: {self.init_duration_ms:.2f} ms"
                self.init_duration_ms = None
            if status:
                report += f"\tStatus: {status}"
            tail = f"END RequestId: {request_id}\n{report}\n"
            sys.__stdout__.write(tail)  # type: ignore[union-attr]
            logs = buffer.getvalue()
            if logs and not logs.endswith("\n"):
                logs += "\n"
            base = f"{self.endpoint}/invocations/{request_id}"
            _post_json(f"{base}/logs", {"logs": logs + tail})
            _post(f"{base}/{kind}", body)
        finally:
            self.reported.release()

    def _watchdog(
        self, request_id: str, started: float, deadline: float, buffer: io.StringIO
    ) -> None:
        if self.finished.wait(max(0.0, deadline - time.monotonic())):
            return
        message = f"Task timed out after {self.timeout_s:.2f} seconds"
        buffer.write(f"{_iso_now()} {request_id} {message}\n")
        body = _error_body(
            "Sandbox.Timedout", f"RequestId: {request_id} Error: {message}", [], request_id
        )
        self._finish(
            request_id, started, buffer, "error", json.dumps(body).encode(), status="timeout"
        )
        self._restart()

    def _restart(self) -> None:
        """Reset the environment: a fresh process on the same port, without a second 'ready'."""
        sys.__stdout__.flush()  # type: ignore[union-attr]
        os.environ[RESTARTED_ENV] = "1"
        os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])


def _exit_with_parent() -> None:
    """Lambda environments die with LocalStack, even when it is killed without cleanup."""
    parent = os.getppid()
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            os._exit(0)


def main() -> None:
    threading.Thread(target=_exit_with_parent, name="parent-watch", daemon=True).start()
    _setup_sys_path()
    _setup_logging()
    runtime = Runtime()
    runtime.serve()
    runtime.load_handler()
    runtime.signal_ready()
    runtime.run_forever()


if __name__ == "__main__":
    main()
