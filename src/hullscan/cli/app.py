"""The `hullscan` command: thin wiring from options to the façade and the renderers."""

from __future__ import annotations

import sys
import threading
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from hullscan import __version__, api
from hullscan.cli import render
from hullscan.config import GIB, Limits, RegistryOptions, ScanOptions, Scope, default_cache_dir
from hullscan.errors import HullscanError
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


class InventoryFormat(StrEnum):
    """Output formats of `hullscan sbom`."""

    TABLE = "table"
    JSON = "json"


class _State:
    verbose = False


ImageArg = Annotated[str, typer.Argument(help="oci:DIR[:TAG], docker-archive:FILE, dir:ROOTFS, registry://HOST/REPO:TAG or a path")]
ScopeOpt = Annotated[Scope, typer.Option("--scope", help="squashed: what the container sees; all-layers: every layer's files")]
PlatformOpt = Annotated[str | None, typer.Option("--platform", help="OS/ARCH[/VARIANT] to pick from a multi-platform index")]
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
            TextColumn("{task.completed}/{task.total} layers"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        )
        self.task = self.progress.add_task("reading layers", total=total)
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
        self.progress.advance(self.task)

    def cataloging(self, index: int) -> None:
        """Show the layer whose packages are being cataloged (the runner's `on_layer`)."""
        total = max(self.layers_read, index + 1)
        self.progress.update(self.task, description=f"cataloging layer {index}", completed=index + 1, total=total)


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
    if output is InventoryFormat.JSON:
        from hullscan.encode.json_inventory import encode  # noqa: PLC0415

        text = encode(inventory)
        if file:
            file.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return
    console = Console(file=file.open("w", encoding="utf-8"), width=200) if file else out
    render.print_inventory(console, inventory)


def main() -> None:
    """Entry point of the console script."""
    app()


if __name__ == "__main__":
    main()
