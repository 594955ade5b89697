"""The blockading navy: detection, boarding teams, interception at sea and in port waters."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

import simpy

from sim.config import Navy as NavyConfig
from sim.config import Policy
from sim.model.slots import Slots
from sim.model.streams import Streams
from sim.model.tanker import Tanker
from sim.model.timers import call_later

if TYPE_CHECKING:
    from sim.model.world import World


# A team that falls free goes first to a tanker escaping at sea, which has a deadline,
# then to one waiting in port, which does not.
AT_SEA, IN_WATERS = 0, 1


class Navy:
    """Boarding teams that seize detected targets, when a warrant allows, before they escape."""

    def __init__(self, w: World, cfg: NavyConfig, policy: Policy, streams: Streams) -> None:
        self.w = w
        self.env = w.env
        self.cfg = cfg
        self.policy = policy
        self.teams = Slots(w.env, cfg.boarding_teams) if cfg.boarding_teams else None
        self._detect = streams.uniform("navy.detect")
        self._board = streams.uniform("navy.board")
        self._in_waters = streams.uniform("navy.in_waters")
        self._boarding_days = streams.sampler("navy.boarding_days", cfg.boarding_days)
        self._escort_days = streams.sampler("navy.escort_days", cfg.escort_days)
        self.on_wait: Callable[[Tanker], None] | None = (
            self._start_watch if policy.enter_waters_after_days is not None else None
        )

    def detects(self) -> bool:
        """Whether a departing target is detected."""
        return self._detect() < self.cfg.detection_prob

    def intercept(self, t: Tanker, deadline: float) -> Generator[simpy.Event, object, bool]:
        """Try to seize ``t`` in the zone before ``deadline``; True if seized."""
        env, court = self.env, self.w.court
        if self.teams is None:
            return False
        if not (yield from court.await_valid(t, deadline)):
            return False
        teams = self.teams
        turn = teams.acquire(AT_SEA)
        if turn is not None:
            remaining = deadline - env.now
            if remaining > 0:
                yield turn | env.timeout(remaining)
            if not turn.triggered:
                teams.cancel(turn)
                return False
        if not court.allows(t):  # expired while waiting for a team
            teams.release()
            return False
        boarding = self._boarding_days()
        if self._board() >= self.cfg.board_success_prob:
            self.w.ledger.board_refusals += 1
            self.w.log(t, "refused")
            self._hold(boarding)
            return False
        self._hold(boarding + self._escort_days())
        self.w.seize(t, in_waters=False)
        return True

    def _hold(self, days: float) -> None:
        """Keep the team just taken busy for ``days``."""
        self.w.ledger.team_busy_days += max(0.0, min(days, self.w.horizon - self.env.now))
        call_later(self.env, days, self.teams.release)  # type: ignore[union-attr]

    def _start_watch(self, t: Tanker) -> None:
        if not t.in_waters_tried:
            self.env.process(self._watch(t, t.left_port))  # type: ignore[arg-type]

    def _watch(self, t: Tanker, left_port: simpy.Event) -> Generator:
        """The wait-time policy: after T days in port, seek a warrant and go in."""
        env, court = self.env, self.w.court
        result = yield env.timeout(self.policy.enter_waters_after_days) | left_port
        if left_port in result or self.teams is None:
            return
        t.in_waters_tried = True
        self.w.log(t, "go_in")
        if court.required:
            court.apply(t)
            if t.warrant_pending is not None:
                yield t.warrant_pending | left_port
            if left_port.triggered or not court.valid(t):
                return
        teams = self.teams
        turn = teams.acquire(IN_WATERS)
        if turn is not None:
            yield turn | left_port
            if not turn.triggered:
                teams.cancel(turn)
                return
        if left_port.triggered or not court.allows(t):
            teams.release()
            return
        boarding = self._boarding_days()
        if self._in_waters() >= self.policy.in_waters_success_prob:
            self.w.log(t, "in_waters_failed")
            self._hold(boarding)
            return
        self._hold(boarding + self._escort_days())
        self.w.seize(t, in_waters=True)
        self.w.owners.release(t, "seized")
