"""release_index never downloads: it reads the release's index only when every suite is on this machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from hullscan.analyze.patchability import release_index
from hullscan.analyze.unbundle.debian_index import APT_LISTS
from hullscan.model.inventory import Distro


@pytest.mark.parametrize("distro", [None, Distro("alpine", "3.19"), Distro("ubuntu", "22.04"), Distro("debian", None)])
def test_no_reader_no_index(distro: Distro | None, tmp_path: Path) -> None:
    found = release_index(distro, tmp_path)
    assert found.index is None
    assert found.note.startswith("index not consulted (")


def _absent_release() -> tuple[str, str]:
    """A Debian release whose lists this host does not hold."""
    for version, codename in (("13", "trixie"), ("11", "bullseye"), ("14", "forky")):
        if not (APT_LISTS.is_dir() and any(APT_LISTS.glob(f"*_dists_{codename}*_Packages*"))):
            return version, codename
    raise AssertionError("this host holds lists for every release the index reader knows")


def test_a_release_not_on_this_machine_is_not_downloaded(tmp_path: Path) -> None:
    version, codename = _absent_release()
    found = release_index(Distro("debian", version, codename), tmp_path)
    assert found.index is None
    assert codename in found.note
    assert found.release == codename
    assert not any(tmp_path.iterdir()), "nothing may be written or fetched"


def test_an_unknown_release_is_a_note_not_an_error(tmp_path: Path) -> None:
    found = release_index(Distro("debian", "99"), tmp_path)
    assert found.index is None
    assert "99" in found.note
