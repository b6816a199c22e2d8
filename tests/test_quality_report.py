"""The benchmark's report: the fast preset's row says when it passed the target."""

from __future__ import annotations

from tests.conftest import load_benchmark


def load_report():
    return load_benchmark("quality_report")


def trace(name: str, losses: list[float], seconds_per_eval: float) -> dict:
    steps = range(len(losses))
    return {
        "name": name,
        "evaluations": [float(k) for k in steps],
        "times": [seconds_per_eval * (k + 1) for k in steps],
        "losses": losses,
    }


def run(fast_losses: list[float]) -> dict:
    tutorial = [100.0 - k for k in range(301)]  # the target: -200, at step 300
    return {
        "content": "c",
        "style": "s",
        "targets": {"300": tutorial[300]},
        "fast_preset": {"scale_steps": [len(fast_losses)]},
        "traces": [
            trace("Adam (tutorial)", tutorial, 1.0),
            trace("fast preset", fast_losses, 2.0),
        ],
    }


def cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip("| ").split("|")]


def test_preset_row_gives_the_crossing_and_the_whole_run():
    report = load_report()
    # target -200: the tutorial gets there after 300 evaluations (301 s); the
    # preset's loss passes it at evaluation 30 (62 s) and its run has 60.
    fast = [0.0] * 30 + [-250.0] * 30
    row = cells(report.preset_table([run(fast)])[-1])
    assert row[:2] == ["c x s", "[60]"]
    assert row[2:6] == ["30", "**10.0x**", "62.0", "4.9x"]
    assert row[6:10] == ["59", "5.1x", "120.0", "2.5x"]
    assert row[10:] == ["301.0", "1.250"]


def test_preset_row_says_when_the_target_was_not_reached():
    row = cells(load_report().preset_table([run([0.0] * 40)])[-1])
    assert row[2:6] == ["not reached", "-", "-", "-"]
    assert row[6] == "39"


def test_preset_budget_reads_the_same_from_a_live_config_and_from_json():
    live = run([0.0] * 40)
    live["fast_preset"]["scale_steps"] = (40,)  # dataclasses.asdict keeps the tuple
    assert cells(load_report().preset_table([live])[-1])[1] == "[40]"
