"""The same queues in a bare SimPy loop and in ciw, the peers the model is measured against."""

from __future__ import annotations

import numpy as np
import simpy


def raw_timeouts(n_procs: int, events_per_proc: int, seed: int = 1) -> int:
    """A bare SimPy loop of timeouts; returns the events processed."""
    env = simpy.Environment()
    delays = np.random.default_rng(seed).exponential(1.0, (n_procs, events_per_proc)).tolist()

    def proc(ds: list[float]):
        for d in ds:
            yield env.timeout(d)

    for ds in delays:
        env.process(proc(ds))
    env.run()
    return n_procs * events_per_proc


def simpy_md1(rate: float, service: float, horizon: float, seed: int = 1) -> int:
    """M/D/1 in a minimal SimPy model (batched draws); returns customers served."""
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    gaps = np.random.default_rng(seed).exponential(1.0 / rate, int(rate * horizon * 1.2) + 100)
    served = 0

    def customer():
        nonlocal served
        with server.request() as req:
            yield req
            yield env.timeout(service)
        served += 1

    def source():
        for g in gaps.tolist():
            yield env.timeout(g)
            env.process(customer())

    env.process(source())
    env.run(until=horizon)
    return served


def ciw_md1(rate: float, service: float, horizon: float, seed: int = 1) -> int:
    """The same M/D/1 queue in ciw; returns customers served."""
    import ciw

    ciw.seed(seed)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=rate)],
        service_distributions=[ciw.dists.Deterministic(value=service)],
        number_of_servers=[1],
    )
    q = ciw.Simulation(network)
    q.simulate_until_max_time(horizon)
    return len(q.get_all_records())
