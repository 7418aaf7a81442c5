"""Where independent pieces of work run: local processes (the default) or a Dask cluster.

:func:`map_chunks` applies ``func(job, chunk)`` to chunks of ``items`` and yields each
chunk's result as it completes, on one of

* **this process** (``workers=1``, or a job that cannot be pickled),
* **local worker processes** (:class:`concurrent.futures.ProcessPoolExecutor`, ``forkserver``
  start where available; ``job`` is pickled once and unpickled once per process), or
* **a dask.distributed cluster** (``scheduler="tcp://host:8786"``; ``job`` is scattered once to
  every worker, one task per chunk). Workers must run the same versions of election-audit,
  numpy, scipy and pandas as the client (checked on connection), so that a seed gives the
  same numbers everywhere: see docs/scale-out.md for the multi-machine recipe.

Results must not depend on the executor: ``func`` must derive everything from ``job`` and the
items of its chunk (e.g. one random generator per item from a root seed), never from which
process runs it nor in which order chunks finish. The caller sorts what it collects.
"""

from __future__ import annotations

import multiprocessing
import pickle
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

from audit.errors import AuditError

J = TypeVar("J")
R = TypeVar("R")

#: Most items per chunk (progress stays smooth and the last chunks balance across workers).
MAX_CHUNK = 25
#: Chunks per worker aimed at (load balance against per-task overhead).
CHUNKS_PER_WORKER = 8
#: Packages whose versions must match between the client and Dask workers.
CHECKED_PACKAGES = ("audit", "numpy", "scipy", "pandas")
#: Seconds to wait for a Dask scheduler.
CONNECT_TIMEOUT = 20

INSTALL_HINT = "pip install 'election-audit[distributed]'"


class SchedulerError(AuditError):
    """A Dask scheduler that cannot be used (not installed, unreachable, mismatched workers)."""


def map_chunks(func: Callable[[J, Sequence[int]], R], job: J, items: Sequence[int], *,
               workers: int = 1, scheduler: str | None = None) -> Iterator[tuple[int, R]]:
    """Yield ``(len(chunk), func(job, chunk))`` for chunks of ``items``, as they complete.

    ``func`` must be a module-level function (sent by reference); ``workers`` is the number of
    local processes (ignored with ``scheduler``, the address of a Dask scheduler).
    """
    items = list(items)
    if scheduler is not None:
        yield from _dask(func, job, items, scheduler)
        return
    payload = _payload(job) if workers > 1 and len(items) > 1 else None
    if payload is None:
        for chunk in _chunks(items, 1):
            yield len(chunk), func(job, chunk)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context(func.__module__),
                             initializer=_init_worker, initargs=(payload,)) as pool:
        futures = {pool.submit(_call, func, chunk): len(chunk)
                   for chunk in _chunks(items, workers)}
        for future in as_completed(futures):
            yield futures[future], future.result()


def _chunks(items: list[int], workers: int) -> list[list[int]]:
    size = max(1, min(MAX_CHUNK, len(items) // (workers * CHUNKS_PER_WORKER)))
    return [items[i:i + size] for i in range(0, len(items), size)]


def _payload(job: object) -> bytes | None:
    try:
        return pickle.dumps(job)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        print(f"election-audit: the work cannot be sent to worker processes ({exc}); "
              f"running in one process", file=sys.stderr)
        return None


# --------------------------------------------------------------------------------------------
# local processes
# --------------------------------------------------------------------------------------------

_WORKER_JOB: Any = None


def _init_worker(payload: bytes) -> None:
    global _WORKER_JOB
    _WORKER_JOB = pickle.loads(payload)


def _call(func: Callable[[Any, Sequence[int]], R], chunk: Sequence[int]) -> R:
    return func(_WORKER_JOB, chunk)


def _context(preload: str) -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([preload])
        return ctx
    return multiprocessing.get_context("spawn")


# --------------------------------------------------------------------------------------------
# dask.distributed
# --------------------------------------------------------------------------------------------

def _dask(func: Callable[[J, Sequence[int]], R], job: J, items: list[int],
          scheduler: str) -> Iterator[tuple[int, R]]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise SchedulerError(f"--scheduler needs dask.distributed: {INSTALL_HINT}") from None
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        threads = sum(client.nthreads().values())
        if threads == 0:
            raise SchedulerError(f"the Dask scheduler at {scheduler} has no workers "
                                 f"(start some with: dask worker {scheduler})")
        _check_versions(client, scheduler)
        shared = client.scatter(job, broadcast=True, hash=False)
        futures = {client.submit(func, shared, chunk, pure=False): len(chunk)
                   for chunk in _chunks(items, threads)}
        for future in dask_completed(list(futures), loop=client.loop):
            yield futures[future], future.result()
    finally:
        client.close()


def package_versions() -> dict[str, str]:
    """Versions of :data:`CHECKED_PACKAGES` in this process (run on every Dask worker)."""
    import importlib

    out = {}
    for name in CHECKED_PACKAGES:
        module = importlib.import_module(name)
        out[name] = str(getattr(module, "__version__", "?"))
    return out


def _check_versions(client: Any, scheduler: str) -> None:
    here = package_versions()
    try:
        remote = client.run(package_versions)
    except Exception as exc:  # a worker without the package cannot even unpickle the call
        raise SchedulerError(f"Dask workers at {scheduler} cannot run election-audit "
                             f"({type(exc).__name__}: {exc}); install the same version "
                             f"on every worker") from None
    for worker, versions in sorted(remote.items()):
        differ = [f"{k} {versions.get(k)} (here {v})" for k, v in here.items()
                  if versions.get(k) != v]
        if differ:
            raise SchedulerError(f"Dask worker {worker} runs {', '.join(differ)}; every "
                                 f"worker needs the same versions for reproducible results")
