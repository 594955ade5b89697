"""The model's two uses of SimPy internals behave as their public counterparts would."""

import simpy

from sim.model.simpy_internals import events_processed, succeed_after


def test_succeed_after_fires_the_event_later_with_no_value():
    env = simpy.Environment()
    log: list[tuple[str, float, object]] = []
    event = env.event()

    def waiter():
        value = yield event
        log.append(("woken", env.now, value))

    env.process(waiter())
    succeed_after(env, event, 2.5)
    env.run()
    assert log == [("woken", 2.5, None)]
    assert event.ok and event.processed


def test_succeed_after_orders_like_a_timeout_scheduled_at_the_same_moment():
    env = simpy.Environment()
    log: list[str] = []
    first, second = env.event(), env.event()
    first.callbacks.append(lambda _e: log.append("first"))
    second.callbacks.append(lambda _e: log.append("second"))
    succeed_after(env, first, 1.0)
    env.timeout(1.0).callbacks.append(lambda _e: log.append("timeout"))
    succeed_after(env, second, 1.0)
    env.run()
    assert log == ["first", "timeout", "second"]


def test_events_processed_counts_the_events_run_not_those_still_queued():
    env = simpy.Environment()

    def ticker():
        for _ in range(3):
            yield env.timeout(1)

    env.process(ticker())  # an Initialize event, three timeouts, the process's own end
    env.timeout(10)  # still queued when the run stops
    env.run(until=5)  # ``until`` adds one event of its own, processed at 5
    assert events_processed(env) == 6
