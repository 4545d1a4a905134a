"""Helpers shared by the `compare` / `dedup` encoders: byte formatting and row builders."""

from __future__ import annotations

from hullscan.analyze.compare.model import ImageFacts
from hullscan.analyze.dedup.model import DedupReport

OWNER_LABELS = {
    "os": "OS package manager",
    "language": "language package managers",
    "bundled": "bundled in language packages",
    "unowned": "unowned",
}
_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def human_bytes(count: float) -> str:
    """Return `count` bytes as `12.3 MiB` (binary units)."""
    value = float(count)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"  # pragma: no cover - loop always returns


def percent(part: int, whole: int) -> str:
    """Return `part / whole` as `12.3%` (`-` when whole is zero)."""
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def freshness_text(image: ImageFacts) -> str:
    """Return one cell describing freshness."""
    fresh = image.freshness
    if fresh.status != "computed":
        return "unknown"
    return f"{fresh.packages_behind} of {fresh.packages_with_data} behind newest known"


def findings_text(image: ImageFacts) -> str:
    """Return one cell describing findings by severity."""
    counts = image.findings
    if counts.status != "computed":
        return "not computed"
    parts = [f"{severity} {count}" for severity, count in counts.by_severity]
    return f"{counts.total} ({', '.join(parts)})" if parts else "0"


def patch_class_text(image: ImageFacts) -> str:
    """Return one cell describing findings by patch class."""
    counts = image.findings
    if counts.patch_class_status != "computed":
        return "not computed"
    return ", ".join(f"{name} {count}" for name, count in counts.by_patch_class)


def packages_text(image: ImageFacts) -> str:
    """Return `deb 154, python 9` style package counts."""
    return ", ".join(f"{name} {count}" for name, count in image.packages) or "none"


def dedup_rows(report: DedupReport) -> list[tuple[str, str, str, str]]:
    """Return (what, stored, saved, saved %) rows for the dedup levels, logical first."""
    rows = [("every image whole", human_bytes(report.logical_bytes), "-", "-")]
    names = {
        "layers": "identical layers shared",
        "files": "identical files (content digest)",
        "chunks": "identical chunks (FastCDC ~64 KiB)",
    }
    rows.extend(
        (
            names.get(level.name, level.name),
            human_bytes(level.stored_bytes),
            human_bytes(level.saved_bytes),
            f"{level.saved_percent:.1f}%",
        )
        for level in report.levels
    )
    return rows
