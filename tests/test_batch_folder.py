"""The many-image command: a folder in batches, a manifest, resuming, frames."""

from __future__ import annotations

import json

import numpy as np
import PIL.Image
import pytest

from tf_style import train
from tf_style.batch import jobs
from tf_style.batch.frames import numbered_frames
from tf_style.batch.manifest import Manifest, identify
from tf_style.optimize.adam import StyleTransfer

pytestmark = pytest.mark.slow

TINY = ["--max-dim", "40", "--epochs", "1", "--steps-per-epoch", "2", "--quiet"]


@pytest.fixture(autouse=True)
def shared_extractor(monkeypatch, real_extractor):
    """One VGG19 for every command run here (the command would load it each time)."""
    monkeypatch.setattr(
        "tf_style.batch.prepare.extractor_for",
        lambda config, **_: real_extractor,
    )


def write_photos(folder_path, sizes, seed=0):
    rng = np.random.default_rng(seed)
    folder_path.mkdir(parents=True, exist_ok=True)
    for index, (height, width) in enumerate(sizes):
        pixels = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
        PIL.Image.fromarray(pixels).save(folder_path / f"photo{index:02d}.png")


def statuses(output):
    record = json.loads((output / "manifest.json").read_text())
    return {
        name.rsplit("/", 1)[-1]: entry["status"]
        for name, entry in record["images"].items()
    }


def test_folder_stylises_every_image_and_reports_a_bad_file(tmp_path, capsys):
    photos, output = tmp_path / "photos", tmp_path / "out"
    write_photos(photos, [(40, 40), (40, 40), (36, 40), (40, 40)])
    (photos / "broken.png").write_bytes(b"not a png")
    status = train.main(["--content", str(photos), "--output", str(output), *TINY])
    assert status == 1  # one input failed: said, and not a clean exit
    found = statuses(output)
    assert found.pop("broken.png") == "failed"
    assert set(found.values()) == {"done"} and len(found) == 4
    assert "broken.png" in capsys.readouterr().err
    with PIL.Image.open(output / "photo02.png") as image:
        assert image.size == (40, 36)


def test_rerun_after_ctrl_c_finishes_only_what_was_missing(tmp_path, monkeypatch):
    photos, output = tmp_path / "photos", tmp_path / "out"
    write_photos(photos, [(40, 40)] * 3)
    arguments = ["--content", str(photos / "*.png"), "--output", str(output)]
    arguments += ["--batch-size", "2", *TINY]
    real_run = StyleTransfer.run
    batches = []

    def interrupted_second_batch(self, steps, recorder):
        batches.append(self.batch)
        if len(batches) == 2:
            real_run(self, 1, recorder)
            raise KeyboardInterrupt
        return real_run(self, steps, recorder)

    monkeypatch.setattr(StyleTransfer, "run", interrupted_second_batch)
    assert train.main(arguments) == 130
    assert statuses(output) == {
        "photo00.png": "done",
        "photo01.png": "done",
        "photo02.png": "partial",
    }
    assert (output / jobs.PARTIAL / "photo02.png").is_file()
    monkeypatch.setattr(StyleTransfer, "run", real_run)
    calls = []
    monkeypatch.setattr(
        StyleTransfer,
        "run",
        lambda self, steps, recorder: (
            calls.append((self.batch, steps)) or real_run(self, steps, recorder)
        ),
    )
    assert train.main(arguments) == 0
    assert calls == [(1, 1)]  # only the partial image, for its one missing step
    assert set(statuses(output).values()) == {"done"}
    assert not (output / jobs.PARTIAL / "photo02.png").exists()


def test_changed_input_or_settings_is_redone(tmp_path):
    photo = tmp_path / "a.png"
    PIL.Image.new("RGB", (8, 8)).save(photo)
    output = tmp_path / "out"

    def status(settings: dict) -> str:
        return Manifest(output, settings).entry("a.png", identify(photo), 1)["status"]

    manifest = Manifest(output, {"x": 1})
    manifest.entry("a.png", identify(photo), 1)
    output.mkdir()
    PIL.Image.new("RGB", (8, 8)).save(output / "a.png")
    manifest.update("a.png", status="done")
    assert status({"x": 1}) == "done"
    assert status({"x": 2}) == "pending"
    PIL.Image.new("RGB", (9, 8)).save(photo)  # another photo: not this output's
    assert status({"x": 1}) == "pending"


def test_frames_run_in_order_with_the_warping_error_a_video_and_preview(
    tmp_path, capsys
):
    frames, output = tmp_path / "frames", tmp_path / "out"
    frames.mkdir()
    base = np.random.default_rng(0).integers(0, 255, (40, 48, 3), dtype=np.uint8)
    for t in (1, 2, 10):  # numeric, not alphabetical, order
        PIL.Image.fromarray(np.roll(base, t, axis=1)).save(frames / f"f{t}.png")
    assert [p.name for p in numbered_frames(frames)] == ["f1.png", "f2.png", "f10.png"]
    status = train.main(["--frames", str(frames), "--output", str(output), *TINY])
    assert status == 0
    record = json.loads((output / "frames.json").read_text())
    assert [pair["frames"] for pair in record["warping"]["pairs"]] == [
        ["f1", "f2"],
        ["f2", "f10"],
    ]
    assert record["warping"]["output_mean"] > 0
    assert [frame["name"] for frame in record["frames"]] == ["f1", "f2", "f10"]
    with PIL.Image.open(output / "preview.gif") as gif:
        assert gif.n_frames == 3
    assert (output / "video.mp4").stat().st_size > 0
    assert "warping error" in capsys.readouterr().err


def test_an_l_bfgs_folder_runs_each_image_with_l_bfgs(tmp_path):
    photos, output = tmp_path / "photos", tmp_path / "o"
    write_photos(photos, [(40, 40), (40, 40)])
    arguments = ["--content", str(photos), "--output", str(output), *TINY]
    assert train.main([*arguments, "--optimizer", "lbfgs"]) == 0
    assert set(statuses(output).values()) == {"done"}
    record = json.loads((output / "manifest.json").read_text())
    assert record["settings"]["config"]["optimizer"] == "lbfgs"
