"""Build a file view for an image: index layers in parallel, reuse the per-layer cache."""

from __future__ import annotations

import multiprocessing
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

from hullscan.config import Limits, ScanOptions
from hullscan.errors import CacheError, HullscanError
from hullscan.fileview.cache import LayerCache
from hullscan.fileview.directory import DirectoryView
from hullscan.fileview.interface import FileView
from hullscan.fileview.layer import LayerIndex, index_layer_blob
from hullscan.fileview.layered import LayeredView
from hullscan.fileview.policy import CapturePolicy, PolicySource
from hullscan.model.image import ImageDescription, LayerRef
from hullscan.source.interface import BlobOpener, ImageSource

ProgressCallback = Callable[[LayerRef, bool], None]
"""Called once per layer when it is ready: (layer, came_from_cache)."""

FROM_CACHE = True
"""`came_from_cache` value for a layer loaded from the per-layer cache."""
FRESHLY_INDEXED = False
"""`came_from_cache` value for a layer indexed during this scan."""


@dataclass(frozen=True, slots=True)
class _Job:
    opener: BlobOpener
    layer: LayerRef
    policy: CapturePolicy
    limits: Limits
    spool_dir: Path | None


_FORKED_JOBS: list[_Job] = []
"""Jobs handed to forked workers by inheritance: capture policies hold closures, not picklable."""


def _index_forked_job(position: int, handoff: Path, fingerprint: str) -> None:
    """Index one layer in a worker and hand the result over through the layer cache format.

    Writing the cache file here (in parallel) and reading it in the parent is about twice as fast
    as pickling tens of thousands of records through the pool's pipe.
    """
    LayerCache(handoff).store(_index_job(_FORKED_JOBS[position]), fingerprint)


def _index_job(job: _Job) -> LayerIndex:
    return index_layer_blob(
        job.opener,
        digest=job.layer.digest,
        index=job.layer.index,
        policy=job.policy,
        limits=job.limits,
        spool_dir=job.spool_dir,
    )


def _pool(workers: int) -> futures.Executor:
    if workers <= 1:
        return futures.ThreadPoolExecutor(max_workers=1)
    context = multiprocessing.get_context("fork")
    return futures.ProcessPoolExecutor(max_workers=workers, mp_context=context)


def index_layers(
    source: ImageSource,
    description: ImageDescription,
    policy: PolicySource,
    options: ScanOptions,
    progress: ProgressCallback | None = None,
    while_waiting: Callable[[], object] | None = None,
) -> list[LayerIndex]:
    """Return a LayerIndex per layer, from the cache where possible, in parallel otherwise.

    A deferred policy is built only when some layer is missing from the cache. `while_waiting`
    runs in a thread of this process while worker processes index layers (see `_index_missing`).
    """
    cache = LayerCache(options.cache_dir) if options.use_cache else None
    results: dict[int, LayerIndex] = {}
    todo: list[LayerRef] = []
    for layer in description.layers:
        cached = cache.load(layer.digest, layer.index, policy.fingerprint) if cache else None
        if cached is not None:
            results[layer.index] = cached
            if progress:
                progress(layer, FROM_CACHE)
        else:
            todo.append(layer)
    if todo:
        _index_missing(source, todo, policy.resolve(), options, cache, results, progress, while_waiting)
    return [results[layer.index] for layer in description.layers]


def _index_missing(
    source: ImageSource,
    todo: Sequence[LayerRef],
    policy: CapturePolicy,
    options: ScanOptions,
    cache: LayerCache | None,
    results: dict[int, LayerIndex],
    progress: ProgressCallback | None,
    while_waiting: Callable[[], object] | None = None,
) -> None:
    spool = options.cache_dir / "spool"  # temporary files stay inside the cache dir, cache or not
    spool.mkdir(parents=True, exist_ok=True)
    jobs = [_Job(source.layer_opener(layer), layer, policy, options.limits, spool) for layer in todo]
    # Big layers first so the slowest one starts early.
    jobs.sort(key=lambda j: -j.layer.size)
    workers = min(options.workers, len(jobs))
    if workers <= 1 or len(jobs) == 1:
        done = [(job, _index_job(job)) for job in jobs]
        for job, index in done:
            _finish(job.layer, index, policy, cache, results, progress)
        return
    handoff_dir = cache.root.parent if cache is not None else Path(tempfile.mkdtemp(dir=spool))
    handoff = LayerCache(handoff_dir)
    _FORKED_JOBS[:] = jobs
    helper: threading.Thread | None = None
    try:
        with _pool(workers) as pool:
            pending = {
                pool.submit(_index_forked_job, i, handoff_dir, policy.fingerprint): job
                for i, job in enumerate(jobs)
            }
            if while_waiting is not None:  # started after the workers were forked, joined below
                helper = threading.Thread(target=while_waiting, name="hullscan-while-waiting", daemon=True)
                helper.start()
            for future in futures.as_completed(pending):
                job = pending[future]
                try:
                    future.result()
                except HullscanError:
                    for other in pending:
                        other.cancel()
                    raise
                handed = handoff.load(job.layer.digest, job.layer.index, policy.fingerprint)
                if handed is None:
                    msg = f"layer {job.layer.digest[:19]} was indexed but its result is unreadable"
                    raise CacheError(msg)
                _finish(job.layer, handed, policy, None, results, progress)
    finally:
        if helper is not None:
            helper.join()  # no thread of ours may be importing when this process forks again
        _FORKED_JOBS.clear()
        if cache is None:
            shutil.rmtree(handoff_dir, ignore_errors=True)


def _finish(
    layer: LayerRef,
    index: LayerIndex,
    policy: CapturePolicy,
    cache: LayerCache | None,
    results: dict[int, LayerIndex],
    progress: ProgressCallback | None,
) -> None:
    if cache is not None:
        cache.store(index, policy.fingerprint)
    results[layer.index] = index
    if progress:
        progress(layer, FRESHLY_INDEXED)


def build_view(
    source: ImageSource,
    policy: PolicySource,
    options: ScanOptions,
    progress: ProgressCallback | None = None,
    while_waiting: Callable[[], object] | None = None,
) -> tuple[ImageDescription, FileView]:
    """Return the image description and a file view of the requested scope.

    `while_waiting` is work for this process while layers are indexed elsewhere (e.g. imports
    the next step needs); it runs only when worker processes do.
    """
    description = source.describe()
    rootfs = source.rootfs()
    if rootfs is not None:
        digest = getattr(source, "pseudo_digest", "dir:" + str(rootfs))
        return description, DirectoryView(rootfs, str(digest), policy.resolve(), options.limits)
    layers = index_layers(source, description, policy, options, progress, while_waiting)
    openers = [source.layer_opener(layer) for layer in description.layers]
    return description, LayeredView(layers, options.scope, openers, options.limits)
