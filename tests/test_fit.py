"""Training your own fast network: the loss, resuming, refusals, two devices.

Tiny everything (32-px crops, width-4 networks, a handful of steps): these check
that the machinery is right, not that the networks are good; that is
benchmarks/fast_networks.py's job.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tests.conftest import command_environment
from tests.one_process import Run, run_in_one_process
from tf_style.fit import FitConfig, fit
from tf_style.fit.config import resume_conflicts
from tf_style.fit.networks import (
    adaptive_instance_norm,
    johnson_network,
    pad_to_multiple,
)
from tf_style.fit.run import ResumeConflict
from tf_style.objective import StyleContentLoss
from tf_style.vgg.weights import load_vgg19

ROOT = Path(__file__).resolve().parents[1]
STYLE = ROOT / "tf_style" / "data" / "starry_night.jpg"
TINY = dict(
    steps=4,
    batch_size=2,
    image_size=32,
    width=4,
    held_out=1,
    log_every=1,
    preview_every=2,
    checkpoint_every=2,
)


@pytest.fixture(scope="module")
def vgg():
    return load_vgg19()


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    """Six small photo-like images (smooth gradients with a shape each)."""
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(3)
    for index in range(6):
        y, x = np.mgrid[0:48, 0:64] / 64.0
        image = np.stack([x, y, (x + y) / 2], axis=-1) * rng.uniform(0.3, 1.0, 3)
        top, left = rng.integers(0, 30, 2)
        image[top : top + 16, left : left + 20] = rng.uniform(0, 1, 3)
        Image.fromarray((image * 255).astype(np.uint8)).save(folder / f"p{index}.png")
    return folder


def network_weights(directory: Path, vgg, config: FitConfig) -> list[np.ndarray]:
    """The weights a run left in its newest checkpoint."""
    from tf_style.fit.training import build_network

    network = build_network(config, vgg)
    checkpoint = tf.train.Checkpoint(network=network)
    checkpoint.restore(tf.train.latest_checkpoint(directory / "checkpoints"))
    return [w.numpy() for w in network.weights]


def fit_here(config: FitConfig, photos: Path, vgg, folder: Path):
    """Train the starry-night network on ``photos`` in ``folder``, no export."""
    return fit(
        config,
        style=STYLE,
        content=str(photos),
        directory=folder,
        export=False,
        vgg=vgg,
    )


def test_adaptive_instance_norm_moves_each_channels_mean_and_deviation():
    rng = np.random.default_rng(0)
    content = tf.constant(rng.normal(2.0, 3.0, (2, 8, 8, 4)), tf.float32)
    style = tf.constant(rng.normal(-1.0, 0.5, (2, 5, 7, 4)), tf.float32)
    out = adaptive_instance_norm(content, style).numpy()
    np.testing.assert_allclose(
        out.mean(axis=(1, 2)), style.numpy().mean(axis=(1, 2)), atol=1e-4
    )
    np.testing.assert_allclose(
        out.std(axis=(1, 2)), style.numpy().std(axis=(1, 2)), rtol=1e-3
    )


def test_johnson_network_keeps_the_size_and_the_range():
    network = johnson_network(width=4, residual_blocks=1)
    image = tf.random.uniform([1, 36, 52, 3])
    out = network(pad_to_multiple(image))[:, :36, :52]
    assert out.shape == (1, 36, 52, 3)
    assert 0.0 <= float(tf.reduce_min(out)) and float(tf.reduce_max(out)) <= 1.0


def test_the_training_loss_is_the_optimisations_loss(vgg):
    """scored() with a batch's own content features equals the loss an
    optimisation of that photo would compute (the one loss, not a copy)."""
    from tf_style.vgg.model import StyleContentModel

    extractor = StyleContentModel(vgg=vgg)
    style = tf.random.uniform([1, 40, 40, 3], seed=1)
    photo = tf.random.uniform([1, 32, 32, 3], seed=2)
    image = tf.random.uniform([1, 32, 32, 3], seed=3)
    other = tf.random.uniform([1, 32, 32, 3], seed=4)
    optimisation = StyleContentLoss(extractor, photo, style)
    training = StyleContentLoss(extractor, other, style)  # built on another photo
    scored = training.scored(image, extractor(photo)["content"])
    for name, value in optimisation.terms(image).items():
        np.testing.assert_allclose(scored[name].numpy(), value.numpy(), rtol=1e-5)


def test_training_lowers_the_loss_and_writes_its_record(photos, vgg, tmp_path):
    config = FitConfig(**TINY | {"steps": 12, "learning_rate": 0.01})
    result = fit_here(config, photos, vgg, tmp_path)
    history = result.record["history"]
    assert [row["step"] for row in history] == list(range(1, 13))
    first, last = (
        np.mean([r["total"] for r in history[:3]]),
        np.mean([r["total"] for r in history[-3:]]),
    )
    assert last < first
    record = json.loads((tmp_path / "fit.json").read_text())
    assert record["steps_done"] == 12 and record["held_out_losses"]
    assert len(record["held_out"]) == 1
    assert sorted(p.name for p in (tmp_path / "previews").iterdir())[-1] == (
        "step_000012.png"
    )
    assert list((tmp_path / "logs").iterdir())  # TensorBoard events


def straight_and_resumed(
    config, style, photos, vgg, folder: Path, stop: int, *, export: bool = True
):
    """Train ``config`` straight into ``folder/straight``; then into
    ``folder/stopped``, interrupted (Ctrl-C) after step ``stop`` and run again.
    Returns the second run's result (which exports, unless ``export`` is False)."""
    common = dict(style=style, content=str(photos), vgg=vgg)
    fit(config, directory=folder / "straight", export=False, **common)

    def interrupt(losses):
        if losses.step == stop:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit(config, directory=folder / "stopped", export=False, on_step=interrupt,
            **common)  # fmt: skip
    record = json.loads((folder / "stopped" / "fit.json").read_text())
    assert record["steps_done"] == stop
    return fit(config, directory=folder / "stopped", export=export, **common)


def assert_same_weights(folder: Path, vgg, config: FitConfig) -> None:
    straight = network_weights(folder / "straight", vgg, config)
    resumed = network_weights(folder / "stopped", vgg, config)
    for a, b in zip(straight, resumed, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_an_interrupted_run_resumes_exactly(photos, vgg, tmp_path):
    """Ctrl-C after step 3, then the same command: the weights equal a run that
    was never stopped (same batches, same Adam moments)."""
    config = FitConfig(**TINY | {"steps": 5, "checkpoint_every": 100})
    # No export: the weights are what is checked (the adain test exports).
    result = straight_and_resumed(
        config, STYLE, photos, vgg, tmp_path, stop=3, export=False
    )
    assert_same_weights(tmp_path, vgg, config)
    assert [row["step"] for row in result.record["history"]] == [1, 2, 3, 4, 5]


def test_resuming_with_other_fixed_settings_is_refused(photos, vgg, tmp_path):
    config = FitConfig(**TINY | {"steps": 2})
    fit_here(config, photos, vgg, tmp_path)
    assert resume_conflicts(config, FitConfig(**TINY | {"steps": 9})) == []
    with pytest.raises(ResumeConflict, match="image_size"):
        fit_here(FitConfig(**TINY | {"image_size": 48}), photos, vgg, tmp_path)


def test_luminance_training_keeps_each_photos_colours(photos, vgg, tmp_path):
    from tf_style.color import chrominance_distance
    from tf_style.fit.data import load_photos

    config = FitConfig(**TINY | {"steps": 2, "preserve_color": "luminance"})
    result = fit_here(config, photos, vgg, tmp_path)
    from tf_style.fit.training import inference_network

    trained = network_weights(tmp_path, vgg, config)
    from tf_style.fit.training import build_network

    network = build_network(config, vgg)
    network.set_weights(trained)
    photo = load_photos([Path(result.record["held_out"][0])], 32)
    coloured = inference_network(network, config)(photo)
    plain = network(photo)
    assert chrominance_distance(coloured, photo) < 0.25 * chrominance_distance(
        plain, photo
    )


@pytest.mark.parametrize(
    "change, message",
    [
        ({"architecture": "vgg"}, "architecture"),
        ({"architecture": "adain", "preserve_color": "luminance"}, "adain"),
        ({"preserve_color": "histogram"}, "histogram"),
        ({"steps": 0}, "steps"),
        ({"image_size": 8}, "image_size"),
        ({"style_weight": float("nan")}, "style_weight must be a finite"),
        ({"learning_rate": float("inf")}, "learning_rate must be a finite"),
        ({"style_scale": 0.0}, "style_scale must be above 0"),
        ({"held_out": -1}, "held_out must be >= 0"),
        ({"style_layer_weights": (1.0, float("nan"))}, "style_layer_weights"),
        ({"style_layer_weights": (1.0, 2.0)}, "2 weights for the 5 style layers"),
        ({"seed": -1}, "seed must be between 0 and 4294967295"),
        ({"seed": 2**32}, "seed must be between"),
    ],
)
def test_impossible_settings_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        FitConfig(**TINY | change)


def run_command(*args: str, env: dict | None = None, timeout: int = 600):
    return subprocess.run(
        [sys.executable, "-m", "tf_style.fit", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=command_environment(**(env or {})),
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def run_here(capsys):
    """``run_command`` in this process: ``main(argv)``, its output captured; a
    CompletedProcess, so both are checked the same way. For runs whose checks need
    no process of their own (TensorFlow's start-up lines, a signal from outside)."""
    from tf_style.fit.command import main

    def run(*args: str) -> subprocess.CompletedProcess:
        capsys.readouterr()
        status = main(list(args))
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, status, out, err)

    return run


BAD_INPUT = [
    (["--style", "missing.jpg"], "missing.jpg"),
    (["--content", "/nowhere/at/all"], "/nowhere/at/all"),
    (["--steps", "0"], "steps"),
    (["--arch", "adain", "--preserve-color", "luminance"], "adain"),
    (["--output", "PHOTOS/model"], "previews would become training images"),
    (["--time-limit", "0"], "--time-limit"),
]
NO_OUTPUT_FOLDER = [
    "--style", str(STYLE), "--content", "PHOTOS", "--output", "/proc/no/such/model",
    "--image-size", "32", "--width", "4", "--steps", "1",
]  # fmt: skip


@pytest.fixture(scope="module")
def refused(photos, tmp_path_factory) -> list[subprocess.CompletedProcess]:
    """BAD_INPUT's command lines, then NO_OUTPUT_FOLDER, as a user runs them, all in
    one fresh process (tests/one_process.py: TensorFlow starts once, the same start
    for each, not 7 times)."""
    runs = []
    for args, _ in BAD_INPUT:
        folder = tmp_path_factory.mktemp("refused")
        base = {"--style": str(STYLE), "--content": "PHOTOS", "--output": "model"}
        base.update(zip(args[::2], args[1::2], strict=True))
        argv = [item for pair in base.items() for item in pair]
        runs.append(Run("tf_style.fit.command", argv, folder))
    runs.append(
        Run("tf_style.fit.command", NO_OUTPUT_FOLDER, tmp_path_factory.mktemp("no"))
    )
    for run in runs:
        run.argv[:] = [arg.replace("PHOTOS", str(photos)) for arg in run.argv]
    return run_in_one_process(runs)


@pytest.mark.parametrize(
    "index", range(len(BAD_INPUT)), ids=[" ".join(args) for args, _ in BAD_INPUT]
)
def test_the_command_refuses_bad_input_in_one_line(refused, index):
    done, message = refused[index], BAD_INPUT[index][1]
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


WORKER = """
import sys, numpy as np
from tf_style.batch.distribute import split_cpu
split_cpu(2)
import tensorflow as tf
from tf_style.fit import FitConfig, fit
from tf_style.fit.training import build_network
from tf_style.vgg.weights import load_vgg19
photos, out = sys.argv[1], sys.argv[2]
vgg = load_vgg19()
config = FitConfig(steps=3, batch_size=2, image_size=32, width=4, held_out=1,
                   log_every=1, preview_every=3, checkpoint_every=3)
weights, losses = {}, {}
for name, strategy in (("one", None),
                       ("two", tf.distribute.MirroredStrategy(["CPU:0", "CPU:1"]))):
    result = fit(config, style=sys.argv[3], content=photos, directory=f"{out}/{name}",
                 strategy=strategy, export=False, vgg=vgg)
    losses[name] = [row["total"] for row in result.record["history"]]
    weights[name] = result.record["replicas"]
    network = build_network(config, vgg)
    tf.train.Checkpoint(network=network).restore(
        tf.train.latest_checkpoint(f"{out}/{name}/checkpoints")).expect_partial()
    np.savez(f"{out}/{name}.npz", *[w.numpy() for w in network.weights])
np.savez(f"{out}/losses.npz", one=losses["one"], two=losses["two"],
         replicas=[weights["one"], weights["two"]])
"""


def test_two_logical_devices_train_like_one(photos, tmp_path):
    """MirroredStrategy over two logical CPUs: each replica takes half the batch;
    the summed gradients give the one-device run's losses and weights."""
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    done = subprocess.run(
        [sys.executable, str(script), str(photos), str(tmp_path), str(STYLE)],
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    losses = np.load(tmp_path / "losses.npz")
    assert list(losses["replicas"]) == [1, 2]
    np.testing.assert_allclose(losses["one"], losses["two"], rtol=1e-4)
    one, two = np.load(tmp_path / "one.npz"), np.load(tmp_path / "two.npz")
    for key in one.files:
        np.testing.assert_allclose(one[key], two[key], rtol=1e-3, atol=1e-5)


@pytest.fixture(scope="module")
def styles(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("styles")
    for path in (STYLE, ROOT / "assets" / "the_scream.jpg"):
        image = Image.open(path).convert("RGB")
        image.thumbnail((64, 64))
        image.save(folder / f"{path.stem}.png")
    return folder


def test_the_adain_encoder_is_the_extractors_content_layer(vgg):
    """Training reads the styles' encoder features off the loss's extractor (one
    VGG19 pass for both): the two must be the same numbers."""
    from tf_style.fit.networks import ADAIN_ENCODER_LAYER, adain_encoder
    from tf_style.fit.training import build_extractor

    config = FitConfig(**TINY | {"architecture": "adain"})
    image = tf.random.uniform([2, 40, 48, 3], seed=3)
    encoded = adain_encoder(vgg)(image)
    extracted = build_extractor(config, vgg)(image)["content"][ADAIN_ENCODER_LAYER]
    assert encoded.shape == extracted.shape
    np.testing.assert_allclose(encoded, extracted, rtol=1e-5, atol=1e-4)


@pytest.fixture
def conversions(monkeypatch) -> list[str]:
    """TensorFlow Lite conversion replaced by a stand-in that records each variant.

    Converting is about 10 s a file on 2 cores; tests/test_fit_export.py converts
    a Johnson and an AdaIN network for real and runs the files. Here what is
    checked is that a run exports, and both files are asked for and written.
    """
    asked: list[str] = []

    def stand_in(module, variant: str) -> bytes:
        asked.append(variant)
        return f"stand-in {variant}".encode()

    monkeypatch.setattr("tf_style.fit.export.convert_to_tflite", stand_in)
    return asked


def test_adain_trains_resumes_exactly_and_exports(
    photos, styles, vgg, tmp_path, conversions
):
    """The arbitrary-style network through the same loop: stopped and resumed it
    equals a straight run; exported, it takes any style and a strength."""
    from tf_style.fast import load_fast_model

    config = FitConfig(
        **TINY | {"architecture": "adain", "width": 8, "steps": 3, "preview_every": 3}
    )
    result = straight_and_resumed(config, str(styles), photos, vgg, tmp_path, stop=2)
    assert_same_weights(tmp_path, vgg, config)
    assert set(result.exported) == {"saved_model", "float16", "int8"}
    assert sorted(conversions) == ["float16", "int8"]
    model = load_fast_model(hub_handle=tmp_path / "stopped")
    photo = tf.random.uniform([1, 40, 48, 3], seed=5)
    style = tf.random.uniform([1, 40, 40, 3], seed=6)
    full, half = model(photo, style), model(photo, style, strength=0.5)
    assert full.shape == (1, 40, 48, 3)
    assert float(tf.reduce_mean(tf.abs(full - half))) > 1e-4


def test_a_file_that_is_no_image_is_one_note_and_training_goes_on(photos, tmp_path):
    """A process of its own: the note is the command's rendering of a warning,
    which this process's warnings-as-errors would raise instead."""
    folder = tmp_path / "photos"
    shutil.copytree(photos, folder)
    (folder / "notes.png").write_text("not an image")
    done = run_command(
        "--style", str(STYLE), "--content", str(folder), "--output",
        str(tmp_path / "model"), "--image-size", "32", "--batch-size", "2",
        "--width", "4", "--held-out", "1", "--steps", "1", "--no-export",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    notes = [line for line in done.stderr.splitlines() if "notes.png" in line]
    assert len(notes) == 1 and notes[0].startswith("tf-style-fit: note: Skipped 1")
    assert "Warning" not in done.stderr
    assert not (tmp_path / "model" / "saved_model").exists()  # --no-export


def test_an_output_folder_that_cannot_be_made_is_refused_before_any_work(refused):
    done = refused[len(BAD_INPUT)]
    assert done.returncode == 2, done.stderr[-2000:]
    assert "/proc/no/such/model" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_other_held_out_photos_cannot_continue_a_run():
    config = FitConfig(**TINY)
    conflicts = resume_conflicts(config, FitConfig(**TINY | {"held_out": 2}))
    assert [line.split(":")[0] for line in conflicts] == ["held_out"]


def test_the_command_stops_on_sigterm_continues_and_exports(
    photos, tmp_path, run_here, monkeypatch, conversions
):
    """SIGTERM (a scheduler stopping the job) during step 2: the step ends, and
    only then the run, checkpointed at step 2 with its record; one line says how to
    continue (status 130). The same command, without --no-export, continues to
    step 3 and exports. Both runs are in this process and the signal comes from
    the step, as in test_fit_resume's Ctrl-C test; a command's handlers in a
    process of its own are tested there (Ctrl-C) and in test_train (SIGTERM)."""
    from tf_style.fit.training import NetworkTrainer

    step = NetworkTrainer.train_step

    def terminated_during_step_2(self):
        losses = step(self)
        if losses.step == 2:
            # The command's handler must be there to take it (or pytest ends).
            assert callable(signal.getsignal(signal.SIGTERM))
            os.kill(os.getpid(), signal.SIGTERM)
        return losses

    output = tmp_path / "model"
    args = ["--style", str(STYLE), "--content", str(photos), "--output", str(output),
            "--image-size", "32", "--batch-size", "2", "--width", "4",
            "--held-out", "1", "--log-every", "1"]  # fmt: skip
    monkeypatch.setattr(NetworkTrainer, "train_step", terminated_during_step_2)
    # Checkpoints every 100 steps: the one at step 2 is the interrupt's.
    stopped = run_here(*args, "--steps", "100000", "--no-export")
    assert stopped.returncode == 130, stopped.stderr[-2000:]
    assert "run the same command to continue" in stopped.stderr
    record = json.loads((output / "fit.json").read_text())
    assert record["steps_done"] == 2 and record["checkpoint"].endswith("ckpt-2")
    assert [row["step"] for row in record["history"]] == [1, 2]
    monkeypatch.setattr(NetworkTrainer, "train_step", step)
    more = run_here(*args, "--steps", "3")
    assert more.returncode == 0, more.stderr[-2000:]
    record = json.loads((output / "fit.json").read_text())
    assert record["steps_done"] == 3
    assert [row["step"] for row in record["history"]] == [1, 2, 3]
    assert (output / "saved_model" / "saved_model.pb").is_file()
    assert sorted(p.name for p in (output / "tflite").iterdir()) == [
        "network_float16.tflite",
        "network_int8.tflite",
    ]
    assert sorted(conversions) == ["float16", "int8"]  # the continued run's only
    assert "held-out loss" in more.stdout


def test_bfloat16_loss_network_trains_and_is_recorded(photos, vgg, tmp_path):
    config = FitConfig(**TINY | {"steps": 2, "mixed_precision": "bfloat16"})
    result = fit_here(config, photos, vgg, tmp_path)
    assert result.record["precision"] == "bfloat16"
    assert all(np.isfinite(row["total"]) for row in result.record["history"])
    with pytest.raises(ValueError, match="loss scaling"):
        FitConfig(**TINY | {"mixed_precision": "float16"})
