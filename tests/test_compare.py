"""The comparison: the command end to end, the API, and bad input before any model."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error

import PIL.Image
import pytest
import tensorflow as tf

from tests.conftest import ASSETS, TINY, command_environment, replace
from tests.test_fast import TFLITE_DIR, StandInStylizer, needs_tflite
from tf_style.compare import main
from tf_style.evaluation.comparison import run_comparison
from tf_style.evaluation.metrics import QualityScores
from tf_style.fast.saved_model import LOCAL_COPY_HELP

pytestmark = pytest.mark.slow

QUICK = ["--max-dim", "48", "--epochs", "1", "--steps-per-epoch", "3"]
QUICK_CONFIG = replace(TINY, max_dim=48, epochs=1, steps_per_epoch=3)


def run_command(*args: str) -> subprocess.CompletedProcess:
    """``python -m tf_style.compare`` as a user runs it, from another folder."""
    env = command_environment()
    return subprocess.run(
        [sys.executable, "-m", "tf_style.compare", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


@needs_tflite
def test_command_end_to_end_with_the_tflite_pair(tmp_path):
    out = tmp_path / "out"
    started = time.perf_counter()
    done = run_command("--output", str(out), "--tflite-dir", str(TFLITE_DIR), *QUICK)
    wall = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    for name in ("comparison.png", "comparison.md", "fast.png", "optimization.png"):
        assert (out / name).is_file(), name
    report = json.loads((out / "comparison.json").read_text())
    assert report["fast"]["error"] is None
    assert "TensorFlow Lite" in report["fast"]["model"]
    assert set(report["fast"]["scores"]) == {"style", "content", "variation", "total"}
    seconds = report["fast"]["seconds"]
    assert 0 < seconds["load"] < wall and 0 < seconds["stylize"] < wall
    assert report["optimization"]["status"] == "completed"
    assert report["content_reference"]["scores"]["content"] == 0
    assert report["config"]["max_dim"] == 48 and report["config"]["epochs"] == 1
    with (
        PIL.Image.open(out / "fast.png") as fast,
        PIL.Image.open(out / "optimization.png") as optimized,
    ):
        assert fast.size == optimized.size == (48, 31)  # 31.9, truncated
    assert "style distance" in done.stdout and "Traceback" not in done.stderr


def test_command_without_a_fast_model_still_compares(tmp_path):
    not_a_model = tmp_path / "empty_folder"
    not_a_model.mkdir()
    out = tmp_path / "out"
    done = run_command("--output", str(out), "--hub-handle", str(not_a_model), *QUICK)
    assert done.returncode == 0, done.stderr
    missing = [
        line for line in done.stderr.splitlines() if "fast model missing" in line
    ]
    assert len(missing) == 1 and "no saved_model.pb" in missing[0]
    assert "Traceback" not in done.stderr
    assert not (out / "fast.png").exists()
    assert (out / "optimization.png").is_file() and (out / "comparison.png").is_file()
    report = json.loads((out / "comparison.json").read_text())
    assert "no saved_model.pb" in report["fast"]["error"]
    assert report["fast"]["scores"] is None and report["fast"]["image"] is None
    assert "Fast model missing" in (out / "comparison.md").read_text()


def test_offline_tutorial_handle_leaves_the_fast_column_empty_and_says_why(
    tmp_path, monkeypatch, real_extractor
):
    import tensorflow_hub

    def offline(handle, *args, **kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(tensorflow_hub, "load", offline)
    comparison = run_comparison(
        ASSETS / "chelsea.png",
        ASSETS / "starry_night.jpg",
        tmp_path,
        QUICK_CONFIG,
        extractor=real_extractor,
    )
    assert comparison.fast_image is None and comparison.scores["fast"] is None
    assert "Could not download" in comparison.fast_error
    assert LOCAL_COPY_HELP.split(":")[0] in comparison.fast_error
    assert comparison.timings["fast_load"] is None
    assert comparison.timings["optimization_stylize"] > 0
    assert "fast_image" not in comparison.paths
    assert "Could not download" in (tmp_path / "comparison.md").read_text()


def test_run_comparison_with_a_saved_model_fills_every_field(tmp_path, real_extractor):
    model_dir = tmp_path / "stand_in"
    tf.saved_model.save(StandInStylizer(), str(model_dir))
    content = tf.image.resize(tf.random.uniform([1, 40, 48, 3], seed=1), (32, 48))
    comparison = run_comparison(
        content,
        ASSETS / "starry_night.jpg",
        tmp_path / "out",
        QUICK_CONFIG,
        hub_handle=model_dir,
        extractor=real_extractor,
    )
    assert comparison.fast_error is None and "SavedModel" in comparison.fast_model
    assert comparison.fast_image.shape == comparison.optimized_image.shape
    assert comparison.content_image.shape == (1, 32, 48, 3)
    assert all(isinstance(s, QualityScores) for s in comparison.scores.values())
    assert comparison.scores["content"].content == pytest.approx(0.0, abs=1e-6)
    assert set(comparison.timings) == {
        "fast_load",
        "fast_stylize",
        "fast_stylize_warm",
        "optimization_load",
        "optimization_stylize",
    }
    assert all(path.is_file() for path in comparison.paths.values())
    assert comparison.inputs["content"] == "tensor [1, 32, 48, 3]"


# --- bad input: one line, exit 2, before any model is built --------------------


@pytest.fixture
def no_models(monkeypatch):
    """Fail the test if the command gets as far as building a model."""

    def forbidden(*args, **kwargs):
        raise AssertionError("a model was built before the input was checked")

    monkeypatch.setattr("tf_style.evaluation.comparison.run_comparison", forbidden)


def corrupt_image(tmp_path):
    path = tmp_path / "broken.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    return path


@pytest.mark.parametrize(
    "make_args, expected",
    [
        pytest.param(
            lambda t: ["--content", str(t / "missing.jpg")],
            "no such file",
            id="missing-content",
        ),
        pytest.param(
            lambda t: ["--style", str(corrupt_image(t))],
            "not a readable image",
            id="corrupt-style",
        ),
        pytest.param(
            lambda t: ["--output", str(ASSETS / "chelsea.png" / "x")],
            "output directory",
            id="unwritable-output",
        ),
        pytest.param(
            lambda t: ["--hub-handle", str(t / "nowhere")],
            "no such SavedModel",
            id="missing-hub-folder",
        ),
        pytest.param(
            lambda t: ["--tflite-dir", str(t / "nowhere")],
            "no such folder",
            id="missing-tflite-dir",
        ),
        pytest.param(
            lambda t: ["--weights", str(t / "vgg.h5")],
            "no such weights file",
            id="missing-weights",
        ),
        pytest.param(
            lambda t: ["--strength", "0.5"],
            "needs the TensorFlow Lite pair",
            id="strength-without-tflite",
        ),
        pytest.param(
            lambda t: ["--max-dim", "8"],
            "max_dim must be at least 32",
            id="config-out-of-range",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    make_args, expected, tmp_path, capsys, no_models
):
    argv = ["--output", str(tmp_path / "out"), *make_args(tmp_path)]
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], captured.err
    assert lines[0].startswith("tf-style-compare: error:")


def test_missing_bundled_assets_say_which_flag_to_pass(
    tmp_path, capsys, monkeypatch, no_models
):
    monkeypatch.setattr(
        "tf_style.commands.cli.bundled_images", lambda: tmp_path
    )  # none
    assert main(["--output", str(tmp_path / "out")]) == 2
    assert "pass --content PATH" in capsys.readouterr().err


class OneInputModel(tf.Module):
    """A SavedModel with another calling convention than the tutorial's."""

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
    def __call__(self, image):
        return [image]


def test_a_model_that_fails_while_stylising_leaves_the_column_empty(tmp_path):
    from tf_style.evaluation.comparison import run_fast
    from tf_style.fast import HubStylizer

    tf.saved_model.save(OneInputModel(), str(tmp_path / "other"))
    fast = run_fast(
        tf.zeros([1, 32, 32, 3]),
        tf.zeros([1, 32, 32, 3]),
        model=HubStylizer(tmp_path / "other"),
        hub_handle=None,
        tflite_dir=None,
        strength=1.0,
    )
    assert fast.image is None and "failed while stylising" in fast.error
    assert "\n" not in fast.error and fast.timings["fast_load"] is None


@pytest.mark.parametrize("name", ["fast.png", "optimization.png", "comparison.md"])
def test_outputs_never_overwrite_an_input(tmp_path, capsys, no_models, name):
    out = tmp_path / "out"
    out.mkdir()
    source = out / name
    source.write_bytes((ASSETS / "chelsea.png").read_bytes())
    before = source.read_bytes()
    assert main(["--output", str(out), "--content", str(source), *QUICK]) == 2
    assert "refusing to overwrite the input" in capsys.readouterr().err
    assert source.read_bytes() == before


def test_help_says_a_saved_model_is_a_program(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "Only load models you trust" in " ".join(capsys.readouterr().out.split())
