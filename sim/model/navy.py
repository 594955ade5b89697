"""The blockading navy: detection, boarding teams, interception, pursuit, and going in."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import simpy

from sim.config import Navy as NavyConfig
from sim.config import WaitPolicy
from sim.model.actor import Actor
from sim.model.court import Court
from sim.model.ledger import Ledger
from sim.model.slots import Slots
from sim.model.streams import Streams
from sim.model.tanker import Tanker
from sim.model.timers import call_later

if TYPE_CHECKING:
    from sim.model.fleet import Fleet


# A team that falls free goes first to a tanker escaping at sea, which has a deadline,
# then to one waiting in port, which does not.
AT_SEA, IN_WATERS = 0, 1


class Navy(Actor):
    """Boarding teams that seize detected targets, when a warrant allows, before they escape."""

    NEIGHBOURS = ("court", "fleet", "ledger")
    court: Court
    fleet: Fleet
    ledger: Ledger

    def __init__(
        self, env: simpy.Environment, cfg: NavyConfig, wait_policy: WaitPolicy, streams: Streams
    ) -> None:
        self.env = env
        self.streams = streams
        self.teams = Slots(env, cfg.boarding_teams)
        self._detect = streams.uniform("navy.detect")
        self._board = streams.uniform("navy.board")
        self._in_waters = streams.uniform("navy.in_waters")
        self._pursue = streams.uniform("navy.pursue")
        self._changed = env.event()  # fired (and replaced) when the policy changes
        self._noted: dict[int, tuple[Tanker, simpy.Event]] = {}  # waiting, not watched
        self.reconfigure(cfg, wait_policy)

    def reconfigure(self, cfg: NavyConfig, wait_policy: WaitPolicy) -> None:
        """Take new navy and wait-time policy settings (at build, or from a timeline entry)."""
        self.cfg, self.wait_policy = cfg, wait_policy
        self.teams.resize(cfg.boarding_teams)
        self._boarding_days = self.streams.sampler("navy.boarding_days", cfg.boarding_days)
        self._escort_days = self.streams.sampler("navy.escort_days", cfg.escort_days)
        self._pursuit_days = self.streams.sampler("navy.pursuit_days", cfg.pursuit_days)
        # The crossing of every departure (the navy's zone), watched or not.
        self.transit_days = self.streams.sampler("voyage.transit", cfg.territorial_transit_days)
        self.exposure_days = self.streams.sampler("voyage.exposure", cfg.exposure_days)
        changed, self._changed = self._changed, self.env.event()
        changed.succeed()  # watches of tankers in port look at the new policy
        if wait_policy.enter_waters_after_days is not None:
            self._start_noted()

    def targets(self, status: str) -> bool:
        """Whether tankers of ``status`` are targets now."""
        return self.cfg.targets_status(status)

    def detects(self, dark: bool) -> bool:
        """Whether a departing target is detected (less likely when it sails dark)."""
        p = self.cfg.dark_detection_prob if dark else self.cfg.detection_prob
        return self._detect() < p

    def intercept(self, t: Tanker, deadline: float) -> Generator[simpy.Event, object, float | None]:
        """Try to seize ``t`` in the zone before ``deadline``, then maybe chase it beyond;
        returns None if seized, else the time ``t`` is clear of the navy."""
        chase = self._pursue() < self.cfg.pursuit_prob
        if self.teams.capacity == 0:
            return deadline
        outcome = yield from self._board_before(t, deadline)
        if outcome == "seized":
            return None
        if outcome == "refused" or not chase:  # a refused boarding ends the attempt
            return deadline
        chase_end = deadline + self._pursuit_days()
        if (yield from self._board_before(t, chase_end)) == "seized":
            self.ledger.seizures_pursued += 1
            return None
        return chase_end

    def _board_before(self, t: Tanker, deadline: float) -> Generator[simpy.Event, object, str]:
        """Get a warrant and a team and board ``t`` before ``deadline``: "seized", "refused"
        (the crew resisted: it sails on) or "missed"."""
        env, court = self.env, self.court
        if not (yield from court.await_valid(t, deadline)):
            return "missed"
        teams = self.teams
        turn = teams.acquire(AT_SEA)
        if turn is not None:
            remaining = deadline - env.now
            if remaining > 0:
                yield turn | env.timeout(remaining)
            if not turn.triggered:
                teams.cancel(turn)
                return "missed"
        if not court.allows(t) or not self.targets(t.status):  # expired, or no longer a target
            teams.release()
            return "missed"
        boarding = self._boarding_days()
        if self._board() >= self.cfg.board_success_prob:
            self.ledger.board_refusals += 1
            self.fleet.log(t, "refused")
            self._hold(boarding)
            return "refused"
        self._hold(boarding + self._escort_days())
        self.fleet.seize(t, in_waters=False)
        return "seized"

    def _hold(self, days: float) -> None:
        """Keep the team just taken busy for ``days``."""
        horizon = self.fleet.horizon
        self.ledger.team_busy_days += max(0.0, min(days, horizon - self.env.now))
        call_later(self.env, days, self.teams.release)

    def watch(self, t: Tanker, left_port: simpy.Event) -> None:
        """A loaded target starts waiting in port: the wait-time policy watches it.

        With no wait-time policy the tanker is only noted (no process, no event): a timeline
        entry that sets one starts the watches of the tankers noted then.
        """
        if t.in_waters_tried:
            return
        if self.wait_policy.enter_waters_after_days is None:
            self._noted[t.id] = (t, left_port)
            left_port.callbacks.append(lambda _e: self._forget(t.id))
        else:
            self.env.process(self._watch(t, left_port))

    def _forget(self, tanker_id: int) -> None:
        """A noted tanker left port: nothing will start its watch."""
        self._noted.pop(tanker_id, None)

    def _start_noted(self) -> None:
        """A wait-time policy now applies: watch every tanker noted while there was none."""
        noted, self._noted = self._noted, {}
        for t, left_port in noted.values():
            if not left_port.triggered:
                self.env.process(self._watch(t, left_port))

    def _watch(self, t: Tanker, left_port: simpy.Event) -> Generator:
        """The wait-time policy: after T days in port (T as the policy says now), go in; if
        there is no team then, when the navy next changes."""
        env = self.env
        while True:
            after, changed = self.wait_policy.enter_waters_after_days, self._changed
            wait = None if after is None else t.wait_start + after - env.now
            if wait is not None and wait <= 0 and self.teams.capacity > 0:
                break
            if wait is None or wait <= 0:  # no wait-time policy, or overdue with no team
                yield left_port | changed
            else:
                yield left_port | changed | env.timeout(wait)
            if left_port.triggered:
                return
            if not changed.triggered and self.teams.capacity > 0:
                break  # waited T days
        yield from self._go_in(t, left_port)

    def _go_in(self, t: Tanker, left_port: simpy.Event) -> Generator:
        """Seek a warrant and a team, and board ``t`` in port waters unless it leaves first."""
        if self.teams.capacity == 0:
            return
        court = self.court
        t.in_waters_tried = True
        self.fleet.log(t, "go_in")
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
        if left_port.triggered or not court.allows(t) or not self.targets(t.status):
            teams.release()
            return
        boarding = self._boarding_days()
        if self._in_waters() >= self.wait_policy.in_waters_success_prob:
            self.fleet.log(t, "in_waters_failed")
            self._hold(boarding)
            return
        self._hold(boarding + self._escort_days())
        self.fleet.seize(t, in_waters=True)
