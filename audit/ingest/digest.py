"""SHA-256 of input files, started in the background before the heavy imports.

``election-audit ingest`` spends its first third of a second importing pandas, on one core.
Hashing the input meanwhile, in a thread (``hashlib`` releases the GIL on large blocks),
takes the hash off the ingestion's path: :func:`audit.ingest.read_sheets` receives the
pending digests (``digests=``) instead of reading the file a second time. This module
imports nothing beyond the standard library.
"""

from __future__ import annotations

import hashlib
import stat
import threading
from collections.abc import Iterable
from concurrent.futures import Future
from pathlib import Path

#: Bytes hashed per call: large, because the thread needs the GIL back between calls and
#: waits up to the interpreter's switch interval (5 ms) for it while imports run.
_BLOCK = 8 << 20


def sha256_of(path: Path) -> str:
    """SHA-256 of a file's bytes, as lowercase hex (as :func:`audit.model.sha256_file`),
    read into one reused buffer."""
    digest = hashlib.sha256()
    buffer = bytearray(_BLOCK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as fh:
        while size := fh.readinto(buffer):
            digest.update(view[:size])
    return digest.hexdigest()


def hash_in_background(paths: Iterable[Path]) -> dict[Path, Future[str]]:
    """Start hashing every regular, non-empty file among ``paths`` in one daemon thread;
    return the pending digest of each, keyed by the path as given.

    Anything else (a folder, a missing file, a pipe or a device, which could block or never
    end) is left out: the reader reports it, or hashes it in its own way. A daemon thread
    never delays the exit of a process that stops early (an error, Ctrl-C).
    """
    pending: dict[Path, Future[str]] = {}
    for path in paths:
        try:
            info = path.stat()
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode) and info.st_size > 0:
            pending[path] = Future()
    if pending:
        threading.Thread(target=_run, args=(dict(pending),), daemon=True,
                         name="sha256").start()
    return pending


def _run(pending: dict[Path, Future[str]]) -> None:
    for path, future in pending.items():
        if not future.set_running_or_notify_cancel():
            continue
        try:
            future.set_result(sha256_of(path))
        except BaseException as exc:  # handed to whoever waits for this digest
            future.set_exception(exc)
