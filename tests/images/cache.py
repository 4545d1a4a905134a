"""A build cache for expensive test images: one directory per key, built once under a file lock.

The root is `$HULLSCAN_TEST_CACHE` (default `~/.cache/hullscan-tests`). A build runs in a
temporary sibling directory and is renamed into place when it succeeded, so parallel pytest
workers and interrupted runs never see half-built images.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

COMPLETE_MARKER = "COMPLETE"


def cache_root() -> Path:
    """Return (and create) the test cache directory."""
    configured = os.environ.get("HULLSCAN_TEST_CACHE")
    root = Path(configured) if configured else Path.home() / ".cache" / "hullscan-tests"
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on `path` (created if missing) for the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def is_complete(directory: Path) -> bool:
    """Return True when `directory` holds a finished build."""
    return (directory / COMPLETE_MARKER).is_file()


def cached_build(key: str, build: Callable[[Path], None]) -> Path:
    """Return the cache directory for `key`, running `build(tmpdir)` first if it is missing.

    `build` fills an empty directory; it is renamed to `<cache>/<key>` once `build` returns.
    """
    root = cache_root()
    final = root / key
    if is_complete(final):
        return final
    with file_lock(root / f".{key}.lock"):
        if is_complete(final):
            return final
        work = root / f".{key}.building"
        for stale in (work, final):
            if stale.exists():
                shutil.rmtree(stale)
        work.mkdir()
        try:
            build(work)
            (work / COMPLETE_MARKER).write_text("ok\n")
            work.rename(final)
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)
    return final
