"""The release's package index, when it can be read without the network, for the `ops` check.

`unbundle`'s Debian index reader (`hullscan.analyze.unbundle.debian_index`) is reused. A scan
never downloads: the index is used only when every suite of the release is on this machine (the
host's apt lists for that release, or the reduced copy `unbundle` cached less than a day ago).
Otherwise the reason of each `ops` finding says the index was not consulted.
"""

from __future__ import annotations

import lzma
import time
from dataclasses import dataclass
from pathlib import Path

from hullscan.analyze.unbundle.debian_index import APT_LISTS, DebianIndex, load_index, release_suites
from hullscan.errors import HullscanError
from hullscan.model.inventory import Distro

CACHE_TTL_S = 24 * 3600
"""How long `unbundle` trusts a downloaded index (its own rule, mirrored here)."""
_DEBIAN_ARCH = {"386": "i386", "arm": "armhf", "ppc64le": "ppc64el"}


@dataclass(frozen=True, slots=True)
class ReleaseIndex:
    """The binary packages a release publishes, or why they were not consulted."""

    index: DebianIndex | None
    note: str
    """`bookworm, bookworm-updates, bookworm-security` or `index not consulted (...)`."""
    release: str = ""
    """The release codename the index (or the tracker) is about (`bookworm`)."""


def not_consulted(why: str, release: str = "") -> ReleaseIndex:
    """Return an absent index with the reason."""
    return ReleaseIndex(None, f"index not consulted ({why})", release)


def release_index(distro: Distro | None, cache_dir: Path, architecture: str = "amd64") -> ReleaseIndex:
    """Return the distribution's package index if it is available offline."""
    if distro is None:
        return not_consulted("unknown distribution")
    if distro.id != "debian" or not distro.version_id:
        return not_consulted(f"no package index reader for {distro.pretty_name or distro.id}")
    try:
        _, codename, suites = release_suites(distro.version_id)
    except HullscanError as error:
        return not_consulted(error.message)
    arch = _DEBIAN_ARCH.get(architecture, architecture)
    missing = [suite for suite in suites if not _available_offline(cache_dir, suite, arch)]
    if missing:
        why = f"{', '.join(missing)} not on this machine; `apt-get update` or `hullscan unbundle` fetches it"
        return not_consulted(why, codename)
    return _load(cache_dir, distro.version_id, arch, codename, suites)


def _load(cache_dir: Path, release: str, arch: str, codename: str, suites: tuple[str, ...]) -> ReleaseIndex:
    try:
        index = load_index(cache_dir, release, arch)
    except HullscanError as error:
        return not_consulted(error.message, codename)
    except (OSError, ValueError, EOFError, lzma.LZMAError) as error:  # a damaged list or cache file
        return not_consulted(f"unreadable: {error}", codename)
    return ReleaseIndex(index, ", ".join(suites), codename)


def _available_offline(cache_dir: Path, suite: str, arch: str) -> bool:
    """True when `load_index` would read this suite without downloading it."""
    if APT_LISTS.is_dir() and any(APT_LISTS.glob(f"*_dists_{suite}_main_binary-{arch}_Packages*")):
        return True
    cached = cache_dir / "unbundle" / "debian" / f"{suite}-{arch}-Packages.json"
    try:
        return time.time() - cached.stat().st_mtime <= CACHE_TTL_S
    except OSError:
        return False
