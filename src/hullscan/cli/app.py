"""The `hullscan` command: the one place where commands are wired to the application."""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import Annotated, NoReturn

import typer

from hullscan import __version__
from hullscan.cli import analysis_commands, image_commands, scan_commands, vex_commands
from hullscan.cli.common import State, out

app = typer.Typer(
    name="hullscan",
    help="Know what is inside every container image, and which of it matters.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks for errors")] = False,
) -> None:
    State.verbose = verbose


@app.command()
def version() -> None:
    """Print hullscan's version."""
    out.print(f"hullscan {__version__}")


app.command()(image_commands.inspect)
app.command()(image_commands.files)
app.command()(image_commands.sbom)
app.command()(image_commands.bundled)
app.command()(scan_commands.scan)
app.command()(analysis_commands.upgrade)
app.command()(analysis_commands.compare)
app.command()(analysis_commands.dedup)
app.command()(analysis_commands.unbundle)
app.add_typer(scan_commands.db_app)
app.add_typer(vex_commands.vex_app)


def main() -> NoReturn:
    """Entry point of the console script: run the command, then leave without a teardown."""
    try:
        app()
    except SystemExit as done:  # typer always ends this way, with the command's exit code
        _leave(done.code)
    _leave(0)


def _leave(code: str | int | None) -> NoReturn:
    """Exit after what an orderly exit would do that matters, without freeing every object.

    Python's teardown (every module, every object) costs about 40 ms, a fifth of a warm `sbom`.
    Commands close their files themselves; atexit handlers (temporary directories, pools) still
    run and the standard streams are flushed. With other threads alive, exit normally instead.
    """
    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()  # noqa: SLF001 - what sys.exit would run, minus the teardown
    if isinstance(code, str):
        sys.stderr.write(code + "\n")
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe (`hullscan sbom | head`): nothing more can be said
        code = code or 1
    os._exit(code or 0)


if __name__ == "__main__":
    main()
