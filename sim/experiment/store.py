"""The result folder of an experiment: chunked, atomic writes, resume and read-back.

Layout of ``out_dir``::

    config.yaml            the resolved config (``cfg.to_dict()``), written first
    manifest.json          provenance and status (running / failed / complete)
    parts/chunk-NNNNNNNN.parquet + .npz
                           one pair per finished chunk of replications (NNNNNNNN = its first
                           replication): the metric rows, and the chunk's exact integer sums of
                           the daily series plus the series of its replications that entered
                           the bottom-k quantile sample. The .parquet is written last: it is the
                           commit mark of the chunk.
    replications.parquet   all metric rows, sorted by replication     (at the end)
    timeseries.parquet     daily mean/p05/p50/p95 per world           (at the end)
    summary.json           the summary table and the stopping outcome (at the end)
    state/aggregate.npz    the consolidated daily aggregate and the replications it covers

Every file is written to a temporary name in the same folder and moved into place with
``os.replace``, so a killed run leaves either the old file or the new one, never half of
one. Re-running the same config into the folder reads back what is there and computes only
the missing replications; a different config raises :class:`RunFolderMismatch`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import math
import os
import platform
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import Config, ConfigError, validate

__all__ = [
    "EXECUTION_KEYS",
    "RunFolder",
    "RunFolderMismatch",
    "StoredProgress",
    "config_hash",
    "provenance",
    "read_json",
    "write_atomic",
    "write_json_atomic",
    "write_npz_atomic",
    "write_parquet_atomic",
    "write_text_atomic",
]

CONFIG_FILE = "config.yaml"
MANIFEST_FILE = "manifest.json"
REPLICATIONS_FILE = "replications.parquet"
TIMESERIES_FILE = "timeseries.parquet"
SUMMARY_FILE = "summary.json"
AGGREGATE_FILE = "state/aggregate.npz"
PARTS_DIR = "parts"

# Experiment keys that change how a run executes, not what it computes: they are left out of
# the config hash, so a run can be resumed with another executor or extended to more
# replications in the same folder.
EXECUTION_KEYS: frozenset[str] = frozenset(
    {
        "replications",
        "workers",
        "executor",
        "target_rel_halfwidth",
        "max_replications",
        "batch_size",
        "dask_address",
        "progress",
    }
)


class RunFolderMismatch(ValueError):
    """``out_dir`` already holds a run of a different config."""


# --------------------------------------------------------------------------- hashing


# Top-level keys that are prose, not model: left out of the config hash too.
PROSE_KEYS: frozenset[str] = frozenset({"description"})


def _hashed_part(cfg: Config) -> dict[str, Any]:
    data = {k: v for k, v in cfg.to_dict().items() if k not in PROSE_KEYS}
    data["experiment"] = {k: v for k, v in data["experiment"].items() if k not in EXECUTION_KEYS}
    return data


def config_hash(cfg: Config) -> str:
    """SHA-256 of everything in ``cfg`` that affects results (hex).

    Execution settings (:data:`EXECUTION_KEYS`: executor, workers, replication counts,
    stopping target, progress) and the prose ``description`` are left out; the root seed and
    ``experiment.baseline`` count.
    """
    text = json.dumps(_hashed_part(cfg), sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _first_difference(a: Any, b: Any, path: str = "") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if k not in a or k not in b:
                return f"{path}{k}: {a.get(k, '<absent>')!r} there, {b.get(k, '<absent>')!r} now"
            d = _first_difference(a[k], b[k], f"{path}{k}.")
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            d = _first_difference(x, y, f"{path.rstrip('.')}[{i}].")
            if d:
                return d
        return None
    if a != b:
        return f"{path.rstrip('.')}: {a!r} there, {b!r} now"
    return None


# --------------------------------------------------------------------------- atomic writes


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


def write_atomic(path: str | Path, writer: Callable[[Path], None]) -> Path:
    """Call ``writer(tmp)`` on a temporary file next to ``path``, then move it into place.

    The temporary file is fsynced before ``os.replace`` and the folder after it, so after a
    power loss the path holds the old file or the complete new one.
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


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) atomically."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


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


def write_json_atomic(path: str | Path, data: Any) -> Path:
    """Write ``data`` as JSON atomically (NaN and infinities become ``null``)."""
    return write_text_atomic(path, json.dumps(_jsonable(data), indent=2, allow_nan=False) + "\n")


def read_json(path: str | Path) -> Any:
    """Read a JSON file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_parquet_atomic(path: str | Path, df: pd.DataFrame) -> Path:
    """Write ``df`` (without its index) as parquet atomically."""
    return write_atomic(path, lambda tmp: df.to_parquet(tmp, index=False, engine="pyarrow"))


def write_npz_atomic(path: str | Path, arrays: dict[str, np.ndarray]) -> Path:
    """Write ``arrays`` as an uncompressed .npz atomically."""

    def writer(tmp: Path) -> None:
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        tmp.write_bytes(buf.getvalue())

    return write_atomic(path, writer)


def read_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Read a .npz written by :func:`write_npz_atomic` into memory."""
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


# --------------------------------------------------------------------------- provenance


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def provenance() -> dict[str, Any]:
    """Package and library versions, and the git commit of the code if it is a checkout."""
    import sim

    root = Path(sim.__file__).resolve().parent.parent
    commit = dirty = None
    if (root / ".git").exists():
        commit = _git(["rev-parse", "HEAD"], root)
        status = _git(["status", "--porcelain", "--untracked-files=no"], root)
        dirty = None if status is None else bool(status)
    return {
        "package": "blockade-sim",
        "package_version": getattr(sim, "__version__", None) or _version("blockade-sim"),
        "git_commit": commit or None,
        "git_dirty": dirty,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": _version("numpy"),
        "simpy": _version("simpy"),
        "scipy": _version("scipy"),
        "pandas": _version("pandas"),
        "pyarrow": _version("pyarrow"),
        "hydra": _version("hydra-core"),
        "pydantic": _version("pydantic"),
        "dask": _version("dask"),
        "distributed": _version("distributed"),
    }


# --------------------------------------------------------------------------- the folder


@dataclass
class StoredProgress:
    """What a folder already holds: metric rows and daily-aggregate pieces to fold in."""

    rows: list[pd.DataFrame] = field(default_factory=list)
    aggregates: list[dict[str, np.ndarray]] = field(default_factory=list)
    replications: set[int] = field(default_factory=set)


class RunFolder:
    """One experiment's result folder (see the module docstring for the layout)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser().resolve()

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    @property
    def parts(self) -> Path:
        return self.path / PARTS_DIR

    # ------------------------------------------------------------------ opening

    def stored_config(self) -> Config | None:
        """The config of the run already in the folder, if any."""
        file = self.path / CONFIG_FILE
        if not file.is_file():
            return None
        import yaml

        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ConfigError("not a mapping")
            return validate(data)
        except (ConfigError, yaml.YAMLError) as exc:
            raise RunFolderMismatch(
                f"{self.path} holds a run whose {CONFIG_FILE} cannot be read as a config "
                f"({exc}); choose another out_dir or delete that folder"
            ) from None

    def check(self, cfg: Config) -> None:
        """Raise :class:`RunFolderMismatch` if the folder holds a run of another config.

        Writes nothing. A missing folder, or one without ``config.yaml``, is fine.
        """
        if self.path.exists() and not self.path.is_dir():
            raise RunFolderMismatch(f"out_dir {self.path} exists and is not a folder")
        stored = self.stored_config()
        if stored is None:
            return
        old, new = config_hash(stored), config_hash(cfg)
        if old != new:
            diff = _first_difference(_hashed_part(stored), _hashed_part(cfg))
            raise RunFolderMismatch(
                f"{self.path} already holds a run of a different config (config hash "
                f"{old[:12]} there, {new[:12]} now; first difference: {diff}). Choose "
                "another folder, or delete that one to start over."
            )

    def open(self, cfg: Config) -> None:
        """Check the folder (:meth:`check`), create it and write ``config.yaml``."""
        self.check(cfg)
        self.path.mkdir(parents=True, exist_ok=True)
        self.write_config(cfg)

    def write_config(self, cfg: Config) -> None:
        """Write ``config.yaml`` (the resolved config)."""
        import yaml

        text = yaml.safe_dump(cfg.to_dict(), sort_keys=False, allow_unicode=True)
        write_text_atomic(self.path / CONFIG_FILE, text)

    # ------------------------------------------------------------------ progress

    def _part_files(self) -> Iterator[tuple[Path, Path]]:
        if not self.parts.is_dir():
            return
        for pq in sorted(self.parts.glob("chunk-*.parquet")):
            yield pq, pq.with_suffix(".npz")

    def _clean_temporaries(self) -> None:
        for folder in (self.path, self.parts, self.path / "state"):
            if folder.is_dir():
                for tmp in folder.glob(".*.tmp-*"):
                    with contextlib.suppress(OSError):
                        tmp.unlink()
        if self.parts.is_dir():  # a daily-aggregate part whose commit mark never came
            for npz in self.parts.glob("chunk-*.npz"):
                if not npz.with_suffix(".parquet").exists():
                    with contextlib.suppress(OSError):
                        npz.unlink()

    def load_progress(self) -> StoredProgress:
        """Everything finished in earlier runs into this folder, consistent for resuming.

        Metric rows come from ``replications.parquet`` and committed parts; the daily
        aggregate from ``state/aggregate.npz`` plus the parts it does not cover yet. A row
        whose daily series is not covered is dropped (it is simply computed again).
        """
        self._clean_temporaries()
        progress = StoredProgress()
        covered: set[int] = set()
        agg_file = self.path / AGGREGATE_FILE
        if agg_file.is_file():
            state = read_npz(agg_file)
            covered = {int(i) for i in state.pop("replications")}
            progress.aggregates.append(state)
        rows: list[pd.DataFrame] = []
        cons = self.path / REPLICATIONS_FILE
        if cons.is_file() and covered:
            rows.append(pd.read_parquet(cons))
        for pq, npz in self._part_files():
            if not npz.is_file():  # cannot happen with our write order; recompute it
                with contextlib.suppress(OSError):
                    pq.unlink()
                continue
            part = pd.read_parquet(pq)
            reps = {int(i) for i in part["replication"]}
            rows.append(part)
            if reps <= covered:
                continue
            if reps & covered:
                raise RuntimeError(
                    f"{self.path}: part {pq.name} overlaps the consolidated aggregate; the "
                    "folder is inconsistent: delete it and run again"
                )
            state = read_npz(npz)
            state.pop("replications", None)
            progress.aggregates.append(state)
            covered |= reps
        if rows:
            frame = pd.concat(rows, ignore_index=True)
            frame = frame.drop_duplicates("replication", keep="last")
            frame = frame[frame["replication"].isin(covered)]
            progress.rows = [frame]
            progress.replications = {int(i) for i in frame["replication"]}
        missing_rows = covered - progress.replications
        if missing_rows:
            raise RuntimeError(
                f"{self.path}: the daily aggregate covers {len(missing_rows)} replications "
                "without metric rows; the folder is inconsistent: delete it and run again"
            )
        return progress

    def commit_part(
        self, rows: pd.DataFrame, aggregate: dict[str, np.ndarray], replications: np.ndarray
    ) -> None:
        """Save one finished chunk: the daily-aggregate piece first, the rows (commit) last."""
        first = int(np.min(replications))
        stem = self.parts / f"chunk-{first:08d}"
        write_npz_atomic(stem.with_suffix(".npz"), {**aggregate, "replications": replications})
        write_parquet_atomic(stem.with_suffix(".parquet"), rows)

    # ------------------------------------------------------------------ finishing

    def consolidate(
        self,
        rows: pd.DataFrame,
        aggregate: dict[str, np.ndarray],
        timeseries: pd.DataFrame,
        summary: dict[str, Any],
        manifest: dict[str, Any],
    ) -> None:
        """Write the final files, then drop the parts they now cover."""
        reps = rows["replication"].to_numpy(dtype=np.int64)
        write_npz_atomic(self.path / AGGREGATE_FILE, {**aggregate, "replications": reps})
        write_parquet_atomic(self.path / REPLICATIONS_FILE, rows)
        write_parquet_atomic(self.path / TIMESERIES_FILE, timeseries)
        write_json_atomic(self.path / SUMMARY_FILE, summary)
        write_json_atomic(self.path / MANIFEST_FILE, manifest)
        for pq, npz in list(self._part_files()):
            for f in (pq, npz):
                with contextlib.suppress(OSError):
                    f.unlink()
        with contextlib.suppress(OSError):
            self.parts.rmdir()

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Write ``manifest.json``."""
        write_json_atomic(self.path / MANIFEST_FILE, manifest)

    # ------------------------------------------------------------------ reading back

    def read(self) -> dict[str, Any]:
        """The stored result's pieces: config, replications, summary, timeseries, manifest."""
        missing = [
            f
            for f in (CONFIG_FILE, REPLICATIONS_FILE, TIMESERIES_FILE, SUMMARY_FILE, MANIFEST_FILE)
            if not (self.path / f).is_file()
        ]
        if missing:
            hint = (
                " The run did not finish: run the same config into this folder again to resume it."
                if (self.parts.is_dir() or (self.path / CONFIG_FILE).is_file())
                else ""
            )
            raise FileNotFoundError(
                f"{self.path} is not a finished experiment folder (missing "
                f"{', '.join(missing)}).{hint}"
            )
        cfg = self.stored_config()
        summary_doc = read_json(self.path / SUMMARY_FILE)
        return {
            "config": cfg,
            "replications": pd.read_parquet(self.path / REPLICATIONS_FILE),
            "summary": summary_from_json(summary_doc),
            "timeseries": pd.read_parquet(self.path / TIMESERIES_FILE),
            "manifest": read_json(self.path / MANIFEST_FILE),
        }


# --------------------------------------------------------------------------- summary json


def summary_to_json(summary: pd.DataFrame) -> dict[str, Any]:
    """``summary.json``: the stopping outcome (``summary.attrs``) and one record per metric."""
    records = []
    for metric, row in summary.iterrows():
        rec: dict[str, Any] = {"metric": str(metric)}
        for col in summary.columns:
            v = row[col]
            rec[str(col)] = int(v) if col == "n" else float(v)
        records.append(rec)
    return {**dict(summary.attrs), "columns": [str(c) for c in summary.columns], "metrics": records}


def summary_from_json(doc: dict[str, Any]) -> pd.DataFrame:
    """The summary table back from :func:`summary_to_json`."""
    columns = doc["columns"]
    records = doc["metrics"]
    index = pd.Index([r["metric"] for r in records], name="metric")
    data = {
        c: [(r[c] if c == "n" else (math.nan if r[c] is None else float(r[c]))) for r in records]
        for c in columns
    }
    frame = pd.DataFrame(data, index=index, columns=columns)
    frame = frame.astype({c: ("int64" if c == "n" else "float64") for c in columns})
    frame.attrs.update({k: v for k, v in doc.items() if k not in ("columns", "metrics")})
    return frame
