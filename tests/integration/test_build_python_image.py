"""The Debian + python3 + virtualenv image: what pip installed is what importlib and dpkg report."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess

import pytest

from images.python_image import APT_PACKAGES, PythonImage

pytest_plugins = ["images.fixtures"]
pytestmark = [pytest.mark.slow, pytest.mark.network]


def test_venv_holds_exactly_the_pinned_wheels(python_test_image: PythonImage) -> None:
    found = {
        d.metadata["Name"].lower(): d.version
        for d in importlib.metadata.distributions(path=[str(python_test_image.site_packages)])
    }
    for pin in python_test_image.pins:
        name, version = pin.split("==")
        assert found[name.lower()] == version
    assert (python_test_image.rootfs / "opt/venv/pyvenv.cfg").is_file()


def test_python3_is_a_dpkg_package_of_the_image(python_test_image: PythonImage) -> None:
    listed = subprocess.run(
        [
            "dpkg-query",
            f"--admindir={python_test_image.rootfs}/var/lib/dpkg",
            "-W",
            "-f",
            "${Package} ${Status}\n",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    installed = {line.split()[0] for line in listed if line.endswith("install ok installed")}
    assert set(APT_PACKAGES) <= installed


def test_layers_are_read_by_skopeo(python_test_image: PythonImage) -> None:
    config = json.loads(
        subprocess.run(
            ["skopeo", "inspect", "--config", python_test_image.reference],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert config["rootfs"]["diff_ids"] == [layer.diff_id for layer in python_test_image.layers]
