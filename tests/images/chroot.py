"""Run a command inside a rootfs with chroot (we are root), leaving the rootfs as it was found.

The host CA bundle and resolv.conf are copied in for the step (TLS-inspecting proxy, DNS) and
removed afterwards; /proc is bind-mounted only on request and always unmounted.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
CHROOT_CA_PATH = "/tmp/hullscan-host-ca.crt"
_BASE_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "DEBIAN_FRONTEND": "noninteractive",
    "SSL_CERT_FILE": CHROOT_CA_PATH,
    "PIP_CERT": CHROOT_CA_PATH,
    "REQUESTS_CA_BUNDLE": CHROOT_CA_PATH,
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    "PIP_NO_INPUT": "1",
}


@contextmanager
def _temporary_file(root: Path, inside: str, source: Path) -> Iterator[None]:
    """Copy `source` to `root/inside` unless something is already there; remove it afterwards."""
    target = root / inside.lstrip("/")
    if target.exists() or target.is_symlink() or not source.is_file():
        yield
        return
    created_dirs = [p for p in reversed(target.relative_to(root).parents) if not (root / p).exists()]
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    try:
        yield
    finally:
        if target.is_file() and not target.is_symlink() and target.read_bytes() == source.read_bytes():
            target.unlink()
        for directory in reversed(created_dirs):
            with contextlib.suppress(OSError):  # the step may have put files there
                (root / directory).rmdir()


@contextmanager
def _proc_mounted(root: Path) -> Iterator[None]:
    proc = root / "proc"
    proc.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "proc", "proc", str(proc)], check=True)
    try:
        yield
    finally:
        if subprocess.run(["umount", str(proc)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(proc)], check=False)


def chroot_run(
    rootfs: Path,
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    mount_proc: bool = False,
    timeout: float = 900,
) -> subprocess.CompletedProcess[str]:
    """Run `argv` chrooted into `rootfs`; raise RuntimeError with the output tail if it fails."""
    with ExitStack() as stack:
        stack.enter_context(_temporary_file(rootfs, CHROOT_CA_PATH, HOST_CA_BUNDLE))
        stack.enter_context(_temporary_file(rootfs, str(HOST_CA_BUNDLE), HOST_CA_BUNDLE))
        stack.enter_context(_temporary_file(rootfs, "/etc/resolv.conf", Path("/etc/resolv.conf")))
        if mount_proc:
            stack.enter_context(_proc_mounted(rootfs))
        result = subprocess.run(
            ["chroot", str(rootfs), *argv],
            env={**_BASE_ENV, **(env or {})},
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
    if result.returncode != 0:
        tail = (result.stdout + result.stderr)[-3000:]
        raise RuntimeError(f"chroot {' '.join(argv)} failed ({result.returncode}):\n{tail}")
    return result
