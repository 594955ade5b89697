"""Property: any override of the default scenario is refused or simulates to a sound result."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from benchmarks.fuzz import classify, override_lists, schema_keys

KEYS = schema_keys()


@settings(
    max_examples=100,  # ~0.4 s each (a composition and a short run); benchmarks.fuzz runs more
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(override_lists(KEYS))
def test_override_is_refused_or_runs_soundly(overrides):
    outcome = classify(overrides)
    assert outcome.kind in ("rejected", "ok"), f"{overrides}: {outcome.kind} {outcome.error}"
