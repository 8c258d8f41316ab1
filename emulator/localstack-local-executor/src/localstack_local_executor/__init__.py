"""LocalStack Lambda runtime executor running Python zip functions as local subprocesses."""

__version__ = "0.1.0"
