"""The ``timeline`` section: changes of a run's levers at a day or when a daily series crosses.

A config's top-level ``timeline`` is a list of entries, each setting dotted config keys::

    timeline:
      - {day: 20, set: {policy.enter_waters_after_days: 0}, label: "Enter waters"}
      - {when: {series: stranded_bbl, above: 15000000}, set: {navy.boarding_teams: 6}}

A scheduled entry (``day``) applies at that time (days since ``start_date``, in
``[0, horizon_days)``); a triggered one (``when``) fires once, at the first end of a day when
its daily series (one of ``sim.model.ledger.TIMESERIES_COLUMNS``) is strictly above (or
below) the threshold. Only the levers in :data:`SETTABLE` may change. A mapping value
replaces what was there (``court.delay_days: {dist: fixed, value: 3}``), as ``key={...}`` does
on the command line; set sub-keys one by one to keep the rest.

This module is the data side: the schema, :func:`apply_changes` (what the model calls when an
entry fires) and the checks :class:`sim.config.Config` runs before anything runs
(:func:`timeline_error`): every entry applied alone to the config must validate, the
scheduled entries applied one after another in day order (ties in list order) must validate
at every step, and every triggered entry must validate on top of each of those steps (it may
fire at any time). Two triggered entries firing together are not checked.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from pydantic import ConfigDict, Field, field_validator, model_validator

from sim.fields import Real, StrictModel

# sim.config imports this module for Config.timeline, so sim.config (ConfigError, _bad,
# validate) and sim.model.ledger are imported inside the functions that use them.
if TYPE_CHECKING:
    from sim.config import Config

#: The keys a timeline may set: ``SECTION.*`` is any key under the section (into a
#: distribution too), ``<i>`` an index into a list. Everything else is fixed for the run.
SETTABLE: tuple[str, ...] = (
    "navy.*",
    "court.*",
    "policy.*",
    "behaviour.*",
    "production.*",
    "fleet.tankers.<i>.status",
)

#: Keys under a settable section that still cannot change during a run, and why.
FIXED_IN_RUN: dict[str, str] = {
    "production.step_days": "the production steps are laid out when the run starts",
}

_ALLOWED = f"allowed: {', '.join(SETTABLE)}"
_KEY = re.compile(r"[A-Za-z_]\w*(?:\.(?:[A-Za-z_]\w*|[0-9]+))*")
# The key path at the start of a sim.config._first_error line ("fleet.tankers[1].status: ...").
_LOC = re.compile(r"([A-Za-z_]\w*(?:\.\w+)*): ")


def _plain(v: Any) -> Any:
    """``v`` with numpy scalars made Python ones, at any depth (so the entry dumps as JSON)."""
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, Mapping):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return v


_Day = Annotated[Real, Field(ge=0.0)]


class _Model(StrictModel):
    model_config = ConfigDict(**StrictModel.model_config, populate_by_name=True)


class Trigger(_Model):
    """``{series: NAME, above: X}`` or ``{series: NAME, below: X}``: a daily series crosses X."""

    series: str
    above: Real | None = None
    below: Real | None = None

    @model_validator(mode="after")
    def _one_side(self) -> Trigger:
        from sim.config import _bad
        from sim.model.ledger import TIMESERIES_COLUMNS

        if self.series not in TIMESERIES_COLUMNS:
            raise _bad(
                "series",
                f"{self.series!r} is not a daily series (one of {', '.join(TIMESERIES_COLUMNS)})",
            )
        if (self.above is None) == (self.below is None):
            raise ValueError(
                "give exactly one of above: X or below: X (fires at the first end of a day "
                f"when {self.series} is above or below X)"
                + ("; got both" if self.above is not None else "")
            )
        return self

    def holds(self, value: float) -> bool:
        """Whether the series' value at the end of a day meets the condition (strictly)."""
        if self.above is not None:
            return value > self.above
        return value < self.below  # type: ignore[operator]


class TimelineEntry(_Model):
    """One change: ``{day: D, set: {KEY: VALUE, ...}}`` or ``{when: {...}, set: {...}}``."""

    day: _Day | None = None
    when: Trigger | None = None
    changes: dict[str, Any] = Field(alias="set")
    label: str | None = None  # shown on charts

    @field_validator("changes", mode="before")
    @classmethod
    def _changes(cls, v: Any) -> Any:
        from sim.config import _bad

        if not isinstance(v, Mapping) or not v:
            raise ValueError("must be a non-empty mapping {KEY: VALUE, ...} of config keys to set")
        for key in v:
            error = settable_error(key)
            if error is not None and (not isinstance(key, str) or not _KEY.fullmatch(key)):
                raise ValueError(error)  # named in the message, not in the path
            if error is not None:
                raise _bad(key, error)
        return _plain(v)

    @model_validator(mode="after")
    def _day_or_when(self) -> TimelineEntry:
        if self.day is not None and self.when is not None:
            raise ValueError("give either day (a change at that day) or when (a trigger), not both")
        if self.day is None and self.when is None:
            raise ValueError(
                "needs day: D (a change at day D) or when: {series: NAME, above: X} (a trigger)"
            )
        return self


# --------------------------------------------------------------------------- keys


def settable_error(key: Any) -> str | None:
    """Why a run cannot change ``key`` (not a dotted key, or not in :data:`SETTABLE`), if so."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        return f"{key!r} is not a dotted config key such as navy.boarding_teams ({_ALLOWED})"
    parts = key.split(".")
    for fixed, why in FIXED_IN_RUN.items():
        if key == fixed or key.startswith(fixed + "."):
            return f"fixed for the whole run: {why}"
    if any(_matches(parts, pattern.split(".")) for pattern in SETTABLE):
        return None
    return f"not a key a run can change ({_ALLOWED})"


def _matches(parts: Sequence[str], pattern: Sequence[str]) -> bool:
    if pattern[-1] == "*":
        head = pattern[:-1]
        return len(parts) > len(head) and all(map(_part_matches, parts, head))
    return len(parts) == len(pattern) and all(map(_part_matches, parts, pattern))


def _part_matches(part: str, pattern: str) -> bool:
    return part.isdigit() if pattern == "<i>" else part == pattern


def set_path(data: dict[str, Any], key: str, value: Any) -> str | None:
    """Set dotted ``key`` of a ``Config.to_dict()`` mapping; why not, if it is not there."""
    parts = key.split(".")
    node: Any = data
    for depth, part in enumerate(parts):
        here = ".".join(parts[:depth]) or "the top level"
        name = "" if depth == len(parts) - 1 else f" {part!r}"
        index: str | int
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return f"{here} has {len(node)} entries (index 0 to {len(node) - 1}), got {part}"
            index = int(part)
        elif isinstance(node, dict):
            if part not in node:
                close = difflib.get_close_matches(part, [str(k) for k in node], n=1)
                hint = f"; did you mean {here}.{close[0]}?" if close else ""
                return f"unknown key{name} (not allowed at {here}{hint})"
            index = part
        else:
            return f"{here} is a value ({node!r}), not a section"
        if depth == len(parts) - 1:
            node[index] = value
        else:
            node = node[index]
    return None


# --------------------------------------------------------------------------- applying


def apply_changes(cfg: Config, changes: Mapping[str, Any]) -> Config:
    """``cfg`` with each dotted key of ``changes`` set (in order), validated again.

    Keys must be in :data:`SETTABLE`; integer parts index lists (``fleet.tankers.2.status``);
    a mapping value replaces what was there. Raises :class:`sim.config.ConfigError` naming
    the key. The result has an empty ``timeline`` and ``uncertain``: it is the state of the
    levers after the change (uncertain keys are drawn once, at the start of a run), and
    ``cfg``'s timeline was checked against ``cfg`` only (the caller holds it).
    Pure; about the cost of one validation of the config.
    """
    from sim.config import ConfigError

    result = _try_apply(cfg, changes)
    if isinstance(result, tuple):
        key, detail = result
        raise ConfigError(f"{key}: {detail}" if key else detail)
    return result


def _try_apply(cfg: Config, changes: Mapping[str, Any]) -> Config | tuple[str | None, str]:
    """The changed config, or (the key to blame or None for all of them, why not)."""
    from sim.config import ConfigError, validate

    if not isinstance(changes, Mapping):
        return None, f"changes: must be a mapping of config keys to values, got {changes!r}"
    data = cfg.to_dict()
    data["timeline"] = []
    data["uncertain"] = {}  # drawn at the run's start: a change applies on top of the draws
    statuses = [g["status"] for g in data["fleet"]["tankers"]]
    for key, value in changes.items():
        error = settable_error(key) or set_path(data, key, _plain(value))
        if error is not None:
            return str(key), error
    _follow_statuses(data, statuses)
    try:
        return validate(data)
    except ConfigError as exc:
        blamed, detail = _blame(list(changes), str(exc))
    if blamed is None:  # a combination: blame the first change that fails on its own, if one does
        for k, v in changes.items():
            alone = _try_apply(cfg, {k: v})
            if isinstance(alone, tuple):
                return alone
    return blamed, detail


def _follow_statuses(data: dict[str, Any], statuses: Sequence[str]) -> None:
    """Day-0 placements charged to a fleet group whose status changed take its new status.

    A closed fleet's ``initial`` placements of a (class, status) are charged to its fleet
    groups in config order, the first group until its count is used up, then the next (as
    ``sim.model.world`` places them), so they are that group's tankers and change with it.
    The placements are split by group; the totals then match ``fleet.tankers`` again.
    """
    groups = data["fleet"]["tankers"]
    new = [g["status"] for g in groups]
    if data["fleet"]["mode"] != "closed" or new == statuses:
        return
    if not all(isinstance(s, str) for s in new):
        return  # validation refuses the status itself
    left = [g["count"] for g in groups]
    initial = data["initial"]
    from sim.config import INITIAL_STATES

    for state in INITIAL_STATES:
        initial[state] = [
            part for p in initial[state] for part in _charge(p, groups, statuses, left)
        ]


def _charge(
    placement: dict[str, Any], groups: list[Any], statuses: Sequence[str], left: list[int]
) -> list[dict[str, Any]]:
    """One placement split by the fleet groups it is charged to (``left`` counts down), each
    part with its group's new status."""
    need = placement["count"]
    shares: dict[str, int] = {}  # new status -> count
    for j, g in enumerate(groups):
        if (
            need
            and left[j]
            and (g["class"], statuses[j])
            == (
                placement["class"],
                placement["status"],
            )
        ):
            take = min(need, left[j])
            left[j] -= take
            need -= take
            shares[g["status"]] = shares.get(g["status"], 0) + take
    if need or not shares:  # more placed than the fleet has: for validation to refuse
        shares[placement["status"]] = shares.get(placement["status"], 0) + need
    return [{**placement, "status": s, "count": n} for s, n in shares.items()]


def _blame(keys: Sequence[str], message: str) -> tuple[str | None, str]:
    """Which of ``keys`` a validation message (``LOC: detail``) is about, and what to say."""
    match = _LOC.match(message)
    if match is None:
        return (keys[0], message) if len(keys) == 1 else (None, message)
    dotted, detail = match.group(1), message[match.end() :]
    if dotted in keys:
        return dotted, detail
    outer = [k for k in keys if dotted.startswith(k + ".")]  # inside a mapping value set
    if outer:
        return dotted, detail
    inner = [k for k in keys if k.startswith(dotted + ".")]  # a parameter of a distribution
    if inner:
        return inner[-1], detail
    if len(keys) == 1:
        return keys[0], f"makes {dotted} invalid: {detail}"
    return None, f"together these changes make {dotted} invalid: {detail}"


# --------------------------------------------------------------------------- checks


def scheduled_order(timeline: Iterable[TimelineEntry]) -> list[int]:
    """Indices of the scheduled entries in the order they apply: by day, ties in list order."""
    days = [(e.day, i) for i, e in enumerate(timeline) if e.day is not None]
    return [i for _, i in sorted(days)]


def timeline_error(cfg: Config) -> ValueError | None:
    """The first entry of ``cfg.timeline`` that cannot work, as an error naming it; or None.

    Checked in order: each ``day`` is before the horizon; each entry applied alone to
    ``cfg``; the scheduled entries applied cumulatively (:func:`scheduled_order`); each
    triggered entry on top of every step of those.
    """
    from sim.config import _bad

    timeline = cfg.timeline
    if not timeline:
        return None
    for i, entry in enumerate(timeline):
        if entry.day is not None and entry.day >= cfg.horizon_days:
            return _bad(
                f"timeline.{i}.day",
                f"must be < horizon_days ({cfg.horizon_days:g}), got {entry.day:g}",
            )
    alone: list[Config] = []
    for i, entry in enumerate(timeline):
        result = _try_apply(cfg, entry.changes)
        if isinstance(result, tuple):
            return _entry_error(i, result)
        alone.append(result)
    states: list[tuple[Config, str]] = []  # after each scheduled entry, and what came before
    before: list[str] = []
    for n, i in enumerate(scheduled_order(timeline)):
        result = alone[i] if n == 0 else _try_apply(states[-1][0], timeline[i].changes)
        if isinstance(result, tuple):
            return _entry_error(i, result, f", with {', '.join(before)} applied before it")
        before.append(f"timeline.{i} (day {timeline[i].day:g})")
        states.append((result, ", ".join(before)))
    for i, entry in enumerate(timeline):
        if entry.when is None:
            continue
        for state, applied in states:
            result = _try_apply(state, entry.changes)
            if isinstance(result, tuple):
                return _entry_error(i, result, f", if it fires after {applied}")
    return None


def _entry_error(i: int, failure: tuple[str | None, str], context: str = "") -> ValueError:
    from sim.config import _bad

    key, detail = failure
    return _bad(f"timeline.{i}.set" + (f".{key}" if key else ""), detail + context)
