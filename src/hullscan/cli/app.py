"""The `hullscan` command: the one place where commands are wired to the application."""

from __future__ import annotations

from typing import Annotated

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


def main() -> None:
    """Entry point of the console script."""
    app()


if __name__ == "__main__":
    main()
