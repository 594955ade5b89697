"""Atomic writes: a file is either the old one or the complete new one, never half of one.

Every writer here writes to a temporary name in the target's folder (``.NAME.tmp-PID-XXXX``,
hidden, so a folder check ignores it), fsyncs it, moves it into place with ``os.replace``
and fsyncs the folder, so neither a killed process nor a power loss leaves a torn file.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import math
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "npz_bytes",
    "parquet_bytes",
    "read_json",
    "read_npz",
    "write_atomic",
    "write_bytes_atomic",
    "write_json_atomic",
    "write_npz_atomic",
    "write_parquet_atomic",
    "write_text_atomic",
]

PathLike = str | os.PathLike[str]


def _fsync(path: Path) -> None:
    """Flush ``path`` (a file or, on POSIX, a folder) to the device."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename into it); a no-op where folders cannot be synced."""
    if os.name == "nt":
        return
    try:
        _fsync(folder)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise


def write_atomic(path: PathLike, writer: Callable[[Path], object]) -> Path:
    """Call ``writer(tmp)`` on a temporary file next to ``path``, then move it into place.

    The temporary file is fsynced before ``os.replace`` and the folder after it, so after a
    power loss the path holds the old file or the complete new one. What ``writer`` returns
    is ignored.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        writer(tmp)
        _fsync(tmp)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return path


def write_text_atomic(path: PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) atomically."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_bytes_atomic(path: PathLike, data: bytes) -> Path:
    """Write ``data`` atomically."""
    return write_atomic(path, lambda tmp: tmp.write_bytes(data))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def write_json_atomic(path: PathLike, data: Any) -> Path:
    """Write ``data`` as JSON atomically (NaN and infinities become ``null``)."""
    return write_text_atomic(path, json.dumps(_jsonable(data), indent=2, allow_nan=False) + "\n")


def read_json(path: PathLike) -> Any:
    """Read a JSON file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def parquet_bytes(df: pd.DataFrame) -> bytes:
    """``df`` (without its index) as the bytes of a parquet file."""
    buf = io.BytesIO()
    df.to_parquet(buf, index=False, engine="pyarrow")
    return buf.getvalue()


def write_parquet_atomic(path: PathLike, df: pd.DataFrame) -> Path:
    """Write ``df`` (without its index) as parquet atomically."""
    return write_atomic(path, lambda tmp: df.to_parquet(tmp, index=False, engine="pyarrow"))


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """``arrays`` as the bytes of an uncompressed .npz."""
    buf = io.BytesIO()
    np.savez(buf, allow_pickle=False, **arrays)
    return buf.getvalue()


def write_npz_atomic(path: PathLike, arrays: dict[str, np.ndarray]) -> Path:
    """Write ``arrays`` as an uncompressed .npz atomically."""
    return write_bytes_atomic(path, npz_bytes(arrays))


def read_npz(path: PathLike) -> dict[str, np.ndarray]:
    """Read a .npz written by :func:`write_npz_atomic` into memory."""
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}
