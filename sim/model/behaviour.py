"""Owners' shared belief about seizure risk, and the loaded tankers waiting in port."""

from __future__ import annotations

from collections.abc import Callable, Generator

import simpy

from sim.config import Behaviour
from sim.model.ledger import Ledger
from sim.model.tanker import Tanker
from sim.model.timers import call_later


class Owners:
    """Owners of targetable tankers: a Beta(a, b) belief updated by news, and their waiting."""

    def __init__(
        self,
        env: simpy.Environment,
        cfg: Behaviour,
        ledger: Ledger,
        known_seizures: int = 0,
        known_escapes: int = 0,
    ) -> None:
        self.env = env
        self.cfg = cfg
        self.ledger = ledger
        self.a = cfg.prior_a + known_seizures
        self.b = cfg.prior_b + known_escapes
        self.waiting: dict[int, Tanker] = {}
        self.on_wait: Callable[[Tanker], None] | None = None  # called when a tanker starts waiting

    @property
    def risk(self) -> float:
        """The believed chance that a departure ends in seizure (the Beta mean)."""
        return self.a / (self.a + self.b)

    def turns_back(self) -> bool:
        """Whether an inbound targetable tanker turns back now."""
        return self.risk > self.cfg.turnback_threshold

    def hear(self, seized: bool) -> None:
        """News of one seizure (or escape) reaches owners after ``news_lag_days``."""
        if self.cfg.news_lag_days > 0:
            call_later(self.env, self.cfg.news_lag_days, lambda: self._update(seized))
        else:
            self._update(seized)

    def _update(self, seized: bool) -> None:
        if seized:
            self.a += 1
        else:
            self.b += 1
        if self.risk < self.cfg.risk_threshold:
            for t in list(self.waiting.values()):
                self.release(t, "risk")

    def release(self, t: Tanker, reason: str) -> None:
        """Wake a waiting tanker: it leaves port (or is taken, for ``"seized"``)."""
        if t.wake is not None and not t.wake.triggered:
            t.wake.succeed(reason)

    def wait_in_port(self, t: Tanker) -> Generator[simpy.Event, object, str]:
        """Hold a loaded targetable tanker until it sails or is seized; returns why it ended."""
        env, ledger = self.env, self.ledger
        if self.risk < self.cfg.risk_threshold:
            return "risk"
        wake = t.wake = env.event()
        t.left_port = env.event()
        self.waiting[t.id] = t
        ledger.tankers_waiting += 1
        cargo = t.cargo_bbl
        ledger.strand(cargo)
        if self.on_wait is not None:
            self.on_wait(t)
        group = self.cfg.breakout_group
        if group is not None and len(self.waiting) >= group:
            for other in list(self.waiting.values()):
                self.release(other, "breakout")
        # The patience timer wakes this wait only (a later visit has its own ``wake``).
        call_later(env, t.patience_days(), lambda: wake.triggered or wake.succeed("patience"))
        reason = str((yield wake))
        del self.waiting[t.id]
        ledger.tankers_waiting -= 1
        ledger.strand(-cargo)
        t.wake = None
        t.left_port.succeed(reason)
        return reason
