"""A tanker: its fixed traits and its mutable voyage state."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import simpy


@dataclass(eq=False, slots=True)
class Traits:
    """What a tanker draws for itself: quantiles of its owners' thresholds, and the streams
    of U(0, 1) its per-wait and per-departure draws come from."""

    risk_u: float  # quantile of its group's risk_threshold
    turnback_u: float  # quantile of its group's turnback_threshold
    patience_u: Callable[[], float]  # one per wait in port
    outside_u: Callable[[], float]  # one per wait outside
    dark_u: Callable[[], float]  # one per departure


@dataclass(eq=False, slots=True)
class Tanker:
    """One tanker: its fixed traits and its mutable voyage state."""

    id: int
    tanker_class: str
    capacity_bbl: float
    status: str
    fleet_group: int | None  # its group in fleet.tankers (None: an open-fleet arrival)
    voyage_days: Callable[[], float] | None  # None: leaves after one visit (open fleet)
    traits: Traits
    owners: str | None = None  # its owner group (set by Owners.assign)
    risk_threshold: float = 0.0
    turnback_threshold: float = 0.0
    cargo_bbl: float = 0.0
    cargo_new: bool = False  # the cargo was loaded during the run (not aboard at day 0)
    loaded_at: float = -math.inf  # when the cargo aboard was loaded (-inf: aboard at day 0)
    in_theatre: bool = False  # in port, waiting, or crossing the zone (not away or gone)
    visit: int = 0  # port visits begun; an application belongs to the visit it was filed in
    warrant_until: float = -math.inf
    warrant_pending: simpy.Process | None = None  # this visit's application, if undecided
    warrant_denied: bool = False
    warrant_used: bool = False
    in_waters_tried: bool = False
    wait_start: float = math.nan  # when its current wait (in port or outside) began
    waited_before: float = 0.0  # placed loaded at day 0: how long it had waited by then
    wake: simpy.Event | None = None
    left_port: simpy.Event | None = None

    def new_visit(self) -> None:
        """Forget per-visit state when the tanker comes back to port."""
        self.visit += 1
        self.warrant_pending = None
        self.warrant_denied = False
        self.in_waters_tried = False
