"""The export terminal: storage (a Container), berths (a Resource), production and shut-ins."""

from __future__ import annotations

import math
from collections.abc import Generator

import simpy

from sim.config import Production
from sim.config import Terminal as TerminalConfig
from sim.model.ledger import Ledger


class Terminal:
    """Onshore storage fed by production and drained by tankers loading at berths."""

    def __init__(
        self,
        env: simpy.Environment,
        cfg: TerminalConfig,
        production: Production,
        ledger: Ledger,
        horizon: float,
    ) -> None:
        self.env = env
        self.cfg = cfg
        self.production = production
        self.ledger = ledger
        self.horizon = horizon
        # The Container holds only what can be loaded: stock above the working minimum.
        self.floor = cfg.storage_min_bbl
        self.capacity = cfg.storage_capacity_bbl
        self.storage = simpy.Container(
            env, capacity=self.capacity - self.floor, init=cfg.storage_init_bbl - self.floor
        )
        self.berths = simpy.PriorityResource(env, capacity=cfg.berths)
        self.cut_active = False
        self._cut_pending = False
        ledger.storage_init_bbl = cfg.storage_init_bbl
        env.process(self._produce())

    def berth_priority(self, status: str) -> int:
        """Queue priority at the berths (lower first): licensed first when so configured."""
        return 0 if self.cfg.licensed_first and status == "licensed" else 1

    def level(self) -> float:
        """Crude in storage, including the working minimum."""
        return self.storage.level + self.floor

    def loading_days(self, cargo_bbl: float) -> float:
        """How long a tanker holds a berth to load ``cargo_bbl``."""
        return cargo_bbl / self.cfg.loading_rate_bpd + self.cfg.berth_overhead_days

    def _produce(self) -> Generator[simpy.Event, None, None]:
        """Add each step's output to storage; cut or shut in what cannot be stored."""
        step = self.production.step_days
        cut = self.production.cut
        restore = cut.trigger_fill if cut.restore_fill is None else cut.restore_fill
        ledger = self.ledger
        n_steps = math.ceil(self.horizon / step - 1e-12)
        for k in range(n_steps):
            now = k * step
            duration = min(step, self.horizon - now)
            potential = self.production.export_bpd * duration
            fill = self.level() / self.capacity
            if cut.enabled:
                if not self.cut_active and not self._cut_pending and fill >= cut.trigger_fill:
                    self._cut_pending = True
                    self.env.process(self._start_cut(cut.delay_days))
                elif self.cut_active and fill < restore:
                    self.cut_active = False
            withheld = potential * cut.cut_fraction if self.cut_active else 0.0
            offered = potential - withheld
            room = self.storage.capacity - self.storage.level
            stored = min(offered, room)
            ledger.produced_bbl += potential
            ledger.cut_bbl += withheld
            ledger.overflow_bbl += offered - stored
            if stored > 0:
                self.storage.put(stored)
            if math.isnan(ledger.storage_full_day) and offered > room:
                ledger.storage_full_day = now
            yield self.env.timeout(step)

    def _start_cut(self, delay: float) -> Generator[simpy.Event, None, None]:
        yield self.env.timeout(delay)
        self._cut_pending = False
        self.cut_active = True
