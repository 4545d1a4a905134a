"""Rich renderings for the terminal (tables and summaries)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from rich.console import Console
from rich.table import Table

from hullscan.api import ImageReport
from hullscan.encode.compare_common import human_bytes
from hullscan.model.files import FileRecord
from hullscan.model.inventory import Inventory
from hullscan.model.ownership import FileOwnershipSummary, OwnerClass
from hullscan.model.package import Package, PackageType


def short(digest: str | None, width: int = 19) -> str:
    """Return the first characters of a digest."""
    return (digest or "-")[:width]


def print_inspect(console: Console, report: ImageReport) -> None:
    """Print the image description and the per-layer table."""
    d = report.description
    cfg = d.config
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    rows = [
        ("Reference", d.reference),
        ("Source", d.source_kind),
        ("Manifest", d.manifest_digest or "-"),
        ("Config (id)", d.config_digest or "-"),
        ("Platform", str(d.platform) if d.platform else "-"),
        ("Tags", ", ".join(d.repo_tags) or "-"),
        ("Created", cfg.created or "-"),
        ("Entrypoint", " ".join(cfg.entrypoint) or "-"),
        ("Cmd", " ".join(cfg.cmd) or "-"),
        ("User", cfg.user or "-"),
        ("WorkingDir", cfg.working_dir or "-"),
        ("Env", "\n".join(cfg.env) or "-"),
        ("Labels", "\n".join(f"{k}={v}" for k, v in cfg.labels) or "-"),
        ("Exposed ports", ", ".join(cfg.exposed_ports) or "-"),
        ("Volumes", ", ".join(cfg.volumes) or "-"),
        ("Files", f"{report.total_files} visible, {human_bytes(report.total_bytes)}"),
    ]
    for key, value in rows:
        head.add_row(key, value)
    console.print(head)
    table = Table(title="Layers", show_lines=False)
    for column in ("#", "digest", "compressed", "files", "dirs", "whiteouts", "content", "created by"):
        table.add_column(column, justify="right" if column in ("#", "files", "dirs", "whiteouts") else "left")
    for s in report.layers:
        table.add_row(
            str(s.layer.index),
            short(s.layer.digest),
            human_bytes(s.layer.size),
            str(s.files),
            str(s.directories),
            str(s.whiteouts),
            human_bytes(s.bytes),
            (s.created_by or "")[:60],
        )
    console.print(table)
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")


def print_files(console: Console, records: Iterable[FileRecord]) -> None:
    """Print one line per file: mode, size, layer, path (and link target)."""
    for r in records:
        suffix = f" -> {r.link_target}" if r.link_target else ""
        hidden = "" if r.visible else "  (deleted later)"
        console.print(
            f"{r.kind.value:<12} {r.mode:04o} {r.size:>12} {r.layer_index:>3} {short(r.layer_digest)}  "
            f"{r.path}{suffix}{hidden}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


def _origin(package: Package) -> str:
    """Return the source package, or for a bundled component the package that carries it."""
    if package.type is PackageType.BINARY:
        host = package.metadata.get("host")
        return f"in {host['name']}" if isinstance(host, dict) else "unowned file"
    if package.source_name and package.source_name != package.name:
        return f"{package.source_name} {package.source_version or ''}".strip()
    return ""


def print_inventory(console: Console, inventory: Inventory) -> None:
    """Print packages grouped by ecosystem and layer, with counts."""
    distro = inventory.distro
    console.print(
        f"[bold]{inventory.image.reference}[/bold]  "
        f"distro: {distro.pretty_name or distro.id if distro else 'none'}"
    )
    layer_pos = {layer.digest: layer.index for layer in inventory.image.layers}
    table = Table(show_lines=False)
    for column in ("type", "name", "version", "source", "layer", "found by"):
        table.add_column(column)
    ordered = sorted(
        inventory.packages, key=lambda p: (p.type.value, layer_pos.get(p.layer_digest or "", 0), p.name)
    )
    for p in ordered:
        source = _origin(p)
        layer = str(layer_pos.get(p.layer_digest or "", "-"))
        name = p.name if p.visible else f"{p.name} (removed)"
        table.add_row(p.type.value, name, p.version, source, layer, p.found_by)
    console.print(table)
    counts = Counter(p.type.value for p in inventory.packages)
    summary = ", ".join(f"{n} {t}" for t, n in sorted(counts.items())) or "no packages"
    console.print(f"[bold]{len(inventory.packages)} packages[/bold]: {summary}")
    if inventory.files is not None:
        console.print(ownership_line(inventory.files), markup=False, highlight=False)
    if inventory.unknowns:
        unread = len(inventory.unknowns)
        console.print(f"[yellow]{unread} unknowns[/yellow] (package files that could not be read):")
        for u in inventory.unknowns[:20]:
            console.print(f"  {u.coordinates.path}: {u.cataloger}: {u.reason}", markup=False)


def ownership_line(files: FileOwnershipSummary) -> str:
    """Return one line: files and bytes owned by OS packages, language packages, and nobody."""
    parts = []
    for owner in OwnerClass:
        total = files.of(owner)
        parts.append(f"{owner.value} {total.files} ({human_bytes(total.bytes)})")
    elf = sum(1 for u in files.unowned if u.elf is not None)
    native = f", {elf} of them ELF" if elf else ""
    return f"{files.total_files} files: " + ", ".join(parts) + native
