"""The navy alone (see test_actors.py): scripted targets are intercepted at sea or watched in
port, with a real court and a fake fleet that records what the navy does to it."""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
import pytest
import simpy
from model_helpers import make_tanker

from sim.config import Court as CourtConfig
from sim.config import Navy as NavyConfig
from sim.config import WaitPolicy
from sim.model.court import Court
from sim.model.ledger import Ledger
from sim.model.navy import Navy
from sim.model.streams import Streams
from sim.model.tanker import Tanker

Log = list[tuple[str, float]]


class FakeFleet:
    """The fleet as the navy sees it: ``seize``, ``log`` and the horizon, all recorded."""

    horizon = 1000.0

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.log_: Log = []

    def seize(self, t: Tanker, in_waters: bool) -> None:
        self.log_.append((f"{t.id} {'seized_in_waters' if in_waters else 'seized'}", self.env.now))

    def log(self, t: Tanker, kind: str, bbl: float = 0.0) -> None:
        self.log_.append((f"{t.id} {kind}", self.env.now))


def make_navy(court: str = "none", delay: float = 2.0, after: float | None = None, **cfg: Any):
    """A navy with every boarding a success, a real court (``court`` policy, fixed delay,
    always approving) and a fake fleet; the wait-time policy goes in ``after`` days."""
    env, streams, ledger = simpy.Environment(), Streams(np.random.SeedSequence(0)), Ledger()
    judges = Court(env, CourtConfig(policy=court, delay_days=delay), streams)
    judges.connect(ledger=ledger)
    navy = Navy(env, navy_config(**cfg), WaitPolicy(enter_waters_after_days=after), streams)
    navy.connect(court=judges, fleet=FakeFleet(env), ledger=ledger)
    navy.check_connected()
    return navy


def navy_config(**cfg: Any) -> NavyConfig:
    settings: dict[str, Any] = {"boarding_teams": 1, "boarding_days": 1.0, "escort_days": 0.0}
    return NavyConfig.model_validate({**settings, **cfg})


def log_of(navy: Navy) -> Log:
    return navy.fleet.log_  # type: ignore[attr-defined]


def intercept(navy: Navy, t: Tanker, day: float, zone_days: float, log: Log) -> None:
    """``t`` enters the zone at ``day`` and leaves it ``zone_days`` later; log the outcome."""
    env = navy.env

    def run() -> Generator:
        yield env.timeout(day)
        clear_at = yield from navy.intercept(t, env.now + zone_days)
        if clear_at is None:
            log.append((f"{t.id} taken", env.now))
        else:
            log.append((f"{t.id} clear at {clear_at:g}", env.now))

    env.process(run())


# --------------------------------------------------------------------------- at sea


def test_a_free_team_with_a_valid_warrant_seizes_when_it_boards() -> None:
    """One team, held 1 + 2 days a boarding: 0 is seized at once (day 0), 1 (in the zone
    from 1 to 5) when the team is back at 3; 2 has no warrant and the 2-day court cannot
    give one before it leaves the zone at 4.5."""
    navy = make_navy(court="on_departure", escort_days=2.0)
    a, b, c = make_tanker(0), make_tanker(1), make_tanker(2)
    a.warrant_until = b.warrant_until = 50.0
    log: Log = []
    intercept(navy, a, 0.0, 2.0, log)
    intercept(navy, b, 1.0, 4.0, log)
    intercept(navy, c, 4.0, 0.5, log)
    navy.env.run()
    assert log_of(navy) == [("0 seized", 0.0), ("1 seized", 3.0)]
    assert log == [("0 taken", 0.0), ("1 taken", 3.0), ("2 clear at 4.5", 4.5)]
    assert navy.ledger.team_busy_days == 6.0
    assert navy.ledger.warrants_requested == 1  # c's only


@pytest.mark.parametrize(
    ("escort_days", "expected", "pursued"),
    [(5.0, ("1 taken", 6.0), 1), (10.0, ("1 clear at 7", 7.0), 0)],
)
def test_a_chase_beyond_the_zone_seizes_if_a_team_falls_free_during_it(
    escort_days: float, expected: tuple[str, float], pursued: int
) -> None:
    """0 takes the team at 0 for 1 + escort days; 1 is in the zone from 1 to 3, then chased
    for 4 days: the team back at 6 seizes it beyond the zone; back at 11, the chase ends
    at 3 + 4 and 1 is clear then."""
    navy = make_navy(pursuit_prob=1.0, pursuit_days=4.0, escort_days=escort_days)
    log: Log = []
    intercept(navy, make_tanker(0), 0.0, 2.0, log)
    intercept(navy, make_tanker(1), 1.0, 2.0, log)
    navy.env.run()
    assert log == [("0 taken", 0.0), expected]
    assert navy.ledger.seizures_pursued == pursued


def test_without_a_chase_a_target_with_no_team_is_clear_at_the_zone_deadline() -> None:
    """pursuit_prob 0: the team is busy until 6, so 1 is clear when it leaves the zone (3)."""
    navy = make_navy(pursuit_prob=0.0, pursuit_days=4.0, escort_days=5.0)
    log: Log = []
    intercept(navy, make_tanker(0), 0.0, 2.0, log)
    intercept(navy, make_tanker(1), 1.0, 2.0, log)
    navy.env.run()
    assert log == [("0 taken", 0.0), ("1 clear at 3", 3.0)]


def test_a_refused_boarding_ends_the_attempt_and_no_chase_follows() -> None:
    """Every crew resists (board_success_prob 0): the one boarding at 0 is refused and the
    tanker is clear at the zone deadline (2), though a chase would have had a free team."""
    navy = make_navy(pursuit_prob=1.0, pursuit_days=4.0, board_success_prob=0.0)
    log: Log = []
    intercept(navy, make_tanker(0), 0.0, 2.0, log)
    navy.env.run()
    assert log == [("0 clear at 2", 0.0)]  # refused at 0; it sails on to the zone edge (2)
    assert (navy.ledger.board_refusals, navy.ledger.seizures_pursued) == (1, 0)


def test_a_navy_with_no_team_never_seeks_a_warrant() -> None:
    """No team: intercept returns the deadline at once and going in does nothing, so the
    court (which would file on either) is never asked."""
    navy = make_navy(court="on_departure", boarding_teams=0, after=0.0, pursuit_prob=1.0)
    env, log = navy.env, []
    intercept(navy, make_tanker(0), 1.0, 2.0, log)
    t = make_tanker(1)
    t.wait_start = 0.0
    navy.watch(t, env.event())
    env.run(until=50.0)
    assert log == [("0 clear at 3", 1.0)]
    assert log_of(navy) == []
    assert navy.ledger.warrants_requested == 0


# --------------------------------------------------------------------------- in port


def waiting(navy: Navy, k: int, start: float, leaves: float = math.inf) -> Tanker:
    """Tanker ``k`` waits in port from ``start`` (watched by the navy) until ``leaves``."""
    env, t = navy.env, make_tanker(k)

    def run() -> Generator:
        yield env.timeout(start)
        left_port = env.event()
        t.wait_start = env.now
        navy.watch(t, left_port)
        if leaves < math.inf:
            yield env.timeout(leaves - start)
            left_port.succeed("patience")

    env.process(run())
    return t


def go_ins(navy: Navy) -> Log:
    return [(what, now) for what, now in log_of(navy) if what.endswith("go_in")]


def test_the_wait_time_watch_goes_in_after_t_days_of_waiting() -> None:
    """T = 5: waiting from 2, the navy goes in (and seizes) at 7; one that sails at 4
    is left alone."""
    navy = make_navy(after=5.0, boarding_teams=2)
    waiting(navy, 0, 2.0)
    waiting(navy, 1, 1.0, leaves=4.0)
    navy.env.run(until=50.0)
    assert log_of(navy) == [("0 go_in", 7.0), ("0 seized_in_waters", 7.0)]


def reconfigure_at(navy: Navy, day: float, after: float | None, **cfg: Any) -> None:
    env = navy.env

    def run() -> Generator:
        yield env.timeout(day)
        navy.reconfigure(navy_config(**cfg), WaitPolicy(enter_waters_after_days=after))

    env.process(run())


def test_going_in_from_day_20_sends_in_every_tanker_already_waiting() -> None:
    """enter_waters_after_days None -> 0 at 20: those waiting since 3, 10 and 19 go in at
    20, one waiting from 25 at 25; one that sailed at 15 is left alone."""
    navy = make_navy(after=None, boarding_teams=5, escort_days=100.0)
    for k, start in enumerate((3.0, 10.0, 19.0)):
        waiting(navy, k, start)
    waiting(navy, 3, 5.0, leaves=15.0)
    waiting(navy, 4, 25.0)
    reconfigure_at(navy, 20.0, 0.0, boarding_teams=5, escort_days=100.0)
    navy.env.run(until=50.0)
    assert go_ins(navy) == [
        ("0 go_in", 20.0),
        ("1 go_in", 20.0),
        ("2 go_in", 20.0),
        ("4 go_in", 25.0),
    ]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (30.0, 10.0, [("0 go_in", 20.0), ("1 go_in", 25.0)]),  # shorter: 0 is overdue
        (5.0, 30.0, [("0 go_in", 35.0), ("1 go_in", 45.0)]),  # longer: 0's day-10 is off
    ],
)
def test_the_watch_follows_a_change_of_the_wait_time(
    before: float, after: float, expected: Log
) -> None:
    """Waiting from 5 and 15; T shortened at 20 or lengthened at 8: each goes in at its
    wait's start + the T in force (at once if that is past)."""
    navy = make_navy(after=before, boarding_teams=5, escort_days=100.0)
    waiting(navy, 0, 5.0)
    waiting(navy, 1, 15.0)
    reconfigure_at(
        navy, 20.0 if after < before else 8.0, after, boarding_teams=5, escort_days=100.0
    )
    navy.env.run(until=60.0)
    assert go_ins(navy) == expected


def test_a_watch_overdue_while_the_navy_had_no_team_goes_in_when_teams_come_back() -> None:
    """T = 5 but no team until day 10: the tanker waiting from 0 is sent in at 10."""
    navy = make_navy(after=5.0, boarding_teams=0)
    waiting(navy, 0, 0.0)
    reconfigure_at(navy, 10.0, 5.0, boarding_teams=1)
    navy.env.run(until=50.0)
    assert log_of(navy) == [("0 go_in", 10.0), ("0 seized_in_waters", 10.0)]
