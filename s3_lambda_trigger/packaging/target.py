"""The target: a Lambda runtime and architecture, and the wheel platform tags they accept."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import PackagingError

RUNTIMES = ("python3.11", "python3.12", "python3.13")
ARCHITECTURES = ("x86_64", "arm64")
DEFAULT_RUNTIME = "python3.13"
DEFAULT_ARCHITECTURE = "x86_64"

_MACHINES = {"x86_64": "x86_64", "arm64": "aarch64"}
# glibc 2.x of the runtime's OS: python3.11 runs on Amazon Linux 2, 3.12+ on AL2023.
_GLIBC_MINOR = {"python3.11": 26, "python3.12": 34, "python3.13": 34}


@dataclass(frozen=True)
class Target:
    """A Lambda runtime and architecture, and the wheel tags that run there."""

    runtime: str = DEFAULT_RUNTIME
    architecture: str = DEFAULT_ARCHITECTURE

    def __post_init__(self) -> None:
        if self.runtime not in RUNTIMES:
            raise PackagingError(f"runtime {self.runtime!r}: choose one of {', '.join(RUNTIMES)}")
        if self.architecture not in ARCHITECTURES:
            raise PackagingError(
                f"architecture {self.architecture!r}: choose one of {', '.join(ARCHITECTURES)}"
            )

    @property
    def python_version(self) -> str:
        """E.g. ``3.13``."""
        return self.runtime.removeprefix("python")

    @property
    def cache_tag(self) -> str:
        """E.g. ``cpython-313``, as in ``__pycache__/mod.cpython-313.pyc``."""
        return "cpython-" + self.python_version.replace(".", "")

    @property
    def machine(self) -> str:
        """``x86_64`` or ``aarch64``, as in wheel platform tags."""
        return _MACHINES[self.architecture]

    @property
    def platform(self) -> str:
        """The baseline platform tag, e.g. ``manylinux2014_aarch64``."""
        return f"manylinux2014_{self.machine}"

    @property
    def newest_platform(self) -> str:
        """The newest manylinux tag the runtime's glibc accepts, e.g. ``manylinux_2_34_x86_64``."""
        return f"manylinux_2_{_GLIBC_MINOR[self.runtime]}_{self.machine}"

    @property
    def platforms(self) -> tuple[str, ...]:
        """Every accepted platform tag, preferred first (what pip gets as --platform)."""
        newer = range(_GLIBC_MINOR[self.runtime], 17, -1)
        older = range(16, 4, -1) if self.machine == "x86_64" else range(0)
        return (
            *(f"manylinux_2_{m}_{self.machine}" for m in newer),
            self.platform,  # pip adds manylinux2010/manylinux1 after it on x86_64
            f"manylinux_2_17_{self.machine}",
            *(f"manylinux_2_{m}_{self.machine}" for m in older),
        )

    def describe(self) -> str:
        """E.g. ``python3.13 arm64 (platform manylinux2014_aarch64 .. manylinux_2_34_aarch64)``."""
        return (
            f"{self.runtime} {self.architecture} "
            f"(platform {self.platform} .. {self.newest_platform})"
        )
