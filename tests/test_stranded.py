"""Stranded cargo: the level at the horizon, its peak, and the level at chosen days."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from model_helpers import owners_who_sail

import sim
from sim.config import validate
from sim.model.world import STRANDED_DAYS, stranded_day_key

BASE = sim.load_config("venezuela_dec2025", ["uncertain={}"]).to_dict()  # the point scenario
CARGO = 1_000_000.0  # half a VLCC


def one_waiting_vlcc(patience: float) -> sim.Config:
    """One loaded sanctioned VLCC in port at day 0 that waits ``patience`` days, then sails."""
    d: dict[str, Any] = copy.deepcopy(BASE)
    d["horizon_days"] = 30
    d["fleet"]["tankers"] = [
        {"class": "VLCC", "status": "sanctioned", "count": 1, "voyage_days": 100}
    ]
    d["initial"].update(
        loaded_waiting=[
            {"class": "VLCC", "status": "sanctioned", "count": 1, "cargo_fraction": 0.5}
        ],
        loading=[],
        waiting_berth=[],
        waiting_outside=[],
    )
    d["behaviour"] = owners_who_sail(risk_threshold=0.0, patience_days=patience)  # never on risk
    d["navy"].update(boarding_teams=0)
    return validate(d)


def test_day_list_names_the_metrics() -> None:
    assert STRANDED_DAYS[0] == 21  # 31 Dec 2025: the end of the month the observations cover
    for d in STRANDED_DAYS:
        assert stranded_day_key(d) in sim.METRIC_KEYS
    assert "stranded_peak_bbl" in sim.METRIC_KEYS and "stranded_bbl" in sim.METRIC_KEYS


@pytest.mark.parametrize(("patience", "day21"), [(5.0, 0.0), (25.0, CARGO)])
def test_peak_and_day_levels_of_a_tanker_that_waits(patience: float, day21: float) -> None:
    rep = sim.simulate(one_waiting_vlcc(patience), seed=0, record_events=True)
    ev = rep.events
    log = [(k, t) for k, t in zip(ev["kind"], ev["time"], strict=True) if k in ("loaded", "depart")]
    assert log == [("loaded", 0.0), ("depart", patience)]
    m = rep.metrics
    assert m["stranded_bbl"] == 0.0  # the level at the horizon: it has sailed
    assert m["stranded_peak_bbl"] == CARGO
    assert m[stranded_day_key(21)] == day21  # the level at the end of 31 Dec (time 22)
    assert math.isnan(m[stranded_day_key(52)])  # past the 30-day horizon


def test_reference_peak_is_the_day0_logjam_not_the_end_level() -> None:
    cfg = sim.load_config("venezuela_dec2025", ["uncertain={}"])
    m = sim.simulate(cfg, seed=1, record_events=False).metrics
    afloat0 = sum(
        cfg.fleet.classes[g.tanker_class] * g.count * g.cargo_fraction
        for g in cfg.initial.loaded_waiting
    )
    assert m["stranded_peak_bbl"] >= afloat0 > m["stranded_bbl"]
