"""The export terminal: storage, berths, production and shut-ins."""

from __future__ import annotations

import math
from collections import deque

import simpy

from sim.config import Production
from sim.config import Terminal as TerminalConfig
from sim.model.ledger import Ledger
from sim.model.simpy_internals import succeed_after
from sim.model.slots import Slots


class Terminal:
    """Onshore storage fed by production and drained by tankers loading at berths.

    Storage is a plain number, not a SimPy Container: production arrives in steps applied by
    the world between events (:meth:`produce_step`), and a tanker takes its cargo at once when it
    is there and nobody is queued before it (no event), or queues for it. Cargo requests are
    served first come, first served: a big tanker waiting for a full cargo blocks smaller
    ones behind it, as a SimPy Container would.
    """

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
        # ``stock`` is only what can be loaded: crude above the working minimum.
        self.floor = cfg.storage_min_bbl
        self.capacity = cfg.storage_capacity_bbl
        self.room_total = self.capacity - self.floor
        self.stock = cfg.storage_init_bbl - self.floor
        self.queue: deque[tuple[simpy.Event, float]] = deque()
        self.berths = Slots(env, cfg.berths)
        self.cut_share = 0.0  # the share of output cut now (moves gradually toward the aim)
        self.n_steps = math.ceil(horizon / production.step_days - 1e-12)
        ledger.storage_init_bbl = cfg.storage_init_bbl

    def reconfigure(self, production: Production) -> None:
        """Take new production settings (a timeline entry) from the next step on."""
        self.production = production

    def fill(self) -> float:
        """The share of storage capacity in use."""
        return self.level() / self.capacity

    def berth_priority(self, status: str) -> int:
        """Queue priority at the berths (lower first): licensed first when so configured."""
        return 0 if self.cfg.licensed_first and status == "licensed" else 1

    def level(self) -> float:
        """Crude in storage, including the working minimum."""
        return self.stock + self.floor

    def loading_days(self, cargo_bbl: float) -> float:
        """How long a tanker holds a berth to load ``cargo_bbl``."""
        return cargo_bbl / self.cfg.loading_rate_bpd + self.cfg.berth_overhead_days

    def take(self, amount: float) -> simpy.Event | None:
        """Take ``amount`` from storage: None if taken now, else an event fired when taken."""
        if not self.queue and self.stock >= amount:
            self.stock -= amount
            return None
        request = self.env.event()
        self.queue.append((request, amount))
        return request

    def _serve_queue(self, now: float) -> None:
        """Serve queued cargo requests at time ``now`` (production steps run between events,
        so the clock may still read an earlier time: the request fires at ``now``)."""
        queue = self.queue
        while queue and self.stock >= queue[0][1]:
            request, amount = queue.popleft()
            self.stock -= amount
            succeed_after(self.env, request, now - self.env.now)

    def produce_step(self, k: int) -> None:
        """Add production step ``k``'s output to storage; cut or shut in what cannot be stored."""
        production, ledger = self.production, self.ledger
        step = production.step_days
        now = k * step
        potential = production.export_bpd * min(step, self.horizon - now)
        self._move_cut(step)
        withheld = potential * self.cut_share
        offered = potential - withheld
        room = self.room_total - self.stock
        stored = min(offered, room)
        ledger.produced_bbl += potential
        ledger.cut_bbl += withheld
        ledger.overflow_bbl += offered - stored
        if stored > 0:
            self.stock += stored
            self._serve_queue(now)
        if math.isnan(ledger.storage_full_day) and offered > room:
            ledger.storage_full_day = now

    def _move_cut(self, step: float) -> None:
        """Move the cut toward the one aimed at for the fill now, at the ramp's pace."""
        cut = self.production.cut
        aim = cut.aimed(self.fill())
        days = cut.deepen_days if aim > self.cut_share else cut.restart_days
        if days <= 0 or cut.max_fraction == 0:
            self.cut_share = aim
            return
        pace = cut.max_fraction * step / days
        if aim > self.cut_share:
            self.cut_share = min(aim, self.cut_share + pace)
        else:
            self.cut_share = max(aim, self.cut_share - pace)
