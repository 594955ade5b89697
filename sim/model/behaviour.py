"""Owners of targetable tankers: groups with their own beliefs, and their decisions.

Each decision is its own method: come in (or wait outside, or turn back), sail loaded (on
risk or patience), break out together. Each tanker compares its group's belief with its own
thresholds, so news moves tankers one by one, not a whole fleet at once.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import simpy

from sim.config import Behaviour, OwnerGroup
from sim.model.actor import Actor
from sim.model.ledger import Ledger
from sim.model.tanker import Tanker
from sim.model.terminal import Terminal
from sim.model.timers import call_later

if TYPE_CHECKING:
    from sim.model.navy import Navy


class Owners(Actor):
    """Owner groups' Beta beliefs updated by news, and the tankers waiting in or outside port."""

    NEIGHBOURS = ("terminal", "navy", "ledger")
    terminal: Terminal
    navy: Navy
    ledger: Ledger

    def __init__(
        self,
        env: simpy.Environment,
        cfg: Behaviour,
        known_seizures: int = 0,
        known_escapes: int = 0,
    ) -> None:
        self.env = env
        self.seizures_heard = known_seizures
        self.escapes_heard = known_escapes
        self.members: list[Tanker] = []
        self.waiting: dict[int, Tanker] = {}  # loaded in port
        self.outside: dict[int, Tanker] = {}  # inbound, at anchor outside
        self._fired: set[str] = set()  # breakouts that fire once: "day", "escapes"
        self._day_token = 0
        self.reconfigure(cfg)

    # ------------------------------------------------------------------ settings

    def reconfigure(self, cfg: Behaviour) -> None:
        """Take new behaviour settings (at build, or from a timeline entry)."""
        self.cfg = cfg
        self._group_of: dict[str, str] = {s: n for n, g in cfg.groups.items() for s in g.statuses}
        self._risk = {n: self._belief(g) for n, g in cfg.groups.items()}
        for t in self.members:
            self.assign(t)
        self._schedule_breakout_day()
        if self.members:
            self._recheck()

    def join(self, t: Tanker) -> None:
        """A new tanker: its owners decide for it from now on."""
        self.members.append(t)
        self.assign(t)

    def assign(self, t: Tanker) -> None:
        """Put ``t`` in its status's owner group and set its thresholds from its quantiles."""
        t.owners = self._group_of.get(t.status)
        group = self.group(t)
        if group is not None:
            t.risk_threshold = group.risk_threshold.ppf(t.traits.risk_u)
            t.turnback_threshold = group.turnback_threshold.ppf(t.traits.turnback_u)

    def group(self, t: Tanker) -> OwnerGroup | None:
        """The settings of ``t``'s owner group (None: its status has none)."""
        return None if t.owners is None else self.cfg.groups[t.owners]

    def _belief(self, g: OwnerGroup) -> float:
        a = g.prior_a + g.news_weight * self.seizures_heard
        b = g.prior_b + g.news_weight * self.escapes_heard
        return a / (a + b)

    def risk(self, t: Tanker) -> float:
        """The believed chance, in ``t``'s group, that a departure ends in seizure."""
        return self._risk[t.owners] if t.owners is not None else 0.0

    # ------------------------------------------------------------------ news

    def hear(self, seized: bool) -> None:
        """News of one seizure (or escape) reaches owners after ``news_lag_days``."""
        if self.cfg.news_lag_days > 0:
            call_later(self.env, self.cfg.news_lag_days, lambda: self._update(seized))
        else:
            self._update(seized)

    def _update(self, seized: bool) -> None:
        if seized:
            self.seizures_heard += 1
        else:
            self.escapes_heard += 1
        self._risk = {n: self._belief(g) for n, g in self.cfg.groups.items()}
        self._recheck()
        after = self.cfg.breakout.after_escapes
        if after is not None and self.escapes_heard >= after:
            self._breakout_once("escapes")

    def _recheck(self) -> None:
        """Everyone waiting decides again: loaded tankers may sail, those outside come in."""
        for t in list(self.waiting.values()):
            if self.risk(t) < t.risk_threshold:
                self.release(t, "risk")
        for t in list(self.outside.values()):
            if self.comes_in(t):
                self.release(t, "come_in")

    def retarget(self) -> None:
        """The navy's targets changed (a licence, ``navy.targets``, ``navy.enabled``): a
        tanker waiting only because it was a target no longer waits."""
        for t in list(self.waiting.values()):
            if not self.navy.targets(t.status):
                self.release(t, "not_targeted")
        for t in list(self.outside.values()):
            if not self.navy.targets(t.status):
                self.release(t, "come_in")

    def end_of_day(self, now: float) -> None:
        """At the end of the day (time ``now``, which the clock may not show yet: the world
        samples days between events), look again if the offer or the waits may have moved.

        The look is an event at ``now`` only when it has something to do: a tanker outside
        that the offer now brings in, or a breakout that waits for waits to grow long.
        """
        if self.cfg.breakout.min_wait_days > 0 or self._offer_brings_in():
            call_later(self.env, now - self.env.now, self._daily_look)

    def _offer_brings_in(self) -> bool:
        """Whether the offer, as the tanks stand now, brings in a tanker waiting outside."""
        if not self.outside or self.cfg.offer.premium == 0:
            return False
        factor, risk = self.cfg.offer.factor(self.terminal.fill()), self._risk
        return any(
            risk[t.owners] < t.turnback_threshold * factor  # type: ignore[index]
            for t in self.outside.values()
        )

    def _daily_look(self) -> None:
        """The offer moves with storage; waits grow long enough to break out."""
        for t in list(self.outside.values()):
            if self.comes_in(t):
                self.release(t, "come_in")
        if self.cfg.breakout.min_wait_days > 0:
            self._check_group()

    def floating_since(self, day: float) -> float:
        """Cargo loaded since ``day`` aboard targets waiting in port now."""
        return sum(t.cargo_bbl for t in self.waiting.values() if t.loaded_at >= day)

    # ------------------------------------------------------------------ decisions

    def comes_in(self, t: Tanker) -> bool:
        """Whether inbound ``t`` comes in now: the belief is below its turn-back threshold,
        raised by the operator's offer while storage is under pressure."""
        offer = self.cfg.offer.factor(self.terminal.fill())
        return self.risk(t) < t.turnback_threshold * offer

    def arrive(self, t: Tanker) -> Generator[simpy.Event, object, bool]:
        """Inbound ``t`` decides: come in (True), or wait outside and then turn back (False)."""
        if self.comes_in(t):
            return True
        group = self.group(t)
        outside = group.outside_days.ppf(t.traits.outside_u()) if group is not None else 0.0
        if outside <= 0:
            return False
        wake = t.wake = self.env.event()
        t.wait_start = self.env.now
        self.outside[t.id] = t
        self.ledger.tanker_event(self.env.now, t, "outside")
        call_later(self.env, outside, lambda: wake.triggered or wake.succeed("turn_back"))
        reason = yield wake
        del self.outside[t.id]
        t.wake = None
        if reason == "come_in":
            self.ledger.tanker_event(self.env.now, t, "come_in")
        return reason == "come_in"

    def wait_in_port(self, t: Tanker) -> Generator[simpy.Event, object, str]:
        """Hold a loaded target until it sails or is seized; returns why the wait ended."""
        env, ledger = self.env, self.ledger
        if self.risk(t) < t.risk_threshold:
            return "risk"
        wake = t.wake = env.event()
        left_port = t.left_port = env.event()
        waited, t.waited_before = t.waited_before, 0.0
        t.wait_start = env.now - waited  # a tanker placed at day 0 may have waited already
        self.waiting[t.id] = t
        ledger.tankers_waiting += 1
        cargo, new = t.cargo_bbl, t.cargo_new
        ledger.strand(cargo, new)
        self.navy.watch(t, left_port)
        self._check_group()
        # Patience runs from the start of this wait; one already waited is a tanker's that
        # has lasted that long (drawn beyond it), so waits placed at day 0 do not end together.
        group, u = self.group(t), t.traits.patience_u()
        patience = group.patience_days.ppf_beyond(u, waited) if group is not None else 0.0
        # The patience timer wakes this wait only (a later visit has its own ``wake``).
        call_later(env, patience - waited, lambda: wake.triggered or wake.succeed("patience"))
        reason = str((yield wake))
        del self.waiting[t.id]
        ledger.tankers_waiting -= 1
        ledger.strand(-cargo, new)
        t.wake = None
        left_port.succeed(reason)
        return reason

    def release(self, t: Tanker, reason: str) -> None:
        """End ``t``'s wait (in port: it sails, or is taken for ``"seized"``; outside: it
        comes in)."""
        if t.wake is not None and not t.wake.triggered:
            t.wake.succeed(reason)

    # ------------------------------------------------------------------ breakouts

    def _check_group(self) -> None:
        """Break out when enough loaded targets have waited long enough."""
        breakout = self.cfg.breakout
        if breakout.group is None or len(self.waiting) < breakout.group:
            return
        since = self.env.now - breakout.min_wait_days
        ready = sum(1 for t in self.waiting.values() if t.wait_start <= since)
        if ready >= breakout.group:
            self._breakout()

    def _schedule_breakout_day(self) -> None:
        self._day_token += 1  # a day scheduled before no longer counts, even if none is now
        token = self._day_token
        day = self.cfg.breakout.day
        if day is None or "day" in self._fired:
            return
        call_later(self.env, max(0.0, day - self.env.now), lambda: self._breakout_day(token))

    def _breakout_day(self, token: int) -> None:
        if token == self._day_token:  # not replaced by a later day
            self._breakout_once("day")

    def _breakout_once(self, why: str) -> None:
        if why not in self._fired:
            self._fired.add(why)
            self._breakout()

    def _breakout(self) -> None:
        """Every loaded target waiting in port sails now."""
        if not self.waiting:
            return
        self.ledger.breakouts += 1
        for t in list(self.waiting.values()):
            self.release(t, "breakout")
