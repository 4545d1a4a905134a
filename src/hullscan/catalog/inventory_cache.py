"""Whole-image inventory cache: a warm scan of an image whose layers were all seen reads one file.

The key is every layer digest in order (with its diff id), the capture policy (hullscan's code
fingerprint), the scope and hullscan's version: any change to the layers or to what hullscan
finds in them misses the cache. The image config is not part of the key: nothing cataloged comes
from it, and a hit is handed back with the description of the image asked for, so an image
rebuilt with new labels, a new command or a new tag over the same layers is a hit. Only layered
images are cached (a root filesystem directory can change under the same name). Files are
written atomically; an unreadable or stale file is a miss, never an error.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from hullscan import __version__
from hullscan.config import Scope
from hullscan.gcpause import collector_paused
from hullscan.model.image import ImageDescription
from hullscan.model.inventory import Inventory

FORMAT = "2"

_UNREADABLE_CACHE_ERRORS = (
    OSError,
    pickle.UnpicklingError,
    EOFError,
    AttributeError,
    ImportError,
    TypeError,
    ValueError,
)
"""What unpickling a damaged or stale cache file can raise: all mean a miss."""


class InventoryCache:
    """Stores inventories under `<cache_dir>/inventories/`."""

    def __init__(self, cache_dir: Path) -> None:
        self.root = cache_dir / "inventories"

    @staticmethod
    def key(description: ImageDescription, fingerprint: str, scope: Scope) -> str | None:
        """Return the cache key of an image's inventory, or None when it must not be cached."""
        if not description.layers:
            return None
        parts = [FORMAT, __version__, fingerprint, scope.value]
        parts += [f"{layer.digest}/{layer.diff_id or ''}" for layer in description.layers]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def load(self, key: str, description: ImageDescription) -> Inventory | None:
        """Return the cached inventory (describing the image as referenced now), or None."""
        path = self.root / f"{key}.pickle"
        try:
            with path.open("rb") as handle, collector_paused():
                found = pickle.load(handle)  # noqa: S301 - our own cache file, written below
        except FileNotFoundError:
            return None
        except _UNREADABLE_CACHE_ERRORS:
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        if not isinstance(found, Inventory):
            return None
        return dataclasses.replace(found, image=description)

    def store(self, key: str, inventory: Inventory) -> None:
        """Write the inventory atomically; a cache that cannot be written is skipped silently."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=".pickle")
            try:
                with os.fdopen(fd, "wb") as handle:
                    pickle.dump(inventory, handle, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, self.root / f"{key}.pickle")
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
        except OSError:
            return
