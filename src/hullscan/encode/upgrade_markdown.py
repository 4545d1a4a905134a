"""`hullscan upgrade -o markdown`: the upgrade report as GitHub-flavoured Markdown (for PR comments)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from hullscan.analyze.upgrade.model import ChangeKind, UpgradeReport

MAX_ROWS = 200


def _cell(value: object) -> str:
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], limit: int = MAX_ROWS) -> list[str]:
    """Return Markdown table lines (at most `limit` rows, then a count of the rest)."""
    materialized = list(rows)
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in materialized[:limit]]
    if len(materialized) > limit:
        lines.append(f"\n… {len(materialized) - limit} more rows")
    return [*lines, ""]


def _distro(value: object) -> str:
    return str(getattr(value, "pretty_name", None) or getattr(value, "purl_qualifier", None) or "unknown")


def _packages(report: UpgradeReport) -> list[str]:
    lines = [f"## Packages\n\n{report.unchanged_packages} unchanged.\n"]
    rows = [
        (
            c.ecosystem,
            c.kind.value,
            c.name if c.kind is not ChangeKind.RENAMED else f"{c.name} → {c.new_name}",
            c.old_version or "",
            c.new_version or "",
            c.bump.value if c.bump else "",
            c.reason,
        )
        for c in report.packages
    ]
    return lines + (
        table(("ecosystem", "change", "package", "old", "new", "bump", "note"), rows)
        if rows
        else ["No package changes.\n"]
    )


def _base(report: UpgradeReport) -> list[str]:
    base = report.base
    lines = [
        "## Base\n",
        f"- distribution: {_distro(base.old_distro)} → {_distro(base.new_distro)}",
        f"- layers: {len(base.old_layers)} → {len(base.new_layers)}, {base.shared_layers} shared"
        + (" (base replaced)" if base.base_replaced else ""),
        "",
    ]
    rows = [
        ("old", layer.index, layer.diff_id or layer.digest, layer.size, layer.visible_bytes, layer.created_by)
        for layer in base.old_layers
    ]
    rows += [
        ("new", layer.index, layer.diff_id or layer.digest, layer.size, layer.visible_bytes, layer.created_by)
        for layer in base.new_layers
    ]
    return lines + table(("image", "#", "diff_id", "stored bytes", "visible bytes", "created by"), rows)


def _abi(report: UpgradeReport) -> list[str]:
    abi = report.abi
    lines = ["## ABI\n", f"{abi.elf_objects} ELF objects checked in NEW.\n"]
    if abi.interpreters is not None:
        i = abi.interpreters
        lines.append(
            f"- Python: {', '.join(i.old_versions) or 'none'} → {', '.join(i.new_versions) or 'none'} "
            f"(default {i.old_default} → {i.new_default})\n"
        )
    if abi.unresolved:
        lines += table(
            ("consumer", "needs", "was", "found elsewhere"),
            [
                (u.consumer, u.soname, u.old_provider or "", ", ".join(u.found_elsewhere))
                for u in abi.unresolved
            ],
        )
    if abi.missing_symbols:
        lines += table(
            ("consumer", "missing symbols", "exported in OLD by"),
            [(m.consumer, ", ".join(m.symbols), ", ".join(m.old_providers)) for m in abi.missing_symbols],
        )
    if abi.stranded_site_packages:
        lines += table(
            ("site-packages", "built for", "NEW reads with", "distributions"),
            [
                (s.path, s.built_for, ", ".join(s.readers) or "none", s.distributions)
                for s in abi.stranded_site_packages
            ],
        )
    if abi.stranded_extensions:
        lines += table(
            ("extension module", "ABI", "NEW loads with"),
            [(s.path, s.abi, ", ".join(s.readers) or "none") for s in abi.stranded_extensions],
        )
    return lines


def _dependencies(report: UpgradeReport) -> list[str]:
    if not report.dependencies:
        return ["## Dependencies\n", "All declared dependencies are satisfied in NEW.\n"]
    rows = [
        (p.ecosystem, p.describe(), p.location, "yes" if p.pre_existing else "") for p in report.dependencies
    ]
    return ["## Dependencies\n", *table(("ecosystem", "problem", "where", "pre-existing"), rows)]


def _vulnerabilities(report: UpgradeReport) -> list[str]:
    delta = report.vulnerabilities
    lines = ["## Vulnerabilities\n"]
    if delta.status.value != "computed":
        return [*lines, f"{delta.note}\n"]
    lines.append(
        f"fixed {len(delta.fixed)}, introduced {len(delta.introduced)}, "
        f"remaining {len(delta.remaining)} ({delta.note})\n"
    )
    rows = [("fixed", v.id, v.package, v.version, v.severity) for v in delta.fixed]
    rows += [("introduced", v.id, v.package, v.version, v.severity) for v in delta.introduced]
    return lines + (table(("", "id", "package", "version", "severity"), rows) if rows else [])


def _configuration(report: UpgradeReport) -> list[str]:
    config = report.config
    lines = ["## Configuration\n", f"- squashed size: {config.old_size} → {config.new_size} bytes\n"]
    if config.image_config:
        lines += table(("field", "old", "new"), [(c.field, c.old, c.new) for c in config.image_config])
    if config.etc:
        lines += table(
            ("/etc file", "change", "conffile of", "detail"),
            [(e.path, e.kind.value, e.conffile_of or "", e.detail) for e in config.etc],
        )
    return lines


def encode(report: UpgradeReport) -> str:
    """Return the Markdown text."""
    lines = [
        f"# Upgrade: {report.verdict.value.upper()}\n",
        f"`{report.old_reference}` → `{report.new_reference}`\n",
    ]
    if report.reasons:
        lines += [f"- **{r.severity.value}** ({r.section}): {r.message}" for r in report.reasons] + [""]
    for section in (_packages, _base, _abi, _dependencies, _vulnerabilities, _configuration):
        lines += section(report)
    if report.warnings:
        lines += ["## Warnings\n", *(f"- {w}" for w in report.warnings), ""]
    return "\n".join(lines) + "\n"
