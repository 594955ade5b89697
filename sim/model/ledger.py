"""Barrel accounting, counters, the event log and the daily time series of one replication."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from sim.model.tanker import Tanker

TIMESERIES_COLUMNS: tuple[str, ...] = (
    "exported_bbl",
    "storage_bbl",
    "stranded_bbl",
    "afloat_bbl",
    "seizures_cum",
    "tankers_waiting",
    "shut_in_bbl",
    "produced_bbl",
    "loaded_bbl",
    "floating_new_bbl",
)
# Columns that are daily flows (differences of running totals); the rest are levels.
FLOW_COLUMNS: frozenset[str] = frozenset(
    {"exported_bbl", "shut_in_bbl", "produced_bbl", "loaded_bbl"}
)
_FLOW_INDEX = np.array([j for j, c in enumerate(TIMESERIES_COLUMNS) if c in FLOW_COLUMNS])
# Totals that check_balance requires to be finite (with the end levels it is given).
FINITE_TOTALS: tuple[str, ...] = (
    "storage_init_bbl",
    "afloat_init_bbl",
    "produced_bbl",
    "cut_bbl",
    "overflow_bbl",
    "loaded_bbl",
    "exported_bbl",
    "exported_licensed_bbl",
    "seized_bbl",
    "stranded_bbl",
    "team_busy_days",
)
EVENT_COLUMNS: tuple[str, ...] = ("time", "tanker", "kind", "bbl", "status", "tanker_class")


class LedgerImbalance(RuntimeError):
    """The barrels do not add up: a bug in the model, never a user mistake."""


@dataclass
class Ledger:
    """Running totals of one replication; every barrel enters and leaves through here."""

    storage_init_bbl: float = 0.0
    afloat_init_bbl: float = 0.0
    produced_bbl: float = 0.0
    cut_bbl: float = 0.0
    overflow_bbl: float = 0.0
    loaded_bbl: float = 0.0
    exported_bbl: float = 0.0
    exported_licensed_bbl: float = 0.0
    seized_bbl: float = 0.0
    stranded_bbl: float = 0.0  # loaded and waiting in port, now
    stranded_peak_bbl: float = 0.0  # the highest stranded_bbl so far
    floating_new_bbl: float = 0.0  # the part of stranded_bbl loaded during the run
    seizures: int = 0
    seizures_in_waters: int = 0
    seizures_pursued: int = 0  # seized beyond the zone, at the end of a chase
    dark_departures: int = 0
    breakouts: int = 0
    timeline_changes: int = 0
    escapes: int = 0
    turnbacks: int = 0
    departures: int = 0
    board_refusals: int = 0
    warrants_requested: int = 0
    warrants_issued: int = 0
    warrants_denied: int = 0
    warrants_expired: int = 0
    warrants_withdrawn: int = 0  # dropped undecided: the tanker left the theatre
    team_busy_days: float = 0.0
    berth_waits: list[float] = field(default_factory=list)
    tankers_waiting: int = 0
    first_seizure_day: float = math.nan
    storage_full_day: float = math.nan
    record_events: bool = True
    events: list[tuple[float, int, str, float, str, str]] = field(default_factory=list)
    daily: list[tuple[float, ...]] = field(default_factory=list)

    @property
    def shut_in_bbl(self) -> float:
        """Production that never reached storage: deliberate cuts plus overflow."""
        return self.cut_bbl + self.overflow_bbl

    @property
    def afloat_bbl(self) -> float:
        """Cargo on board tankers still in the theatre (waiting, loading or in transit)."""
        return self.afloat_init_bbl + self.loaded_bbl - self.exported_bbl - self.seized_bbl

    def log(self, now: float, tanker: int, kind: str, bbl: float, status: str, cls: str) -> None:
        """Record an event (a no-op unless events are recorded)."""
        if self.record_events:
            self.events.append((now, tanker, kind, bbl, status, cls))

    def tanker_event(self, now: float, t: Tanker, kind: str, bbl: float = 0.0) -> None:
        """Record an event of tanker ``t`` (a no-op unless events are recorded)."""
        if self.record_events:
            self.events.append((now, t.id, kind, bbl, t.status, t.tanker_class))

    def strand(self, bbl: float, new: bool) -> None:
        """Cargo of ``bbl`` starts (negative: stops) waiting loaded in port; ``new``: it was
        loaded during the run (floating storage), not on board at day 0."""
        self.stranded_bbl += bbl
        self.stranded_peak_bbl = max(self.stranded_peak_bbl, self.stranded_bbl)
        if new:
            self.floating_new_bbl += bbl

    def sample_day(self, storage_bbl: float) -> None:
        """Snapshot the running totals at the end of a day."""
        self.daily.append(
            (
                self.exported_bbl,
                storage_bbl,
                self.stranded_bbl,
                self.afloat_bbl,
                float(self.seizures),
                float(self.tankers_waiting),
                self.shut_in_bbl,
                self.produced_bbl,
                self.loaded_bbl,
                self.floating_new_bbl,
            )
        )

    def check_balance(
        self, storage_end_bbl: float, afloat_end_bbl: float, daily: np.ndarray | None = None
    ) -> None:
        """Raise :class:`LedgerImbalance` unless every total and ``daily`` (default: this
        ledger's :meth:`daily_array`) are finite and both barrel identities hold."""
        self._check_finite(storage_end_bbl, afloat_end_bbl)
        if not np.isfinite(self.daily_array() if daily is None else daily).all():
            raise LedgerImbalance("the daily series holds a value that is not finite")
        scale = max(1.0, self.storage_init_bbl + self.afloat_init_bbl + self.produced_bbl)
        tol = 1e-9 * scale
        onshore = (
            self.storage_init_bbl
            + self.produced_bbl
            - self.shut_in_bbl
            - storage_end_bbl
            - self.loaded_bbl
        )
        afloat = (
            self.afloat_init_bbl
            + self.loaded_bbl
            - self.exported_bbl
            - self.seized_bbl
            - afloat_end_bbl
        )
        if abs(onshore) > tol or abs(afloat) > tol:
            raise LedgerImbalance(
                f"ledger does not balance: onshore off by {onshore:.3f} bbl, "
                f"afloat off by {afloat:.3f} bbl"
            )

    def _check_finite(self, storage_end_bbl: float, afloat_end_bbl: float) -> None:
        """Raise :class:`LedgerImbalance` naming the first total that is not finite."""
        values = [storage_end_bbl, afloat_end_bbl, *(getattr(self, n) for n in FINITE_TOTALS)]
        if math.isfinite(sum(values)):
            return
        names = ("storage_end_bbl", "afloat_end_bbl", *FINITE_TOTALS)
        for name, value in zip(names, values, strict=True):
            if not math.isfinite(value):
                raise LedgerImbalance(f"ledger total {name} is not finite ({value})")

    def daily_array(self) -> np.ndarray:
        """Days x TIMESERIES_COLUMNS: flows during each day, levels at its end."""
        data = np.array(self.daily, dtype=float).reshape(-1, len(TIMESERIES_COLUMNS))
        data[1:, _FLOW_INDEX] -= data[:-1, _FLOW_INDEX].copy()  # np.diff(prepend=0), at once
        return data


def timeseries_frame(daily: np.ndarray, start_date: pd.Timestamp) -> pd.DataFrame:
    """The daily array as a DataFrame with ``day`` and ``date`` columns."""
    frame = pd.DataFrame(daily, columns=list(TIMESERIES_COLUMNS))
    days = np.arange(len(frame))
    frame.insert(0, "date", start_date + pd.to_timedelta(days, unit="D"))
    frame.insert(0, "day", days)
    return frame


def event_frame(events: list[tuple[float, int, str, float, str, str]]) -> pd.DataFrame:
    """The event log as a DataFrame (empty with the right columns if not recorded)."""
    return pd.DataFrame(events, columns=list(EVENT_COLUMNS))
