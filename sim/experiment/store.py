"""The result folder of an experiment: its layout, chunk commits, resume and read-back.

Layout of ``out_dir``::

    config.yaml            the resolved config (``cfg.to_dict()``), written first
    manifest.json          provenance and status (running / failed / interrupted / complete);
                           once complete also ``checksums``: the SHA-256 of
                           replications.parquet and state/aggregate.npz
    parts/chunk-NNNNNNNN.npz + .json + .parquet
                           one triple per finished chunk of replications (NNNNNNNN = its first
                           replication), written in this order: the chunk's exact integer sums
                           of the daily series plus the series of its replications that entered
                           the bottom-k quantile sample (.npz); its commit record (.json:
                           format, first_replication, replications, config_hash, root_seed and
                           the SHA-256 of the .parquet and the .npz); the metric rows (.parquet),
                           written last: the commit mark of the chunk.
    replications.parquet   all metric rows, sorted by replication     (at the end), with the
                           per-replication monthly sums (``month_YYYY_MM_<quantity>``)
    timeseries.parquet     daily mean/p05/p50/p95 per world           (at the end)
    replications.csv       the same tables as CSV for spreadsheets    (at the end, after
    timeseries.csv         their parquet; full precision, dates ISO YYYY-MM-DD)
    monthly.csv            the calendar months: mean/p05/p95 of the monthly sums (at the end;
                           :mod:`sim.experiment.monthly`)
    summary.json           the summary table and the stopping outcome (at the end;
                           :mod:`sim.experiment.summary_json`)
    state/aggregate.npz    the consolidated daily aggregate and the replications it covers

Every file is written atomically (:mod:`sim.experiment.atomic`: a temporary name, fsync,
``os.replace``), so a killed run (or a power loss) leaves either the old file or the new one,
never half of one; a .npz or .json without its .parquet is an uncommitted chunk and is
deleted. Re-running the same config into the folder reads back what is there and computes
only the missing replications; a different config (another
:func:`sim.experiment.hashing.config_hash`) raises :class:`RunFolderMismatch`. The
manifest's provenance comes from :mod:`sim.experiment.provenance`.

Nothing stored is reused unchecked. A chunk is used only if its commit record exists and
names this run's config hash and root seed and the chunk's file name, both checksums match,
and the rows' ``seed`` column, the rows' replications, the .npz's ``replications`` and the
record's agree; the consolidated files only if ``manifest.json`` records their checksums (and
this config and seed) and the rows agree with the aggregate. Anything else is deleted with a
one-line warning and its replications are computed again, so a damaged folder costs time,
never correctness. Folders of versions before the commit records (no .json, no
``checksums``) are treated the same way: their replications are computed again. A crash in
the short window while the consolidated files are replaced (an extension of a finished run)
also leaves unrecorded consolidated files: the replications only they held are recomputed.

The CSV files are copies for people, never read back: the parquet files are the truth. Every
consolidation (the end of a new, resumed or extended run) writes them again from the rows, so
a damaged or deleted CSV never stops a resume and is rebuilt by the next run into the folder.
The chunks in ``parts/`` have no CSV: they are the commit marks, deleted at the end.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from sim.config import Config, ConfigError, validate
from sim.experiment.atomic import (
    npz_bytes,
    read_json,
    read_npz,
    write_atomic,
    write_bytes_atomic,
    write_json_atomic,
    write_npz_atomic,
    write_parquet_atomic,
    write_text_atomic,
)
from sim.experiment.hashing import (
    config_difference,
    config_hash,
    sha256_bytes,
    sha256_file,
)
from sim.experiment.summary_json import summary_from_json

#: Names whose home is another module, re-exported because RunFolder's methods call them
#: through this module's namespace (tests patch them here to fail a write).
REEXPORTED: tuple[str, ...] = (
    "config_hash",
    "read_json",
    "sha256_file",
    "summary_from_json",
    "write_atomic",
    "write_bytes_atomic",
    "write_json_atomic",
    "write_npz_atomic",
    "write_parquet_atomic",
    "write_text_atomic",
)
__all__ = [
    "RunFolder",
    "RunFolderDamaged",
    "RunFolderMismatch",
    "RunFolderUnwritable",
    "RunIdentity",
    "StoredProgress",
    "damaged_file",
    "foreign_entries",
    "storage_error",
    "write_csv_atomic",
    *REEXPORTED,
]

CONFIG_FILE = "config.yaml"
MANIFEST_FILE = "manifest.json"
REPLICATIONS_FILE = "replications.parquet"
TIMESERIES_FILE = "timeseries.parquet"
MONTHLY_CSV = "monthly.csv"
#: The CSV written beside each consolidated parquet file.
CSV_OF: dict[str, str] = {
    REPLICATIONS_FILE: "replications.csv",
    TIMESERIES_FILE: "timeseries.csv",
}
SUMMARY_FILE = "summary.json"
AGGREGATE_FILE = "state/aggregate.npz"
PARTS_DIR = "parts"
#: What a new run folder may already hold: Hydra's job log (hidden entries are ignored too:
#: Hydra's ``.hydra/``, the lock, temporaries).
FRESH_ENTRIES: frozenset[str] = frozenset({"blockade.log"})
RECORD_FORMAT = 1

log = logging.getLogger(__name__)
_T = TypeVar("_T")


def part_bytes(rows: pd.DataFrame) -> bytes:
    """A chunk's rows as parquet bytes, written for speed: a chunk is read back once (on
    resume) and deleted at the end, so no compression, statistics or dictionaries (a third
    less time than ``DataFrame.to_parquet``, the same frame read back)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    table = pa.Table.from_pandas(rows, preserve_index=False)
    pq.write_table(table, buf, compression="none", write_statistics=False, use_dictionary=False)
    return buf.getvalue()


class RunFolderMismatch(ValueError):
    """``out_dir`` already holds a run of a different config.

    Its subclasses are the other reasons a folder cannot be used as it is; the command line
    reports all of them as one line (exit status 2).
    """


class RunFolderDamaged(RunFolderMismatch):
    """A file of a finished result folder cannot be read back; re-running rebuilds it."""


class RunFolderUnwritable(RunFolderMismatch):
    """A file of the result folder could not be written (disk full, read-only, no access)."""


@dataclass(frozen=True)
class RunIdentity:
    """What every stored piece must match to be reused: the config hash and the root seed."""

    config_hash: str
    root_seed: int

    @classmethod
    def of(cls, cfg: Config) -> RunIdentity:
        """The identity of a run of ``cfg``."""
        return cls(config_hash(cfg), int(cfg.experiment.seed))


@dataclass
class StoredProgress:
    """What a folder already holds: metric rows and daily-aggregate pieces to fold in."""

    rows: list[pd.DataFrame] = field(default_factory=list)
    aggregates: list[dict[str, np.ndarray]] = field(default_factory=list)
    replications: set[int] = field(default_factory=set)
    checksums: dict[str, str] = field(default_factory=dict)


@dataclass
class _Part:
    """One committed chunk that passed every check."""

    parquet: Path
    rows: pd.DataFrame
    replications: set[int]


class _Rejected(Exception):
    """A stored piece that must not be used: why, and the replications it held (if known)."""

    def __init__(self, reason: str, replications: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.replications = replications


_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
_NOT_WRITABLE = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


def storage_error(exc: OSError, folder: Path | None = None) -> RunFolderUnwritable | None:
    """One line saying what to do about a full disk or an unwritable place (else ``None``).

    With ``folder`` (a result folder) the advice is to resume the run there.
    """
    where = exc.filename or folder or "a file"
    if exc.errno in _FULL:
        then = (
            f"then run the same config into {folder} again: the finished replications are "
            "kept and the run resumes"
            if folder is not None
            else "then run the command again"
        )
        return RunFolderUnwritable(
            f"cannot write {where}: no space left on the device. Free some space, {then}."
        )
    if exc.errno in _NOT_WRITABLE or isinstance(exc, PermissionError):
        place = f"the result folder {folder}" if folder is not None else "that place"
        return RunFolderUnwritable(
            f"cannot write {where}: {exc.strerror or exc}. Choose a folder you can write to "
            "(out_dir, or hydra.run.dir=DIR on the command line) or make "
            f"{place} writable."
        )
    return None


def damaged_file(path: Path, folder: Path, detail: str) -> RunFolderDamaged:
    """The error for a result file that cannot be read back: which, why, how to rebuild it."""
    return RunFolderDamaged(
        f"{path} is damaged ({detail}); re-run the same config into {folder} to rebuild it"
    )


def _reports_storage_errors(method: Callable[..., _T]) -> Callable[..., _T]:
    """Turn a full disk or an unwritable folder in ``method`` into :class:`RunFolderUnwritable`."""

    @functools.wraps(method)
    def wrapper(self: RunFolder, *args: Any, **kwargs: Any) -> _T:
        try:
            return method(self, *args, **kwargs)
        except OSError as exc:
            error = self.storage_error(exc)
            if error is None:
                raise
            raise error from exc

    return wrapper


def _rows_of(path: Path) -> pd.DataFrame:
    """The metric rows of a parquet file, or :class:`_Rejected` if they cannot be read."""
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many kinds for a damaged file
        raise _Rejected(f"unreadable ({type(exc).__name__})") from None


def _check_rows(rows: pd.DataFrame, identity: RunIdentity, expected: set[int]) -> None:
    """Rows must be of the root seed and exactly the ``expected`` replications."""
    if "replication" not in rows or "seed" not in rows:
        raise _Rejected("not metric rows (no replication/seed column)", len(expected))
    seeds = rows["seed"].to_numpy()
    if len(seeds) and not bool(np.all(seeds == identity.root_seed)):
        raise _Rejected(f"rows of another root seed (not {identity.root_seed})", len(expected))
    reps = rows["replication"].to_numpy(dtype=np.int64)
    if len(reps) != len(expected) or set(reps.tolist()) != expected:
        raise _Rejected("its rows are not the replications it records", len(expected))


def _check_identity(doc: dict[str, Any], identity: RunIdentity, n: int | None) -> None:
    """A record or manifest must be of this run's config hash and root seed."""
    there = doc.get("config_hash")
    if there != identity.config_hash:
        raise _Rejected(
            f"of another config (config hash {str(there)[:12]} there, "
            f"{identity.config_hash[:12]} now)",
            n,
        )
    if doc.get("root_seed") != identity.root_seed:
        raise _Rejected(
            f"of another root seed ({doc.get('root_seed')} there, {identity.root_seed} now)", n
        )


def _chunk_files(parquet: Path) -> list[Path]:
    """The three files of the chunk committed as ``parquet``."""
    return [parquet, parquet.with_suffix(".npz"), parquet.with_suffix(".json")]


def _check_sum(path: Path, expected: Any, n: int | None) -> None:
    """``path`` must exist and have the SHA-256 ``expected``."""
    if not path.is_file():
        raise _Rejected(f"incomplete ({path.name} is missing)", n)
    if sha256_file(path) != expected:
        raise _Rejected(f"damaged (checksum mismatch of {path.name})", n)


def foreign_entries(folder: Path, allowed: frozenset[str] | set[str]) -> list[str]:
    """Names in ``folder`` (if it exists) that are neither hidden nor ``allowed``, sorted."""
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.name not in allowed and p.name[0] != ".")


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
            self._check_fresh()
            return
        old, new = config_hash(stored), config_hash(cfg)
        if old != new:
            diff = config_difference(stored, cfg)
            raise RunFolderMismatch(
                f"{self.path} already holds a run of a different config (config hash "
                f"{old[:12]} there, {new[:12]} now; first difference: {diff}). Choose "
                "another folder, or delete that one to start over."
            )

    def _check_fresh(self) -> None:
        """A folder without ``config.yaml`` must hold nothing but what Hydra writes first."""
        foreign = foreign_entries(self.path, FRESH_ENTRIES)
        if foreign:
            shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
            raise RunFolderMismatch(
                f"{self.path} is not empty and is not a blockade result folder (it holds "
                f"{shown}). Choose another folder"
            )

    @_reports_storage_errors
    def open(self, cfg: Config) -> None:
        """Check the folder (:meth:`check`), create it and write ``config.yaml``."""
        self.check(cfg)
        self.path.mkdir(parents=True, exist_ok=True)
        self.write_config(cfg)

    @_reports_storage_errors
    def write_config(self, cfg: Config) -> None:
        """Write ``config.yaml`` (the resolved config)."""
        import yaml

        text = yaml.safe_dump(cfg.to_dict(), sort_keys=False, allow_unicode=True)
        write_text_atomic(self.path / CONFIG_FILE, text)

    # ------------------------------------------------------------------ storage errors

    def storage_error(self, exc: OSError) -> RunFolderUnwritable | None:
        """A one-line error saying what to do for a full disk or an unwritable folder."""
        return storage_error(exc, self.path)

    # ------------------------------------------------------------------ progress

    def _part_files(self) -> list[Path]:
        """The commit marks (.parquet) of the chunks in ``parts/``, in order."""
        return sorted(self.parts.glob("chunk-*.parquet")) if self.parts.is_dir() else []

    def _clean_temporaries(self) -> None:
        for folder in (self.path, self.parts, self.path / "state"):
            if folder.is_dir():
                for tmp in folder.glob(".*.tmp-*"):
                    with contextlib.suppress(OSError):
                        tmp.unlink()
        if self.parts.is_dir():  # pieces of a chunk whose commit mark never came
            for piece in [*self.parts.glob("chunk-*.npz"), *self.parts.glob("chunk-*.json")]:
                if not piece.with_suffix(".parquet").exists():
                    with contextlib.suppress(OSError):
                        piece.unlink()

    def _warn(self, files: str, rejected: _Rejected, recomputed: int | None) -> None:
        """One line: which stored file is not used, why, and what happens instead."""
        if recomputed is None:
            then = "its replications will be recomputed"
        elif recomputed == 0:
            then = "nothing needs recomputing (the chunks still hold its replications)"
        else:
            then = f"its {recomputed} replications will be recomputed"
        log.warning("%s: %s is %s; %s", self.path, files, rejected.reason, then)

    def _discard(self, files: Sequence[Path]) -> None:
        for f in files:
            with contextlib.suppress(OSError):
                f.unlink()

    def _verified_part(self, pq: Path, identity: RunIdentity) -> _Part:
        """The chunk committed as ``pq`` after every check, or :class:`_Rejected`."""
        record_file = pq.with_suffix(".json")
        if not record_file.is_file():
            raise _Rejected(f"unrecorded (no commit record {record_file.name}; an older version?)")
        try:
            record = read_json(record_file)
            reps = {int(i) for i in record["replications"]}
            sums, first = dict(record["sha256"]), int(record["first_replication"])
        except (OSError, ValueError, KeyError, TypeError):
            raise _Rejected(
                f"unrecorded (its commit record {record_file.name} is unreadable)"
            ) from None
        _check_identity(record, identity, len(reps))
        if not reps or first != min(reps) or pq.stem != f"chunk-{first:08d}":
            raise _Rejected(f"misnamed (its record starts at replication {first})", len(reps))
        _check_sum(pq, sums.get("parquet"), len(reps))
        _check_sum(pq.with_suffix(".npz"), sums.get("npz"), len(reps))
        rows = _rows_of(pq)
        _check_rows(rows, identity, reps)
        stored = read_npz(pq.with_suffix(".npz")).get("replications")
        if stored is None or {int(i) for i in stored} != reps or len(stored) != len(reps):
            raise _Rejected("inconsistent (its .npz holds other replications)", len(reps))
        return _Part(pq, rows, reps)

    def _verified_parts(self, identity: RunIdentity) -> list[_Part]:
        """Every committed chunk that passes its checks; the others are deleted, with a warning."""
        parts = []
        for pq in self._part_files():
            try:
                parts.append(self._verified_part(pq, identity))
            except _Rejected as rejected:
                self._warn(f"{PARTS_DIR}/{pq.name}", rejected, rejected.replications)
                self._discard(_chunk_files(pq))
        return parts

    def _verified_consolidated(
        self, identity: RunIdentity
    ) -> tuple[pd.DataFrame, dict[str, np.ndarray], dict[str, str]]:
        """The consolidated rows, aggregate and their checksums, or :class:`_Rejected`."""
        agg_file, rows_file = self.path / AGGREGATE_FILE, self.path / REPLICATIONS_FILE
        try:
            manifest = read_json(self.path / MANIFEST_FILE)
            sums = manifest["checksums"]
            expected = {
                REPLICATIONS_FILE: sums[REPLICATIONS_FILE],
                AGGREGATE_FILE: sums[AGGREGATE_FILE],
            }
        except (OSError, ValueError, KeyError, TypeError):
            raise _Rejected(
                f"not recorded in {MANIFEST_FILE} (an older version, or an "
                "interrupted consolidation)"
            ) from None
        _check_identity(manifest, identity, None)
        _check_sum(agg_file, expected[AGGREGATE_FILE], None)
        _check_sum(rows_file, expected[REPLICATIONS_FILE], None)
        state = read_npz(agg_file)
        reps = {int(i) for i in state.pop("replications")}
        rows = _rows_of(rows_file)
        _check_rows(rows, identity, reps)
        return rows, state, expected

    def _consolidated_replications(self) -> set[int] | None:
        """The replications the consolidated files hold, if either can still be read."""
        with contextlib.suppress(Exception):  # a damaged file: try the other one
            return {int(i) for i in read_npz(self.path / AGGREGATE_FILE)["replications"]}
        with contextlib.suppress(Exception):
            rows = pd.read_parquet(self.path / REPLICATIONS_FILE, columns=["replication"])
            return {int(i) for i in rows["replication"]}
        return None

    @_reports_storage_errors
    def load_progress(self, identity: RunIdentity) -> StoredProgress:
        """Everything finished in earlier runs into this folder that passes its checks.

        Metric rows and the daily aggregate come from the consolidated files (if their
        checksums in ``manifest.json`` match) plus the committed chunks they do not cover
        (if their commit records match). Anything else is deleted with a one-line warning
        and simply computed again.
        """
        self._clean_temporaries()
        progress = StoredProgress()
        parts = self._verified_parts(identity)
        covered: set[int] = set()
        if (self.path / AGGREGATE_FILE).is_file() or (self.path / REPLICATIONS_FILE).is_file():
            try:
                rows, state, progress.checksums = self._verified_consolidated(identity)
            except _Rejected as rejected:
                held = self._consolidated_replications()
                in_parts = {i for part in parts for i in part.replications}
                lost = None if held is None else len(held - in_parts)
                self._warn(f"{AGGREGATE_FILE} (with {REPLICATIONS_FILE})", rejected, lost)
                self._discard([self.path / AGGREGATE_FILE, self.path / REPLICATIONS_FILE])
            else:
                covered = {int(i) for i in rows["replication"]}
                progress.rows.append(rows)
                progress.aggregates.append(state)
        for part in parts:
            if part.replications <= covered:
                continue  # left over from a consolidation that was cut short
            if part.replications & covered:
                overlap = _Rejected("overlapping replications stored elsewhere")
                self._warn(
                    f"{PARTS_DIR}/{part.parquet.name}", overlap, len(part.replications - covered)
                )
                self._discard(_chunk_files(part.parquet))
                continue
            state = read_npz(part.parquet.with_suffix(".npz"))
            state.pop("replications", None)
            progress.aggregates.append(state)
            progress.rows.append(part.rows)
            covered |= part.replications
        progress.replications = covered
        return progress

    @_reports_storage_errors
    def commit_part(
        self,
        rows: pd.DataFrame,
        aggregate: dict[str, np.ndarray],
        replications: np.ndarray,
        identity: RunIdentity,
    ) -> None:
        """Save one finished chunk: the .npz, its commit record, then the rows (the mark)."""
        first = int(np.min(replications))
        stem = self.parts / f"chunk-{first:08d}"
        npz = npz_bytes({**aggregate, "replications": replications})
        table = part_bytes(rows)
        record = {
            "format": RECORD_FORMAT,
            "first_replication": first,
            "replications": [int(i) for i in replications],
            "config_hash": identity.config_hash,
            "root_seed": identity.root_seed,
            "sha256": {"parquet": sha256_bytes(table), "npz": sha256_bytes(npz)},
        }
        write_bytes_atomic(stem.with_suffix(".npz"), npz)
        write_json_atomic(stem.with_suffix(".json"), record)
        write_bytes_atomic(stem.with_suffix(".parquet"), table)

    # ------------------------------------------------------------------ finishing

    @_reports_storage_errors
    def consolidate(
        self,
        rows: pd.DataFrame,
        aggregate: dict[str, np.ndarray],
        timeseries: pd.DataFrame,
        summary: dict[str, Any],
        manifest: dict[str, Any],
        monthly: pd.DataFrame | None = None,
    ) -> dict[str, Any]:
        """Write the final files (each parquet with its CSV, and ``monthly`` as monthly.csv),
        the manifest last with their checksums; drop the parts. Returns the manifest as written.
        """
        reps = rows["replication"].to_numpy(dtype=np.int64)
        write_npz_atomic(self.path / AGGREGATE_FILE, {**aggregate, "replications": reps})
        for name, frame in ((REPLICATIONS_FILE, rows), (TIMESERIES_FILE, timeseries)):
            write_parquet_atomic(self.path / name, frame)
            write_csv_atomic(self.path / CSV_OF[name], frame)
        if monthly is not None:
            write_csv_atomic(self.path / MONTHLY_CSV, monthly)
        write_json_atomic(self.path / SUMMARY_FILE, summary)
        checksums = {f: sha256_file(self.path / f) for f in (REPLICATIONS_FILE, AGGREGATE_FILE)}
        manifest = {**manifest, "checksums": checksums}
        write_json_atomic(self.path / MANIFEST_FILE, manifest)
        for pq in self._part_files():
            self._discard(_chunk_files(pq))
        with contextlib.suppress(OSError):
            self.parts.rmdir()
        return manifest

    @_reports_storage_errors
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
        manifest = self._read_back(MANIFEST_FILE, _read_mapping)
        summary = self._read_back(SUMMARY_FILE, lambda f: summary_from_json(_read_mapping(f)))
        recorded = manifest.get("checksums")
        if isinstance(recorded, dict) and REPLICATIONS_FILE in recorded:
            file = self.path / REPLICATIONS_FILE
            if sha256_file(file) != recorded[REPLICATIONS_FILE]:
                raise damaged_file(file, self.path, f"checksum mismatch with {MANIFEST_FILE}")
        return {
            "config": cfg,
            "replications": self._read_back(REPLICATIONS_FILE, pd.read_parquet),
            "summary": summary,
            "timeseries": self._read_back(TIMESERIES_FILE, pd.read_parquet),
            "manifest": manifest,
        }

    def _read_back(self, name: str, reader: Callable[[Path], _T]) -> _T:
        """``reader(file)``, or :class:`RunFolderDamaged` saying how to rebuild the file."""
        file = self.path / name
        try:
            return reader(file)
        except Exception as exc:  # json, pyarrow and pandas raise many kinds
            detail = str(exc).splitlines()[0] if str(exc) else ""
            raise damaged_file(file, self.path, f"{type(exc).__name__}: {detail}"[:200]) from None


def write_csv_atomic(path: Path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` (without its index) as CSV atomically: floats at full precision (they
    read back equal), dates as ISO ``YYYY-MM-DD``."""
    return write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False, date_format="%Y-%m-%d"))


def _read_mapping(path: Path) -> dict[str, Any]:
    """A JSON file that must hold an object."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise ValueError(f"a JSON object was expected, not {type(data).__name__}")
    return data
