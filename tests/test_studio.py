"""The studio: its form is the config, its run is tf_style.stylize, its page is safe.

The form and the update budget are checked as functions; the rest through
``gradio_client`` on a studio served on a random 127.0.0.1 port, as a second
program would use it. The server runs in this process with tf.functions executed
eagerly (at 48 px a run's time is otherwise mostly tracing), for the studio's runs
and the library's alike.
"""

from __future__ import annotations

import json
import shlex
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("gradio")
gradio_client = pytest.importorskip("gradio_client")

import tensorflow as tf  # noqa: E402

from tests.conftest import ASSETS  # noqa: E402
from tests.test_fast import TFLITE_DIR  # noqa: E402
from tf_style.commands.cli import config_from_args  # noqa: E402
from tf_style.commands.train import build_parser  # noqa: E402
from tf_style.config import StyleTransferConfig  # noqa: E402
from tf_style.studio import form, stream  # noqa: E402
from tf_style.studio.safety import host_notice  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    # Gradio's server libraries, in threads of this process.
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.usefixtures("gradio_garbage_collected"),
]

TINY_RUN = {"max_dim": 48, "epochs": 1, "steps_per_epoch": 8, "seed": 3}
# Long enough for a preview between the start and the end on a fast machine: the
# first is due once 3% of the run's time covers an update (about 1.7 s in); 8
# eager 48 px steps ended sooner on a 2-core Zen 5 EPYC.
STREAMED_STEPS = 40


def test_every_config_field_is_a_control_named_by_its_option():
    specs = {spec.name: spec for spec in form.control_specs()}
    fields = StyleTransferConfig.__dataclass_fields__
    assert set(specs) == set(fields) - {"max_dim", "style_blend"}
    for name, spec in specs.items():
        assert spec.flag == "--" + name.replace("_", "-")
        assert spec.help == fields[name].metadata["help"]
        if "choices" in fields[name].metadata:
            assert spec.choices == tuple(fields[name].metadata["choices"])
    # A file as the starting image would read the server's disk: Go on instead.
    assert specs["init"].choices == ("content", "noise", "style", "content-recolored")


def test_a_number_box_takes_its_fields_range():
    """The range in a field's metadata is the command line's check and the number
    box's limits, for every field (tests/test_options.py: the command's side)."""
    from tf_style.config.ranges import limits

    fields = StyleTransferConfig.__dataclass_fields__
    for spec in form.control_specs():
        if spec.kind in ("int", "float"):
            assert (spec.minimum, spec.maximum) == limits(fields[spec.name])
    box = form.make_control(form.field_spec("beta_1"), 0.99)
    assert (box.minimum, box.maximum) == (0, 1)
    size = form.field_spec("max_dim")  # above the form
    assert (size.minimum, size.maximum, size.flag) == (32, None, "--max-dim")


def test_the_command_builds_the_config_on_screen():
    shown = form.preset_values("fast", 256)
    shown |= {
        "style_weight": 0.02,
        "seed": 7,
        "jit": True,
        "preserve_color": "luminance",
    }
    config, changed = form.settings_from_form("fast", 256, shown)
    command = form.command_line("fast", 256, changed, content="my photo.jpg")
    words = shlex.split(command)
    assert words[:3] == ["tf-style-train", "--content", "my photo.jpg"]
    assert config_from_args(build_parser().parse_args(words[1:])) == config
    assert set(changed) == {"style_weight", "seed", "jit", "preserve_color"}


def test_a_refused_control_is_named_by_its_option():
    shown = form.preset_values("tutorial", 512) | {"scales": "0.5 1"}
    shown["scale_steps"] = "90"
    with pytest.raises(ValueError, match="^--scale-steps"):
        form.settings_from_form("tutorial", 512, shown)
    with pytest.raises(ValueError, match="--init takes one of"):
        form.settings_from_form("tutorial", 512, shown | {"init": "/etc/passwd"})


def test_a_new_preset_or_size_moves_only_the_controls_left_as_they_were():
    shown = form.preset_values("fast", 256) | {"style_weight": 0.5}
    moved = form.follow_preset(("fast", 256), ("fast", 512), shown)
    assert moved["scale_steps"] == "60"  # the fast budget at 512 px
    assert moved["style_weight"] == 0.5  # changed by hand: kept
    back = form.follow_preset(("fast", 512), ("tutorial", 512), moved)
    assert back["optimizer"] == "adam" and back["style_weight"] == 0.5


def test_updates_are_asked_for_only_within_their_share(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(stream.time, "perf_counter", lambda: clock[0])
    budget = stream.UpdateBudget(share=0.05, guess=0.1)
    assert not budget.due()
    clock[0] += 2.0  # 5% of 2 s is 0.1 s: one update of 0.1 s fits
    assert budget.due()
    budget.charge(0.1)
    clock[0] += 1.0  # 0.15 s allowed, 0.1 spent, the next costs 0.1: not yet
    assert not budget.due()
    clock[0] += 1.0
    assert budget.due() and budget.measured_share == pytest.approx(0.1 / 4)


def test_the_warm_up_happens_once_and_a_run_during_it_waits_and_equals_stylize(
    monkeypatch,
):
    """A Run pressed while the warm-up still loads VGG19 waits for it (VGG19 loads
    once, and the warm-up leaves out its tiny step), then runs exactly
    :func:`tf_style.stylize`."""
    import threading

    import tf_style
    from tf_style.studio import actions
    from tf_style.studio.engine import Engine

    loads, stylized, gate = [], [], threading.Event()
    load_vgg19, stylize = tf_style.load_vgg19, tf_style.stylize

    def held_load(weights=None):
        loads.append(threading.current_thread().name)
        gate.wait(60)  # VGG19 is still loading when the Run comes
        return load_vgg19(weights)

    def counted(*args, **kwargs):
        stylized.append(threading.current_thread().name)
        return stylize(*args, **kwargs)

    monkeypatch.setattr(tf_style, "load_vgg19", held_load)
    monkeypatch.setattr(tf_style, "stylize", counted)
    engine = Engine()
    warm_up = engine.warm_up()
    assert engine.warm_up() is warm_up
    shown = form.preset_values("tutorial", 32) | {
        "epochs": 1,
        "steps_per_epoch": 3,
        "seed": 5,
    }
    pair = {role: str(tf_style.bundled_image(role)) for role in ("content", "style")}
    page = actions.Form(**pair, max_dim=32, shown=shown)
    updates = []
    run = threading.Thread(
        target=lambda: updates.extend(actions.run(engine, "tab", page)), daemon=True
    )
    run.start()
    deadline = time.monotonic() + 60
    while not loads and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    assert run.is_alive() and warm_up.is_alive()
    gate.set()
    run.join(300)
    assert not warm_up.is_alive() and not run.is_alive()
    assert loads == ["tf-style-studio-warm-up"]
    assert stylized == ["tf-style-studio-run"]  # no tiny step beside the Run
    config = StyleTransferConfig(max_dim=32, epochs=1, steps_per_epoch=3, seed=5)
    # One extractor for every run with these layers: the next Run of this shape
    # takes the step this one compiled (tf_style.optimize.reuse keeps it for it).
    from tf_style.optimize import reuse

    assert engine.extractor(config) is engine.extractor(config)
    assert reuse._kept["transfer"].loss.extractor is engine.extractor(config)
    content, style = (tf_style.load_image(path, 32) for path in pair.values())
    expected = tf_style.tensor_to_image(stylize(content, style, config).image)
    np.testing.assert_array_equal(
        np.asarray(updates[-1]["image"]), np.asarray(expected)
    )


def test_the_warm_up_is_the_pages_run_at_256_px():
    """The warm-up traces the step of the page's Run at 256 px: the same settings
    but for the steps and seed (tf_style.optimize.reuse keys a kept step by
    neither), so that Run takes it."""
    import dataclasses

    from tf_style.config import TUTORIAL
    from tf_style.studio.engine import WARM_UP

    shown = form.preset_values("tutorial", TUTORIAL.max_dim)  # the page as it opens
    config, _ = form.settings_from_form("tutorial", 256, shown)
    assert (WARM_UP.max_dim, WARM_UP.total_steps) == (256, 1)
    same = {"epochs": 1, "steps_per_epoch": 1, "seed": WARM_UP.seed}
    assert dataclasses.replace(config, **same) == WARM_UP


def test_gradios_queue_polls_every_50_ms_not_every_millisecond():
    """Gradio's queue looks for work every 1 ms (10 ms for progress) off Windows,
    busy enough to cost a run CPU; the studio sets Gradio's Windows values."""
    import gradio as gr

    from tf_style.studio.serve import calm_queue

    with gr.Blocks() as page:
        gr.Markdown("queue")
    page.queue()
    assert page._queue.sleep_when_free <= 0.001  # Gradio's own, as measured
    calm_queue(page)
    assert page._queue.sleep_when_free == 0.05
    assert page._queue.progress_update_sleep_when_free == 0.1


def test_the_command_starts_without_gradio_or_tensorflow():
    """``tf-style-studio --help`` is instant: Gradio loads when the page is built,
    TensorFlow after the page is up."""
    import subprocess
    import sys

    from tests.conftest import command_environment

    code = (
        "import sys, tf_style.studio, tf_style.studio.command as c; "
        "c.build_parser(); print('gradio' in sys.modules, 'tensorflow' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=command_environment(),
        timeout=120,
    )
    assert done.stdout.split() == ["False", "False"], done.stderr


def test_another_host_is_said_plainly():
    assert host_notice("127.0.0.1", 7860) is None
    assert host_notice("localhost", 7860) is None
    assert "anyone who can reach this machine" in host_notice("0.0.0.0", 7860)


def test_the_command_says_so_when_given_another_host(monkeypatch, capsys):
    """``tf-style-studio --host 0.0.0.0`` serves there and says plainly, on
    stderr, that anyone who can reach the machine can use it (the server is a
    stand-in here: no test listens beyond 127.0.0.1)."""
    from tf_style.studio import command

    served = {}

    class Page:
        local_url, server_port = "http://0.0.0.0:7861/", 7861

        def block_thread(self) -> None:
            raise KeyboardInterrupt  # Ctrl-C at once

        def close(self) -> None:
            served["closed"] = True

    def serve(**settings):
        served.update(settings)
        return Page()

    monkeypatch.setattr("tf_style.studio.serve.serve", serve)
    assert command.main(["--host", "0.0.0.0", "--port", "7861"]) == 0
    assert served["host"] == "0.0.0.0" and served["closed"]
    out, err = capsys.readouterr()
    assert out == "tf-style-studio: serving http://0.0.0.0:7861/ (Ctrl-C stops it)\n"
    assert err.startswith("tf-style-studio: note: ") and "0.0.0.0" in err
    assert "anyone who can reach this machine" in err
    monkeypatch.setattr("tf_style.studio.serve.serve", lambda **_: Page())
    command.main([])  # on 127.0.0.1, nothing to say
    assert capsys.readouterr().err == ""


# --- through gradio_client, on a served studio --------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def fit_network(tmp_path_factory) -> Path:
    """A tiny untrained tf-style-fit network, exported as the command exports it
    (its SavedModel only: the TensorFlow Lite files are tests/test_fit_export.py's)."""
    import keras

    from tf_style.fit.export import export_network
    from tf_style.fit.networks import johnson_network

    keras.utils.set_random_seed(0)
    folder = tmp_path_factory.mktemp("fit") / "tiny_starry"
    export_network(
        johnson_network(width=4, residual_blocks=1), "johnson", folder, tflite=False
    )
    return folder


@pytest.fixture(scope="module")
def studio(fit_network):
    """A studio on a random 127.0.0.1 port, its runs' steps executed eagerly, with
    Magenta's network (where it is here) and a tf-style-fit one beside them."""
    from tf_style.studio import launch

    was_eager = tf.config.functions_run_eagerly()
    tf.config.run_functions_eagerly(True)
    networks = [TFLITE_DIR] if TFLITE_DIR.is_dir() else []
    page = launch(port=free_port(), quiet=True, networks=[*networks, fit_network])
    yield page
    page.close()
    tf.config.run_functions_eagerly(was_eager)


def client(page):
    return gradio_client.Client(page.local_url, verbose=False)


def updates(outputs: list, index: int) -> list:
    """The values one output took over a streamed run (skipping "no change")."""
    return [out[index] for out in outputs if not isinstance(out[index], dict)]


IMAGE, LOSSES, STATUS, COMMAND, DOWNLOADS = 1, 2, 3, 0, 4


def downloads(result) -> dict[str, Path]:
    paths = [Path(path) for path in result[DOWNLOADS]]
    return {
        "image": next(
            p for p in paths if p.suffix == ".png" and "_losses" not in p.name
        ),
        "record": next(p for p in paths if p.suffix == ".json"),
    }


def test_a_tiny_run_streams_previews_and_equals_stylize(studio, tmp_path):
    import tf_style

    streamed = TINY_RUN | {"steps_per_epoch": STREAMED_STEPS}
    job = client(studio).submit(bit_16=True, **streamed, api_name="/run")
    result = job.result(timeout=300)
    outputs = job.outputs()
    statuses = updates(outputs, STATUS)
    previews = [s for s in statuses if s.startswith("Step ")]
    assert len(updates(outputs, IMAGE)) >= 3  # the start, a step, the end
    assert len(previews) >= 2 and any(not s.startswith("Step 0/") for s in previews)
    assert result[STATUS].startswith(f"Done: {STREAMED_STEPS} steps")
    assert "--seed 3" in result[COMMAND] and "--max-dim 48" in result[COMMAND]

    config = StyleTransferConfig(**streamed)
    content = tf_style.load_image(ASSETS / "chelsea.png", 48)
    style = tf_style.load_image(ASSETS / "starry_night.jpg", 48)
    expected = tf_style.save_image(
        tf_style.stylize(content, style, config).image,
        tmp_path / "library.png",
        bit_depth=16,
    )
    files = downloads(result)
    studio_pixels = tf.io.decode_png(files["image"].read_bytes(), dtype=tf.uint16)
    library_pixels = tf.io.decode_png(expected.read_bytes(), dtype=tf.uint16)
    np.testing.assert_array_equal(studio_pixels.numpy(), library_pixels.numpy())
    record = json.loads(files["record"].read_text())
    assert record["status"] == "completed" and record["settings"]["seed"] == 3
    assert record["command"] == shlex.split(result[COMMAND])


def test_stop_keeps_the_work_and_go_on_continues_from_it(studio):
    tab = client(studio)
    job = tab.submit(**(TINY_RUN | {"steps_per_epoch": 400}), api_name="/run")
    deadline = time.monotonic() + 120
    while not _reached(job, 3):
        assert time.monotonic() < deadline and not job.done()
        time.sleep(0.2)
    tab.predict(api_name="/stop")
    stopped = job.result(timeout=120)
    assert stopped[STATUS].startswith("Stopped after"), stopped[STATUS]
    record = json.loads(downloads(stopped)["record"].read_text())
    steps = record["steps_completed"]
    assert record["status"] == "interrupted" and 3 <= steps < 400

    went_on = tab.predict(**(TINY_RUN | {"steps_per_epoch": 4}), api_name="/go_on")
    assert went_on[STATUS].startswith("Done: 4 steps")
    assert "--init chelsea_starry_night.png" in went_on[COMMAND]
    record = json.loads(downloads(went_on)["record"].read_text())
    assert record["init"] == "chelsea_starry_night.png"
    losses = went_on[LOSSES]
    total = {row[0]: row[1] for row in losses["data"] if row[2] == "total"}
    assert max(total) == steps + 4  # the curve goes on where it stopped
    assert total[steps + 1] < total[1] - 0.1  # from the stopped image, not the photo


def _reached(job, step: int) -> bool:
    """True once the job's status line says ``step`` or more steps are done."""
    for status in updates(job.outputs(), STATUS):
        if status.startswith("Step ") and int(status.split()[1].split("/")[0]) >= step:
            return True
    return False


def bad_files(folder: Path) -> dict[str, Path]:
    """Uploads tf_style refuses: corrupt, not an image, too small, a bomb."""
    good = (ASSETS / "chelsea.png").read_bytes()
    files = {
        "truncated.png": good[: len(good) // 3],
        "notes.jpg": b"these are not pixels\n" * 50,
        "tiny.png": _png(np.zeros((8, 8, 3), np.uint8)),
    }
    paths = {}
    for name, data in files.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    return paths


def _png(pixels: np.ndarray) -> bytes:
    return tf.io.encode_png(pixels).numpy()


def test_bad_uploads_are_said_on_the_page_and_the_server_goes_on(studio, tmp_path):
    tab = client(studio)
    for name, path in bad_files(tmp_path).items():
        note = tab.predict(gradio_client.handle_file(path), api_name="/check_content")
        assert name in note and "cannot be used" in note, note
        assert str(tmp_path) not in note  # the file by its name, not a path
        with pytest.raises(Exception, match="cannot be used") as refused:
            tab.predict(
                content=gradio_client.handle_file(path), **TINY_RUN, api_name="/run"
            )
        assert name in str(refused.value)
    fine = tab.predict(
        gradio_client.handle_file(ASSETS / "chelsea.png"), api_name="/check_content"
    )
    assert fine == ""


def test_an_upload_past_the_cap_is_refused(studio, tmp_path):
    from tf_style.studio.safety import MAX_UPLOAD

    large = tmp_path / "large.png"
    large.write_bytes(b"\0" * (int(MAX_UPLOAD.removesuffix("mb")) * 1024 * 1024 + 1))
    with pytest.raises(Exception, match="(?i)too large|exceeds|413|size"):
        client(studio).predict(
            gradio_client.handle_file(large), api_name="/check_content"
        )
    assert client(studio).predict(api_name="/stop") == ()  # still serving


def test_the_page_serves_no_file_of_the_machine(studio):
    api = client(studio).view_api(return_format="dict", print_info=False)
    default = api["named_endpoints"]["/run"]["parameters"][0]["parameter_default"]
    served = f"{studio.local_url}gradio_api/file={default['path']}"
    with urllib.request.urlopen(served, timeout=30) as response:  # its own copy
        assert response.read() == (ASSETS / "chelsea.png").read_bytes()
    repository_file = Path(__file__).resolve()
    for path in ("/etc/passwd", str(repository_file), str(ASSETS / "chelsea.png")):
        url = f"{studio.local_url}gradio_api/file={path}"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=30)
        assert refused.value.code in (403, 404)
    assert studio.server_name == "127.0.0.1"


def test_a_second_tab_waits_its_turn_but_its_fast_request_is_answered(
    studio, fit_network
):
    """While one tab optimises, a second tab's Run waits in the queue, told its
    place, and a third tab's fast networks (Magenta's where it is here, and a
    tf-style-fit export) answer at once."""
    running = client(studio)
    job = running.submit(**(TINY_RUN | {"steps_per_epoch": 400}), api_name="/run")
    deadline = time.monotonic() + 120
    while not _reached(job, 1):
        assert time.monotonic() < deadline and not job.done()
        time.sleep(0.2)
    waiting = client(studio).submit(**TINY_RUN, api_name="/run")
    while (status := waiting.status()).code != gradio_client.utils.Status.IN_QUEUE:
        assert time.monotonic() < deadline and not waiting.done()
        time.sleep(0.1)
    assert (status.rank, status.queue_size) == (0, 1)  # the page says "queue: 1/1"
    gallery, note = client(studio).predict(max_dim=48, api_name="/fast")
    assert not job.done()  # answered while the optimisation still runs
    captions = [item["caption"] for item in gallery]
    assert len(captions) == 1 + TFLITE_DIR.is_dir(), (captions, note)
    assert str(fit_network / "saved_model") in captions[-1]  # the tf-style-fit one
    assert all(" s (loaded once in" in caption for caption in captions)
    assert note == ""
    waiting.cancel()
    running.predict(api_name="/stop")
    assert job.result(timeout=120)[STATUS].startswith("Stopped after")


def test_a_painted_region_runs_as_the_library_runs_it(studio, tmp_path):
    """A mask painted on the photo and a painting of its own: the run is
    tf_style.stylize with that Region, bit for bit, and its command names both.
    The third slot, one the page shows on asking ("another region")."""
    import PIL.Image

    import tf_style

    with PIL.Image.open(ASSETS / "chelsea.png") as photo:
        width, height = photo.size
    alpha = np.zeros((height, width), np.uint8)
    alpha[:, width // 2 :] = 255  # the right half
    layer = np.zeros((height, width, 4), np.uint8)
    layer[..., 0], layer[..., 3] = 255, alpha
    PIL.Image.fromarray(layer, "RGBA").save(tmp_path / "layer.png")
    stripes = np.zeros((64, 64, 3), np.uint8)
    stripes[::8] = (250, 200, 0)
    PIL.Image.fromarray(stripes).save(tmp_path / "stripes.png")

    tab = client(studio)
    painted = {
        "background": gradio_client.handle_file(ASSETS / "chelsea.png"),
        "layers": [gradio_client.handle_file(tmp_path / "layer.png")],
        "composite": None,
    }
    tab.predict(painted, api_name="/paint_region_3")
    result = tab.predict(
        region_3_style=gradio_client.handle_file(tmp_path / "stripes.png"),
        region_3_weight=2.0,
        bit_16=True,
        **TINY_RUN,
        api_name="/run",
    )
    assert "--region region_3_mask.png stripes.png 2.0" in result[COMMAND]
    files = downloads(result)
    record = json.loads(files["record"].read_text())
    assert record["regions"] == [
        {"mask": "region_3_mask.png", "style": "stripes.png", "weight": 2.0}
    ]
    assert any(Path(p).name == "region_3_mask.png" for p in result[DOWNLOADS])

    config = StyleTransferConfig(max_dim=48, epochs=1, steps_per_epoch=8, seed=3)
    region = tf_style.Region(
        (alpha / 255.0).astype(np.float32)[..., np.newaxis],
        tf_style.load_image(tmp_path / "stripes.png", 48),
        2.0,
    )
    expected = tf_style.stylize(
        tf_style.load_image(ASSETS / "chelsea.png", 48),
        tf_style.load_image(ASSETS / "starry_night.jpg", 48),
        config,
        regions=[region],
    )
    saved = tf_style.save_image(expected.image, tmp_path / "library.png", bit_depth=16)
    studio_pixels = tf.io.decode_png(files["image"].read_bytes(), dtype=tf.uint16)
    library_pixels = tf.io.decode_png(saved.read_bytes(), dtype=tf.uint16)
    np.testing.assert_array_equal(studio_pixels.numpy(), library_pixels.numpy())
