"""stylize_folder() and stylize_video(): the library behind the command's folder and
--frames modes makes the command's files, reports through on_progress, returns its
records and resumes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import PIL.Image
import pytest

from tf_style import train
from tf_style.batch import (
    RunInterrupted,
    RunRefused,
    stylize_folder,
    stylize_video,
)
from tf_style.config import StyleTransferConfig
from tf_style.config.modes import ManyImagesConfig

TINY = StyleTransferConfig(max_dim=48, epochs=1, steps_per_epoch=2, seed=0)
TINY_ARGS = ["--max-dim", "48", "--epochs", "1", "--steps-per-epoch", "2"]
TINY_ARGS += ["--seed", "0", "--quiet"]


def write_photos(folder: Path, count: int = 2, size=(40, 44)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    for index in range(count):
        pixels = rng.integers(0, 255, (*size, 3), dtype=np.uint8)
        PIL.Image.fromarray(pixels).save(folder / f"photo{index}.png")
    return folder


def write_style(path: Path) -> Path:
    pixels = np.random.default_rng(7).integers(0, 255, (48, 48, 3), dtype=np.uint8)
    PIL.Image.fromarray(pixels).save(path)
    return path


def write_clip(folder: Path, frames: int = 4) -> Path:
    """Two squares moving across a grey ground, 48x48 px."""
    folder.mkdir(parents=True, exist_ok=True)
    for t in range(frames):
        pixels = np.full((48, 48, 3), 60, np.uint8)
        pixels[8:24, 6 + 3 * t : 22 + 3 * t] = (220, 60, 30)
        pixels[28:42, 30 - 2 * t : 44 - 2 * t] = (30, 190, 90)
        PIL.Image.fromarray(pixels).save(folder / f"frame_{t:03d}.png")
    return folder


def pngs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.png"))}


@pytest.fixture
def command_model(monkeypatch, real_extractor):
    """The command's VGG19: the session's, as the library calls are given."""
    monkeypatch.setattr(
        "tf_style.batch.prepare.extractor_for", lambda config, **_: real_extractor
    )


@pytest.mark.slow
def test_a_folder_through_the_library_is_the_command_byte_for_byte(
    tmp_path, real_extractor, command_model
):
    photos, style = write_photos(tmp_path / "photos"), write_style(tmp_path / "s.png")
    events = []
    result = stylize_folder(
        photos, style, TINY, output=tmp_path / "library",
        on_progress=events.append, extractor=real_extractor,
    )  # fmt: skip
    arguments = ["--content", str(photos), "--style", str(style)]
    arguments += ["--output", str(tmp_path / "command"), *TINY_ARGS]
    assert train.main(arguments) == 0
    made = pngs(tmp_path / "library")
    assert set(made) == {"photo0.png", "photo1.png"}
    assert made == pngs(tmp_path / "command")
    assert result.summary() == "2 done" and not result.failures
    assert result.outputs == {
        photos / name: result.folder / name for name in ("photo0.png", "photo1.png")
    }
    record = json.loads((tmp_path / "library" / "manifest.json").read_text())
    assert result.records == record["images"]
    assert [e.kind for e in events if e.kind != "step"] == ["start", "done", "done"]
    steps = [(e.index, e.step, e.total) for e in events if e.kind == "step"]
    assert steps == [(1, 1, 2), (2, 1, 2), (1, 2, 2), (2, 2, 2)]  # one batch
    assert all(e.loss > 0 for e in events if e.kind == "step")
    assert events[0].message.startswith("VGG19 weights: ")


@pytest.mark.slow
def test_a_clip_through_the_library_is_the_command_byte_for_byte(
    tmp_path, real_extractor, command_model
):
    pytest.importorskip("cv2")
    clip, style = write_clip(tmp_path / "clip"), write_style(tmp_path / "s.png")
    events = []
    result = stylize_video(
        clip, style, TINY, output=tmp_path / "library",
        on_progress=events.append, extractor=real_extractor,
    )  # fmt: skip
    arguments = ["--frames", str(clip), "--style", str(style)]
    assert train.main([*arguments, "--output", str(tmp_path / "c"), *TINY_ARGS]) == 0
    assert pngs(tmp_path / "library") == pngs(tmp_path / "c")
    assert [path.name for path in result.frames] == sorted(pngs(clip))
    report = json.loads((tmp_path / "c" / "frames.json").read_text())
    assert result.report["warping"] == report["warping"]
    assert [pair["frames"] for pair in result.pairs] == [
        [f"frame_{t:03d}", f"frame_{t + 1:03d}"] for t in range(3)
    ]
    assert result.warping_error == pytest.approx(
        np.mean([pair["output"] for pair in result.pairs])
    )
    assert result.input_warping_error > 0
    assert result.video.stat().st_size > 0 and result.preview.is_file()
    assert {name: r["status"] for name, r in result.records.items()} == {
        name: "done" for name in pngs(clip)
    }
    assert [e.index for e in events if e.kind == "done"] == [1, 2, 3, 4]


@pytest.mark.slow
def test_an_interrupted_library_run_resumes_where_it_stopped(tmp_path, real_extractor):
    photos, style = write_photos(tmp_path / "p", 3), write_style(tmp_path / "s.png")
    config = StyleTransferConfig(max_dim=48, epochs=1, steps_per_epoch=4, seed=0)
    options = {
        "output": tmp_path / "out",
        "many": ManyImagesConfig(batch_size=1),
        "extractor": real_extractor,
    }

    def ctrl_c_in_the_second_photo(event):
        if event.kind == "step" and (event.index, event.step) == (2, 2):
            raise KeyboardInterrupt

    with pytest.raises(RunInterrupted) as stopped:
        stylize_folder(
            photos, style, config, on_progress=ctrl_c_in_the_second_photo, **options
        )
    assert isinstance(stopped.value, KeyboardInterrupt)
    statuses = {n: r["status"] for n, r in stopped.value.result.records.items()}
    assert statuses == {
        "photo0.png": "done",
        "photo1.png": "partial",
        "photo2.png": "pending",
    }
    assert stopped.value.result.records["photo1.png"]["steps"] == 2
    events = []
    result = stylize_folder(photos, style, config, on_progress=events.append, **options)
    assert result.summary() == "3 done"
    assert [(e.kind, e.index) for e in events][:2] == [("kept", 1), ("start", 0)]
    steps = [(e.index, e.step) for e in events if e.kind == "step"]
    assert steps == [(2, 3), (2, 4), (3, 1), (3, 2), (3, 3), (3, 4)]
    assert not (tmp_path / "out" / ".partial" / "photo1.png").exists()


@pytest.mark.parametrize(
    ("call", "options", "reason"),
    [
        ("folder", {"strength": 0.5}, "--strength 0.5 blends a network's style"),
        ("video", {"many": ManyImagesConfig(batch_size=2)}, "one at a time"),
        ("video", {"many": ManyImagesConfig(sizing="common")}, "--sizing"),
        ("folder", {"config": StyleTransferConfig(style_blend=(1, 2))}, "2 weights"),
        ("folder", {"output": "out.png"}, "names a folder"),
        ("folder", {"weights": "missing.h5"}, "no such weights file"),
    ],
)
def test_an_option_the_mode_cannot_honour_is_refused_and_nothing_is_made(
    tmp_path, monkeypatch, call, options, reason
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(
        "tf_style.batch.prepare.extractor_for",
        lambda *a, **k: pytest.fail("the model was built before the refusal"),
    )
    inputs = write_clip(tmp_path / "clip", 2)
    style = write_style(tmp_path / "s.png")
    run = {"folder": stylize_folder, "video": stylize_video}[call]
    options = {"output": tmp_path / "out", **options}
    with pytest.raises(RunRefused, match=reason) as refused:
        run(inputs, style, options.pop("config", None), **options)
    assert "\n" not in str(refused.value)
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.png").exists()


def test_the_library_takes_paths_and_lists_of_styles_only(tmp_path):
    with pytest.raises(TypeError, match="style: expected a path"):
        stylize_folder(tmp_path, np.zeros((4, 4, 3)), output=tmp_path / "o")
    with pytest.raises(TypeError, match="VideoConfig|ManyImagesConfig"):
        stylize_video(tmp_path, tmp_path / "s.png", output=tmp_path / "o", many={})
