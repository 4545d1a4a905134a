"""`hullscan upgrade -o html`: one self-contained HTML page (inline CSS, no scripts, no external links)."""

from __future__ import annotations

import html

from hullscan.analyze.upgrade.model import UpgradeReport
from hullscan.encode.upgrade_markdown import encode as to_markdown

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.9rem}
td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3} code{background:#f6f6f6;padding:0 .2rem}
.safe{color:#1a7f37}.review{color:#9a6700}.breaking{color:#cf222e}
"""


def _inline(text: str) -> str:
    escaped = html.escape(text)
    parts = escaped.split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)).replace("**", "")


def _table(lines: list[str]) -> str:
    header = [c.strip() for c in lines[0].strip("|").split(" | ")]
    rows = [
        [c.strip().replace("\\|", "|") for c in line.strip().strip("|").split(" | ")] for line in lines[2:]
    ]
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _blocks(markdown: str) -> list[str]:
    out: list[str] = []
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("| "):
            end = index
            while end < len(lines) and lines[end].startswith("|"):
                end += 1
            out.append(_table(lines[index:end]))
            index = end
            continue
        if line.startswith("# "):
            out.append(f"<h1>{_inline(line[2:])}</h1>")
        elif line.startswith("## "):
            out.append(f"<h2>{_inline(line[3:])}</h2>")
        elif line.startswith("- "):
            out.append(f"<li>{_inline(line[2:])}</li>")
        elif line.strip():
            out.append(f"<p>{_inline(line)}</p>")
        index += 1
    return out


def encode(report: UpgradeReport) -> str:
    """Return the HTML page."""
    body = "\n".join(_blocks(to_markdown(report)))
    verdict = report.verdict.value
    title = html.escape(f"hullscan upgrade: {verdict}")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{_STYLE}</style></head>\n"
        f'<body class="{verdict}">\n<p class="{verdict}"><strong>Verdict: {verdict}</strong></p>\n'
        f"{body}\n</body></html>\n"
    )
