"""The ``timeline`` section: schema, the checks before a run, apply_changes, the command line."""

from __future__ import annotations

import statistics
import textwrap
import time
from pathlib import Path

import pytest
import yaml
from cli_helpers import blockade, ok, refused, refused_in_process

import sim
from sim.config import validate
from sim.model.ledger import TIMESERIES_COLUMNS
from sim.timeline import (
    SETTABLE,
    TimelineEntry,
    Trigger,
    apply_changes,
    scheduled_order,
    settable_error,
)

ALLOWED = "allowed: navy.*, court.*, policy.*, behaviour.*, production.*, fleet.tankers.<i>.status"
FAST = ["experiment.replications=2", "experiment.executor=serial", "horizon_days=5"]


@pytest.fixture(scope="module")
def cfg() -> sim.Config:
    return sim.load_config("venezuela_dec2025", ["uncertain={}"])  # the point scenario


def with_timeline(cfg: sim.Config, *entries: dict) -> sim.Config:
    """``cfg`` with this timeline, validated (raises ConfigError)."""
    data = cfg.to_dict()
    data["timeline"] = list(entries)
    return validate(data)


def error_of(cfg: sim.Config, *entries: dict) -> str:
    with pytest.raises(sim.ConfigError) as info:
        with_timeline(cfg, *entries)
    message = str(info.value)
    assert "\n" not in message, "the message must be one line"
    return message


def override_error(text: str) -> str:
    with pytest.raises(sim.ConfigError) as info:
        sim.load_config("venezuela_dec2025", [f"timeline={text}"])
    message = str(info.value)
    assert "\n" not in message, "the message must be one line"
    return message


# --------------------------------------------------------------------------- schema


def test_the_bundled_scenario_has_no_timeline(cfg):
    assert cfg.timeline == ()
    assert cfg.to_dict()["timeline"] == []


def test_scheduled_and_triggered_entries_parse_from_the_command_line():
    cfg = sim.load_config(
        "venezuela_dec2025",
        [
            "timeline=[{day: 10, set: {navy.boarding_teams: 0}, label: Stand down},"
            " {when: {series: stranded_bbl, above: 15000000},"
            "  set: {court.delay_days: {dist: fixed, value: 3},"
            "        fleet.tankers.0.status: sanctioned}},"
            " {when: {series: storage_bbl, below: 2.5e7}, set: {production.cut.enabled: false}}]"
        ],
    )
    first, second, third = cfg.timeline
    assert first == TimelineEntry(day=10, changes={"navy.boarding_teams": 0}, label="Stand down")
    assert first.when is None and first.day == 10.0
    assert second.day is None and second.when == Trigger(series="stranded_bbl", above=15e6)
    assert second.changes == {
        "court.delay_days": {"dist": "fixed", "value": 3},
        "fleet.tankers.0.status": "sanctioned",
    }
    assert third.when is not None and third.when.below == 2.5e7 and third.when.above is None


def test_entries_round_trip_through_to_dict(cfg):
    entries = [
        {"day": 20, "set": {"policy.enter_waters_after_days": 0}, "label": "Enter waters"},
        {
            "when": {"series": "stranded_bbl", "above": 15_000_000},
            "set": {"navy.boarding_teams": 6},
        },
        {"day": 0, "set": {"court.delay_days.median": 4, "behaviour.groups.shadow.prior_b": 30}},
    ]
    tl = with_timeline(cfg, *entries)
    data = tl.to_dict()
    assert [e["set"] for e in data["timeline"]] == [e["set"] for e in entries]
    assert "changes" not in data["timeline"][0]
    assert validate(data) == tl
    # ... and through YAML, as config.yaml of a result folder holds it.
    assert validate(yaml.safe_load(yaml.safe_dump(data, sort_keys=False))) == tl


def test_a_scenario_file_may_hold_a_timeline(tmp_path):
    folder = tmp_path / "scenario"
    folder.mkdir()
    (folder / "escalate.yaml").write_text(
        textwrap.dedent(
            """\
            # @package _global_
            defaults:
              - venezuela_dec2025
            name: escalate
            timeline:
              - day: 30
                set: {policy.enter_waters_after_days: 14}
                label: Into the waters
              - when: {series: tankers_waiting, above: 20}
                set:
                  navy.boarding_teams: 6
                  court.delay_days.median: 1
            """
        )
    )
    cfg = sim.load_config("escalate", config_dir=tmp_path)
    assert [e.label for e in cfg.timeline] == ["Into the waters", None]
    assert cfg.timeline[1].changes == {"navy.boarding_teams": 6, "court.delay_days.median": 1}
    # A timeline on the command line replaces the scenario's (lists never merge).
    cfg = sim.load_config(
        "escalate", ["timeline=[{day: 1, set: {navy.enabled: false}}]"], config_dir=tmp_path
    )
    assert len(cfg.timeline) == 1 and cfg.timeline[0].changes == {"navy.enabled": False}
    assert sim.load_config("escalate", ["timeline=[]"], config_dir=tmp_path).timeline == ()


def test_trigger_holds_strictly_and_scheduled_order_is_by_day_then_list_order():
    above, below = Trigger(series="storage_bbl", above=10), Trigger(series="storage_bbl", below=10)
    assert above.holds(10.5) and not above.holds(10) and below.holds(9) and not below.holds(10)
    entries = [
        TimelineEntry(day=5, changes={"navy.enabled": False}),
        TimelineEntry(when=above, changes={"navy.enabled": True}),
        TimelineEntry(day=2, changes={"navy.enabled": True}),
        TimelineEntry(day=5, changes={"navy.boarding_teams": 2}),
    ]
    assert scheduled_order(entries) == [2, 0, 3]


def test_every_daily_series_can_trigger():
    for series in TIMESERIES_COLUMNS:
        assert Trigger(series=series, above=0).series == series


@pytest.mark.parametrize(
    "key",
    [
        "navy.boarding_teams",
        "navy.boarding_days.low",
        "court.delay_days",
        "policy.enter_waters_after_days",
        "behaviour.groups.shadow.patience_days.median",
        "production.cut.full_fill",
        "fleet.tankers.3.status",
    ],
)
def test_settable_keys(key):
    assert settable_error(key) is None


@pytest.mark.parametrize(
    "key",
    [
        "horizon_days",
        "start_date",
        "terminal.storage_capacity_bbl",
        "fleet.classes.VLCC",
        "fleet.mode",
        "fleet.tankers.1.count",
        "fleet.tankers.x.status",
        "initial.known_seizures",
        "experiment.replications",
        "timeline",
        "uncertain",
        "navy",
        "name",
    ],
)
def test_keys_a_run_cannot_change(key):
    assert settable_error(key) == f"not a key a run can change ({ALLOWED})"


def test_the_allowlist_is_one_constant():
    assert f"allowed: {', '.join(SETTABLE)}" == ALLOWED


# --------------------------------------------------------------------------- refusals


OFF = {"navy.enabled": False}
SERIES = ", ".join(TIMESERIES_COLUMNS)
ONE_SIDE = "give exactly one of above: X or below: X (fires at the first end of a day when"
MAPPING = "must be a non-empty mapping {KEY: VALUE, ...} of config keys to set"
CANNOT = f"not a key a run can change ({ALLOWED})"


def at(day: float, **changes: object) -> dict:
    """``{day: D, set: {KEY: VALUE}}``, keys spelled with ``__`` for dots."""
    return {"day": day, "set": {k.replace("__", "."): v for k, v in changes.items()}}


# (entry, the line it gives): "@" stands for "timeline[0]".
REFUSALS = [
    # day
    ({"day": "ten", "set": OFF}, "@.day: Input should be a valid number (got 'ten')"),
    ({"day": -1, "set": OFF}, "@.day: Input should be greater than or equal to 0 (got -1)"),
    ({"day": 90, "set": OFF}, "@.day: must be < horizon_days (90), got 90"),
    ({"day": 1e9, "set": OFF}, "@.day: must be < horizon_days (90), got 1e+09"),
    ({"day": True, "set": OFF}, "@.day: Input should be a valid number (got True)"),
    ({"day": float("nan"), "set": OFF}, "@.day: Input should be a finite number (got nan)"),
    # day or when, and the rest of the entry
    (
        {"day": 1, "when": {"series": "storage_bbl", "above": 1}, "set": OFF},
        "@: give either day (a change at that day) or when (a trigger), not both",
    ),
    (
        {"set": OFF},
        "@: needs day: D (a change at day D) or when: {series: NAME, above: X} (a trigger)",
    ),
    ({"day": 1, "set": OFF, "colour": "red"}, "@.colour: unknown key (not allowed at @)"),
    ({"day": 1, "set": OFF, "label": 3}, "@.label: Input should be a valid string (got 3)"),
    # when
    (
        {"when": {"series": "foo", "above": 1}, "set": OFF},
        f"@.when.series: 'foo' is not a daily series (one of {SERIES})",
    ),
    (
        {"when": {"series": "storage_bbl"}, "set": OFF},
        f"@.when: {ONE_SIDE} storage_bbl is above or below X)",
    ),
    (
        {"when": {"series": "storage_bbl", "above": 1, "below": 2}, "set": OFF},
        f"@.when: {ONE_SIDE} storage_bbl is above or below X); got both",
    ),
    (
        {"when": {"series": "storage_bbl", "above": float("inf")}, "set": OFF},
        "@.when.above: Input should be a finite number (got inf)",
    ),
    (
        {"when": {"series": "storage_bbl", "over": 1}, "set": OFF},
        "@.when.over: unknown key (not allowed at @.when)",
    ),
    # set: its shape and keys
    ({"day": 1}, "@.set: required key is missing"),
    ({"day": 1, "set": 5}, f"@.set: {MAPPING} (got 5)"),
    ({"day": 1, "set": {}}, f"@.set: {MAPPING}"),
    (
        {"day": 1, "set": {"a: b\nc": 1}},
        f"@.set: 'a: b\\nc' is not a dotted config key such as navy.boarding_teams ({ALLOWED})",
    ),
    (
        {"day": 1, "set": {3: 1}},
        f"@.set: 3 is not a dotted config key such as navy.boarding_teams ({ALLOWED})",
    ),
    (at(1, terrain__x=1), f"@.set.terrain.x: {CANNOT}"),
    (at(1, horizon_days=30), f"@.set.horizon_days: {CANNOT}"),
    (at(1, terminal__berths=2), f"@.set.terminal.berths: {CANNOT}"),
    (at(1, fleet__tankers__1__count=2), f"@.set.fleet.tankers.1.count: {CANNOT}"),
    (
        at(1, navy____x=1),
        f"@.set: 'navy..x' is not a dotted config key such as navy.boarding_teams ({ALLOWED})",
    ),
    (
        at(1, navy__boarding_team=1),
        "@.set.navy.boarding_team: unknown key (not allowed at navy; did you mean "
        "navy.boarding_teams?)",
    ),
    (at(1, navy__foo__bar=1), "@.set.navy.foo.bar: unknown key 'foo' (not allowed at navy)"),
    (
        at(1, navy__enabled__x=1),
        "@.set.navy.enabled.x: navy.enabled is a value (True), not a section",
    ),
    (
        at(1, fleet__tankers__9__status="licensed"),
        "@.set.fleet.tankers.9.status: fleet.tankers has 7 entries (index 0 to 6), got 9",
    ),
    # set: its values
    (
        at(1, navy__boarding_teams=-1),
        "@.set.navy.boarding_teams: Input should be greater than or equal to 0 (got -1)",
    ),
    (
        at(1, navy__boarding_teams=1.5),
        "@.set.navy.boarding_teams: Input should be a valid integer (got 1.5)",
    ),
    (
        at(1, navy__targets="all"),
        "@.set.navy.targets: Input should be 'sanctioned' or 'unlicensed' (got 'all')",
    ),
    (
        at(1, court__delay_days__median=0),
        "@.set.court.delay_days.median: Input should be greater than 0 (got 0)",
    ),
    (
        at(1, navy__boarding_days__median=2),
        "@.set.navy.boarding_days.median: dist 'uniform' takes exactly low, high; "
        "unexpected median",
    ),
    (
        at(1, court__delay_days={"dist": "gamma", "mean": 2}),
        "@.set.court.delay_days: dist 'gamma' takes exactly mean, cv; missing cv",
    ),
    (
        at(1, navy__boarding_days=-1),
        "@.set.navy.boarding_days.value: Input should be greater than or equal to 0 (got -1)",
    ),
    (
        at(1, fleet__tankers__1__status="free"),
        "@.set.fleet.tankers.1.status: Input should be 'licensed', 'sanctioned' or "
        "'unsanctioned' (got 'free')",
    ),
    # set: a cross-field check of the schema
    (
        at(1, production__cut__start_fill=0.97),
        "@.set.production.cut.start_fill: makes production.cut.full_fill invalid: "
        "must be >= start_fill (0.97)",
    ),
    (
        at(1, court__renew=True, court__validity_days=0.001),
        "@.set.court.validity_days: 0.001 days with renew gives up to ~7.02e+06 warrants per "
        "replication (tankers x horizon_days / validity_days); at most 1,000,000 "
        "(validity_days >= 0.00702)",
    ),
]


@pytest.mark.parametrize(("entry", "expected"), REFUSALS)
def test_a_bad_entry_is_one_line_naming_it(cfg, entry, expected):
    assert error_of(cfg, entry) == expected.replace("@", "timeline.0")


def test_the_entry_is_named_by_its_index(cfg):
    good = {"day": 1, "set": {"navy.enabled": False}}
    message = error_of(cfg, good, good, {"day": 2, "set": {"navy.detection_prob": 2}})
    assert message.startswith("timeline.2.set.navy.detection_prob: ")


def test_a_combination_names_the_change_that_fails_alone(cfg):
    message = error_of(cfg, {"day": 1, "set": {"navy.enabled": False, "navy.boarding_teams": -1}})
    assert message.startswith("timeline.0.set.navy.boarding_teams: ")


def test_cumulative_scheduled_changes_are_checked_in_day_order(cfg):
    # Each alone is fine against the scenario (start_fill 0.75, full_fill 0.95); together
    # full_fill 0.85 < start_fill 0.9. Day order decides which one is blamed.
    lower = {"day": 10, "set": {"production.cut.start_fill": 0.9}}
    raise_ = {"day": 20, "set": {"production.cut.full_fill": 0.85}}
    for entry in (lower, raise_):
        with_timeline(cfg, entry)
    assert error_of(cfg, lower, raise_) == (
        "timeline.1.set.production.cut.full_fill: must be >= start_fill (0.9), "
        "with timeline.0 (day 10) applied before it"
    )
    early = {**raise_, "day": 5}
    assert error_of(cfg, lower, early) == (
        "timeline.0.set.production.cut.start_fill: makes production.cut.full_fill "
        "invalid: must be >= start_fill (0.9), with timeline.1 (day 5) applied before it"
    )
    # Lowering start_fill first instead makes the same full_fill fine.
    higher = {"day": 10, "set": {"production.cut.start_fill": 0.8}}
    assert with_timeline(cfg, higher, raise_).timeline[1].changes == raise_["set"]


def test_cumulative_ties_apply_in_list_order(cfg):
    renew = {"day": 3, "set": {"court.renew": True}}
    short = {"day": 3, "set": {"court.validity_days": 0.001}}
    assert error_of(cfg, short, renew).startswith(
        "timeline.1.set.court.renew: makes court.validity_days invalid: 0.001 days with renew"
    )
    assert error_of(cfg, short, renew).endswith(", with timeline.0 (day 3) applied before it")
    assert error_of(cfg, renew, short).startswith("timeline.1.set.court.validity_days: 0.001")


def test_a_trigger_is_checked_on_top_of_every_scheduled_step(cfg):
    lower = {"day": 10, "set": {"production.cut.start_fill": 0.9}}
    trigger = {
        "when": {"series": "storage_bbl", "above": 3e7},
        "set": {"production.cut.full_fill": 0.85},
    }
    with_timeline(cfg, trigger)
    assert error_of(cfg, trigger, lower) == (
        "timeline.0.set.production.cut.full_fill: must be >= start_fill (0.9), "
        "if it fires after timeline.1 (day 10)"
    )


def test_a_resolver_in_a_timeline_value_is_refused():
    message = override_error("[{day: 1, set: {navy.boarding_teams: '${oc.env:HOME}'}}]")
    assert message.startswith("timeline.0.set.navy.boarding_teams: '${oc.env:...}' is not allowed")


def test_bad_overrides_name_the_entry():
    assert override_error("[{day: ten, set: {navy.boarding_teams: 0}}]").startswith(
        "timeline.0.day: "
    )
    assert override_error("[{day: 1, set: {navy.boarding_team: 0}}]").startswith(
        "timeline.0.set.navy.boarding_team: unknown key"
    )
    assert override_error("[{day: 1, set: 5}]").startswith("timeline.0.set: ")
    assert override_error("5") == "timeline: Input should be a valid tuple (got 5)"
    assert override_error("[{day: 1, set: {navy.boarding_teams: 0}}").startswith(
        "timeline: cannot parse override"
    )


# --------------------------------------------------------------------------- apply_changes


def test_apply_changes_sets_a_nested_key(cfg):
    new = apply_changes(cfg, {"navy.boarding_teams": 0, "production.cut.enabled": False})
    assert new.navy.boarding_teams == 0 and not new.production.cut.enabled
    assert cfg.navy.boarding_teams == 3 and cfg.production.cut.enabled  # pure
    assert new == sim.load_config(
        "venezuela_dec2025",
        ["navy.boarding_teams=0", "production.cut.enabled=false", "uncertain={}"],
    )


def test_apply_changes_sets_a_distribution_or_its_parameter(cfg):
    new = apply_changes(cfg, {"court.delay_days.median": 4})
    assert new.court.delay_days.dist == "lognormal" and new.court.delay_days.median == 4
    assert new.court.delay_days.sigma == cfg.court.delay_days.sigma
    new = apply_changes(cfg, {"court.delay_days": {"dist": "fixed", "value": 3}})
    assert new.court.delay_days == sim.config.fixed(3)  # replaced, not merged
    assert apply_changes(cfg, {"court.delay_days": 3}).court.delay_days == sim.config.fixed(3)


def test_apply_changes_sets_a_fleet_groups_status(cfg):
    new = apply_changes(cfg, {"fleet.tankers.4.status": "licensed"})
    assert [g.status for g in new.fleet.tankers][3:6] == ["sanctioned", "licensed", "unsanctioned"]
    placed = [(s, g.tanker_class, g.status, g.count) for s, g in new.initial.groups()]
    assert ("waiting_outside", "VLCC", "licensed", 6) in placed  # group 4's, at anchor at day 0
    assert new.initial.loaded_waiting == cfg.initial.loaded_waiting  # none of group 4's


def test_placed_tankers_follow_their_groups_status(cfg):
    # Revoking Chevron's licence: its tanker loading at day 0 is group 0's and becomes a target.
    new = apply_changes(cfg, {"fleet.tankers.0.status": "sanctioned"})
    assert [(g.tanker_class, g.status, g.count) for g in new.initial.loading] == [
        ("Aframax", "sanctioned", 1)
    ]
    # Licensing the sanctioned VLCCs (group 1, 14 tankers): the 10 placed VLCCs go with them.
    new = apply_changes(cfg, {"fleet.tankers.1.status": "licensed"})
    placed = [(s, g.tanker_class, g.status, g.count) for s, g in new.initial.groups()]
    assert ("loaded_waiting", "VLCC", "licensed", 5) in placed
    assert ("waiting_berth", "VLCC", "licensed", 1) in placed
    assert ("waiting_outside", "VLCC", "licensed", 4) in placed
    assert not any(c == "VLCC" and st == "sanctioned" for _, c, st, _ in placed)


def test_placements_split_between_groups_of_one_class_and_status(cfg):
    data = cfg.to_dict()
    vlcc = data["fleet"]["tankers"][1]  # VLCC sanctioned x14; 5 + 1 + 4 of them placed
    data["fleet"]["tankers"][1:2] = [{**vlcc, "count": 5}, {**vlcc, "count": 9}]
    two = validate(data)
    new = apply_changes(two, {"fleet.tankers.2.status": "unsanctioned"})
    # loaded_waiting (5) uses up group 1; waiting_berth (1) and waiting_outside (4) come from
    # group 2 (the 6 unsanctioned VLCCs outside are group 5's and keep their status).
    placed = [(s, g.status, g.count) for s, g in new.initial.groups() if g.tanker_class == "VLCC"]
    assert placed == [
        ("loaded_waiting", "sanctioned", 5),
        ("waiting_berth", "unsanctioned", 1),
        ("waiting_outside", "unsanctioned", 4),
        ("waiting_outside", "unsanctioned", 6),
    ]


def test_apply_changes_refuses_naming_the_key(cfg):
    with pytest.raises(sim.ConfigError, match=r"^navy\.boarding_teams: Input should be greater"):
        apply_changes(cfg, {"navy.boarding_teams": -1})
    with pytest.raises(sim.ConfigError, match=r"^horizon_days: not a key a run can change"):
        apply_changes(cfg, {"horizon_days": 10})
    with pytest.raises(sim.ConfigError, match=r"^navy\.boarding_team: unknown key"):
        apply_changes(cfg, {"navy.boarding_team": 1})
    with pytest.raises(sim.ConfigError, match=r"^changes: must be a mapping"):
        apply_changes(cfg, [("navy.enabled", False)])  # type: ignore[arg-type]


def test_apply_changes_returns_a_state_without_a_timeline(cfg):
    tl = with_timeline(cfg, {"day": 10, "set": {"navy.boarding_teams": 0}})
    new = apply_changes(tl, tl.timeline[0].changes)
    assert new.timeline == () and new.navy.boarding_teams == 0
    assert validate(new.to_dict()) == new


def test_apply_changes_takes_a_few_milliseconds(cfg):
    times = []
    for _ in range(50):
        start = time.perf_counter()
        apply_changes(cfg, {"navy.boarding_teams": 0, "court.delay_days.median": 4})
        times.append(time.perf_counter() - start)
    assert statistics.median(times) < 0.02


# --------------------------------------------------------------------------- command line


def test_a_run_with_a_timeline_writes_it_to_the_result_folder(tmp_path):
    ok(
        blockade(
            "timeline=[{day: 2, set: {navy.boarding_teams: 0}}]",
            *FAST,
            "hydra.run.dir=run",
            cwd=tmp_path,
        )
    )
    saved = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())["timeline"]
    assert saved == [{"day": 2.0, "when": None, "set": {"navy.boarding_teams": 0}, "label": None}]


def test_a_bad_entry_exits_2_with_one_line_in_a_fresh_process(tmp_path):
    proc = blockade("timeline=[{day: 1, set: {navy.boarding_team: 0}}]", *FAST, cwd=tmp_path)
    refused(proc, "timeline.0.set.navy.boarding_team", "unknown key")
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("[{day: ten, set: {navy.boarding_teams: 0}}]", "timeline.0.day"),
        ("[{day: -1, set: {navy.boarding_teams: 0}}]", "timeline.0.day"),
        ("[{day: 5, set: {navy.boarding_teams: 0}}]", "timeline.0.day"),  # horizon_days=5
        ("[{day: 1, set: 5}]", "timeline.0.set"),
        ("[{day: 1, set: {}}]", "timeline.0.set"),
        ("[{day: 1, when: {series: storage_bbl, above: 1}, set: {navy.x: 1}}]", "timeline.0: give"),
        ("[{label: x, set: {navy.enabled: false}}]", "timeline.0: needs day"),
        (
            "[{day: 1, set: {navy.enabled: true}}, {day: 1, set: {terminal.berths: 2}}]",
            "timeline.1.set.t",
        ),
        ("[{when: {series: foo, below: 1}, set: {navy.enabled: 0}}]", "timeline.0.when.series"),
        ("[{day: 1, set: {navy.boarding_teams: -1}}]", "timeline.0.set.navy.boarding_teams"),
    ],
)
def test_bad_entries_exit_2_with_one_line_naming_them(tmp_path, capsys, monkeypatch, value, key):
    monkeypatch.chdir(tmp_path)
    for mode in ([], ["-m"]):
        refused_in_process(capsys, key, *mode, f"timeline={value}", *FAST)
    assert not Path(tmp_path / "results").exists()
