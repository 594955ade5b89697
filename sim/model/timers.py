"""Delayed actions that need no process of their own."""

from __future__ import annotations

from collections.abc import Callable

import simpy


def call_later(env: simpy.Environment, delay: float, action: Callable[[], object]) -> simpy.Timeout:
    """Call ``action()`` after ``delay`` days: one Timeout event instead of a process (which
    would cost a generator and three events)."""
    timeout = env.timeout(delay)

    def fire(_event: simpy.Event) -> None:
        action()

    timeout.callbacks.append(fire)
    return timeout
