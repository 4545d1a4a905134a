"""Identify the Linux distribution from os-release (before any package is cataloged)."""

from __future__ import annotations

import shlex

from hullscan.fileview.interface import FileView
from hullscan.model.inventory import Distro

OS_RELEASE_PATHS = ("/etc/os-release", "/usr/lib/os-release")
DEBIAN_VERSION_PATH = "/etc/debian_version"
ALPINE_RELEASE_PATH = "/etc/alpine-release"
DISTRO_PATHS = frozenset((*OS_RELEASE_PATHS, DEBIAN_VERSION_PATH, ALPINE_RELEASE_PATH))


def parse_os_release(text: str) -> dict[str, str]:
    """Parse os-release KEY=value lines (shell-quoted values) into a dict."""
    fields: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        try:
            parts = shlex.split(value)
        except ValueError:
            parts = [value.strip("\"'")]
        fields[key.strip()] = parts[0] if parts else ""
    return fields


def _read_text(view: FileView, path: str) -> str | None:
    try:
        return view.read(path).decode("utf-8", "replace")
    except (FileNotFoundError, OSError):
        return None


def identify_distro(view: FileView) -> Distro | None:
    """Return the distribution described by the image's os-release, or None (scratch)."""
    for path in OS_RELEASE_PATHS:
        text = _read_text(view, path)
        if text is None:
            continue
        fields = parse_os_release(text)
        if "ID" not in fields:
            continue
        version_id = fields.get("VERSION_ID")
        distro_id = fields["ID"].lower()
        if distro_id == "debian" and not version_id:
            version_id = _debian_major(view)  # testing/sid images carry no VERSION_ID
        return Distro(
            id=distro_id,
            version_id=version_id,
            codename=fields.get("VERSION_CODENAME") or None,
            pretty_name=fields.get("PRETTY_NAME") or None,
            id_like=tuple(fields.get("ID_LIKE", "").split()),
        )
    return None


def _debian_major(view: FileView) -> str | None:
    text = _read_text(view, DEBIAN_VERSION_PATH)
    if text is None:
        return None
    head = text.strip().split(".")[0]
    return head if head.isdigit() else None
