"""Actors one at a time, in SimPy's style: a scripted process logs (name, env.now).

Each test builds ONE actor on its own ``simpy.Environment()``, its neighbours small fakes (a
class with just the methods the actor calls) or real minimal actors, joined by ``connect``.
Owners and the navy have their own files (test_owners.py, test_navy.py); the timeline at
run time, through whole replications, is in test_timeline_run.py.
"""

from __future__ import annotations

import copy
from collections.abc import Generator
from typing import Any

import numpy as np
import pytest
import simpy
from model_helpers import make_tanker

import sim
from sim.config import Court as CourtConfig
from sim.config import Navy as NavyConfig
from sim.config import OwnerGroup, Production, WaitPolicy, validate
from sim.config import Terminal as TerminalConfig
from sim.model.actor import Actor, NotConnected
from sim.model.court import Court
from sim.model.fleet import Fleet
from sim.model.ledger import Ledger
from sim.model.navy import Navy
from sim.model.slots import Slots
from sim.model.streams import Streams
from sim.model.tanker import Tanker
from sim.model.terminal import Terminal

Log = list[tuple[str, float]]


def streams() -> Streams:
    return Streams(np.random.SeedSequence(0))


# --------------------------------------------------------------------------- Actor


class Pair(Actor):
    """An actor naming two neighbours."""

    NEIGHBOURS = ("left", "right")


def test_connect_refuses_a_neighbour_the_actor_does_not_name() -> None:
    """A typo in the world's wiring must fail loudly, not set a stray attribute."""
    court = Court(simpy.Environment(), CourtConfig(), streams())
    with pytest.raises(NotConnected, match=r"^Court has no neighbour 'navy'$"):
        court.connect(navy=object())
    assert not hasattr(court, "navy")
    with pytest.raises(NotConnected, match=r"^Pair has no neighbour 'middle'$"):
        Pair().connect(middle=1)


def test_check_connected_names_each_missing_neighbour() -> None:
    """An actor run without a neighbour is caught before the run, naming the one missing."""
    navy = Navy(simpy.Environment(), NavyConfig(), WaitPolicy(), streams())
    navy.connect(court=object(), ledger=Ledger())
    with pytest.raises(NotConnected, match=r"^Navy is not connected to fleet$"):
        navy.check_connected()
    pair = Pair()
    with pytest.raises(NotConnected, match=r"^Pair is not connected to left, right$"):
        pair.check_connected()
    pair.connect(left=1, right=2)
    pair.check_connected()
    assert (pair.left, pair.right) == (1, 2)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- Slots


def user(env: simpy.Environment, slots: Slots, name: str, hold: float, log: Log, prio: int = 0):
    """Take a server (waiting in line if none is free), log when served, hold, release."""
    turn = slots.acquire(prio)
    if turn is not None:
        yield turn
    log.append((name, env.now))
    yield env.timeout(hold)
    slots.release()


def later(env: simpy.Environment, delay: float, process: Generator) -> Generator:
    yield env.timeout(delay)
    yield from process


def test_resize_up_serves_the_line_at_once_in_priority_order() -> None:
    """Two servers added at day 2 go at once to the two first in line, by priority; the
    third still waits for a release."""
    env, log = simpy.Environment(), []
    slots = Slots(env, 1)
    env.process(user(env, slots, "holder", 10.0, log))
    for name, prio in (("low-a", 1), ("high", 0), ("low-b", 1)):
        env.process(later(env, 1.0, user(env, slots, name, 1.0, log, prio)))

    def grow() -> Generator:
        yield env.timeout(2.0)
        slots.resize(3)

    env.process(grow())
    env.run()
    assert log == [("holder", 0.0), ("high", 2.0), ("low-a", 2.0), ("low-b", 3.0)]
    assert (slots.capacity, slots.free) == (3, 3)


def test_resize_down_removes_servers_as_they_are_released() -> None:
    """Three servers cut to one at 0.5: the releases at 1 and 2 are not handed on; the line
    moves only at 3, when one server is left in use."""
    env, log = simpy.Environment(), []
    slots = Slots(env, 3)
    for name, hold in (("a", 1.0), ("b", 2.0), ("c", 3.0), ("d", 1.0), ("e", 1.0)):
        env.process(user(env, slots, name, hold, log))
    frees: list[tuple[int, float]] = []

    def shrink() -> Generator:
        yield env.timeout(0.5)
        slots.resize(1)
        frees.append((slots.free, env.now))
        yield env.timeout(2.0)
        frees.append((slots.free, env.now))

    env.process(shrink())
    env.run()
    assert log == [("a", 0.0), ("b", 0.0), ("c", 0.0), ("d", 3.0), ("e", 4.0)]
    assert frees == [(-2, 0.5), (0, 2.5)]
    assert (slots.capacity, slots.free) == (1, 1)


def test_resize_back_up_after_a_shrink_counts_the_servers_still_to_return() -> None:
    """3 -> 1 -> 2 while all three are busy: the first release only pays back the shrink,
    the second serves the line."""
    env, log = simpy.Environment(), []
    slots = Slots(env, 3)
    for name, hold in (("a", 1.0), ("b", 2.0), ("c", 3.0), ("d", 5.0)):
        env.process(user(env, slots, name, hold, log))

    def resize() -> Generator:
        yield env.timeout(0.5)
        slots.resize(1)
        slots.resize(2)

    env.process(resize())
    env.run()
    assert log == [("a", 0.0), ("b", 0.0), ("c", 0.0), ("d", 2.0)]


# --------------------------------------------------------------------------- Terminal

FULL = 1_000_000.0


def terminal(deepen: float, restart: float, export_bpd: float = 1000.0) -> Terminal:
    """A 1M bbl terminal, full at day 0; the cut aims at 0.4 * (fill - 0.5) / 0.4 between
    half and 90% full."""
    cfg = TerminalConfig(storage_capacity_bbl=FULL, storage_init_bbl=FULL, loading_rate_bpd=1e5)
    production = production_with(export_bpd, deepen, restart)
    return Terminal(simpy.Environment(), cfg, production, Ledger(), horizon=60.0)


def production_with(export_bpd: float, deepen: float, restart: float) -> Production:
    cut = {
        "enabled": True,
        "start_fill": 0.5,
        "full_fill": 0.9,
        "max_fraction": 0.4,
        "deepen_days": deepen,
        "restart_days": restart,
    }
    return Production.model_validate({"export_bpd": export_bpd, "cut": cut})


def run_phases(term: Terminal, phases: list[tuple[float, int]]) -> tuple[list[float], float]:
    """Hold the fill at each level for n steps (loading what was stored); the cut after each
    step, and the barrels loaded out."""
    cuts, taken, k = [], 0.0, 0
    for fill, n in phases:  # fills in falling order
        amount = term.stock - (fill * FULL - term.floor)
        assert term.take(amount) is None
        taken += amount
        for _ in range(n):
            before = term.stock
            term.produce_step(k)
            k += 1
            stored = term.stock - before
            assert term.take(stored) is None  # tankers load what came in: the fill holds
            taken += stored
            cuts.append(term.cut_share)
    return cuts, taken


def test_a_gradual_cut_moves_toward_its_aim_at_the_ramps_pace_and_back() -> None:
    """Deepen over 8 days (0.05 a day) to 0.4 when full; at 70% full the aim is 0.2, reached
    by restarting over 16 days (0.025 a day); empty, back to no cut."""
    term = terminal(deepen=8.0, restart=16.0)
    assert term.production.cut.aimed(0.7) == pytest.approx(0.2)
    cuts, _ = run_phases(term, [(1.0, 10), (0.7, 10), (0.0, 10)])
    deepen = [0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.40, 0.40]
    to_aim = [0.375, 0.35, 0.325, 0.30, 0.275, 0.25, 0.225, 0.20, 0.20, 0.20]
    restart = [0.175, 0.15, 0.125, 0.10, 0.075, 0.05, 0.025, 0.0, 0.0, 0.0]
    assert cuts == pytest.approx(deepen + to_aim + restart, abs=1e-12)


def test_with_zero_days_the_cut_follows_the_fill_at_once() -> None:
    """No ramp: the cut is the aim at the fill of each step from the first step on."""
    term = terminal(deepen=0.0, restart=0.0)
    cuts, _ = run_phases(term, [(1.0, 2), (0.7, 2), (0.0, 2)])
    assert cuts == pytest.approx([0.4, 0.4, 0.2, 0.2, 0.0, 0.0])


def test_the_barrels_balance_under_a_gradual_cut() -> None:
    """Every barrel produced is stored (then loaded or still there), cut or overflowed."""
    term = terminal(deepen=8.0, restart=16.0)
    start = term.stock
    _, loaded = run_phases(term, [(1.0, 10), (0.95, 5), (0.7, 10), (0.0, 10)])
    ledger = term.ledger
    stored = term.stock - start + loaded
    assert ledger.produced_bbl == pytest.approx(35 * 1000.0)
    assert ledger.cut_bbl > 0 and ledger.overflow_bbl > 0
    assert ledger.produced_bbl == pytest.approx(ledger.cut_bbl + ledger.overflow_bbl + stored)


def test_reconfigure_changes_the_export_rate_from_the_next_step() -> None:
    """Steps 0-2 at 1,000 bpd; reconfigured after step 2, step 3 adds 2,000 bbl."""
    term = terminal(deepen=0.0, restart=0.0)
    term.stock = 0.0  # empty: no cut, no overflow
    produced = []
    for k in range(5):
        if k == 3:
            term.reconfigure(production_with(2000.0, 0.0, 0.0))
        term.produce_step(k)
        produced.append(term.ledger.produced_bbl)
    assert produced == [1000.0, 2000.0, 3000.0, 5000.0, 7000.0]
    assert term.stock == 7000.0


# --------------------------------------------------------------------------- Fleet: depart

BASE = sim.load_config("venezuela_dec2025").to_dict()


class FakeOwners:
    """The owners a departing tanker consults: its group (for going dark), and the news."""

    def __init__(self, go_dark_prob: float) -> None:
        self.settings = OwnerGroup(statuses=("sanctioned",), go_dark_prob=go_dark_prob)
        self.heard: list[bool] = []

    def group(self, t: Tanker) -> OwnerGroup:
        return self.settings

    def hear(self, seized: bool) -> None:
        self.heard.append(seized)

    def release(self, t: Tanker, reason: str) -> None:
        pass


def departing_fleet(go_dark_prob: float, **navy: Any) -> Fleet:
    """A fleet whose tankers cross in 0.5 + 2.5 days, with a real navy (one free team, no
    warrant needed) and owners whose tankers sail dark with ``go_dark_prob``."""
    d = copy.deepcopy(BASE)
    d["navy"].update(
        territorial_transit_days=0.5,
        exposure_days=2.5,
        boarding_teams=1,
        boarding_days=1.0,
        escort_days=0.0,
        board_success_prob=1.0,
        pursuit_prob=0.0,
        **navy,
    )
    d["court"]["policy"] = "none"
    cfg = validate(d)
    env, s, ledger = simpy.Environment(), streams(), Ledger()
    court = Court(env, cfg.court, s)
    court.connect(ledger=ledger)
    navy_actor = Navy(env, cfg.navy, cfg.policy, s)
    fleet = Fleet(env, cfg, s)
    navy_actor.connect(court=court, fleet=fleet, ledger=ledger)
    fleet.connect(
        terminal=object(),
        owners=FakeOwners(go_dark_prob),
        court=court,
        navy=navy_actor,
        ledger=ledger,
    )
    return fleet


def depart_log(fleet: Fleet) -> Log:
    t = make_tanker(0)
    t.cargo_bbl = t.capacity_bbl
    fleet.env.process(fleet._depart(t))
    fleet.env.run()
    return [(kind, now) for now, _, kind, *_ in fleet.ledger.events]


@pytest.mark.parametrize(
    ("go_dark_prob", "dark_detection_prob", "expected"),
    [
        (1.0, 0.0, [("depart", 0.0), ("exported", 3.0)]),
        (1.0, 1.0, [("depart", 0.0), ("detected", 0.0), ("seized", 0.5)]),
        (0.0, 0.0, [("depart", 0.0), ("detected", 0.0), ("seized", 0.5)]),
    ],
)
def test_a_tanker_that_goes_dark_is_detected_with_the_dark_detection_prob(
    go_dark_prob: float, dark_detection_prob: float, expected: Log
) -> None:
    """Dark and never detected dark: exported after transit + exposure; dark but always
    detected dark, or not dark: seized as it reaches the zone."""
    fleet = departing_fleet(
        go_dark_prob, detection_prob=1.0, dark_detection_prob=dark_detection_prob
    )
    assert depart_log(fleet) == expected
    assert fleet.ledger.dark_departures == int(go_dark_prob)
    assert fleet.owners.heard == [expected[-1][0] == "seized"]  # type: ignore[attr-defined]


def test_a_tanker_that_sailed_licensed_is_no_escape_when_its_licence_goes_in_transit() -> None:
    """Escapes are departures of targeted tankers that cleared the zone: a licensed tanker
    made a target while crossing (a licence revoked) was never one, and no news of it."""
    fleet = departing_fleet(0.0)
    t = make_tanker(0, status="licensed")
    t.cargo_bbl = t.capacity_bbl
    env = fleet.env
    env.process(fleet._depart(t))

    def revoke() -> Generator:
        yield env.timeout(1.0)
        t.status = "sanctioned"  # as Fleet.reconfigure does to the group's tankers

    env.process(revoke())
    env.run()
    assert [(kind, now) for now, _, kind, *_ in fleet.ledger.events] == [
        ("depart", 0.0),
        ("exported", 3.0),
    ]
    assert fleet.ledger.escapes == 0
    assert fleet.owners.heard == []  # type: ignore[attr-defined]
