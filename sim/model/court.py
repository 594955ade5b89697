"""Seizure warrants: applications queue for judges, take a delay, may be denied, and expire."""

from __future__ import annotations

from collections.abc import Generator

import simpy

from sim.config import Court as CourtConfig
from sim.model.actor import Actor
from sim.model.ledger import Ledger
from sim.model.slots import Slots
from sim.model.streams import Streams
from sim.model.tanker import Tanker
from sim.model.timers import call_later

# The stage of a target's visit at which each warrant policy files its application.
STAGE_OF_POLICY = {"blanket": "arrival", "on_loading": "berth", "on_departure": "detected"}


class Court(Actor):
    """Issues one warrant per tanker; a warrant is valid for ``validity_days`` after issue."""

    NEIGHBOURS = ("ledger",)
    ledger: Ledger

    def __init__(self, env: simpy.Environment, cfg: CourtConfig, streams: Streams) -> None:
        self.env = env
        self.streams = streams
        self.judges = Slots(env, cfg.capacity)
        self._approve = streams.uniform("court.approval")
        self.reconfigure(cfg)

    def reconfigure(self, cfg: CourtConfig) -> None:
        """Take new court settings (at build, or from a timeline entry)."""
        self.cfg = cfg
        self.required = cfg.policy != "none"
        self._stage = STAGE_OF_POLICY.get(cfg.policy)
        self.judges.resize(cfg.capacity)
        self._delay = self.streams.sampler("court.delay", cfg.delay_days)

    def at(self, tanker: Tanker, stage: str) -> None:
        """A target reached ``stage`` of its visit (arrival, berth, detected): the policy
        says whether an application is filed now."""
        if stage == self._stage:
            self.apply(tanker)

    def valid(self, tanker: Tanker) -> bool:
        """Whether ``tanker`` has a warrant in force now."""
        return tanker.warrant_until > self.env.now

    def allows(self, tanker: Tanker) -> bool:
        """Whether the warrant policy lets the navy seize ``tanker`` now."""
        return not self.required or self.valid(tanker)

    def apply(self, tanker: Tanker) -> None:
        """File an application for ``tanker`` unless one is valid or pending."""
        if (
            self.required
            and not self.valid(tanker)
            and tanker.warrant_pending is None
            and not tanker.warrant_denied
        ):
            tanker.warrant_pending = self.env.process(self._application(tanker, tanker.visit))

    def await_valid(
        self, tanker: Tanker, deadline: float | None
    ) -> Generator[simpy.Event, object, bool]:
        """Wait (until ``deadline``, or for ever if None) for a valid warrant; True if got."""
        if not self.required or self.valid(tanker):
            return True
        self.apply(tanker)
        pending = tanker.warrant_pending
        if pending is None:  # denied earlier for this visit
            if deadline is not None and deadline > self.env.now:
                yield self.env.timeout(deadline - self.env.now)
            return False
        if deadline is None:
            yield pending
        else:
            remaining = deadline - self.env.now
            if remaining <= 0:
                return False
            yield pending | self.env.timeout(remaining)
        return self.valid(tanker)

    def _application(self, tanker: Tanker, visit: int) -> Generator[simpy.Event, object, bool]:
        """One application, filed on port visit ``visit``; True if a warrant was issued.

        It is withdrawn (:meth:`withdraw`) if the tanker leaves the theatre before the decision.
        A denial stands for that visit only. A warrant names the vessel: once issued it is in
        force for ``validity_days`` whatever visit the tanker is on.
        """
        self.ledger.warrants_requested += 1
        turn = self.judges.acquire()
        try:
            if turn is not None:
                yield turn
            yield self.env.timeout(self._delay())
        except simpy.Interrupt:  # withdrawn: the tanker has left the theatre
            self._drop(turn)
            if tanker.visit == visit:
                tanker.warrant_pending = None
            return False
        self.judges.release()
        current = tanker.visit == visit
        if current:
            tanker.warrant_pending = None
        if self._approve() >= self.cfg.approval_prob:
            self.ledger.warrants_denied += 1
            if current:
                tanker.warrant_denied = True
            return False
        self.ledger.warrants_issued += 1
        tanker.warrant_until = self.env.now + self.cfg.validity_days
        tanker.warrant_used = False
        until = tanker.warrant_until
        call_later(self.env, self.cfg.validity_days, lambda: self._expire(tanker, until))
        return True

    def withdraw(self, tanker: Tanker) -> None:
        """The prosecutor drops ``tanker``'s undecided application: it has left the theatre.

        An application still in line leaves the line; one a judge is deciding is dropped too,
        and the judge takes the next in line at once.
        """
        pending = tanker.warrant_pending
        if pending is not None and pending.is_alive:
            pending.interrupt("withdrawn")

    def _drop(self, turn: simpy.Event | None) -> None:
        """Give up the judge of a withdrawn application (or its place in line)."""
        self.ledger.warrants_withdrawn += 1
        if turn is not None and not turn.triggered:
            self.judges.cancel(turn)
        else:
            self.judges.release()

    def _expire(self, tanker: Tanker, until: float) -> None:
        if tanker.warrant_until == until and not tanker.warrant_used:
            self.ledger.warrants_expired += 1
            if self.cfg.renew and tanker.in_theatre:
                self.apply(tanker)
