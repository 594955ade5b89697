"""The two things the model needs that SimPy 4.1 has no public API for, in one place.

SimPy keeps no count of the events it processed, and ``Event.succeed`` schedules at the
current clock, not at a later time inside the same step. Both read or set private
attributes of SimPy 4.1, which is why ``simpy`` is pinned to ``4.1.*`` in pyproject.toml;
``tests/test_simpy_internals.py`` fails first if a SimPy release moves them.
"""

from __future__ import annotations

import simpy
from simpy.events import NORMAL


def succeed_after(env: simpy.Environment, event: simpy.Event, delay: float) -> None:
    """Trigger ``event`` (value None) ``delay`` days from now, as ``Event.succeed`` would now."""
    event._ok, event._value = True, None
    env.schedule(event, NORMAL, delay)


def events_processed(env: simpy.Environment) -> int:
    """Events scheduled so far minus those still queued (consumes one event id)."""
    return next(env._eid) - len(env._queue)
