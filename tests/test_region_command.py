"""--region and --region-style-mask: several styles, each in its own region, through
the command (one photo, a folder, frames) and stylize_folder()/stylize_video().

The command runs in this process through main(argv) (a TensorFlow start costs ~6 s);
every VGG19 is the session's. Images are made here, 48x64 px, and runs take 2 steps.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import PIL.Image
import pytest
import tensorflow as tf

import tf_style
from tf_style import Region, StyleTransferConfig
from tf_style.batch import ProgressEvent, RunRefused, stylize_folder, stylize_video
from tf_style.batch.checks import check_network_settings
from tf_style.config.modes import ManyImagesConfig

pytestmark = pytest.mark.slow

STEPS = ["--epochs", "1", "--steps-per-epoch", "2", "--seed", "0", "--quiet"]
TINY = ["--max-dim", "48", *STEPS]
CONFIG = StyleTransferConfig(max_dim=48, epochs=1, steps_per_epoch=2, seed=0)


@pytest.fixture(scope="module", autouse=True)
def eager():
    """The runs here execute their ``tf.function``s eagerly: at 48 px and 2 steps a
    run's time is mostly tracing its step, and what is checked (the command and the
    library make the same image, what is refused, recorded and protected) is the
    same either way."""
    was_eager = tf.config.functions_run_eagerly()
    tf.config.run_functions_eagerly(True)
    yield
    tf.config.run_functions_eagerly(was_eager)


@pytest.fixture(autouse=True)
def shared_vgg(monkeypatch, real_vgg, real_extractor):
    """One VGG19 for every run here (each would load its own)."""
    monkeypatch.setattr("tf_style.commands.one_image.load_vgg19", lambda _: real_vgg)
    monkeypatch.setattr(
        "tf_style.batch.prepare.extractor_for", lambda config, **_: real_extractor
    )


def noise(path: Path, height: int = 48, width: int = 64, seed: int = 0) -> Path:
    pixels = np.random.default_rng(seed).integers(0, 255, (height, width, 3))
    PIL.Image.fromarray(pixels.astype(np.uint8)).save(path)
    return path


def mask(path: Path, height: int = 48, width: int = 64, left: float = 0.5) -> Path:
    """White on the left ``left`` of the picture, black elsewhere."""
    pixels = np.zeros((height, width), np.uint8)
    pixels[:, : round(width * left)] = 255
    PIL.Image.fromarray(pixels).save(path)
    return path


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    """A photo, two paintings, and masks of its left and right halves."""
    folder = tmp_path / "in"
    folder.mkdir()
    left = mask(folder / "left.png")
    right = folder / "right.png"
    PIL.Image.fromarray(255 - np.asarray(PIL.Image.open(left))).save(right)
    return {
        "photo": noise(folder / "photo.png", seed=1),
        "sky": noise(folder / "sky.png", 40, 40, seed=2),
        "town": noise(folder / "town.png", 40, 40, seed=3),
        "left": left,
        "right": right,
    }


def regions_args(files: dict[str, Path]) -> list[str]:
    left, right = str(files["left"]), str(files["right"])
    return ["--region", left, str(files["sky"]), "--region", right, str(files["town"])]


def assert_usage_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tf-style-train: error:"), lines
    for fragment in fragments:
        assert fragment in lines[0]


# --- one photo --------------------------------------------------------------------


def test_two_regions_through_the_command_are_the_librarys_image(
    tmp_path, files, run_here, real_extractor
):
    arguments = ["--content", str(files["photo"]), *regions_args(files), "2"]
    arguments += ["--mask", str(files["right"])]  # --mask still keeps the photo
    result = run_here(*arguments, *TINY, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = tmp_path / "outputs" / "photo_sky.png"  # no --style: the first region's
    regions = [
        Region(files["left"], files["sky"]),
        Region(files["right"], files["town"], 2.0),
    ]
    alone = tf_style.stylize(
        files["photo"],
        None,
        CONFIG,
        extractor=real_extractor,
        mask=files["right"],
        regions=regions,
    )
    library = tf_style.save_image(alone.image, tmp_path / "library.png")
    assert written.read_bytes() == library.read_bytes()
    record = json.loads(written.with_suffix(".json").read_text())
    assert record["style"] == [] and record["mask"] == str(files["right"])
    assert record["regions"] == [
        {"mask": str(files["left"]), "style": str(files["sky"]), "weight": 1.0,
         "style_mask": None},
        {"mask": str(files["right"]), "style": str(files["town"]), "weight": 2.0,
         "style_mask": None},
    ]  # fmt: skip


def odd_files(folder: Path) -> dict[str, Path]:
    """A black mask, a tall one, a text file named .png, a picture named .json."""
    PIL.Image.new("L", (64, 48)).save(folder / "black.png")
    (folder / "text.png").write_text("not an image")
    noise(folder / "out.png", 48, 48).rename(folder / "out.json")
    return {
        "black": folder / "black.png",
        "tall": mask(folder / "tall.png", 64, 48),
        "text": folder / "text.png",
        "json": folder / "out.json",
        "out": folder / "out.png",
    }


ONE = "--content {photo} --region {left} {sky}"
NETWORK = "--network x --max-dim 48"
REFUSED = {
    "one value": ("--region {left}", "expected MASK STYLE [WEIGHT]"),
    "four values": (ONE + " 1 2", "got 4 values"),
    "weight 0": (ONE + " 0", "above 0"),
    "weight -1": (ONE + " -1", "above 0"),
    "weight nan": (ONE + " nan", "above 0"),
    "black mask": ("--region {black} {sky}", "black all over"),
    "mask of another shape": (
        "--region {tall} {sky}",
        "region 1's mask is 48x64 px but the photo is 48x36",
    ),
    "unreadable mask": ("--region {text} {sky}", "text.png"),
    "style mask of another shape": (
        ONE + " --region-style-mask 1 {left}",
        "region 1's style mask is 64x48 px but the style is 48x48",
    ),
    "style mask of a missing region": (
        ONE + " --region-style-mask 2 {right}",
        "there is no --region 2 (1 given)",
    ),
    "output is the mask": (ONE + " --output {left}", "refusing to overwrite the input"),
    "output is a style": (ONE + " --output {sky}", "refusing to overwrite the input"),
    "side file is the style mask": (
        ONE + " --region-style-mask 1 {json} --output {out}",
        "refusing to overwrite the input image",
    ),
    "network": (ONE + " " + NETWORK, "--region weighs each style's loss by place"),
    "network style mask": (
        "--region-style-mask 1 {left} " + NETWORK,
        "--region-style-mask chooses",
    ),
    "folder and network": (
        "--content {folder} --output {folder}_out --region {left} {sky} " + NETWORK,
        "a network has no loss",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_bad_region_is_one_line_exit_2_and_nothing_written(
    tmp_path, files, run_here, case
):
    line, message = REFUSED[case]
    named = {**files, **odd_files(files["photo"].parent)}
    named["folder"] = files["photo"].parent
    given = line.format(**named).split()
    if "--content" not in given:
        given = ["--content", str(files["photo"]), *given]
    if "--network" not in given:
        given += TINY
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert_usage_error(run_here(*given, cwd=tmp_path), message)
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before


# --- a folder ---------------------------------------------------------------------


def test_a_folder_run_shares_the_masks_and_refuses_a_photo_they_do_not_fit(
    tmp_path, files, run_here
):
    photos, output = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    for index in range(2):
        noise(photos / f"p{index}.png", 36, 48, seed=10 + index)  # the masks' shape
    square = noise(photos / "p2.png", 40, 40, seed=12)
    arguments = ["--content", str(photos), "--output", str(output)]
    arguments += [*regions_args(files), "--style", str(files["sky"]), *TINY]
    refused = run_here(*arguments, cwd=tmp_path)
    assert_usage_error(refused, str(square), "the photo is 48x48")
    assert not output.exists()

    square.unlink()
    output.mkdir()
    kept = mask(output / "p0.png")  # a mask where an output would go: an input
    arguments[arguments.index(str(files["left"]))] = str(kept)
    before = kept.read_bytes()
    assert run_here(*arguments, cwd=tmp_path).returncode == 0
    assert kept.read_bytes() == before
    manifest = json.loads((output / "manifest.json").read_text())
    assert [r["mask"] for r in manifest["settings"]["regions"]] == [
        str(kept),
        str(files["right"]),
    ]
    assert str(kept) in manifest["settings"]["inputs_sha256"]
    assert [e["status"] for e in manifest["images"].values()] == ["done", "done"]

    def statuses(*more: str) -> list[str]:
        events: list[ProgressEvent] = []
        regions = [Region(kept, files["sky"]), Region(files["right"], *more)]
        stylize_folder(photos, files["sky"], CONFIG, output=output, regions=regions,
                       on_progress=events.append)  # fmt: skip
        return sorted(e.kind for e in events if e.kind in ("kept", "done"))

    assert statuses(files["town"]) == ["kept", "kept"]  # the command's run, resumed
    assert statuses(files["town"], 3.0) == ["done", "done"]  # other regions: redone


def test_a_mask_folder_is_for_frames_only(tmp_path, files):
    masks = tmp_path / "masks"
    masks.mkdir()
    mask(masks / "m1.png")
    with pytest.raises(RunRefused, match="one mask per frame is for --frames"):
        stylize_folder(files["photo"].parent, None, CONFIG, output=tmp_path / "out",
                       regions=[Region(masks, files["sky"])])  # fmt: skip
    assert not (tmp_path / "out").exists()


# --- frames -----------------------------------------------------------------------


def write_frames(folder: Path, count: int = 3) -> Path:
    folder.mkdir()
    base = np.random.default_rng(4).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    for t in range(count):
        PIL.Image.fromarray(np.roll(base, 2 * t, axis=1)).save(folder / f"f{t}.png")
    return folder


def test_a_video_takes_one_mask_for_every_frame_or_one_mask_each(
    tmp_path, files, monkeypatch, real_extractor
):
    frames, masks = write_frames(tmp_path / "frames"), tmp_path / "masks"
    masks.mkdir()
    for t in range(3):  # a region that widens: frame t's white is (t + 1) quarters
        mask(masks / f"m{t + 1}.png", left=(t + 1) / 4)
    regions = [Region(files["left"], files["sky"]), Region(masks, files["town"])]
    seen = []
    real = tf_style.batch.video.stylize

    def watched(content, style, config, **options):
        seen.append([float(np.mean(r.mask)) for r in options["regions"]])
        return real(content, style, config, **options)

    monkeypatch.setattr("tf_style.batch.video.stylize", watched)
    result = stylize_video(frames, None, CONFIG, output=tmp_path / "out",
                           regions=regions)  # fmt: skip
    assert [p.name for p in result.frames] == ["f0.png", "f1.png", "f2.png"]
    np.testing.assert_allclose(seen, [[0.5, 0.25], [0.5, 0.5], [0.5, 0.75]], 0.02)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["settings"]["regions"][1]["mask"] == str(masks)
    assert str(masks / "m3.png") in manifest["settings"]["inputs_sha256"]
    # The first frame has no earlier one: it is the one photo's run.
    first = [
        Region(files["left"], files["sky"]),
        Region(masks / "m1.png", files["town"]),
    ]
    alone = tf_style.stylize(frames / "f0.png", None, CONFIG, extractor=real_extractor,
                             regions=first)  # fmt: skip
    library = tf_style.save_image(alone.image, tmp_path / "alone.png")
    assert library.read_bytes() == (tmp_path / "out" / "f0.png").read_bytes()


def test_a_mask_folder_needs_one_numbered_mask_per_frame(tmp_path, files, run_here):
    frames, masks = write_frames(tmp_path / "frames"), tmp_path / "masks"
    masks.mkdir()
    for t in range(2):
        mask(masks / f"m{t}.png")
    arguments = ["--frames", str(frames), "--output", str(tmp_path / "out")]
    arguments += ["--region", str(masks), str(files["sky"]), *TINY]
    assert_usage_error(run_here(*arguments, cwd=tmp_path), "holds 2 masks for 3 frames")
    mask(masks / "sky.png")
    assert_usage_error(run_here(*arguments, cwd=tmp_path), "has no frame number")
    (masks / "sky.png").rename(masks / "m_00.png")
    assert_usage_error(run_here(*arguments, cwd=tmp_path), "have one frame number")
    assert not (tmp_path / "out").exists()


def test_the_library_takes_region_files_and_no_network(tmp_path, files):
    with pytest.raises(TypeError, match="region 1: expected paths"):
        array = Region(np.ones((48, 64, 1)), files["sky"])
        stylize_folder(tmp_path, None, CONFIG, output=tmp_path / "o", regions=[array])
    with pytest.raises(TypeError, match="or None with regions"):
        stylize_folder(tmp_path, None, CONFIG, output=tmp_path / "o")
    with pytest.raises(RunRefused, match="a network has no loss"):
        check_network_settings(StyleTransferConfig(), ManyImagesConfig(), None,
                               styles=1, weights=None, regions=1)  # fmt: skip
    assert not (tmp_path / "o").exists()
