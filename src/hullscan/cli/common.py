"""What every command shares: consoles, error exit, progress, and the image-reading options."""

from __future__ import annotations

import contextlib
import functools
import inspect
import sys
import threading
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar, get_type_hints

import typer
from rich.console import Console

from hullscan.config import GIB, Limits, RegistryOptions, ScanOptions, Scope, default_cache_dir
from hullscan.errors import HullscanError
from hullscan.model.image import LayerRef

out = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)
EXIT_THRESHOLD = 1
"""A `--fail-on` threshold was reached."""
EXIT_ERROR = 2
"""hullscan could not do what was asked (the diagnostics say why)."""


class State:
    """Global flags set by the top-level callback."""

    verbose = False


def fail(error: HullscanError) -> NoReturn:
    """Print the error's diagnostics and exit 2 (or re-raise with --verbose)."""
    if State.verbose:
        raise error
    err.print("[bold red]error:[/bold red] ", end="")
    err.print(error.diagnostics(), markup=False, highlight=False)
    raise typer.Exit(EXIT_ERROR)


def emit(text: str, file: Path | None) -> None:
    """Write a document to `file`, or to stdout."""
    if file:
        file.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


@contextlib.contextmanager
def console_for(file: Path | None) -> Iterator[Console]:
    """Yield a wide console writing to `file` (closed afterwards), or the stdout console."""
    if file is None:
        yield out
        return
    with file.open("w", encoding="utf-8") as handle:
        yield Console(file=handle, width=200)


SHOW_PROGRESS_AFTER_S = 1.0
"""Progress bars appear only when the work takes longer than this."""


class LayerProgress:
    """A progress bar over layers, shown only on a terminal and only if it takes a while.

    Off a terminal nothing is drawn, so nothing is built (rich's progress module included).
    """

    def __init__(self, total: int | None = None) -> None:
        self.layers_read = 0
        self._lock = threading.Lock()
        self._done = False
        self.progress: Any = None
        self._timer: threading.Timer | None = None
        if err.is_terminal:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: PLC0415

            self.progress = Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[detail]}"),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            )
            self.task = self.progress.add_task("reading layers", total=total, detail="")
            self._timer = threading.Timer(SHOW_PROGRESS_AFTER_S, self._show)
            self._timer.daemon = True

    def _show(self) -> None:
        with self._lock:
            if not self._done:
                self.progress.start()

    def __enter__(self) -> LayerProgress:  # noqa: PYI034 - final class
        if self._timer is not None:
            self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer is None:
            return
        self._timer.cancel()
        self._timer.join()  # gone before the command exits (see app._leave)
        with self._lock:
            self._done = True
            self.progress.stop()

    def __call__(self, layer: LayerRef, cached: bool) -> None:
        del layer, cached
        self.layers_read += 1
        if self.progress is not None:
            self.progress.update(self.task, advance=1, detail=f"{self.layers_read} layers read")

    def cataloging(self, index: int) -> None:
        """Show the layer whose packages are being cataloged (the runner's `on_layer`)."""
        if self.progress is None:
            return
        total = max(self.layers_read, index + 1)
        self.progress.update(self.task, description="cataloging", completed=index + 1, total=total)
        self.progress.update(self.task, detail=f"layer {index + 1}/{total}")


IMAGE_HELP = "oci:DIR[:TAG], docker-archive:FILE, dir:ROOTFS, registry://HOST/REPO:TAG, an SBOM, or a path"
ImageArg = Annotated[str, typer.Argument(help=IMAGE_HELP)]
OutFileOpt = Annotated[Path | None, typer.Option("--file", help="Write to this file instead of stdout")]
_DB_HELP = "Advisory DB: a SQLite path or a postgresql:// URL (default: <cache dir>/db.sqlite)"
DbOpt = Annotated[str | None, typer.Option("--db", envvar="HULLSCAN_DB", help=_DB_HELP)]

_IMAGE_PARAMETERS = (
    (
        "scope",
        Annotated[
            Scope,
            typer.Option(
                "--scope", help="squashed: what the container sees; all-layers: every layer's files"
            ),
        ],
        Scope.SQUASHED,
    ),
    (
        "platform",
        Annotated[
            str | None,
            typer.Option("--platform", help="OS/ARCH or OS/ARCH/VARIANT to pick from a multi-platform index"),
        ],
        None,
    ),
    (
        "cache_dir",
        Annotated[
            Path | None,
            typer.Option(
                "--cache-dir", help="Cache directory (default: the user cache dir, or $HULLSCAN_CACHE_DIR)"
            ),
        ],
        None,
    ),
    (
        "no_cache",
        Annotated[bool, typer.Option("--no-cache", help="Do not read or write the per-layer cache")],
        False,
    ),
    (
        "max_layer_bytes",
        Annotated[
            int, typer.Option("--max-layer-bytes", help="Largest uncompressed size one layer may expand to")
        ],
        16 * GIB,
    ),
    (
        "max_file_bytes",
        Annotated[int, typer.Option("--max-file-bytes", help="Largest single file a layer may hold")],
        4 * GIB,
    ),
    (
        "username",
        Annotated[
            str | None, typer.Option("--username", envvar="HULLSCAN_REGISTRY_USERNAME", help="Registry user")
        ],
        None,
    ),
    (
        "password",
        Annotated[
            str | None,
            typer.Option("--password", envvar="HULLSCAN_REGISTRY_PASSWORD", help="Registry password"),
        ],
        None,
    ),
    (
        "insecure",
        Annotated[bool, typer.Option("--insecure", help="Allow plain HTTP to a non-loopback registry")],
        False,
    ),
)

Command = TypeVar("Command", bound=Callable[..., Any])


def image_options(*, scope: bool = True) -> Callable[[Command], Command]:
    """Give a command the image-reading options and pass them on as one `options: ScanOptions`.

    The decorated function declares `options: ScanOptions` as its last parameter; the decorator
    replaces it with `--scope` (unless `scope=False`), `--platform`, `--cache-dir`, `--no-cache`,
    the size caps and the registry credentials, so every command spells them the same way.
    """

    def decorate(command: Command) -> Command:
        signature = inspect.signature(command)
        hints = get_type_hints(command, include_extras=True)  # real Annotated objects, not strings
        kept = [
            p.replace(annotation=hints.get(name, p.annotation))
            for name, p in signature.parameters.items()
            if name != "options"
        ]
        added = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
            for name, annotation, default in _IMAGE_PARAMETERS
            if scope or name != "scope"
        ]
        names = {p.name for p in added}

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> Any:
            shared = {name: kwargs.pop(name) for name in list(kwargs) if name in names}
            return command(**kwargs, options=scan_options(**shared))

        wrapper.__signature__ = signature.replace(parameters=[*kept, *added])  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in (*kept, *added)}
        return wrapper  # type: ignore[return-value]

    return decorate


def scan_options(
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
    """Build the ScanOptions the façade takes from the command-line values."""
    return ScanOptions(
        scope=scope,
        platform=platform,
        cache_dir=cache_dir or default_cache_dir(),
        use_cache=not no_cache,
        limits=Limits(max_layer_bytes=max_layer_bytes, max_file_bytes=max_file_bytes),
        registry=RegistryOptions(username=username, password=password, insecure=insecure),
    )


class VexFormat(StrEnum):
    """VEX document formats (`vex export`, and `scan -o` through their scan names)."""

    OPENVEX = "openvex"
    CYCLONEDX = "cyclonedx"
    CSAF = "csaf"


def vex_text(statements: Any, fmt: VexFormat, author: str) -> str:
    """Render statements as one VEX document of the given format."""
    from hullscan.analyze.vex.timestamps import now  # noqa: PLC0415
    from hullscan.encode import csaf, cyclonedx_vex, openvex  # noqa: PLC0415

    encoders = {
        VexFormat.OPENVEX: openvex.encode,
        VexFormat.CYCLONEDX: cyclonedx_vex.encode,
        VexFormat.CSAF: csaf.encode,
    }
    return encoders[fmt](statements, author=author, timestamp=now())
