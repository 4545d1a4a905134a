"""The console script's own exit path: output complete, files closed, exit codes kept.

`main()` leaves with `os._exit` after flushing (no interpreter teardown), so these run the real
entry point in a child process rather than through typer's test runner.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hullscan.build.oci import write_oci_layout
from hullscan.build.tarwriter import RegularFile, write_layer

STATUS = b"".join(
    f"Package: pkg{i}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.{i}\n\n".encode()
    for i in range(300)
)
ENTRY = "import sys; from hullscan.cli.app import main; sys.argv[0] = 'hullscan'; main()"


def _hullscan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", ENTRY, *args], capture_output=True, text=True, check=False)


def _image(tmp_path: Path) -> str:
    layer = write_layer(
        tmp_path / "l0.tar.gz",
        [
            RegularFile(path="/etc/os-release", data=b'ID=debian\nVERSION_ID="12"\n'),
            RegularFile(path="/var/lib/dpkg/status", data=STATUS),
        ],
    )
    write_oci_layout(tmp_path / "oci", [layer], tag="t")
    return f"oci:{tmp_path / 'oci'}:t"


def test_outputs_are_complete_on_stdout_and_in_files(tmp_path: Path) -> None:
    image, cache = _image(tmp_path), str(tmp_path / "cache")
    printed = _hullscan("sbom", image, "-o", "json", "--cache-dir", cache)
    assert printed.returncode == 0, printed.stderr
    assert len(json.loads(printed.stdout)["packages"]) == 300
    table = tmp_path / "table.txt"
    written = _hullscan("sbom", image, "--file", str(table), "--cache-dir", cache)
    assert written.returncode == 0, written.stderr
    assert table.read_text().rstrip().splitlines()[-2].startswith("300 packages")


def test_exit_codes_and_messages_are_kept(tmp_path: Path) -> None:
    failed = _hullscan("sbom", f"oci:{tmp_path / 'missing'}:t", "--cache-dir", str(tmp_path / "cache"))
    assert failed.returncode == 2
    assert "error:" in failed.stderr
    assert "not an OCI layout" in " ".join(failed.stderr.split())  # rich wraps long lines
    usage = _hullscan("no-such-command")
    assert usage.returncode == 2
    version = _hullscan("version")
    assert (version.returncode, version.stdout.split()[0]) == (0, "hullscan")
