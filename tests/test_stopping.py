"""The stopping rule: the decision on recorded curves, the budget as its ceiling,
the tutorial's run untouched, the reason in the run's record."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest

from tests.conftest import load_benchmark
from tf_style.config import TUTORIAL, StyleTransferConfig
from tf_style.images import load_image
from tf_style.optimize import stylize
from tf_style.optimize.recorder import RunRecorder, StopRun
from tf_style.optimize.stopping import STOP_WINDOW, relative_decrease, should_stop
from tf_style.presets import fast_budget, fast_min_decrease, preset

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def stopping():
    """``benchmarks/stopping.py``: the recorded curves and their replay."""
    return load_benchmark("stopping")


def held_out_pair(max_dim: int):
    """chelsea x the_scream: no benchmark pair, the hardest held-out one at 256 px."""
    return (
        load_image(ROOT / "tf_style" / "data" / "chelsea.png", max_dim),
        load_image(ROOT / "assets" / "the_scream.jpg", max_dim),
    )


# --- the rule, by hand ---------------------------------------------------------


def test_relative_decrease_is_the_mean_fall_per_step_over_the_window():
    assert relative_decrease([4.0, 3.0, 2.0], window=2) == 0.5  # (4 - 2) / 2 / 2
    assert relative_decrease([4.0, 3.0, 2.0], window=1) == 0.5  # (3 - 2) / 2
    assert relative_decrease([4.0, 3.0], window=2) == math.inf  # too few steps yet
    with pytest.raises(ValueError, match="window must be at least 1"):
        relative_decrease([1.0], window=0)


def test_the_rule_stops_a_flat_or_rising_curve_only_when_it_is_on():
    flat = [1.0] * (STOP_WINDOW + 1)
    assert should_stop(flat, 0.001)
    assert should_stop([1.0] * STOP_WINDOW + [1.5], 0.001)  # rising: no gain
    assert not should_stop(flat, 0.0)  # 0 is off: the schedule runs
    assert not should_stop(flat[:-1], 0.001)  # a window not yet full never stops
    # 10% a step: 0.9**-10 - 1 = 1.87 of the latest loss over ten steps.
    falling = [0.9**step for step in range(STOP_WINDOW + 1)]
    assert not should_stop(falling, 0.18) and should_stop(falling, 0.19)


# --- the fast preset's threshold on recorded curves ------------------------------


@pytest.mark.parametrize(("max_dim", "pairs"), [(256, 15), (512, 9)])
def test_the_fast_threshold_lands_below_the_tutorials_loss_on_every_recorded_pair(
    stopping, max_dim, pairs
):
    """Benchmark and held-out pairs, AMX Xeon and EPYC, float32 and bfloat16: the
    stop is never above the tutorial's 300-step loss, and it saves steps."""
    curves = stopping.recorded_curves(max_dim)
    assert len(curves) >= pairs
    assert {c["benchmark"] for c in curves} == {True, False}
    stops = []
    for curve in curves:
        steps = stopping.replay(curve["losses"], fast_min_decrease(max_dim))
        loss = curve["losses"][steps - 1]
        assert loss <= curve["target"], (curve, steps, loss / curve["target"])
        stops.append(steps)
    budget = fast_budget(max_dim)
    assert max(stops) <= budget and sum(stops) / len(stops) < 0.95 * budget


@pytest.mark.parametrize("max_dim", [256, 512])
def test_the_threshold_is_the_one_the_benchmark_pairs_choose(stopping, max_dim):
    rows = stopping.sweep(stopping.recorded_curves(max_dim))
    assert stopping.choose(rows)["min_decrease"] == fast_min_decrease(max_dim)


def test_the_256_px_threshold_would_not_stop_the_512_px_curves(stopping):
    """Why each size has its own: at 512 px the curves still fall faster than
    256 px's threshold when the budget ends."""
    for curve in stopping.recorded_curves(512):
        steps = stopping.replay(curve["losses"], fast_min_decrease(256))
        assert steps == len(curve["losses"]), curve["pair"]


def test_the_fast_preset_stops_only_at_the_sizes_it_was_measured_at():
    for max_dim in (256, 384, 512, 768):
        assert (
            preset("fast", max_dim=max_dim).min_decrease
            == fast_min_decrease(max_dim)
            > 0
        )
    for max_dim in (32, 64, 128, 448, 1024, 4096):  # 32-64 px stopped too soon
        assert preset("fast", max_dim=max_dim).min_decrease == 0


# --- the recorder: the reason, the ceiling ---------------------------------------


def losses(total: float) -> dict[str, float]:
    return {"total": total, "style": total, "content": 0.0, "variation": 0.0}


def test_the_recorder_stops_at_the_final_scale_and_says_why():
    recorder = RunRecorder(total_steps=40)
    for total in (100.0, 90.0, 80.0):  # a coarse scale's: not watched
        recorder.record(losses(total), None)
    recorder.stop_when_flat(0.01)
    recorder.record(losses(50.0), None)
    for _ in range(STOP_WINDOW - 1):  # the window not yet full: no stop
        recorder.record(losses(49.9), None)
    with pytest.raises(StopRun):  # 0.02% a step over the window
        recorder.record(losses(49.9), None)
    assert recorder.steps == 3 + STOP_WINDOW + 1 and recorder.status == "completed"
    assert recorder.message.startswith("stopped: relative decrease 0.02% per step")
    assert "below min_decrease 0.01" in recorder.message
    assert recorder.message.endswith(f"at step {recorder.steps}")


def test_the_budget_stays_the_ceiling_and_the_rule_can_end_sooner(
    real_extractor, tiny_config
):
    content, style = held_out_pair(32)
    config = preset("fast", max_dim=32, scale_steps=(14,), min_decrease=1e-9)
    result = stylize(content, style, config, extractor=real_extractor)
    assert len(result.history["total"]) == 14 and result.message == ""
    eager = dataclasses.replace(config, min_decrease=0.5)  # stops at the first chance
    result = stylize(content, style, eager, extractor=real_extractor)
    assert result.status == "completed" and len(result.history["total"]) == 11
    assert result.message.startswith("stopped:") and "at step 11" in result.message


@pytest.mark.parametrize(
    "settings",
    [{"optimizer": "adam"}, {"optimizer": "lbfgs", "lbfgs_backend": "scipy"}],
    ids=["adam", "scipy-lbfgs"],
)
def test_every_optimiser_stops_by_the_same_rule(real_extractor, settings):
    """The rule lives in the recorder, so Adam and scipy's L-BFGS-B stop by it too
    (the fast preset's L-BFGS in TensorFlow is the test above)."""
    config = StyleTransferConfig(
        max_dim=32, epochs=1, steps_per_epoch=30, min_decrease=0.5, **settings
    )
    result = stylize(*held_out_pair(32), config, extractor=real_extractor)
    steps = len(result.history["total"])
    assert STOP_WINDOW < steps < 30 and result.status == "completed"
    assert (
        result.message.startswith("stopped:") and f"at step {steps}" in result.message
    )


# --- the tutorial untouched ------------------------------------------------------


def test_the_default_run_never_consults_the_rule(
    real_extractor, tiny_config, monkeypatch
):
    """``min_decrease`` is 0 by default, and a run with 0 never calls the rule:
    the tutorial's run is the same computation, step for step, as before it."""
    assert TUTORIAL.min_decrease == 0 == preset("tutorial").min_decrease

    def consulted(*args, **kwargs):
        raise AssertionError("the default run consulted the stopping rule")

    monkeypatch.setattr("tf_style.optimize.recorder.should_stop", consulted)
    content, style = held_out_pair(48)
    result = stylize(content, style, tiny_config, extractor=real_extractor)
    assert len(result.history["total"]) == tiny_config.total_steps
    assert result.status == "completed" and result.message == ""


def test_the_run_record_says_why_the_run_stopped(tmp_path, run_here):
    output = tmp_path / "out.png"
    result = run_here(
        "--preset", "fast", "--max-dim", "32", "--scale-steps", "14",
        "--min-decrease", "0.5", "--quiet", "--output", str(output),
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    record = json.loads(output.with_suffix(".json").read_text())
    steps = record["steps_completed"]
    assert record["status"] == "completed" and steps < record["steps_planned"] == 14
    assert record["message"].startswith("stopped: relative decrease")
    assert record["message"].endswith(f"below --min-decrease 0.5, at step {steps}")


@pytest.mark.slow
def test_the_fast_preset_reaches_the_tutorials_loss_on_a_tiny_held_out_pair(
    real_extractor,
):
    """chelsea x the_scream, the hardest held-out pair at 256 px, at 32 px: the
    fast preset ends at or below the tutorial's loss after 300 steps."""
    content, style = held_out_pair(32)
    # Adam reports the loss before each update: step 301 reports the 300th image's.
    tutorial = StyleTransferConfig(max_dim=32, epochs=1, steps_per_epoch=301)
    target = stylize(content, style, tutorial, extractor=real_extractor)
    fast = stylize(content, style, preset("fast", max_dim=32), extractor=real_extractor)
    assert fast.history["total"][-1] <= target.history["total"][300]
