"""What to keep while a layer streams: the capture policy and the content analyzers it runs.

A module of its own, importing nothing heavy: the caches are looked up by a policy's fingerprint
before any layer reader (or cataloger) is loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol


class ContentAnalyzer(Protocol):
    """Looks inside files chosen by path and first bytes (e.g. ELF objects), per layer."""

    name: str
    version: str

    def wants(self, path: str, head: bytes, size: int) -> bool:
        """Return True to analyze this file; `head` is its first bytes."""
        ...

    def analyze(self, path: str, stream: BinaryIO, size: int) -> Any:
        """Return a JSON-able summary of the file, or None. `stream` is seekable."""
        ...


@dataclass(frozen=True, slots=True)
class CapturePolicy:
    """Which file contents to keep while streaming a layer."""

    wants: Callable[[str], bool]
    analyzers: Sequence[ContentAnalyzer] = ()
    fingerprint: str = "none"
    """Identifies the policy (catalogers, analyzers, versions) for cache keys."""

    def resolve(self) -> CapturePolicy:
        """Return this policy (see DeferredPolicy)."""
        return self


class DeferredPolicy:
    """A capture policy known by its fingerprint alone until a layer really has to be read.

    A warm scan finds every layer in the cache by fingerprint and never builds the policy, so it
    never imports the catalogers behind it.
    """

    def __init__(self, fingerprint: str, build: Callable[[], CapturePolicy]) -> None:
        self.fingerprint = fingerprint
        self._build = build
        self._built: CapturePolicy | None = None

    def resolve(self) -> CapturePolicy:
        """Build the policy once; it carries this object's fingerprint."""
        if self._built is None:
            built = self._build()
            self._built = CapturePolicy(built.wants, built.analyzers, self.fingerprint)
        return self._built


PolicySource = CapturePolicy | DeferredPolicy
"""What view builders accept: a policy, or one built on demand."""
