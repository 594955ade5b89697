"""One folder, one run: an exclusive lock on a result or sweep folder while it is written.

The lock is an OS file lock (``filelock``) on ``FOLDER/.blockade.lock``, taken on the
folder's resolved path. It is released when the run ends, and by the OS when the process
dies (``kill -9`` included), so a stale lock never blocks a resume. Within one thread the
lock is re-entrant: the ``blockade`` command takes it before Hydra writes anything, and the
experiment it launches in the same process takes it again. Another thread or process is
refused at once, never made to wait.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

LOCK_FILE = ".blockade.lock"


class FolderBusy(ValueError):
    """Another run holds the folder's lock."""


@contextlib.contextmanager
def folder_lock(folder: str | Path, key: str = "out_dir") -> Iterator[Path]:
    """Hold the lock of ``folder`` (created if missing) for the ``with`` block."""
    import filelock

    path = Path(folder).expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise FolderBusy(f"{key}: {path} exists and is not a folder")
    path.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(path / LOCK_FILE, is_singleton=True)
    try:
        lock.acquire(blocking=False)
    except filelock.Timeout:
        raise FolderBusy(
            f"{key}: {path} is in use by another blockade run; wait for it to finish or "
            "choose another folder"
        ) from None
    try:
        yield path
    finally:
        lock.release()
