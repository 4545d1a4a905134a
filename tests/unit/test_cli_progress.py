"""The layer progress bar: drawn only on a terminal, after a delay, and gone once the work ends."""

from __future__ import annotations

import io
import threading
import time

import pytest
from rich.console import Console

from hullscan.cli import common
from hullscan.model.image import LayerRef

LAYER = LayerRef(0, "sha256:" + "a" * 64, "application/vnd.oci.image.layer.v1.tar+gzip", 10)


def _timers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if isinstance(t, threading.Timer)]


def test_on_a_terminal_the_bar_appears_after_the_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(common, "err", Console(file=screen, force_terminal=True, width=100))
    monkeypatch.setattr(common, "SHOW_PROGRESS_AFTER_S", 0.01)
    with common.LayerProgress(total=2) as progress:
        time.sleep(0.2)
        progress(LAYER, cached=False)
        progress.cataloging(0)
    assert progress.layers_read == 1
    assert "cataloging" in screen.getvalue() or "layers read" in screen.getvalue()
    assert not _timers()  # joined on exit: the command may leave right away


def test_off_a_terminal_nothing_is_built_or_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(common, "err", Console(file=screen, force_terminal=False))
    with common.LayerProgress() as progress:
        progress(LAYER, cached=True)
        progress.cataloging(0)
    assert progress.progress is None
    assert progress.layers_read == 1
    assert screen.getvalue() == ""
    assert not _timers()
