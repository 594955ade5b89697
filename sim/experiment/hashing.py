"""SHA-256 of files, bytes and of a config's results-relevant part (``config_hash``).

The config hash names what a run computes: every key of the resolved config except the
execution settings (:data:`EXECUTION_KEYS`) and the prose (:data:`PROSE_KEYS`). Two configs
with the same hash give the same replications, so a result folder, a reference run or a
sweep job is reused by it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sim.config import Config

__all__ = [
    "EXECUTION_KEYS",
    "PROSE_KEYS",
    "config_difference",
    "config_hash",
    "hashed_part",
    "sha256_bytes",
    "sha256_file",
]

# Experiment keys that change how a run executes, not what it computes: they are left out of
# the config hash, so a run can be resumed with another executor or extended to more
# replications in the same folder.
EXECUTION_KEYS: frozenset[str] = frozenset(
    {
        "replications",
        "workers",
        "executor",
        "target_rel_halfwidth",
        "target_halfwidth",
        "min_replications",
        "max_replications",
        "batch_size",
        "reference",
        "dask_address",
        "progress",
    }
)

# Top-level keys that are prose, not model: left out of the config hash too.
PROSE_KEYS: frozenset[str] = frozenset({"description"})


def sha256_bytes(data: bytes) -> str:
    """SHA-256 of ``data`` (hex)."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex), read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def hashed_part(cfg: Config) -> dict[str, Any]:
    """The part of ``cfg.to_dict()`` that :func:`config_hash` covers."""
    data = {k: v for k, v in cfg.to_dict().items() if k not in PROSE_KEYS}
    data["experiment"] = {k: v for k, v in data["experiment"].items() if k not in EXECUTION_KEYS}
    if cfg.experiment.posterior is not None:  # the sample's content counts, not its path
        from sim.uncertain import resolve_posterior

        data["experiment"]["posterior"] = sha256_file(resolve_posterior(cfg.experiment.posterior))
    return data


def config_hash(cfg: Config) -> str:
    """SHA-256 of everything in ``cfg`` that affects results (hex).

    Execution settings (:data:`EXECUTION_KEYS`: executor, workers, replication counts,
    stopping target, progress) and the prose ``description`` are left out; the root seed and
    ``experiment.baseline`` count.
    """
    text = json.dumps(hashed_part(cfg), sort_keys=True, separators=(",", ":"), allow_nan=True)
    return sha256_bytes(text.encode())


def config_difference(there: Config, now: Config) -> str | None:
    """The first hashed key that differs, as ``key: <there> there, <now> now`` (else None)."""
    return _first_difference(hashed_part(there), hashed_part(now))


def _first_difference(a: Any, b: Any, path: str = "") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        return _dict_difference(a, b, path)
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        pairs = zip(a, b, strict=True)
        return _next_difference(
            (x, y, f"{path.rstrip('.')}.{i}.") for i, (x, y) in enumerate(pairs)
        )
    if a != b:
        return f"{path.rstrip('.')}: {a!r} there, {b!r} now"
    return None


def _dict_difference(a: dict[str, Any], b: dict[str, Any], path: str) -> str | None:
    for k in list(a) + [k for k in b if k not in a]:
        if k not in a or k not in b:
            return f"{path}{k}: {a.get(k, '<absent>')!r} there, {b.get(k, '<absent>')!r} now"
        d = _first_difference(a[k], b[k], f"{path}{k}.")
        if d:
            return d
    return None


def _next_difference(items: Iterable[tuple[Any, Any, str]]) -> str | None:
    """The first difference among ``(there, now, path)`` pairs, in order."""
    for x, y, where in items:
        d = _first_difference(x, y, where)
        if d:
            return d
    return None
