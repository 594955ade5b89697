"""Slots (berths, teams, judges) and timers behave like the SimPy resources they replace."""

from __future__ import annotations

import simpy

from sim.model.slots import Slots
from sim.model.timers import call_later


def _user(env: simpy.Environment, slots: Slots, name: str, priority: int, hold: float, log: list):
    turn = slots.acquire(priority)
    if turn is not None:
        yield turn
    log.append((env.now, name))
    yield env.timeout(hold)
    slots.release()


def test_free_slot_is_taken_without_an_event():
    env = simpy.Environment()
    slots = Slots(env, 2)
    assert slots.acquire() is None and slots.acquire() is None
    turn = slots.acquire()
    assert turn is not None and not turn.triggered
    slots.release()
    assert turn.triggered  # handed straight to the one in line
    assert slots.free == 0


def test_priority_then_arrival_order_like_a_priority_resource():
    log: list = []
    env = simpy.Environment()
    slots = Slots(env, 1)
    env.process(_user(env, slots, "first", 1, 5.0, log))
    for name, prio in (("low-a", 1), ("high", 0), ("low-b", 1)):
        env.process(_user(env, slots, name, prio, 1.0, log))
    env.run()

    ref: list = []
    env2 = simpy.Environment()
    res = simpy.PriorityResource(env2, capacity=1)

    def ref_user(name: str, prio: int, hold: float):
        with res.request(priority=prio) as req:
            yield req
            ref.append((env2.now, name))
            yield env2.timeout(hold)

    env2.process(ref_user("first", 1, 5.0))
    for name, prio in (("low-a", 1), ("high", 0), ("low-b", 1)):
        env2.process(ref_user(name, prio, 1.0))
    env2.run()
    assert log == ref == [(0, "first"), (5, "high"), (6, "low-a"), (7, "low-b")]


def test_cancel_leaves_the_line():
    env = simpy.Environment()
    slots = Slots(env, 1)
    assert slots.acquire() is None
    a, b = slots.acquire(), slots.acquire()
    slots.cancel(a)
    slots.release()
    assert b.triggered and not a.triggered
    slots.release()
    assert slots.free == 1


def test_call_later_runs_once_at_the_time():
    env = simpy.Environment()
    seen: list[float] = []
    call_later(env, 2.5, lambda: seen.append(env.now))
    env.run()
    assert seen == [2.5]
