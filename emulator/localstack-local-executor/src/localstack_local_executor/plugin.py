"""plux plugin registering the ``local`` Lambda runtime executor with LocalStack."""

from __future__ import annotations

from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin


class LocalRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    """Selected with ``LAMBDA_RUNTIME_EXECUTOR=local``."""

    name = "local"

    def load(self, *args: object, **kwargs: object) -> type:
        from localstack_local_executor.executor import LocalRuntimeExecutor  # noqa: PLC0415

        return LocalRuntimeExecutor
