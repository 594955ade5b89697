"""The timeline at run time: whole replications of the bundled scenario with one entry each,
fixed seeds, asserting on the event log (the schema and the checks before a run are in
test_timeline.py)."""

from __future__ import annotations

import math
from functools import cache

import pandas as pd

import sim

SEED = 20251210
SEIZED = ("seized", "seized_in_waters")


@cache
def scenario(timeline: str | None = None) -> sim.Config:
    """The bundled scenario, with ``timeline`` (YAML, as on the command line) if given."""
    overrides = ["uncertain={}"] + ([] if timeline is None else [f"timeline={timeline}"])
    return sim.load_config("venezuela_dec2025", overrides)


def events(cfg: sim.Config, replication: int) -> pd.DataFrame:
    return sim.simulate(cfg, seed=SEED, replication=replication).events


def test_standing_the_teams_down_on_day_10_ends_the_seizures() -> None:
    """No seizure after day 10 in 20 replications, and one 'timeline' event at 10; without
    the entry, seizures go on after day 10."""
    cfg = scenario("[{day: 10, set: {navy.boarding_teams: 0}}]")
    before = 0
    for r in range(20):
        ev = events(cfg, r)
        seized = ev[ev["kind"].isin(SEIZED)]
        assert (seized["time"] <= 10).all(), r
        before += len(seized)
        changes = ev[ev["kind"] == "timeline"]
        assert changes["time"].tolist() == [10.0]
        assert changes["tanker"].tolist() == [-1]
    assert before > 0
    later = [(events(scenario(), r).query("kind in @SEIZED")["time"] > 10).sum() for r in range(5)]
    assert sum(later) > 0


def test_a_trigger_fires_once_at_the_end_of_the_first_day_it_holds() -> None:
    """stranded_bbl above 15M -> go into the waters at once: at most one firing, at the end
    (a whole day) of the first day above 15M, and go_in events from that time on, some at
    that very time."""
    cfg = scenario(
        "[{when: {series: stranded_bbl, above: 15000000},"
        " set: {policy.enter_waters_after_days: 0}}]"
    )
    fired = 0
    for r in range(10):
        rep = sim.simulate(cfg, seed=SEED, replication=r)
        ev, daily = rep.events, rep.timeseries
        times = ev.loc[ev["kind"] == "timeline", "time"].tolist()
        above = daily.loc[daily["stranded_bbl"] > 15e6, "day"].tolist()
        go_in = ev.loc[ev["kind"] == "go_in", "time"]
        assert len(times) <= 1
        if not times:
            assert not above and go_in.empty
            continue
        fired += 1
        (when,) = times
        assert when == int(when) == above[0] + 1  # row d is sampled at the end of day d
        assert (go_in >= when).all() and (go_in == when).sum() >= 1
        assert rep.metrics["seizures_in_waters"] > 0
    assert fired >= 5


def test_switching_the_navy_off_at_day_0_is_the_baseline_world() -> None:
    """A day-0 entry navy.enabled: false applies before any tanker moves: the exports, one
    by one, are those of the baseline world with the same seed."""
    cfg = scenario("[{day: 0, set: {navy.enabled: false}}]")
    assert cfg.baseline().timeline == ()
    for r in range(3):
        off = sim.simulate(cfg, seed=SEED, replication=r)
        base = sim.simulate(scenario().baseline(), seed=SEED, replication=r)
        assert off.metrics["exported_bbl"] == base.metrics["exported_bbl"]
        assert off.metrics["seizures"] == base.metrics["seizures"] == 0
        exports = [
            e.loc[e["kind"] == "exported", ["time", "tanker", "bbl"]]
            for e in (off.events, base.events)
        ]
        pd.testing.assert_frame_equal(*(x.reset_index(drop=True) for x in exports))
        assert off.events.loc[off.events["kind"] == "timeline", "time"].tolist() == [0.0]


def test_baseline_drops_only_the_navy_switch() -> None:
    """An entry setting only navy.enabled is dropped; one setting more keeps the rest."""
    cfg = scenario(
        "[{day: 5, set: {navy.enabled: false}},"
        " {day: 6, set: {navy.enabled: true, navy.boarding_teams: 5}},"
        " {day: 20, set: {fleet.tankers.0.status: sanctioned}}]"
    )
    kept = cfg.baseline().timeline
    assert [(e.day, e.changes) for e in kept] == [
        (6.0, {"navy.boarding_teams": 5}),
        (20.0, {"fleet.tankers.0.status": "sanctioned"}),
    ]
    assert not cfg.baseline().navy.enabled


def licensed_exports(cfg: sim.Config, replication: int) -> pd.Series:
    ev = events(cfg, replication)
    return ev.loc[(ev["kind"] == "exported") & (ev["status"] == "licensed"), "time"]


def test_revoking_chevrons_licence_stops_its_licensed_exports_in_both_worlds() -> None:
    """fleet.tankers.0.status: sanctioned on day 20: no licensed export after day 35 (the
    group's tankers in transit take the new status too), in the blockade and in its
    baseline, which keeps the change; without it Chevron exports to the end."""
    cfg = scenario("[{day: 20, set: {fleet.tankers.0.status: sanctioned}}]")
    assert cfg.baseline().timeline == cfg.timeline
    for world in (cfg, cfg.baseline()):
        for r in range(5):
            times = licensed_exports(world, r)
            assert len(times) > 0 and times.max() <= 35, r
    assert licensed_exports(scenario(), 0).max() > 60


def test_a_licence_granted_in_port_lets_the_waiting_tankers_sail() -> None:
    """The 5 sanctioned VLCCs waiting loaded at day 0 (tankers 0-4) are licensed on day 5:
    no longer targets, they sail then."""
    cfg = scenario("[{day: 5, set: {fleet.tankers.1.status: licensed}}]")
    ev = events(cfg, 0)
    departs = ev[(ev["kind"] == "depart") & ev["tanker"].between(0, 4)].groupby("tanker")["time"]
    first = departs.min()
    assert len(first) == 5 and all(math.isclose(day, 5.0) for day in first)


def test_a_crossing_changed_at_day_0_is_the_same_as_the_override() -> None:
    """The zone's crossing times are the navy's: a day-0 entry gives the override's run."""
    entry = "timeline=[{day: 0, set: {navy.exposure_days: 0.5}}]"
    with_entry = sim.load_config("venezuela_dec2025", [entry])
    plain = sim.load_config("venezuela_dec2025", ["navy.exposure_days=0.5"])
    reference = sim.load_config("venezuela_dec2025")
    for i in range(5):
        a = sim.simulate(with_entry, seed=SEED, replication=i, record_events=False).metrics
        b = sim.simulate(plain, seed=SEED, replication=i, record_events=False).metrics
        assert a["exported_bbl"] == b["exported_bbl"] and a["seizures"] == b["seizures"]
    ref = [
        sim.simulate(reference, seed=SEED, replication=i, record_events=False).metrics
        for i in range(5)
    ]
    assert any(
        r["seizures"]
        != sim.simulate(plain, seed=SEED, replication=i, record_events=False).metrics["seizures"]
        for i, r in enumerate(ref)
    )
