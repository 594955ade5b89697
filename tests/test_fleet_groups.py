"""Fleet groups sharing (class, status): each keeps its count and its own voyage distribution.

Initial placements of a (class, status) fill its fleet groups in config order: the first
group until its count is used up, then the next. The rest of each group starts at sea.
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import numpy as np

import sim
from sim.config import validate
from sim.model.world import World

BASE = sim.load_config("venezuela_dec2025").to_dict()


def two_vlcc_groups(short: int, long: int, placed: int) -> sim.Config:
    """``short`` VLCCs on 10-day and ``long`` on 100-day voyages; ``placed`` loaded in port."""
    d: dict[str, Any] = copy.deepcopy(BASE)
    d["fleet"]["tankers"] = [
        {"class": "VLCC", "status": "sanctioned", "count": short, "voyage_days": 10},
        {"class": "VLCC", "status": "sanctioned", "count": long, "voyage_days": 100},
    ]
    d["initial"]["loaded_waiting"] = [{"class": "VLCC", "status": "sanctioned", "count": placed}]
    d["initial"]["loading"] = []
    d["initial"]["waiting_berth"] = []
    d["initial"]["waiting_outside"] = []
    return validate(d)


def voyages(cfg: sim.Config) -> list[float]:
    """The voyage length of every tanker of a world built from ``cfg``, in creation order."""
    w = World(cfg, np.random.SeedSequence(1), record_events=False)
    return [t.voyage_days() for t in w.tankers]  # type: ignore[misc]


def test_each_group_keeps_its_count() -> None:
    assert Counter(voyages(two_vlcc_groups(6, 6, placed=6))) == {10.0: 6, 100.0: 6}


def test_placements_fill_the_first_group_first() -> None:
    # 6 placed: 4 from the first group, then 2 from the second; the other 6 start at sea.
    v = voyages(two_vlcc_groups(4, 8, placed=6))
    assert v == [10.0] * 4 + [100.0] * 8


def test_returns_follow_each_groups_voyage() -> None:
    """In the event log, no tanker returns sooner than its group's voyage allows."""
    cfg = two_vlcc_groups(6, 6, placed=6)
    rep = sim.simulate(cfg.baseline(), seed=3, record_events=True)
    ev = rep.events
    exported = ev[ev["kind"] == "exported"].groupby("tanker")["time"].first()
    arrive = ev[ev["kind"] == "arrive"]
    returns = Counter()
    for tanker, cleared in exported.items():
        later = arrive[(arrive["tanker"] == tanker) & (arrive["time"] > cleared)]
        if len(later):
            returns[round(float(later["time"].iloc[0] - cleared), 9)] += 1
    assert set(returns) == {10.0}  # 100-day voyages do not come back within the horizon
    assert returns[10.0] == 6
