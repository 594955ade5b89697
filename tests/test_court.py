"""The court in scripted scenarios: applications belong to one port visit."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import simpy
from model_helpers import NO_INITIAL, make_tanker, owners_who_sail

import sim
from sim.config import validate
from sim.model.court import Court
from sim.model.ledger import Ledger
from sim.model.streams import Streams

BASE = sim.load_config("venezuela_dec2025", ["uncertain={}"]).to_dict()  # the point scenario


def one_tanker(**court: Any) -> sim.Config:
    """One sanctioned Aframax on 2-day voyages that sails at once and is always detected."""
    d: dict[str, Any] = copy.deepcopy(BASE)
    d["horizon_days"] = 60
    d["fleet"]["tankers"] = [
        {"class": "Aframax", "status": "sanctioned", "count": 1, "voyage_days": 2}
    ]
    d["initial"].update(NO_INITIAL)
    d["behaviour"] = owners_who_sail()
    d["navy"].update(
        detection_prob=1.0,
        boarding_teams=0,
        territorial_transit_days=0.5,
        exposure_days=2.5,
        pursuit_prob=0.0,
    )
    d["court"].update(court)
    return validate(d)


def test_every_detected_departure_gets_its_application() -> None:
    """2-day voyages, an 8-day court that denies: one application per departure."""
    cfg = one_tanker(policy="on_departure", delay_days=8, approval_prob=0.0, capacity=1)
    rep = sim.simulate(cfg, seed=0, record_events=True)
    ev = rep.events
    assert (ev["kind"] == "detected").sum() == (ev["kind"] == "depart").sum() == 8
    assert rep.metrics["warrants_requested"] == 8
    assert rep.metrics["warrants_issued"] == 0


def scripted_court(delay: float, approval: float, capacity: int = 1) -> Court:
    """A court on its own environment with a fixed delay and approval probability."""
    d = copy.deepcopy(BASE["court"])
    d.update(delay_days=delay, approval_prob=approval, capacity=capacity)
    cfg = validate({**copy.deepcopy(BASE), "court": d}).court
    streams = Streams(np.random.SeedSequence(0))
    court = Court(simpy.Environment(), cfg, streams)
    court.connect(ledger=Ledger())
    return court


tanker = make_tanker


def test_a_late_denial_does_not_land_on_the_next_visit() -> None:
    court = scripted_court(delay=8.0, approval=0.0)
    env, t = court.env, tanker()
    log: list[tuple[str, float]] = []

    def visits() -> Any:
        court.apply(t)
        log.append(("applied", env.now))
        yield env.timeout(3.0)
        t.new_visit()
        court.apply(t)
        log.append(("applied", env.now))
        current = t.warrant_pending
        yield env.timeout(6.0)  # day 9: the first visit's denial came at day 8
        log.append(("denied" if t.warrant_denied else "not denied", env.now))
        assert t.warrant_pending is current
        yield current
        log.append(("denied" if t.warrant_denied else "not denied", env.now))

    env.process(visits())
    env.run()
    assert log == [("applied", 0.0), ("applied", 3.0), ("not denied", 9.0), ("denied", 16.0)]
    assert court.ledger.warrants_requested == 2
    assert court.ledger.warrants_denied == 2


def test_the_judge_line_drops_tankers_that_have_left() -> None:
    """One judge, 8-day delay: A is being decided, B and C wait; B leaves, then A leaves."""
    court = scripted_court(delay=8.0, approval=1.0)
    env = court.env
    a, b, c = tanker(0), tanker(1), tanker(2)
    log: list[tuple[str, float]] = []

    def script() -> Any:
        for t in (a, b, c):
            court.apply(t)
        decided = c.warrant_pending
        yield env.timeout(1.0)
        court.withdraw(b)  # waiting in line: leaves it
        log.append(("b withdrawn", env.now))
        yield env.timeout(1.0)
        court.withdraw(a)  # being decided: the judge turns to the next in line (C)
        log.append(("a withdrawn", env.now))
        yield decided
        log.append(("c issued" if court.valid(c) else "c not issued", env.now))

    env.process(script())
    env.run()
    assert log == [("b withdrawn", 1.0), ("a withdrawn", 2.0), ("c issued", 10.0)]
    assert not court.valid(a) and not court.valid(b)
    assert (court.ledger.warrants_requested, court.ledger.warrants_withdrawn) == (3, 2)
    assert court.judges.free == 1 and a.warrant_pending is None is b.warrant_pending


def test_applications_of_departed_tankers_are_withdrawn() -> None:
    """The 8-day court cannot decide before the tanker clears the zone: all withdrawn."""
    cfg = one_tanker(policy="on_departure", delay_days=8, approval_prob=1.0, capacity=1)
    m = sim.simulate(cfg, seed=0, record_events=False).metrics
    assert m["warrants_requested"] == m["warrants_withdrawn"] == 8
    assert m["warrants_issued"] == 0
