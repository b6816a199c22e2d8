"""The comparison: the command end to end, the API, and bad input before any model.

Also a network of your own (``--network``, a tiny ``tf_style.fit`` export made here)
as a third method beside the fast model and the optimisation.
"""

from __future__ import annotations

import dataclasses
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
from tf_style.evaluation.comparison import run_comparison, run_fast
from tf_style.evaluation.metrics import QualityScores
from tf_style.evaluation.report import comparison_figure
from tf_style.fast.saved_model import LOCAL_COPY_HELP, TUTORIAL_HUB_HANDLE

pytestmark = pytest.mark.slow

QUICK = ["--max-dim", "48", "--epochs", "1", "--steps-per-epoch", "3"]
QUICK_CONFIG = replace(TINY, max_dim=48, epochs=1, steps_per_epoch=3)
NETWORK_HEADER = "| | content | fast model | your network | optimisation |"
NETWORK_HELP = "a network trained with tf-style-fit: its folder or saved_model/ folder"


@pytest.fixture(scope="module")
def tiny_network(tmp_path_factory):
    """A tf_style.fit export (untrained, 4 filters): ``saved_model/`` and
    ``network.json``, no TFLite files."""
    from tf_style.fit.export import export_network
    from tf_style.fit.networks import johnson_network

    folder = tmp_path_factory.mktemp("fit") / "net"
    export_network(
        johnson_network(width=4, residual_blocks=1), "johnson", folder, tflite=False
    )
    return folder


def without_network(report: dict, markdown: str, folder) -> None:
    """The outputs are those of a comparison that never heard of a network."""
    assert "network" not in report
    assert "your network" not in markdown.lower()
    assert not (folder / "network.png").exists()


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


@pytest.fixture
def run_here(capsys):
    """``run_command`` in this process: ``main(argv)``, its output captured; a
    CompletedProcess, so both are checked the same way (a TensorFlow start is
    ~6 s; the TFLite pair's run above stays a process, as a user runs it)."""

    def run(*args: str) -> subprocess.CompletedProcess:
        capsys.readouterr()
        status = main(list(args))
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, status, out, err)

    return run


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
    without_network(report, (out / "comparison.md").read_text(), out)
    assert "network_image" not in done.stdout and "your network" not in done.stdout
    assert "your network" not in done.stderr


@needs_tflite
def test_command_with_your_network_adds_a_column_an_image_and_a_section(
    tmp_path, tiny_network, run_here
):
    out = tmp_path / "out"
    done = run_here(
        "--output",
        str(out),
        "--tflite-dir",
        str(TFLITE_DIR),
        "--network",
        str(tiny_network),
        *QUICK,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "missing" not in done.stderr
    report = json.loads((out / "comparison.json").read_text())
    assert list(report).index("fast") + 1 == list(report).index("network")
    assert list(report).index("network") + 1 == list(report).index("optimization")
    network = report["network"]
    assert set(network) == set(report["fast"])  # shaped like the fast section
    assert network["error"] is None and network["strength"] == 1.0
    assert str(tiny_network) in network["model"]
    assert network["image"] == "network.png"
    assert all(value > 0 for value in network["seconds"].values())
    assert set(network["scores"]) == {"style", "content", "variation", "total"}
    assert report["fast"]["error"] is None  # Magenta's model still ran beside it
    with PIL.Image.open(out / "network.png") as image:
        assert image.size == (48, 31)  # the content's size
    assert NETWORK_HEADER in (out / "comparison.md").read_text()
    assert NETWORK_HEADER in done.stdout and f"network_image: {out}" in done.stdout


def test_command_without_a_fast_model_still_compares(tmp_path, run_here):
    not_a_model = tmp_path / "empty_folder"
    not_a_model.mkdir()
    out = tmp_path / "out"
    done = run_here("--output", str(out), "--hub-handle", str(not_a_model), *QUICK)
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


def test_a_long_download_error_keeps_the_fix_in_the_fast_column(monkeypatch):
    """A proxy's or DNS's reason can run to hundreds of characters; the fix after
    it (the local copies to give, where to get the TFLite pair) is never cut."""
    import tensorflow_hub

    reason = "[Errno -3] Temporary failure in name resolution " + "x" * 2000

    def offline(handle, *args, **kwargs):
        raise urllib.error.URLError(reason)

    monkeypatch.setattr(tensorflow_hub, "load", offline)
    image = tf.zeros([1, 32, 32, 3])
    run = run_fast(
        image, image, model=None, hub_handle=None, tflite_dir=None, strength=1.0
    )
    fix = LOCAL_COPY_HELP.format(handle=TUTORIAL_HUB_HANDLE)
    assert run.image is None and run.error.endswith(fix)
    assert "Temporary failure in name resolution" in run.error
    assert "x" * 300 not in run.error and "\n" not in run.error
    assert "Kaggle Models google/arbitrary-image-stylization-v1" in run.error


def compare_with_stand_in(tmp_path, extractor, size: tuple[int, int], **options):
    """run_comparison on random content of ``size`` with a stand-in SavedModel as
    the fast model (``options``: e.g. ``network``)."""
    model_dir = tmp_path / "stand_in"
    tf.saved_model.save(StandInStylizer(), str(model_dir))
    content = tf.image.resize(tf.random.uniform([1, 40, 48, 3], seed=1), size)
    return run_comparison(
        content,
        ASSETS / "starry_night.jpg",
        tmp_path / "out",
        QUICK_CONFIG,
        hub_handle=model_dir,
        extractor=extractor,
        **options,
    )


def test_run_comparison_with_a_saved_model_fills_every_field(tmp_path, real_extractor):
    comparison = compare_with_stand_in(tmp_path, real_extractor, (32, 48))
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
    assert comparison.network_image is None and not comparison.has_network
    assert (
        "network" not in comparison.scores and "network_image" not in comparison.paths
    )
    report = json.loads(comparison.paths["json"].read_text())
    without_network(report, comparison.paths["markdown"].read_text(), tmp_path / "out")
    assert len(comparison_figure(comparison).axes) == 4


# --- your network: a third column, through the fast model's code -----------------


def test_run_comparison_with_your_network_scores_and_writes_it(
    tmp_path, real_extractor, tiny_network
):
    comparison = compare_with_stand_in(
        tmp_path, real_extractor, (30, 46), network=tiny_network
    )
    assert comparison.network_error is None and comparison.has_network
    assert "SavedModel" in comparison.network_model
    assert str(tiny_network) in comparison.network_model
    # 30x46 is no multiple of the network's stride 4: padded, then cropped back.
    assert comparison.network_image.shape == (1, 30, 46, 3)
    assert isinstance(comparison.scores["network"], QualityScores)
    assert comparison.scores["network"] != comparison.scores["fast"]
    for key in ("network_load", "network_stylize", "network_stylize_warm"):
        assert comparison.timings[key] > 0, key
    assert comparison.paths["network_image"] == tmp_path / "out" / "network.png"
    with PIL.Image.open(comparison.paths["network_image"]) as image:
        assert image.size == (46, 30)
    report = json.loads(comparison.paths["json"].read_text())
    scores = report["network"]["scores"]
    assert set(scores) == {"style", "content", "variation", "total"}
    assert all(isinstance(value, float) for value in scores.values())
    assert report["network"]["scores"] == comparison.scores["network"].to_dict()
    assert report["network"]["strength"] == 1.0  # strength is the fast model's
    markdown = comparison.paths["markdown"].read_text()
    header, rule = markdown.splitlines()[:2]
    assert header == NETWORK_HEADER and rule == "|---|---|---|---|---|"
    assert all(line.count("|") == 6 for line in markdown.splitlines()[:9])
    figure = comparison_figure(comparison)
    plain = dataclasses.replace(
        comparison, network_image=None, network_model=None, network_error=None
    )
    assert len(figure.axes) == len(comparison_figure(plain).axes) + 1 == 5
    assert figure.axes[3].get_title() == "your network"


def test_a_missing_network_folder_leaves_its_column_empty_and_says_why(
    tmp_path, real_extractor
):
    out = tmp_path / "out"
    out.mkdir()
    (out / "network.png").write_bytes(b"from an earlier run")
    comparison = run_comparison(
        ASSETS / "chelsea.png",
        ASSETS / "starry_night.jpg",
        out,
        QUICK_CONFIG,
        fast_model=stand_in_hub(tmp_path),
        extractor=real_extractor,
        network=tmp_path / "nowhere",
    )
    error = comparison.network_error
    assert "nowhere: no such folder" in error and "\n" not in error
    assert "Offline" not in error  # the tutorial model's advice does not apply
    assert comparison.network_image is None and comparison.scores["network"] is None
    assert comparison.timings["network_load"] is None
    assert comparison.fast_error is None and comparison.optimized_image is not None
    assert not (out / "network.png").exists()  # the stale one is gone
    report = json.loads(comparison.paths["json"].read_text())
    assert report["network"]["error"] == error
    assert report["network"]["scores"] is None and report["network"]["image"] is None
    markdown = comparison.paths["markdown"].read_text()
    assert NETWORK_HEADER in markdown
    assert f"**Your network missing:** {error}" in markdown
    assert len(comparison_figure(comparison).axes) == 5


def test_a_loaded_network_model_is_used_as_given(
    tmp_path, real_extractor, tiny_network
):
    from tf_style.fast import load_fast_model

    loaded = load_fast_model(hub_handle=tiny_network)
    comparison = run_comparison(
        ASSETS / "chelsea.png",
        ASSETS / "starry_night.jpg",
        tmp_path,
        QUICK_CONFIG,
        fast_model=stand_in_hub(tmp_path),
        extractor=real_extractor,
        network_model=loaded,
    )
    assert comparison.network_error is None
    assert comparison.network_model == loaded.source
    assert comparison.timings["network_load"] == loaded.load_seconds
    assert comparison.network_image.shape == comparison.content_image.shape


def stand_in_hub(tmp_path):
    """The stand-in SavedModel, loaded as a fast model."""
    from tf_style.fast import HubStylizer

    tf.saved_model.save(StandInStylizer(), str(tmp_path / "stand_in"))
    return HubStylizer(tmp_path / "stand_in")


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
            "no such folder (--tflite-dir). Give the TensorFlow Lite pair, "
            "style_predict*.tflite and style_transfer*.tflite from the TensorFlow Lite "
            "variations of Kaggle Models google/arbitrary-image-stylization-v1",
            id="missing-tflite-dir",
        ),
        pytest.param(
            lambda t: ["--network", str(t / "nowhere")],
            "no such folder (--network)",
            id="missing-network",
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
        "tf_style.commands.cli.bundled_folder", lambda: tmp_path
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


@pytest.mark.parametrize(
    "name", ["fast.png", "network.png", "optimization.png", "comparison.md"]
)
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


def test_help_describes_the_network_option(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert NETWORK_HELP in " ".join(capsys.readouterr().out.split())


@needs_tflite
def test_stdout_on_a_full_device_loses_no_result(tmp_path):
    """The table goes to stdout last: on a full disk the files are all written, then
    one line says stdout failed (status 1), never an OSError traceback."""
    out = tmp_path / "out"
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "tf_style.compare", "--output", str(out)]
            + ["--tflite-dir", str(TFLITE_DIR), "--memory-limit", "2G", *QUICK],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=command_environment(),
            timeout=600,
        )
    assert done.returncode == 1, done.stderr
    ours = [line for line in done.stderr.splitlines() if line.startswith("tf-style")]
    assert len(ours) == 1 and "could not write to stdout" in ours[0]
    assert "Traceback" not in done.stderr
    for name in ("comparison.png", "comparison.json", "comparison.md", "fast.png"):
        assert (out / name).is_file(), name
