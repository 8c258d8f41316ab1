"""The one exception of the package command: an expected failure, shown as ``error: ...``."""

from __future__ import annotations


class PackagingError(Exception):
    """An expected packaging failure; the message says what and what to do."""
