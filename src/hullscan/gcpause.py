"""Pausing the cyclic garbage collector around bulk loads of acyclic objects."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector while tens of thousands of objects are built.

    Records and packages loaded from a cache are never cyclic garbage, yet each batch of
    allocations would make the collector walk all of them again (about a third of unpickling
    an inventory, 15% of loading a large layer).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
