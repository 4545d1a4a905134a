"""`compare` as one self-contained HTML page: stacked bar charts in inline SVG, no external assets."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from hullscan.analyze.compare.model import BundledCopy, Comparison, ImageFacts
from hullscan.analyze.dedup.model import DedupReport
from hullscan.encode.compare_common import (
    OWNER_LABELS,
    dedup_rows,
    findings_text,
    freshness_text,
    human_bytes,
    packages_text,
    patch_class_text,
    percent,
)

OWNER_COLORS = {"os": "#3b6fb6", "language": "#e0a030", "bundled": "#c8402f", "unowned": "#9a9a9a"}
LAYER_COLORS = ("#5b8bd0", "#7fb069", "#e6aa68", "#b07cc6", "#d1603d", "#4fb3bf", "#a0a0a0")
SHARED_STROKE = "#111"
_BAR_HEIGHT = 26
_LABEL_WIDTH = 150
_CHART_WIDTH = 560
_VALUE_WIDTH = 110

_STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 24px; color: #222; }
body { max-width: 1000px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; }
p.lead { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.legend span { display: inline-block; margin-right: 14px; font-size: 13px; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 5px; vertical-align: -1px; }
svg text { font-family: inherit; font-size: 12px; }
"""


def _legend(items: Sequence[tuple[str, str]]) -> str:
    spans = "".join(
        f'<span><i style="background:{color}"></i>{escape(label)}</span>' for label, color in items
    )
    return f'<div class="legend">{spans}</div>'


def _stacked_bars(
    rows: Sequence[tuple[str, Sequence[tuple[float, str, str]], str]], title: str, maximum: float
) -> str:
    """Return an SVG of horizontal stacked bars: (label, [(value, color, tooltip)], value text)."""
    height = len(rows) * (_BAR_HEIGHT + 12) + 10
    width = _LABEL_WIDTH + _CHART_WIDTH + _VALUE_WIDTH
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="{escape(title)}">'
        )
    ]
    for row_index, (label, segments, value_text) in enumerate(rows):
        y = 5 + row_index * (_BAR_HEIGHT + 12)
        parts.append(
            f'<text x="{_LABEL_WIDTH - 8}" y="{y + _BAR_HEIGHT / 2 + 4}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
        x = float(_LABEL_WIDTH)
        for value, color, tooltip in segments:
            bar = _CHART_WIDTH * value / maximum if maximum else 0
            if bar <= 0:
                continue
            stroke = f' stroke="{SHARED_STROKE}" stroke-width="2"' if tooltip.startswith("shared") else ""
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{max(bar, 0.5):.1f}" height="{_BAR_HEIGHT}" fill="{color}"'
                f"{stroke}><title>{escape(tooltip)}</title></rect>"
            )
            x += bar
        parts.append(f'<text x="{x + 6:.1f}" y="{y + _BAR_HEIGHT / 2 + 4}">{escape(value_text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _ownership_chart(images: Sequence[ImageFacts]) -> str:
    rows = []
    for image in images:
        segments = [
            (
                image.owned(owner).bytes,
                OWNER_COLORS[owner],
                f"{label}: {human_bytes(image.owned(owner).bytes)}, {image.owned(owner).files} files",
            )
            for owner, label in OWNER_LABELS.items()
        ]
        rows.append((image.name, segments, human_bytes(image.total_bytes)))
    maximum = max((image.total_bytes for image in images), default=0)
    legend = _legend([(label, OWNER_COLORS[owner]) for owner, label in OWNER_LABELS.items()])
    return legend + _stacked_bars(rows, "bytes by owner", maximum)


def _layer_chart(comparison: Comparison) -> str:
    shared = {layer.diff_id for layer in comparison.shared_layers}
    rows = []
    for image in comparison.images:
        segments = []
        for layer in image.layers:
            is_shared = layer.diff_id in shared
            tooltip = (
                f"{'shared ' if is_shared else ''}layer {layer.index}: {human_bytes(layer.file_bytes)}"
                f" — {layer.created_by or layer.diff_id[:19]}"
            )
            segments.append((layer.file_bytes, LAYER_COLORS[layer.index % len(LAYER_COLORS)], tooltip))
        rows.append((image.name, segments, human_bytes(sum(layer.file_bytes for layer in image.layers))))
    maximum = max((sum(layer.file_bytes for layer in image.layers) for image in comparison.images), default=0)
    note = (
        "<p>Each segment is one layer, base first. Segments with a dark outline are layers shared with "
        "another image (same diff_id): stored and pulled once.</p>"
    )
    depth = max((len(image.layers) for image in comparison.images), default=0)
    legend = _legend(
        [
            (f"layer {i}" + (" (base)" if i == 0 else ""), LAYER_COLORS[i % len(LAYER_COLORS)])
            for i in range(depth)
        ]
    )
    return note + legend + _stacked_bars(rows, "layer sizes", maximum)


def _dedup_chart(report: DedupReport) -> str:
    rows = [
        (
            "every image whole",
            [(report.logical_bytes, "#9a9a9a", "logical bytes")],
            human_bytes(report.logical_bytes),
        )
    ]
    labels = {"layers": "share layers", "files": "share files", "chunks": "share chunks"}
    rows += [
        (
            labels.get(level.name, level.name),
            [(level.stored_bytes, "#3b6fb6", f"kept: {human_bytes(level.stored_bytes)}")],
            f"{human_bytes(level.stored_bytes)} (saves {level.saved_percent:.0f}%)",
        )
        for level in report.levels
    ]
    return _stacked_bars(rows, "deduplicated storage", report.logical_bytes)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{escape(c)}</td>' if i in numeric else f"<td>{escape(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _summary_table(images: Sequence[ImageFacts]) -> str:
    rows = [
        ["total size (files)", *(human_bytes(i.total_bytes) for i in images)],
        ["compressed layers", *(human_bytes(i.blob_bytes) for i in images)],
        ["files", *(str(i.total_files) for i in images)],
        ["layers", *(str(len(i.layers)) for i in images)],
        ["distribution", *(i.distro or "none" for i in images)],
    ]
    for owner, label in OWNER_LABELS.items():
        rows.append(
            [
                label,
                *(
                    f"{human_bytes(i.owned(owner).bytes)} ({percent(i.owned(owner).bytes, i.total_bytes)}), "
                    f"{i.owned(owner).files} files"
                    for i in images
                ),
            ]
        )
    rows += [
        ["packages per ecosystem", *(packages_text(i) for i in images)],
        ["freshness", *(freshness_text(i) for i in images)],
        ["findings by severity", *(findings_text(i) for i in images)],
        ["findings by patch class", *(patch_class_text(i) for i in images)],
    ]
    return _table(["", *(i.name for i in images)], rows)


def _bundled_table(images: Sequence[ImageFacts]) -> str:
    groups: dict[tuple[str, str], list[BundledCopy]] = {}
    for image in images:
        for copy in image.bundled:
            groups.setdefault((image.name, copy.host), []).append(copy)
    if not groups:
        return "<p>No native component was found inside a language package.</p>"
    rows = []
    for (name, host), copies in groups.items():
        components = sorted({f"{c.component} {c.version or '?'}" for c in copies})
        rows.append(
            [name, host, str(len(copies)), human_bytes(sum(c.bytes for c in copies)), ", ".join(components)]
        )
    return _table(["image", "inside package", "files", "size", "components (version)"], rows, numeric=(2, 3))


def _dedup_section(report: DedupReport) -> str:
    parts = [
        "<h2>What a deduplicating store would keep</h2>",
        (
            "<p>Every layer of every image, counted as if each image were stored on its own, against a store "
            "that keeps identical layers, identical files, or identical content-defined chunks once.</p>"
        ),
        _dedup_chart(report),
        _table(["stored as", "bytes kept", "saved", "saved %"], dedup_rows(report), numeric=(1, 2, 3)),
        (
            "<p>Identical copies of bundled native components: "
            f"{human_bytes(report.bundled_duplicate_bytes)} could be kept once.</p>"
        ),
    ]
    if report.components:
        rows = [
            [c.component, c.version or "?", human_bytes(c.size), str(c.copies), human_bytes(c.saved_bytes)]
            for c in report.components[:15]
        ]
        parts.append(_table(["component", "version", "size", "copies", "saved"], rows, numeric=(2, 3, 4)))
    if report.top_files:
        rows = [
            [f.example.path, f.label, human_bytes(f.size), str(f.copies), human_bytes(f.saved_bytes)]
            for f in report.top_files[:15]
        ]
        parts += [
            "<h3>Top duplicated files</h3>",
            _table(["example path", "component", "size", "copies", "saved"], rows, numeric=(2, 3, 4)),
        ]
    return "".join(parts)


def encode(comparison: Comparison) -> str:
    """Return the comparison as a standalone HTML page."""
    images = comparison.images
    names = ", ".join(image.name for image in images)
    body = [
        f"<h1>Image comparison: {escape(names)}</h1>",
        (
            '<p class="lead">Who owns the bytes (and so who patches them), how the layers stack '
            "and what is shared.</p>"
        ),
        _summary_table(images),
        "<h2>Bytes by owner</h2>",
        (
            "<p>OS packages are patched by rebuilding on a newer base (an ops event); language packages and "
            "components bundled inside them need a developer to bump a dependency; unowned files need "
            "whoever copied them in.</p>"
        ),
        _ownership_chart(images),
        "<h2>Layers</h2>",
        _layer_chart(comparison),
        "<h2>Native components inside language packages</h2>",
        _bundled_table(images),
    ]
    if comparison.dedup is not None:
        body.append(_dedup_section(comparison.dedup))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>hullscan compare: {escape(names)}</title><style>{_STYLE}</style></head><body>"
        + "".join(body)
        + "</body></html>\n"
    )
