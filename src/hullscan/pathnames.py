"""Path normalization that can never leave the image root."""

from __future__ import annotations

import posixpath


def normalize_member_name(name: str) -> tuple[str, str | None]:
    """Return (absolute normalized path, warning or None) for a tar member name.

    `..` components are clamped at the root (a member can never name a path outside it);
    absolute names and escapes are reported as warnings.
    """
    if name and name[0] not in "/." and "//" not in name and "/." not in name and "\\" not in name:
        return "/" + name.rstrip("/"), None  # the common case: nothing to clean up
    warning = None
    raw = name.replace("\\", "/") if "\\" in name and "/" not in name else name
    if raw.startswith("/"):
        warning = f"member {name!r} has an absolute path; read relative to the image root"
    parts: list[str] = []
    escaped = False
    for part in raw.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            else:
                escaped = True
            continue
        parts.append(part)
    if escaped:
        warning = f"member {name!r} climbs above the image root with '..'; clamped at the root"
    return "/" + "/".join(parts), warning


def join_link(base_dir: str, target: str) -> str:
    """Resolve a symlink target against its directory, clamping `..` at the root."""
    joined = target if target.startswith("/") else posixpath.join(base_dir, target)
    path, _ = normalize_member_name(joined)
    return path


def parent(path: str) -> str:
    """Return the parent directory of an absolute normalized path."""
    head = posixpath.dirname(path)
    return head or "/"
