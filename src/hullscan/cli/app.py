"""The `hullscan` command: thin wiring from options to the façade and the renderers."""

from __future__ import annotations

import sys
import threading
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from hullscan import __version__, api
from hullscan.cli import render
from hullscan.config import GIB, Limits, RegistryOptions, ScanOptions, Scope, default_cache_dir
from hullscan.encode.registry import InventoryFormat
from hullscan.errors import HullscanError
from hullscan.model.finding import ScanReport
from hullscan.model.image import LayerRef

app = typer.Typer(
    name="hullscan",
    help="Know what is inside every container image, and which of it matters.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)
EXIT_ERROR = 2


class _State:
    verbose = False


ImageArg = Annotated[str, typer.Argument(help="oci:DIR[:TAG], docker-archive:FILE, dir:ROOTFS, registry://HOST/REPO:TAG or a path")]
ScopeOpt = Annotated[Scope, typer.Option("--scope", help="squashed: what the container sees; all-layers: every layer's files")]
PlatformOpt = Annotated[str | None, typer.Option("--platform", help="OS/ARCH or OS/ARCH/VARIANT to pick from a multi-platform index")]
CacheOpt = Annotated[Path | None, typer.Option("--cache-dir", help="Cache directory (default: the user cache dir, or $HULLSCAN_CACHE_DIR)")]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Do not read or write the per-layer cache")]
MaxLayerOpt = Annotated[int, typer.Option("--max-layer-bytes", help="Largest uncompressed size one layer may expand to")]
MaxFileOpt = Annotated[int, typer.Option("--max-file-bytes", help="Largest single file a layer may hold")]
UserOpt = Annotated[str | None, typer.Option("--username", envvar="HULLSCAN_REGISTRY_USERNAME", help="Registry user")]
PasswordOpt = Annotated[str | None, typer.Option("--password", envvar="HULLSCAN_REGISTRY_PASSWORD", help="Registry password")]
InsecureOpt = Annotated[bool, typer.Option("--insecure", help="Allow plain HTTP to a non-loopback registry")]


def _options(
    scope: Scope = Scope.SQUASHED,
    platform: str | None = None,
    cache_dir: Path | None = None,
    no_cache: bool = False,
    max_layer_bytes: int = 16 * GIB,
    max_file_bytes: int = 4 * GIB,
    username: str | None = None,
    password: str | None = None,
    insecure: bool = False,
) -> ScanOptions:
    return ScanOptions(
        scope=scope,
        platform=platform,
        cache_dir=cache_dir or default_cache_dir(),
        use_cache=not no_cache,
        limits=Limits(max_layer_bytes=max_layer_bytes, max_file_bytes=max_file_bytes),
        registry=RegistryOptions(username=username, password=password, insecure=insecure),
    )


def _fail(error: HullscanError) -> NoReturn:
    if _State.verbose:
        raise error
    err.print("[bold red]error:[/bold red] ", end="")
    err.print(error.diagnostics(), markup=False, highlight=False)
    raise typer.Exit(EXIT_ERROR)


SHOW_PROGRESS_AFTER_S = 1.0
"""Progress bars appear only when the work takes longer than this."""


class _LayerProgress:
    """A progress bar over layers, shown only on a terminal and only if it takes a while."""

    def __init__(self, total: int | None = None) -> None:
        self.progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        )
        self.task = self.progress.add_task("reading layers", total=total, detail="")
        self.layers_read = 0
        self._lock = threading.Lock()
        self._timer = threading.Timer(SHOW_PROGRESS_AFTER_S, self._show)
        self._timer.daemon = True
        self._done = False

    def _show(self) -> None:
        with self._lock:
            if not self._done:
                self.progress.start()

    def __enter__(self) -> _LayerProgress:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        with self._lock:
            self._done = True
            self.progress.stop()

    def __call__(self, layer: LayerRef, cached: bool) -> None:
        del layer, cached
        self.layers_read += 1
        self.progress.update(self.task, advance=1, detail=f"{self.layers_read} layers read")

    def cataloging(self, index: int) -> None:
        """Show the layer whose packages are being cataloged (the runner's `on_layer`)."""
        total = max(self.layers_read, index + 1)
        detail = f"layer {index + 1}/{total}"
        self.progress.update(self.task, description="cataloging", completed=index + 1, total=total)
        self.progress.update(self.task, detail=detail)


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks for errors")] = False,
) -> None:
    _State.verbose = verbose


@app.command()
def version() -> None:
    """Print hullscan's version."""
    out.print(f"hullscan {__version__}")


@app.command()
def inspect(
    image: ImageArg,
    platform: PlatformOpt = None,
    cache_dir: CacheOpt = None,
    no_cache: NoCacheOpt = False,
    max_layer_bytes: MaxLayerOpt = 16 * GIB,
    max_file_bytes: MaxFileOpt = 4 * GIB,
    username: UserOpt = None,
    password: PasswordOpt = None,
    insecure: InsecureOpt = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables")] = False,
) -> None:
    """Print the image description (digest, platform, config, history) and per-layer figures."""
    options = _options(Scope.SQUASHED, platform, cache_dir, no_cache, max_layer_bytes, max_file_bytes, username, password, insecure)
    try:
        with _LayerProgress() as progress:
            report = api.inspect(image, options, progress)
    except HullscanError as error:
        _fail(error)
    if json_out:
        import json  # noqa: PLC0415
        from dataclasses import asdict  # noqa: PLC0415

        from hullscan.encode.json_inventory import describe_image  # noqa: PLC0415

        doc = {
            "image": describe_image(report.description),
            "layers": [asdict(s) for s in report.layers],
            "totalFiles": report.total_files,
            "totalBytes": report.total_bytes,
            "warnings": list(report.warnings),
        }
        sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")
        return
    render.print_inspect(out, report)


@app.command()
def files(
    image: ImageArg,
    layer: Annotated[int | None, typer.Option("--layer", help="Only files of layer N (0 = base)")] = None,
    deleted: Annotated[bool, typer.Option("--deleted", help="Only files a later layer deleted or replaced")] = False,
    scope: ScopeOpt = Scope.SQUASHED,
    platform: PlatformOpt = None,
    cache_dir: CacheOpt = None,
    no_cache: NoCacheOpt = False,
    max_layer_bytes: MaxLayerOpt = 16 * GIB,
    max_file_bytes: MaxFileOpt = 4 * GIB,
    username: UserOpt = None,
    password: PasswordOpt = None,
    insecure: InsecureOpt = False,
) -> None:
    """List the image's files with the layer each came from."""
    options = _options(scope, platform, cache_dir, no_cache, max_layer_bytes, max_file_bytes, username, password, insecure)
    try:
        with _LayerProgress() as progress:
            records = list(api.files(image, options, layer=layer, deleted=deleted, progress=progress))
    except HullscanError as error:
        _fail(error)
    render.print_files(out, records)


@app.command()
def sbom(
    image: ImageArg,
    output: Annotated[InventoryFormat, typer.Option("--output", "-o", help="Output format")] = InventoryFormat.TABLE,
    file: Annotated[Path | None, typer.Option("--file", help="Write to this file instead of stdout")] = None,
    reproducible: Annotated[
        bool, typer.Option(help="Fixed time (SOURCE_DATE_EPOCH, else image date) and serial (image digest)")
    ] = False,
    timestamp: Annotated[str | None, typer.Option(help="Document time (ISO 8601)")] = None,
    scope: ScopeOpt = Scope.SQUASHED,
    platform: PlatformOpt = None,
    cache_dir: CacheOpt = None,
    no_cache: NoCacheOpt = False,
    max_layer_bytes: MaxLayerOpt = 16 * GIB,
    max_file_bytes: MaxFileOpt = 4 * GIB,
    username: UserOpt = None,
    password: PasswordOpt = None,
    insecure: InsecureOpt = False,
) -> None:
    """Inventory every OS and language package in the image."""
    options = _options(scope, platform, cache_dir, no_cache, max_layer_bytes, max_file_bytes, username, password, insecure)
    try:
        with _LayerProgress() as progress:
            inventory = api.inventory(image, options, progress, on_catalog_layer=progress.cataloging)
    except HullscanError as error:
        _fail(error)
    if output is not InventoryFormat.TABLE:
        from hullscan.encode.registry import encode_with_options  # noqa: PLC0415

        try:
            text = encode_with_options(inventory, output, reproducible=reproducible, timestamp=timestamp)
        except HullscanError as error:
            _fail(error)
        if file:
            file.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return
    console = Console(file=file.open("w", encoding="utf-8"), width=200) if file else out
    render.print_inventory(console, inventory)


class ScanFormat(StrEnum):
    """Output formats of `hullscan scan`."""

    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    OPENVEX = "openvex"
    CYCLONEDX_VEX = "cyclonedx-vex"
    CSAF = "csaf"


class FailOn(StrEnum):
    """Severity thresholds for `--fail-on`."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


EXIT_THRESHOLD = 1
_DB_HELP = "Advisory DB: a SQLite path or a postgresql:// URL (default: <cache dir>/db.sqlite)"
DbOpt = Annotated[str | None, typer.Option("--db", envvar="HULLSCAN_DB", help=_DB_HELP)]
TargetArg = Annotated[str, typer.Argument(help="An image reference (as for `sbom`) or a `hullscan sbom -o json` file")]
ScanFormatOpt = Annotated[ScanFormat, typer.Option("--output", "-o", help="Output format")]
FailOnOpt = Annotated[FailOn | None, typer.Option("--fail-on", help="Exit 1 when a finding is at least this severe")]
OnlyFixedOpt = Annotated[bool, typer.Option("--only-fixed", help="Show only findings that a newer version fixes")]
IgnoreUnfixedOpt = Annotated[bool, typer.Option("--ignore-unfixed", help="Hide affected findings with no fix yet")]
OutFileOpt = Annotated[Path | None, typer.Option("--file", help="Write to this file instead of stdout")]
VexFilesOpt = Annotated[
    list[Path] | None, typer.Option("--vex", help="OpenVEX, CycloneDX or CSAF VEX document to apply (repeatable)")
]
PolicyOpt = Annotated[Path | None, typer.Option("--policy", help="TOML triage policy: which statements suppress")]
ShowSuppressedOpt = Annotated[bool, typer.Option("--show-suppressed", help="List findings that statements suppress")]
ExplainOpt = Annotated[str | None, typer.Option("--explain", help="Print the evidence chain of one vulnerability")]
ImageRepoOpt = Annotated[
    str | None, typer.Option("--image-repo", help="Repository `image:REPO` statements name (default: from the image)")
]
NoEvidenceOpt = Annotated[bool, typer.Option("--no-evidence", help="Do not run the automated evidence producers")]


@app.command()
def scan(
    target: TargetArg,
    output: ScanFormatOpt = ScanFormat.TABLE,
    file: OutFileOpt = None,
    fail_on: FailOnOpt = None,
    only_fixed: OnlyFixedOpt = False,
    ignore_unfixed: IgnoreUnfixedOpt = False,
    db: DbOpt = None,
    scope: ScopeOpt = Scope.SQUASHED,
    platform: PlatformOpt = None,
    cache_dir: CacheOpt = None,
    no_cache: NoCacheOpt = False,
    max_layer_bytes: MaxLayerOpt = 16 * GIB,
    max_file_bytes: MaxFileOpt = 4 * GIB,
    username: UserOpt = None,
    password: PasswordOpt = None,
    insecure: InsecureOpt = False,
    vex: VexFilesOpt = None,
    policy: PolicyOpt = None,
    show_suppressed: ShowSuppressedOpt = False,
    explain: ExplainOpt = None,
    image_repo: ImageRepoOpt = None,
    no_evidence: NoEvidenceOpt = False,
) -> None:
    """Match an image's packages against the advisory database (exit 1 on --fail-on, 2 on errors)."""
    from hullscan.match.matcher import threshold_reached  # noqa: PLC0415
    from hullscan.model.finding import Severity  # noqa: PLC0415

    options = _options(scope, platform, cache_dir, no_cache, max_layer_bytes, max_file_bytes, username, password, insecure)
    try:
        with _LayerProgress() as progress:
            report = api.scan(
                target, options, db=db, only_fixed=only_fixed, ignore_unfixed=ignore_unfixed, progress=progress
            )
        triaged = api.triage(
            report, target, options, db=db, vex_documents=vex or (), policy_file=policy,
            producers=() if no_evidence else None, image_repository=image_repo,
        )
    except HullscanError as error:
        _fail(error)
    _write_scan(triaged.effective_report(show_suppressed=show_suppressed), output, file, triaged)
    _print_triage(triaged, output, explain)
    shown = triaged.effective_report().findings
    if fail_on is not None and threshold_reached(shown, Severity(fail_on.value)):
        raise typer.Exit(EXIT_THRESHOLD)


def _write_scan(report: ScanReport, output: ScanFormat, file: Path | None, triaged: Any = None) -> None:
    from hullscan.encode import sarif, scan_json, scan_table  # noqa: PLC0415

    if output is ScanFormat.TABLE:
        console = Console(file=file.open("w", encoding="utf-8"), width=200) if file else out
        scan_table.print_scan(console, report)
        return
    if output in _VEX_FORMATS:
        text = _scan_vex(triaged, output)
    else:
        text = scan_json.encode(report) if output is ScanFormat.JSON else sarif.encode(report)
    if file:
        file.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


db_app = typer.Typer(name="db", help="Import, update and inspect the advisory database.", no_args_is_help=True)
PathsArg = Annotated[list[Path], typer.Argument(help="OSV zips, folders or record files; Debian tracker DSA/DLA lists")]
EcosystemOpt = Annotated[list[str] | None, typer.Option("--ecosystem", help="Ecosystem to download (repeatable)")]
BaseUrlOpt = Annotated[str | None, typer.Option("--base-url", help="Where <Ecosystem>/all.zip files are served")]
app.add_typer(db_app)


@db_app.command("import")
def db_import(
    paths: PathsArg,
    db: DbOpt = None,
) -> None:
    """Add records to the database (one transaction; the old database stays until it succeeds)."""
    from hullscan.match.db import import_paths  # noqa: PLC0415

    try:
        report = import_paths(db, paths)
    except HullscanError as error:
        _fail(error)
    out.print(
        f"imported {report.advisories} advisories ({report.affected} affected entries, "
        f"{report.triage} triage rows) in {report.seconds:.1f} s; "
        f"{report.skipped} skipped, {report.warning_count} warning(s)"
    )
    for warning in report.warnings[:20]:
        line = f"warning: {warning.source}: {warning.record_id or '-'}: {warning.reason}"
        err.print(line, markup=False, highlight=False)


@db_app.command("update")
def db_update(
    db: DbOpt = None,
    ecosystem: EcosystemOpt = None,
    base_url: BaseUrlOpt = None,
) -> None:
    """Download the OSV exports that changed and import them."""
    from hullscan.match import db as advisory_db  # noqa: PLC0415

    try:
        ecosystems = tuple(ecosystem) if ecosystem else advisory_db.DEFAULT_ECOSYSTEMS
        report = advisory_db.update(db, ecosystems, base_url or advisory_db.DEFAULT_BASE_URL)
    except HullscanError as error:
        _fail(error)
    for item in report.downloads:
        state = "not modified" if item.not_modified else f"{item.bytes_downloaded} bytes"
        out.print(f"{item.ecosystem}: {state}")
    if report.imported is not None:
        out.print(f"imported {report.imported.advisories} advisories in {report.imported.seconds:.1f} s")


@db_app.command("status")
def db_status(db: DbOpt = None) -> None:
    """Show what the database holds and how old it is."""
    from hullscan.match.db import status  # noqa: PLC0415

    try:
        result = status(db)
    except HullscanError as error:
        _fail(error)
    out.print(f"database: {result.location} (schema {result.schema_version})")
    out.print(f"advisories: {result.advisories}; triage rows: {result.triage_rows}")
    for family, count in result.per_ecosystem.items():
        out.print(f"  {family}: {count}")
    age = "never" if result.age_days is None else f"{result.age_days:.1f} days ago"
    out.print(f"last import: {age}")
    for warning in result.warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False)


class UpgradeFormat(StrEnum):
    """Output formats of `hullscan upgrade`."""

    TABLE = "table"
    MARKDOWN = "markdown"
    JSON = "json"
    HTML = "html"


class UpgradeFailOn(StrEnum):
    """Verdicts that make `hullscan upgrade` exit 1."""

    REVIEW = "review"
    BREAKING = "breaking"


@app.command()
def upgrade(
    old: Annotated[str, typer.Argument(help="The image in use now (reference as for `sbom`)")],
    new: Annotated[str, typer.Argument(help="The image to move to")],
    output: Annotated[UpgradeFormat, typer.Option("--output", "-o", help="Output format")] = UpgradeFormat.TABLE,
    fail_on: Annotated[UpgradeFailOn | None, typer.Option("--fail-on", help="Exit 1 when the verdict is at least this")] = None,
    file: OutFileOpt = None,
    db: DbOpt = None,
    platform: PlatformOpt = None,
    cache_dir: CacheOpt = None,
    no_cache: NoCacheOpt = False,
    max_layer_bytes: MaxLayerOpt = 16 * GIB,
    max_file_bytes: MaxFileOpt = 4 * GIB,
    username: UserOpt = None,
    password: PasswordOpt = None,
    insecure: InsecureOpt = False,
) -> None:
    """Is moving from image OLD to image NEW safe? Packages, base, ABI, dependencies, vulnerabilities, config."""
    options = _options(Scope.SQUASHED, platform, cache_dir, no_cache, max_layer_bytes, max_file_bytes, username, password, insecure)
    try:
        with _LayerProgress() as progress:
            report = api.upgrade(old, new, options, db=db, progress=progress)
    except HullscanError as error:
        _fail(error)
    if output is UpgradeFormat.TABLE:
        console = Console(file=file.open("w", encoding="utf-8"), width=200) if file else out
        from hullscan.encode.upgrade_terminal import print_report  # noqa: PLC0415

        print_report(console, report)
    else:
        from hullscan.encode import upgrade_html, upgrade_json, upgrade_markdown  # noqa: PLC0415

        encoders = {UpgradeFormat.JSON: upgrade_json.encode, UpgradeFormat.MARKDOWN: upgrade_markdown.encode, UpgradeFormat.HTML: upgrade_html.encode}
        text = encoders[output](report)
        if file:
            file.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    ranks = {"safe": 0, "review": 1, "breaking": 2}
    if fail_on is not None and ranks[report.verdict.value] >= ranks[fail_on.value]:
        raise typer.Exit(EXIT_THRESHOLD)


class CompareFormat(StrEnum):
    """Output formats of `hullscan compare` and `hullscan dedup`."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"


def _emit(text: str, file: Path | None) -> None:
    if file:
        file.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


@app.command()
def compare(
    images: Annotated[list[str], typer.Argument(help="Two or more images (references as for `sbom`)")],
    output: Annotated[CompareFormat, typer.Option("--output", "-o", help="Output format")] = CompareFormat.TABLE,
    dedup: Annotated[bool, typer.Option("--dedup", help="Also stream every layer: what a deduplicating store saves")] = False,
    file: OutFileOpt = None,
    db: DbOpt = None,
    platform: PlatformOpt = None,
    cache_dir: CacheOpt = None,
    no_cache: NoCacheOpt = False,
    max_layer_bytes: MaxLayerOpt = 16 * GIB,
    max_file_bytes: MaxFileOpt = 4 * GIB,
    username: UserOpt = None,
    password: PasswordOpt = None,
    insecure: InsecureOpt = False,
) -> None:
    """Base image vs scratch, side by side: size, who owns the bytes, ecosystems, freshness, findings, sharing."""
    options = _options(Scope.SQUASHED, platform, cache_dir, no_cache, max_layer_bytes, max_file_bytes, username, password, insecure)
    try:
        report = api.compare(list(images), options, db=db, with_dedup=dedup)
    except HullscanError as error:
        _fail(error)
    from hullscan.encode import compare_html, compare_json, compare_markdown, compare_table  # noqa: PLC0415

    if output is CompareFormat.TABLE:
        console = Console(file=file.open("w", encoding="utf-8"), width=200) if file else out
        compare_table.print_comparison(console, report)
        return
    encoders = {CompareFormat.JSON: compare_json.encode, CompareFormat.MARKDOWN: compare_markdown.encode, CompareFormat.HTML: compare_html.encode}
    _emit(encoders[output](report), file)


@app.command(name="dedup")
def dedup_command(
    images: Annotated[list[str], typer.Argument(help="One or more images (references as for `sbom`)")],
    output: Annotated[CompareFormat, typer.Option("--output", "-o", help="Output format (html: use compare --dedup)")] = CompareFormat.TABLE,
    file: OutFileOpt = None,
    platform: PlatformOpt = None,
    cache_dir: CacheOpt = None,
    no_cache: NoCacheOpt = False,
    max_layer_bytes: MaxLayerOpt = 16 * GIB,
    max_file_bytes: MaxFileOpt = 4 * GIB,
    username: UserOpt = None,
    password: PasswordOpt = None,
    insecure: InsecureOpt = False,
) -> None:
    """Bytes in identical layers, files, bundled components and chunks across images: what dedup would save."""
    options = _options(Scope.SQUASHED, platform, cache_dir, no_cache, max_layer_bytes, max_file_bytes, username, password, insecure)
    try:
        report = api.dedup(list(images), options)
    except HullscanError as error:
        _fail(error)
    from hullscan.encode import compare_json, compare_markdown, compare_table  # noqa: PLC0415

    if output is CompareFormat.JSON:
        _emit(compare_json.encode_dedup(report), file)
    elif output is CompareFormat.TABLE:
        console = Console(file=file.open("w", encoding="utf-8"), width=200) if file else out
        compare_table.print_dedup(console, report)
    else:
        _emit(compare_markdown.encode_dedup(report), file)

# ----- triage (VEX) -------------------------------------------------------------------------------

_VEX_FORMATS = (ScanFormat.OPENVEX, ScanFormat.CYCLONEDX_VEX, ScanFormat.CSAF)


class VexFormat(StrEnum):
    """Document formats of `hullscan vex export`."""

    OPENVEX = "openvex"
    CYCLONEDX = "cyclonedx"
    CSAF = "csaf"


def _vex_text(statements: Any, fmt: VexFormat, author: str) -> str:
    from hullscan.analyze.vex.timestamps import now  # noqa: PLC0415
    from hullscan.encode import csaf, cyclonedx_vex, openvex  # noqa: PLC0415

    encoders = {VexFormat.OPENVEX: openvex.encode, VexFormat.CYCLONEDX: cyclonedx_vex.encode, VexFormat.CSAF: csaf.encode}
    return encoders[fmt](statements, author=author, timestamp=now())


def _scan_vex(triaged: Any, output: ScanFormat) -> str:
    from hullscan.analyze.vex import statements_for_scan  # noqa: PLC0415
    from hullscan.analyze.vex.timestamps import now  # noqa: PLC0415

    fmt = {ScanFormat.OPENVEX: VexFormat.OPENVEX, ScanFormat.CYCLONEDX_VEX: VexFormat.CYCLONEDX}.get(output, VexFormat.CSAF)
    for warning in triaged.effective_report().warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False)
    return _vex_text(statements_for_scan(triaged, now()), fmt, "hullscan")


def _print_triage(triaged: Any, output: ScanFormat, explain: str | None) -> None:
    """The signal-vs-noise summary (table output) and `--explain` (stdout for tables, else stderr)."""
    from hullscan.analyze.vex.explain import explain_lines, summary_lines  # noqa: PLC0415

    console = out if output is ScanFormat.TABLE else err
    lines = summary_lines(triaged) if output is ScanFormat.TABLE else []
    if explain:
        lines += explain_lines(triaged, explain)
    for line in lines:
        console.print(line, markup=False, highlight=False)


vex_app = typer.Typer(name="vex", help="Triage statements with reasons, kept in the database.", no_args_is_help=True)
app.add_typer(vex_app)


class VexStatus(StrEnum):
    """Statuses of `vex add`."""

    NOT_AFFECTED = "not_affected"
    AFFECTED = "affected"
    FIXED = "fixed"
    UNDER_INVESTIGATION = "under_investigation"


class VexJustification(StrEnum):
    """Justifications of `vex add --status not_affected`."""

    COMPONENT_NOT_PRESENT = "component_not_present"
    VULNERABLE_CODE_NOT_PRESENT = "vulnerable_code_not_present"
    VULNERABLE_CODE_NOT_IN_EXECUTE_PATH = "vulnerable_code_not_in_execute_path"
    VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY = "vulnerable_code_cannot_be_controlled_by_adversary"
    INLINE_MITIGATIONS_ALREADY_EXIST = "inline_mitigations_already_exist"


def _default_author() -> str:
    import getpass  # noqa: PLC0415

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


AuthorOpt = Annotated[str | None, typer.Option("--author", help="Who makes the statement (default: the login name)")]


@vex_app.command("add")
def vex_add(
    vulnerability: Annotated[str, typer.Argument(help="Vulnerability id (CVE, GHSA, OSV id)")],
    product: Annotated[str, typer.Option("--product", help="A package purl (version optional) or image:REPO")],
    status: Annotated[VexStatus, typer.Option("--status", help="The vulnerability's status in the product")],
    justification: Annotated[VexJustification | None, typer.Option("--justification", help="Why not_affected")] = None,
    impact: Annotated[str | None, typer.Option("--impact", help="Why not_affected, in words")] = None,
    action: Annotated[str | None, typer.Option("--action", help="What to do (required for affected)")] = None,
    subcomponent: Annotated[
        str | None, typer.Option("--subcomponent", help="With image:REPO: the package purl (version optional)")
    ] = None,
    version_range: Annotated[
        str | None, typer.Option("--version-range", help="Only these package versions, e.g. '<3.0.12'")
    ] = None,
    author: AuthorOpt = None,
    db: DbOpt = None,
) -> None:
    """Record a triage statement (kept with author and time; applies to later builds too)."""
    from hullscan.analyze.vex import StatementError, add_statement  # noqa: PLC0415
    from hullscan.model.finding import FindingStatus  # noqa: PLC0415
    from hullscan.model.vex import Justification, StatementEvidence, VexStatement  # noqa: PLC0415

    who = author or _default_author()
    statement = VexStatement(
        vulnerability=vulnerability,
        product=product,
        status=FindingStatus(status.value),
        justification=Justification(justification.value) if justification else None,
        impact_statement=impact,
        action_statement=action,
        author=who,
        evidence=(StatementEvidence("human", impact or action or status.value, None),),
        subcomponent=subcomponent,
        version_range=version_range,
        source="human",
    )
    try:
        if statement.status is FindingStatus.AFFECTED and not action:
            raise StatementError("an affected statement needs --action (what to do about it)")
        stored = add_statement(db, statement)
    except HullscanError as error:
        _fail(error)
    out.print(f"{stored.statement_id}: {vulnerability} {status.value} for {product}", markup=False, highlight=False)


@vex_app.command("list")
def vex_list(
    product: Annotated[str | None, typer.Option("--product", help="Only statements about this product")] = None,
    history: Annotated[bool, typer.Option("--history", help="Include revoked statements")] = False,
    db: DbOpt = None,
) -> None:
    """List triage statements (active ones; --history for the whole audit log)."""
    from rich.table import Table  # noqa: PLC0415

    from hullscan.analyze.vex import statement_history  # noqa: PLC0415

    try:
        rows = statement_history(db)
    except HullscanError as error:
        _fail(error)
    table = Table(header_style="bold")
    for column in ("ID", "Vulnerability", "Product", "Status", "Reason", "Author", "Time", "Revoked"):
        table.add_column(column, overflow="fold")
    for row in rows:
        item = row.statement
        if (not history and not row.active) or (product and product not in (item.product, item.subcomponent)):
            continue
        target = item.product + (f" / {item.subcomponent}" if item.subcomponent else "")
        reason = item.justification.value if item.justification else (item.impact_statement or item.action_statement or "")
        revoked = f"{row.revocation.recorded_at} by {row.revocation.author}" if row.revocation else ""
        table.add_row(
            item.statement_id, item.vulnerability, target, item.status.value, reason, item.author, item.timestamp, revoked
        )
    out.print(table)


@vex_app.command("revoke")
def vex_revoke(
    statement_id: Annotated[str, typer.Argument(help="The statement's ID (see `vex list`)")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why it no longer holds")] = None,
    author: AuthorOpt = None,
    db: DbOpt = None,
) -> None:
    """Withdraw a statement (recorded as a new audit entry; the statement stays in the history)."""
    from hullscan.analyze.vex import revoke  # noqa: PLC0415

    try:
        revocation = revoke(db, statement_id, author or _default_author(), reason)
    except HullscanError as error:
        _fail(error)
    out.print(f"revoked {statement_id} at {revocation.recorded_at}", markup=False, highlight=False)


@vex_app.command("import")
def vex_import(
    document: Annotated[Path, typer.Argument(help="OpenVEX 0.2.0, CycloneDX VEX or CSAF 2.0 VEX JSON")],
    db: DbOpt = None,
) -> None:
    """Store the statements of a VEX document (upstream projects, vendors); bad ones are reported."""
    from hullscan.analyze.vex import add_statements, read_document  # noqa: PLC0415

    try:
        parsed = read_document(document)
        stored = add_statements(db, parsed.statements)
    except HullscanError as error:
        _fail(error)
    for warning in parsed.warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False)
    out.print(
        f"imported {len(stored)} statement(s) from {parsed.name} ({parsed.format}); {len(parsed.warnings)} warning(s)",
        markup=False, highlight=False,
    )


@vex_app.command("export")
def vex_export(
    output: Annotated[VexFormat, typer.Option("--output", "-o", help="Document format")] = VexFormat.OPENVEX,
    file: OutFileOpt = None,
    author: AuthorOpt = None,
    db: DbOpt = None,
) -> None:
    """Write the active statements as one VEX document."""
    from hullscan.analyze.vex import active_statements  # noqa: PLC0415

    try:
        text = _vex_text(active_statements(db), output, author or _default_author())
    except HullscanError as error:
        _fail(error)
    _emit(text, file)



class UnbundleFormat(StrEnum):
    """Output formats of `hullscan unbundle`."""

    PLAN = "plan"
    CONTAINERFILE = "containerfile"
    JSON = "json"


@app.command()
def unbundle(
    image: ImageArg,
    distro: Annotated[str, typer.Option("--distro", help="Target distribution and release, e.g. debian:12")] = "debian:12",
    output: Annotated[UnbundleFormat, typer.Option("--output", "-o", help="Output format")] = UnbundleFormat.PLAN,
    threshold: Annotated[float, typer.Option("--threshold", help="Score (0-100) from which a component is critical")] = 40.0,
    no_contents: Annotated[bool, typer.Option("--no-contents", help="Do not read the Contents index (sonames)")] = False,
    classes: Annotated[Path | None, typer.Option("--classes", help="Classification table (TOML) instead of the built-in one")] = None,
    file: OutFileOpt = None,
    db: DbOpt = None,
    platform: PlatformOpt = None,
    cache_dir: CacheOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Which bundled dependencies are critical, and a plan to take them from distribution packages."""
    from hullscan.analyze.unbundle import UnbundleOptions  # noqa: PLC0415
    from hullscan.encode import unbundle_containerfile, unbundle_json, unbundle_plan  # noqa: PLC0415

    options = _options(Scope.SQUASHED, platform, cache_dir, no_cache)
    chosen = UnbundleOptions(distro=distro, threshold=threshold, contents=not no_contents, table=classes)
    try:
        with _LayerProgress() as progress:
            plan = api.unbundle(image, options, chosen, db=db, progress=progress)
    except HullscanError as error:
        _fail(error)
    encoders = {
        UnbundleFormat.PLAN: unbundle_plan.encode,
        UnbundleFormat.CONTAINERFILE: unbundle_containerfile.encode,
        UnbundleFormat.JSON: unbundle_json.encode,
    }
    _emit(encoders[output](plan), file)


def main() -> None:
    """Entry point of the console script."""
    app()


if __name__ == "__main__":
    main()
