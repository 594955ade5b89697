"""The owners alone (see test_actors.py): scripted tankers arrive, wait and hear news, and
the log of (what, env.now) is asserted.

Unless a test says otherwise the one group's belief is 1 / (1 + 19) = 0.05, news takes no
time, and the terminal and the navy are fakes.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
import simpy
from model_helpers import make_tanker

from sim.config import Behaviour
from sim.model.behaviour import Owners
from sim.model.ledger import Ledger
from sim.model.tanker import Tanker

Log = list[tuple[str, float]]
UNIFORM = {"dist": "uniform", "low": 0.0, "high": 0.2}


class FakeTerminal:
    """A terminal whose fill the test sets."""

    def __init__(self, level: float = 0.0) -> None:
        self.level = level

    def fill(self) -> float:
        return self.level


class FakeNavy:
    """A navy that only notes which tankers it was asked to watch, and when."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.watched: list[tuple[int, float]] = []

    def watch(self, t: Tanker, left_port: simpy.Event) -> None:
        self.watched.append((t.id, self.env.now))


def behaviour(lag: float = 0.0, offer: Any = None, breakout: Any = None, **group: Any) -> Behaviour:
    """One group owning both target statuses, its settings as given (else the defaults:
    Beta(1, 19), risk threshold 0.05, turn-back 0.2, patience 30, no waiting outside)."""
    groups = {"owners": {"statuses": ["sanctioned", "unsanctioned"], **group}}
    return Behaviour.model_validate(
        {
            "news_lag_days": lag,
            "groups": groups,
            "offer": offer or {},
            "breakout": breakout or {},
        }
    )


def make_owners(cfg: Behaviour, fill: float = 0.0, known_seizures: int = 0) -> Owners:
    env = simpy.Environment()
    owners = Owners(env, cfg, known_seizures=known_seizures)
    owners.connect(terminal=FakeTerminal(fill), navy=FakeNavy(env), ledger=Ledger())
    owners.check_connected()
    return owners


def tanker(owners: Owners, k: int, **traits: float) -> Tanker:
    t = make_tanker(k, **traits)
    t.cargo_bbl, t.cargo_new = t.capacity_bbl, True
    owners.join(t)
    return t


def at(env: simpy.Environment, day: float, action: Any) -> None:
    """Call ``action()`` at ``day`` from a process of its own."""

    def run() -> Generator:
        yield env.timeout(day)
        action()

    env.process(run())


def inbound(owners: Owners, t: Tanker, name: str, day: float, log: Log) -> None:
    """``t`` arrives at ``day``; log whether it came in or turned back, and when."""

    def run() -> Generator:
        yield owners.env.timeout(day)
        came = yield from owners.arrive(t)
        log.append((f"{name} {'in' if came else 'turned back'}", owners.env.now))

    owners.env.process(run())


def loaded(owners: Owners, t: Tanker, name: str, day: float, log: Log, waits: int = 1) -> None:
    """``t`` starts waiting loaded in port at ``day`` (``waits`` times, two days apart);
    log why each wait ended, and when."""

    def run() -> Generator:
        yield owners.env.timeout(day)
        for n in range(waits):
            if n:
                yield owners.env.timeout(2.0)
            reason = yield from owners.wait_in_port(t)
            log.append((f"{name} {reason}", owners.env.now))

    owners.env.process(run())


def days(owners: Owners, n: int, before: Any = None) -> None:
    """The world's end of each day 1..n (``before(d)`` half a day earlier, if given)."""
    env = owners.env

    def run() -> Generator:
        for d in range(1, n + 1):
            yield env.timeout(0.5)
            if before is not None:
                before(d)
            yield env.timeout(0.5)
            owners.end_of_day(env.now)

    env.process(run())


# --------------------------------------------------------------------------- coming in


def test_above_its_threshold_a_tanker_comes_in_at_once_below_it_turns_back() -> None:
    """Turn-back thresholds U(0, 0.2): u = 0.5 gives 0.1 > 0.05 (in at once); u = 0.1 gives
    0.02 (waits outside 5 days and turns back)."""
    owners = make_owners(behaviour(turnback_threshold=UNIFORM, outside_days=5.0))
    env, log = owners.env, []
    bold, timid = tanker(owners, 0, turnback_u=0.5), tanker(owners, 1, turnback_u=0.1)
    assert (bold.turnback_threshold, timid.turnback_threshold) == pytest.approx((0.1, 0.02))
    inbound(owners, bold, "bold", 1.0, log)
    inbound(owners, timid, "timid", 1.0, log)
    at(env, 3.0, lambda: log.append((f"outside {sorted(owners.outside)}", env.now)))
    env.run()
    assert log == [("bold in", 1.0), ("outside [1]", 3.0), ("timid turned back", 6.0)]
    assert owners.outside == {} and timid.wake is None


def test_news_of_an_escape_brings_a_tanker_in_from_outside_after_the_news_lag() -> None:
    """Thresholds U(0, 0.098): 0.049 and 0.039, both under 0.05; the escape heard at 3
    (lag 1) makes the belief 1/21 = 0.048 at 4: the first comes in then, not the second."""
    cfg = behaviour(lag=1.0, turnback_threshold={**UNIFORM, "high": 0.098}, outside_days=10.0)
    owners = make_owners(cfg)
    env, log = owners.env, []
    inbound(owners, tanker(owners, 0, turnback_u=0.5), "a", 1.0, log)
    inbound(owners, tanker(owners, 1, turnback_u=0.4), "b", 1.0, log)
    at(env, 3.0, lambda: owners.hear(seized=False))
    env.run()
    assert log == [("a in", 4.0), ("b turned back", 11.0)]
    assert owners.escapes_heard == 1


def test_the_offer_brings_a_tanker_in_at_the_daily_look_as_the_tanks_fill() -> None:
    """Turn-back 0.04 times 1 + (fill - 0.5) / 0.5: the fill passes 0.625 (threshold 0.05)
    at 2.5, when it reaches 0.65; the tanker comes in at the end of day 3, not before."""
    cfg = behaviour(
        turnback_threshold=0.04,
        outside_days=30.0,
        offer={"from_fill": 0.5, "full_fill": 1.0, "premium": 1.0},
    )
    owners = make_owners(cfg, fill=0.5)
    terminal = owners.terminal
    log: Log = []
    inbound(owners, tanker(owners, 0), "a", 0.0, log)

    def fill(d: int) -> None:
        terminal.level = 0.5 + 0.05 * d  # type: ignore[misc]

    days(owners, 10, before=fill)
    owners.env.run()
    assert log == [("a in", 3.0)]


# --------------------------------------------------------------------------- waiting in port


def test_a_loaded_wait_ends_on_patience_at_its_start_plus_patience() -> None:
    """Risk threshold 0.01 < 0.05: it waits; patience 7 from the wait's start at 2."""
    owners = make_owners(behaviour(risk_threshold=0.01, patience_days=7.0))
    env, log = owners.env, []
    t = tanker(owners, 0)
    loaded(owners, t, "a", 2.0, log)
    at(env, 5.0, lambda: log.append((f"waiting {owners.ledger.tankers_waiting}", env.now)))
    env.run()
    assert log == [("waiting 1", 5.0), ("a patience", 9.0)]
    assert owners.navy.watched == [(0, 2.0)]  # type: ignore[attr-defined]
    assert t.left_port is not None and t.left_port.value == "patience"
    assert (owners.ledger.tankers_waiting, owners.ledger.stranded_bbl) == (0, 0.0)
    assert owners.ledger.stranded_peak_bbl == t.capacity_bbl


def test_a_loaded_wait_ends_on_risk_when_escapes_are_heard() -> None:
    """Risk threshold 0.049: the escape heard at 4 (belief 1/21) sails it at 4."""
    owners = make_owners(behaviour(risk_threshold=0.049, patience_days=30.0))
    env, log = owners.env, []
    loaded(owners, tanker(owners, 0), "a", 1.0, log)
    at(env, 4.0, lambda: owners.hear(seized=False))
    env.run()
    assert log == [("a risk", 4.0)]


def test_each_wait_in_port_has_its_own_patience_clock() -> None:
    """Patience 10: the first wait (from 0) ends in a breakout at 3; the second, from 5,
    runs to 15, not to the first clock's 10."""
    owners = make_owners(behaviour(risk_threshold=0.01, patience_days=10.0))
    env, log = owners.env, []
    t = tanker(owners, 0)
    loaded(owners, t, "a", 0.0, log, waits=2)
    at(env, 3.0, lambda: owners.release(t, "breakout"))
    env.run()
    assert log == [("a breakout", 3.0), ("a patience", 15.0)]


# --------------------------------------------------------------------------- breakouts

PATIENT = {"risk_threshold": 0.01, "patience_days": 100.0}


def test_a_breakout_by_count_fires_when_the_nth_tanker_starts_waiting() -> None:
    """Group 3: the third loaded tanker starting to wait (day 3) releases all three."""
    owners = make_owners(behaviour(breakout={"group": 3}, **PATIENT))
    log: Log = []
    for k, day in enumerate((1.0, 2.0, 3.0)):
        loaded(owners, tanker(owners, k), "abc"[k], day, log)
    owners.env.run()
    assert log == [("a breakout", 3.0), ("b breakout", 3.0), ("c breakout", 3.0)]
    assert owners.ledger.breakouts == 1


def test_a_breakout_with_min_wait_days_fires_at_the_daily_look_once_enough_have_waited() -> None:
    """Group 2 after 5 days: waits from 0 and 2; both have waited 5 days at the end of day 7."""
    owners = make_owners(behaviour(breakout={"group": 2, "min_wait_days": 5.0}, **PATIENT))
    log: Log = []
    loaded(owners, tanker(owners, 0), "a", 0.0, log)
    loaded(owners, tanker(owners, 1), "b", 2.0, log)
    days(owners, 12)
    owners.env.run()
    assert log == [("a breakout", 7.0), ("b breakout", 7.0)]


def test_a_breakout_by_day_fires_once_at_that_day() -> None:
    """Day 10: the two waiting then sail at 10; one that starts waiting at 12 sails on
    patience (100 days)."""
    owners = make_owners(behaviour(breakout={"day": 10.0}, **PATIENT))
    log: Log = []
    loaded(owners, tanker(owners, 0), "a", 1.0, log)
    loaded(owners, tanker(owners, 1), "b", 4.0, log)
    loaded(owners, tanker(owners, 2), "c", 12.0, log)
    owners.env.run()
    assert log == [("a breakout", 10.0), ("b breakout", 10.0), ("c patience", 112.0)]
    assert owners.ledger.breakouts == 1


def test_a_breakout_day_taken_away_by_reconfigure_does_not_fire() -> None:
    """Day 10, then (day 5) no breakout day: the tanker waiting from 1 sails on patience."""
    owners = make_owners(behaviour(breakout={"day": 10.0}, **PATIENT))
    log: Log = []
    loaded(owners, tanker(owners, 0), "a", 1.0, log)
    at(owners.env, 5.0, lambda: owners.reconfigure(behaviour(**PATIENT)))
    owners.env.run()
    assert log == [("a patience", 101.0)]
    assert owners.ledger.breakouts == 0


def test_a_breakout_after_escapes_fires_once() -> None:
    """After 2 escapes heard (at 3 and 6): a and b sail at 6; c, waiting from 7, does not
    sail at the third escape (8)."""
    owners = make_owners(behaviour(breakout={"after_escapes": 2}, **PATIENT))
    env, log = owners.env, []
    loaded(owners, tanker(owners, 0), "a", 1.0, log)
    loaded(owners, tanker(owners, 1), "b", 2.0, log)
    loaded(owners, tanker(owners, 2), "c", 7.0, log)
    for day in (3.0, 6.0, 8.0):
        at(env, day, lambda: owners.hear(seized=False))
    env.run()
    assert log == [("a breakout", 6.0), ("b breakout", 6.0), ("c patience", 107.0)]
    assert owners.ledger.breakouts == 1


# --------------------------------------------------------------------------- groups


def test_two_groups_hold_separate_beliefs_weighted_by_their_news_weight() -> None:
    """One seizure heard at 1 (lag 1): a = 1 + 1 for the shadow fleet, 1 + 2 for the
    weight-2 mainstream owners; an escape then adds 1 and 2 to b."""
    cfg = Behaviour.model_validate(
        {
            "news_lag_days": 1.0,
            "groups": {
                "shadow": {"statuses": ["sanctioned"]},
                "mainstream": {"statuses": ["unsanctioned"], "news_weight": 2.0},
            },
        }
    )
    owners = make_owners(cfg)
    env = owners.env
    shadow = tanker(owners, 0)
    mainstream = make_tanker(1, status="unsanctioned")
    owners.join(mainstream)
    assert (shadow.owners, mainstream.owners) == ("shadow", "mainstream")
    beliefs: list[tuple[float, float, float]] = []
    for day in (0.5, 1.5, 2.5):
        at(
            env,
            day,
            lambda: beliefs.append((env.now, owners.risk(shadow), owners.risk(mainstream))),
        )
    owners.hear(seized=True)
    at(env, 1.0, lambda: owners.hear(seized=False))
    env.run()
    expected = [(0.5, 1 / 20, 1 / 20), (1.5, 2 / 21, 3 / 22), (2.5, 2 / 22, 3 / 24)]
    assert [b for row in beliefs for b in row] == pytest.approx([b for r in expected for b in r])


def test_a_tanker_keeps_its_quantile_when_its_groups_thresholds_change() -> None:
    """u = 0.25: turn-back U(0, 0.2) -> U(0, 0.4) moves it from 0.05 (not under the belief
    0.05: it waits) to 0.1, so the reconfigure at 2 brings it in; the risk threshold
    becomes the new lognormal's 0.25-quantile."""
    old = {"turnback_threshold": UNIFORM, "outside_days": 10.0}
    owners = make_owners(behaviour(**old))
    env, log = owners.env, []
    t = tanker(owners, 0, risk_u=0.25, turnback_u=0.25)
    assert t.turnback_threshold == pytest.approx(0.05)
    inbound(owners, t, "a", 0.0, log)
    new = behaviour(
        turnback_threshold={**UNIFORM, "high": 0.4},
        risk_threshold={"dist": "lognormal", "median": 0.1, "sigma": 0.5},
        outside_days=10.0,
    )
    at(env, 2.0, lambda: owners.reconfigure(new))
    env.run()
    assert log == [("a in", 2.0)]
    group = new.groups["owners"]
    assert t.turnback_threshold == group.turnback_threshold.ppf(0.25) == pytest.approx(0.1)
    assert t.risk_threshold == group.risk_threshold.ppf(0.25) < 0.1


@pytest.mark.parametrize(("patience", "waited", "ends"), [(30.0, 10.0, 20.0), (5.0, 10.0, 0.0)])
def test_a_wait_placed_at_day_0_runs_from_when_it_began(patience, waited, ends) -> None:
    """A tanker that had waited 10 days by day 0 leaves when its patience, counted from its
    own start (day -10), runs out: at 20 with patience 30, at once with patience 5."""
    owners = make_owners(behaviour(risk_threshold=0.01, patience_days=patience))
    env, log = owners.env, []
    t = tanker(owners, 0)
    t.waited_before = waited
    loaded(owners, t, "a", 0.0, log)
    env.run()
    assert log == [("a patience", ends)]
    assert t.wait_start == -waited and t.waited_before == 0.0


def test_patience_already_waited_is_drawn_beyond_the_wait() -> None:
    """Lognormal patience, median 30: a tanker that has waited 40 days draws a patience
    beyond 40 (it is one of those that last), from the same quantile."""
    owners = make_owners(
        behaviour(
            risk_threshold=0.01, patience_days={"dist": "lognormal", "median": 30, "sigma": 0.5}
        )
    )
    env, log = owners.env, []
    t = tanker(owners, 0)
    t.waited_before = 40.0
    loaded(owners, t, "a", 0.0, log)
    env.run()
    group = owners.cfg.groups["owners"]
    total = group.patience_days.ppf_beyond(0.5, 40.0)  # make_tanker's draws are all 0.5
    assert total > 40.0 and log == [("a patience", pytest.approx(total - 40.0))]
