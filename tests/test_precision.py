"""``auto`` precision: a rule, a robust measurement where needed, kept per machine."""

from __future__ import annotations

import json
import random

import pytest

from tf_style.precision import (
    BFLOAT16_MIN_SPEEDUP,
    auto_precision,
    choose_precision,
    convolution_seconds,
    measured_speedup,
)

CPU = "CPU: Example (2 cores)"


def choose(tmp_path, flags=("avx2",), capability=None, measure=None, version="2.21"):
    return choose_precision(
        device=CPU,
        flags=set(flags),
        gpu_capability=capability,
        tensorflow_version=version,
        measure=measure or (lambda: pytest.fail("the rule should have decided")),
        cache=tmp_path / "precision.json",
    )


@pytest.mark.parametrize(
    "capability, expected",
    [((9, 0), "bfloat16"), ((8, 0), "bfloat16"), ((7, 5), "float32")],
)
def test_a_gpu_is_decided_by_its_compute_capability_without_timing(
    tmp_path, capability, expected
):
    assert choose(tmp_path, capability=capability).precision == expected


def test_a_cpu_without_bfloat16_instructions_is_float32_without_timing(tmp_path):
    choice = choose(tmp_path, flags=("avx2", "fma", "avx512f"))
    assert choice.precision == "float32"
    assert "no native bfloat16" in choice.reason
    assert not (tmp_path / "precision.json").exists()


def noisy_timer(true_speedup: float, rng: random.Random):
    """Convolution times beside a CPU-bound process: half of them slowed 1 to 3x."""
    base = {"float32": 0.010 * true_speedup, "bfloat16": 0.010}

    def seconds(dtype: str) -> float:
        slowed = 1.0 if rng.random() < 0.5 else rng.uniform(1.0, 3.0)
        return base[dtype] * slowed

    return seconds


@pytest.mark.parametrize(
    "true_speedup, expected",
    [(3.0, "bfloat16"), (1.5, "bfloat16"), (1.0, "float32"), (0.66, "float32")],
)
def test_the_measurement_does_not_flip_under_a_noisy_timer(true_speedup, expected):
    """One timing a decision flipped under load; the best of 15 rounds does not."""
    rng = random.Random(0)
    decisions = {
        "bfloat16"
        if measured_speedup(seconds=noisy_timer(true_speedup, rng))
        >= BFLOAT16_MIN_SPEEDUP
        else "float32"
        for _ in range(300)
    }
    assert decisions == {expected}


def test_one_timing_of_each_would_have_flipped(tmp_path):
    """The old probe's failure, shown with the same noise: so the test can fail."""
    rng = random.Random(0)
    seconds = noisy_timer(1.5, rng)
    single = {
        seconds("float32") / seconds("bfloat16") >= BFLOAT16_MIN_SPEEDUP
        for _ in range(300)
    }
    assert single == {True, False}


def test_a_measured_decision_is_kept_and_reused_whatever_later_timings_say(tmp_path):
    amx = ("avx512f", "amx_bf16")
    first = choose(tmp_path, flags=amx, measure=lambda: 3.1)
    assert first.precision == "bfloat16" and "3.10x" in first.reason
    # A later run under heavy load would measure 1.2x: the kept decision holds.
    for _ in range(5):
        assert choose(tmp_path, flags=amx, measure=lambda: 1.2) == first
    entries = json.loads((tmp_path / "precision.json").read_text())
    assert list(entries) == [f"{CPU} | amx_bf16 | TensorFlow 2.21"]


def test_a_kept_measurement_is_judged_by_todays_threshold(tmp_path, monkeypatch):
    """The cache keeps the speed-up, not only the verdict: a release that moves the
    threshold decides anew from it, without timing again."""
    avx512 = ("avx512_bf16",)
    assert choose(tmp_path, flags=avx512, measure=lambda: 1.5).precision == "bfloat16"
    monkeypatch.setattr("tf_style.precision.BFLOAT16_MIN_SPEEDUP", 2.0)
    again = choose(tmp_path, flags=avx512)  # measuring again would fail the test
    assert again.precision == "float32" and "1.50x" in again.reason


def test_an_entry_without_its_measurement_is_measured_again(tmp_path):
    """An entry written before the speed-up was kept holds only a verdict, taken
    under another threshold: it is measured once more, then kept with its figure."""
    key = f"{CPU} | avx512_bf16 | TensorFlow 2.21"
    old = {key: {"precision": "float32", "reason": "measured 1.48x (from 2.0x)"}}
    (tmp_path / "precision.json").write_text(json.dumps(old))
    choice = choose(tmp_path, flags=("avx512_bf16",), measure=lambda: 1.48)
    assert choice.precision == "bfloat16"
    kept = json.loads((tmp_path / "precision.json").read_text())[key]
    assert kept["speedup"] == 1.48 and kept["precision"] == "bfloat16"


def test_a_new_tensorflow_measures_again(tmp_path):
    amx = ("amx_bf16",)
    assert choose(tmp_path, flags=amx, measure=lambda: 3.0).precision == "bfloat16"
    again = choose(tmp_path, flags=amx, measure=lambda: 0.7, version="2.22")
    assert again.precision == "float32"


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"k": {"precision": 5}}'])
def test_a_corrupt_cache_is_measured_again_and_rewritten(tmp_path, content):
    (tmp_path / "precision.json").write_text(content)
    choice = choose(tmp_path, flags=("amx_bf16",), measure=lambda: 2.5)
    assert choice.precision == "bfloat16"
    assert json.loads((tmp_path / "precision.json").read_text())


def test_an_unwritable_cache_still_decides_and_says_so(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    choice = choose_precision(
        device=CPU,
        flags={"amx_bf16"},
        gpu_capability=None,
        tensorflow_version="2.21",
        measure=lambda: 0.5,
        cache=blocker / "precision.json",  # a folder that is a file
    )
    assert choice.precision == "float32" and "not kept" in choice.reason


def test_a_device_without_a_bfloat16_kernel_measures_zero():
    def seconds(dtype):
        if dtype == "bfloat16":
            raise RuntimeError("no bfloat16 Conv2D kernel")
        return 0.01

    assert measured_speedup(seconds=seconds) == 0.0


def test_the_probe_times_real_convolutions():
    for dtype in ("float32", "bfloat16"):
        assert 0 < convolution_seconds(dtype) < 10, dtype


def test_auto_precision_here_is_stable_within_and_across_calls(tmp_path, monkeypatch):
    monkeypatch.setenv("TF_STYLE_CACHE_DIR", str(tmp_path))
    auto_precision.cache_clear()
    try:
        first = auto_precision()
        auto_precision.cache_clear()
        assert auto_precision() == first
    finally:
        auto_precision.cache_clear()
