"""``s3-lambda-trigger package``: build the function's deployment zip (and a layer zip).

    s3-lambda-trigger package -o build/handler.zip          # this project's handler only
    s3-lambda-trigger package --source src/mypkg -r requirements.txt \\
        --runtime python3.13 --architecture arm64 -o build/function.zip

What goes in, at the zip root: this project's ``handler`` package (*.py only;
``--no-handler`` leaves it out), every ``--source`` (a package directory, or one .py
module), and the third-party packages of ``-r requirements.txt``.  With
``--layer-output`` the third-party packages go to a separate layer zip under
``python/`` instead.

Third-party packages come only from wheels built for the target: ``pip download
--platform manylinux... --python-version 3.X --implementation cp --only-binary=:all:``,
then ``pip install --no-index --target`` of exactly those wheels (the approach of
Chalice's packager, without Docker), so an arm64 zip builds on an x86_64 machine.
boto3, botocore, s3transfer and jmespath are left out (the Lambda runtime has them)
unless ``--include-boto3``.  The wheels are cached per target; a stamp keyed by the
requirements' bytes and the options lists them, so a rebuild with unchanged inputs
runs no ``pip download`` and needs no network.

The zip is deterministic: entries sorted, no directory entries, fixed date
(1980-01-01 00:00), mode (0644; 0755 for files a wheel marks executable) and
create_system, DEFLATE level 9, no caches, scripts or absolute paths.  The same
inputs give the same bytes, given the same zlib, pip and (for bytecode) Python
version.  Bytecode: with an interpreter of the runtime's exact version (``--python``,
else found on PATH or through pyenv), every .py gets an unchecked-hash
``__pycache__/*.cpython-3X.pyc`` (no timestamps; PYTHONHASHSEED=0), so cold starts on
Lambda's read-only code directory do not compile.  Lambda's size limits are checked
after the build.

The modules, each importing only those listed before it: ``errors``, ``files`` (sorted
walk, sha256), ``target`` (runtimes, architectures, platform tags), ``sources`` (your
code and the handler), ``pip`` (running pip, its errors), ``wheels`` (cache, download,
install), ``prune`` (what the zip leaves out of the installed wheels), ``bytecode``,
``archive`` (the zip, size limits), ``pipeline`` (:func:`build`), ``command`` (the CLI).
"""

from .archive import UNZIPPED_LIMIT, ZIPPED_LIMIT, Archive, check_sizes, tree_entries, write_zip
from .bytecode import compile_trees, find_python
from .command import add_parser, describe, run
from .errors import PackagingError
from .pipeline import BuildResult, build
from .prune import RUNTIME_PROVIDED, clean_site
from .sources import handler_package
from .target import ARCHITECTURES, DEFAULT_ARCHITECTURE, DEFAULT_RUNTIME, RUNTIMES, Target
from .wheels import CACHE_ENV, default_cache_dir, fetch_wheels, install_wheels

__all__ = [
    "ARCHITECTURES",
    "CACHE_ENV",
    "DEFAULT_ARCHITECTURE",
    "DEFAULT_RUNTIME",
    "RUNTIMES",
    "RUNTIME_PROVIDED",
    "UNZIPPED_LIMIT",
    "ZIPPED_LIMIT",
    "Archive",
    "BuildResult",
    "PackagingError",
    "Target",
    "add_parser",
    "build",
    "check_sizes",
    "clean_site",
    "compile_trees",
    "default_cache_dir",
    "describe",
    "fetch_wheels",
    "find_python",
    "handler_package",
    "install_wheels",
    "run",
    "tree_entries",
    "write_zip",
]
