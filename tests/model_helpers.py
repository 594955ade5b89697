"""Small builders shared by the model's scripted tests."""

from __future__ import annotations

import math
from typing import Any

from sim.model.tanker import Tanker, Traits


def never() -> float:
    """A U(0, 1) draw that makes every per-draw decision the same: the median."""
    return 0.5


def make_tanker(
    k: int = 0,
    status: str = "sanctioned",
    capacity: float = 720_000.0,
    risk_u: float = 0.5,
    turnback_u: float = 0.5,
) -> Tanker:
    """A tanker with no voyage and median traits (the scripted tests set what they need):
    ``risk_u`` and ``turnback_u`` are its quantiles of its group's two thresholds."""
    traits = Traits(risk_u, turnback_u, never, never, never)
    return Tanker(k, "Aframax", capacity, status, None, None, traits)


def owners_who_sail(**group: Any) -> dict[str, Any]:
    """A ``behaviour`` section with one group of owners who sail and come in at once."""
    settings: dict[str, Any] = {
        "statuses": ["sanctioned", "unsanctioned"],
        "risk_threshold": 1.0,
        "turnback_threshold": 1.0,
        "outside_days": 0.0,
        **group,
    }
    return {"news_lag_days": 0.0, "groups": {"owners": settings}}


NO_INITIAL = {
    "loaded_waiting": [],
    "loading": [],
    "waiting_berth": [],
    "waiting_outside": [],
}
INF = math.inf
