"""Make sure the system tools a builder needs are installed (we are root; apt-get works)."""

from __future__ import annotations

import shutil
import subprocess

_updated = False


def ensure_tool(binary: str, apt_package: str | None = None) -> str:
    """Return the path of `binary`, installing `apt_package` (default: same name) if missing."""
    found = shutil.which(binary)
    if found:
        return found
    package = apt_package or binary
    if subprocess.run(_install(package), check=False, capture_output=True).returncode != 0:
        _apt_update()
        subprocess.run(_install(package), check=True, capture_output=True)
    found = shutil.which(binary)
    if not found:
        raise RuntimeError(f"installed {package} but {binary} is still not on PATH")
    return found


def _install(package: str) -> list[str]:
    return ["apt-get", "install", "-y", "-q", "--no-install-recommends", package]


def _apt_update() -> None:
    global _updated  # noqa: PLW0603 - once per process is enough
    if not _updated:
        subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True)
        _updated = True


def run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run `argv`, capturing text output; raise with stderr included if it fails."""
    result = subprocess.run(argv, check=False, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({result.returncode}): {result.stderr[-2000:]}")
    return result  # type: ignore[no-any-return]
