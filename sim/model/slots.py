"""Identical servers handed out by priority: berths, boarding teams, judges."""

from __future__ import annotations

import heapq

import simpy


class Slots:
    """``capacity`` servers given by priority (lower first), first come first served within one.

    Like a SimPy ``PriorityResource`` without its events where none is needed: a request that
    finds a server free takes it at once, and a release hands the server straight to the first
    in line by triggering its event.
    """

    def __init__(self, env: simpy.Environment, capacity: int) -> None:
        self.env = env
        self.capacity = capacity
        self.free = capacity  # negative after a shrink: servers in use that will not return
        self._line: list[tuple[int, int, simpy.Event]] = []  # heap of (priority, order, event)
        self._order = 0

    def acquire(self, priority: int = 0) -> simpy.Event | None:
        """Take a server: None if taken now, else an event fired when it is this caller's."""
        if self.free > 0 and not self._line:
            self.free -= 1
            return None
        turn = self.env.event()
        self._order += 1
        heapq.heappush(self._line, (priority, self._order, turn))
        return turn

    def cancel(self, turn: simpy.Event) -> None:
        """Leave the line without being served (``turn`` has not fired)."""
        self._line = [entry for entry in self._line if entry[2] is not turn]
        heapq.heapify(self._line)

    def release(self) -> None:
        """Give a server back: to the first in line if anyone waits (and it is still needed)."""
        if self.free < 0:
            self.free += 1
        elif self._line:
            heapq.heappop(self._line)[2].succeed()
        else:
            self.free += 1

    def resize(self, capacity: int) -> None:
        """Change the number of servers: new ones serve the line at once; servers taken away
        are removed as they fall free."""
        self.free += capacity - self.capacity
        self.capacity = capacity
        while self.free > 0 and self._line:
            self.free -= 1
            heapq.heappop(self._line)[2].succeed()
