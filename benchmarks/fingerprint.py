"""A hash of every number the model produces on a fixed set of cases (``simpy_events`` excepted).

Run it before and after a change meant to be pure speed: the same hash means the same
results for the same seeds (metrics, daily series and event logs)::

    python -m benchmarks.fingerprint

It prints two hashes. The first covers the metrics that existed when it was introduced
(every metric but :data:`ADDED`), so it stays comparable across changes that only add
metrics; the second covers every metric (``--all`` prints only that one). A change that adds
a metric keeps the first and changes the second; one that moves a number changes both.
"""

from __future__ import annotations

import hashlib
import json
import sys

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
#: Never hashed: a performance count, not a result.
IGNORED: frozenset[str] = frozenset({"simpy_events"})
#: Metrics added after the first hash was fixed (87a38e0a…): left out of it, in the second.
ADDED: frozenset[str] = frozenset({"revenue_usd"})


def fingerprints() -> tuple[str, str]:
    """SHA-256 over the results of :data:`CASES` (seed 7; every third with its event log):
    without the :data:`ADDED` metrics, and with every metric."""
    first, every = hashlib.sha256(), hashlib.sha256()
    for name, overrides, n in CASES:
        cfg = sim.load_config(name, overrides)
        for i in range(n):
            rep = sim.simulate(cfg, seed=7, replication=i, record_events=i % 3 == 0)
            metrics = {k: v for k, v in rep.metrics.items() if k not in IGNORED}
            old = {k: v for k, v in metrics.items() if k not in ADDED}
            first.update(json.dumps(old, sort_keys=True).encode())
            every.update(json.dumps(metrics, sort_keys=True).encode())
            for h in (first, every):
                h.update(rep.daily.tobytes())
                if i % 3 == 0:
                    h.update(rep.events.to_csv().encode())
    return first.hexdigest(), every.hexdigest()


#: Experiment chunks (each replication with its paired baseline), hashed by :func:`paired`.
PAIRED_CASES: tuple[tuple[str, list[str], int], ...] = (
    ("venezuela_dec2025", [], 30),
    ("venezuela_dec2025", ["policy=enter_after_14d"], 15),
)


def paired() -> str:
    """SHA-256 over what ``run_chunk`` returns for :data:`PAIRED_CASES` with their baselines:
    the path experiments take, which draws a replication's config once for both worlds."""
    from sim.experiment.runner import run_chunk
    from sim.metrics import METRIC_KEYS

    kept = [j for j, k in enumerate(METRIC_KEYS) if k not in IGNORED]
    h = hashlib.sha256()
    for name, overrides, n in PAIRED_CASES:
        cfg = sim.load_config(name, overrides)
        out = run_chunk(cfg, 7, list(range(n)), baseline=True)
        h.update(out["metrics"][..., kept].tobytes())
        for key in ("parameters", "monthly", "series"):
            h.update(out[key].tobytes())
    return h.hexdigest()


def fingerprint() -> str:
    """The first hash of :func:`fingerprints` (the metrics before :data:`ADDED`)."""
    return fingerprints()[0]


if __name__ == "__main__":
    old, full = fingerprints()
    if "--all" in sys.argv[1:]:
        print(full)
    else:
        print(old)
        print(f"{full}  (every metric, {', '.join(sorted(ADDED))} included)")
        print(f"{paired()}  (experiment chunks with their paired baselines)")
