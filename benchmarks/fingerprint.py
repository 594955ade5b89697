"""A hash of every number the model produces on a fixed set of cases (``simpy_events`` excepted).

Run it before and after a change meant to be pure speed: the same hash means the same
results for the same seeds (metrics, daily series and event logs)::

    python -m benchmarks.fingerprint
"""

from __future__ import annotations

import hashlib
import json

import sim

CASES: tuple[tuple[str, list[str], int], ...] = (
    ("venezuela_dec2025", [], 100),
    ("venezuela_dec2025", ["policy=enter_after_14d"], 40),
    ("venezuela_dec2025", ["policy=blanket_warrants"], 40),
    ("venezuela_dec2025", ["policy=seize_on_sight"], 40),
    ("venezuela_dec2025", ["policy=wait_outside"], 40),
    ("validation/v1_md1", ["horizon_days=2000"], 5),
    ("validation/v2_erlang_b", [], 5),
    ("validation/v3_detection", [], 5),
    ("validation/v4_little", [], 5),
)


def fingerprint() -> str:
    """SHA-256 over the results of :data:`CASES` (seed 7; every third with its event log)."""
    h = hashlib.sha256()
    for name, overrides, n in CASES:
        cfg = sim.load_config(name, overrides)
        for i in range(n):
            rep = sim.simulate(cfg, seed=7, replication=i, record_events=i % 3 == 0)
            metrics = {k: v for k, v in rep.metrics.items() if k != "simpy_events"}
            h.update(json.dumps(metrics, sort_keys=True).encode())
            h.update(rep.daily.tobytes())
            if i % 3 == 0:
                h.update(rep.events.to_csv().encode())
    return h.hexdigest()


if __name__ == "__main__":
    print(fingerprint())
