"""Benchmark: building the file view of a real ≥400 MiB multi-layer image vs the decompression floor.

The image is assembled (once, cached) from real files of this machine: /usr/lib/gcc,
/usr/share/locale, /usr/lib/jvm and a Python installation, one gzip layer each, written with
hullscan's own OCI writer. Prints medians of several runs:

- floor: time to only decompress every layer (isal, one thread, read and discard);
- cold: hullscan building the view with an empty layer cache (all catalogers' capture policy);
- warm: the same with the cache filled;
and the ratios cold/floor and warm/cold, plus peak memory (RSS of the process and its workers).

Run: .venv/bin/python bench/scan_floor.py [--runs 3] [--image-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from isal import igzip

from hullscan.build.oci import write_oci_layout
from hullscan.build.tarwriter import describe_blob

SOURCES = ["/usr/lib/gcc", "/usr/share/locale", "/usr/lib/jvm", sys.base_prefix]
CACHE = Path(os.environ.get("HULLSCAN_BENCH_CACHE", Path.home() / ".cache" / "hullscan-bench"))


def build_image(dest: Path) -> Path:
    layout = dest / "layout"
    if (layout / "index.json").is_file():
        return layout
    staging = dest / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    blobs = []
    for i, src in enumerate(s for s in SOURCES if Path(s).is_dir()):
        print(f"  layer {i}: {src}", file=sys.stderr)
        blobs.append(describe_blob(_tar_gz(Path(src), staging / f"layer{i}.tar.gz")))
    write_oci_layout(layout, blobs, {"cmd": ["/bin/sh"]}, tag="bench")
    shutil.rmtree(staging, ignore_errors=True)
    return layout


def _tar_gz(src: Path, dest: Path) -> Path:
    """Tar a host directory under its own absolute path (never following symlinks)."""
    with (
        igzip.open(dest, "wb", compresslevel=1) as raw,
        tarfile.open(fileobj=raw, mode="w|", format=tarfile.PAX_FORMAT) as tar,
    ):
        tar.add(src, arcname=str(src).lstrip("/"), recursive=True)
    return dest


def _measure(code: str) -> tuple[float, int, float]:
    """Run `code` in a fresh interpreter; return (wall s, peak RSS KiB incl. children, CPU s)."""
    wrapper = (
        "import resource,time,json\n"
        "t=time.perf_counter()\n" + code + "\n"
        "w=time.perf_counter()-t\n"
        "s,c=resource.getrusage(resource.RUSAGE_SELF),resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "r=max(s.ru_maxrss,c.ru_maxrss)\n"
        "u=s.ru_utime+s.ru_stime+c.ru_utime+c.ru_stime\n"
        "print(json.dumps([w,r,u]))\n"
    )
    out = subprocess.run([sys.executable, "-c", wrapper], check=True, capture_output=True, text=True)
    wall, rss, cpu = json.loads(out.stdout.strip().splitlines()[-1])
    return float(wall), int(rss), float(cpu)


FLOOR = """
import json,pathlib
from isal import igzip
root=pathlib.Path({layout!r})
idx=json.loads((root/'index.json').read_text())
m=json.loads((root/'blobs/sha256'/idx['manifests'][0]['digest'][7:]).read_text())
for layer in m['layers']:
    with igzip.open(root/'blobs/sha256'/layer['digest'][7:],'rb') as f:
        while f.read(1<<20): pass
"""

VIEW = """
from pathlib import Path
from hullscan.api import open_view
from hullscan.catalog.registry import default_policy
from hullscan.config import ScanOptions
opts=ScanOptions(cache_dir=Path({cache!r}))
_, view=open_view('oci:{layout}:bench', opts, default_policy())
n=sum(1 for _ in view.files())
"""


def compile_hullscan() -> None:
    """Compile hullscan's bytecode, as pip does when it installs a wheel.

    A checkout used with PYTHONDONTWRITEBYTECODE (set on these machines) has none, and every
    measured command would otherwise also time compiling its modules.
    """
    import compileall  # noqa: PLC0415

    import hullscan  # noqa: PLC0415

    compileall.compile_dir(Path(hullscan.__file__).parent, quiet=2)


def main() -> None:
    compile_hullscan()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--image-dir", type=Path, default=CACHE / "floor-image")
    args = parser.parse_args()
    layout = build_image(args.image_dir)
    blobs = json.loads((layout / "index.json").read_text())
    del blobs
    size = sum(p.stat().st_size for p in (layout / "blobs" / "sha256").iterdir())
    floors, colds, warms, rss = [], [], [], []
    floor_cpu, cold_cpu = [], []
    for _ in range(args.runs):
        cache = Path(tempfile.mkdtemp(prefix="hullscan-bench-"))
        try:
            wall, _, cpu = _measure(FLOOR.format(layout=str(layout)))
            floors.append(wall)
            floor_cpu.append(cpu)
            wall, peak, cpu = _measure(VIEW.format(cache=str(cache), layout=str(layout)))
            colds.append(wall)
            cold_cpu.append(cpu)
            rss.append(peak)
            wall, peak, _ = _measure(VIEW.format(cache=str(cache), layout=str(layout)))
            warms.append(wall)
            rss.append(peak)
        finally:
            shutil.rmtree(cache, ignore_errors=True)
    floor, cold, warm = (statistics.median(x) for x in (floors, colds, warms))
    uncompressed = _uncompressed_bytes(layout)
    print(f"image: {layout} ({size / 2**20:.0f} MiB compressed, {uncompressed / 2**20:.0f} MiB uncompressed)")
    print(f"cores: {os.cpu_count()}   runs: {args.runs} (medians)")
    print(f"decompression floor (isal, 1 thread): {floor:6.2f} s")
    print(
        f"hullscan view, cold:                  {cold:6.2f} s   ratio cold/floor = {cold / floor:.2f}  (target <= 1.3)"
    )
    print(
        f"hullscan view, warm:                  {warm:6.2f} s   ratio warm/cold  = {warm / cold:.3f} (target <= 0.1)"
    )
    fcpu, ccpu = statistics.median(floor_cpu), statistics.median(cold_cpu)
    print(f"CPU time: floor {fcpu:.2f} s, cold {ccpu:.2f} s (ratio {ccpu / fcpu:.2f}; load-independent)")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"peak RSS (max of process, workers):   {max(rss) / 1024:6.0f} MiB (target <= 200)")


def _uncompressed_bytes(layout: Path) -> int:
    index = json.loads((layout / "index.json").read_text())
    manifest = json.loads((layout / "blobs/sha256" / index["manifests"][0]["digest"][7:]).read_text())
    config = json.loads((layout / "blobs/sha256" / manifest["config"]["digest"][7:]).read_text())
    del config
    total = 0
    for layer in manifest["layers"]:
        with igzip.open(layout / "blobs/sha256" / layer["digest"][7:], "rb") as handle:
            while chunk := handle.read(1 << 20):
                total += len(chunk)
    return total


if __name__ == "__main__":
    main()
