"""Nothing overwritten, nothing lost: paths as the kernel resolves them, every output
owned by one input, records read as contracts (tf_style.paths.identity, batch.plan,
batch.manifest and the many-image command)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import PIL.Image
import pytest

from tf_style import train
from tf_style.batch.manifest import MANIFEST, Manifest, identify, read_manifest
from tf_style.batch.plan import plan_outputs
from tf_style.optimize.adam import StyleTransfer
from tf_style.paths.atomic import atomic_write
from tf_style.paths.identity import (
    OverwriteError,
    ReadSet,
    SpecialFileError,
    kernel_path,
    protecting,
    read_bounded,
)

TINY = ["--max-dim", "40", "--epochs", "1", "--steps-per-epoch", "1", "--quiet"]


def photo(path: Path, seed: int = 0, size=(40, 40)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 255, (*size, 3), dtype=np.uint8)
    PIL.Image.fromarray(pixels).save(path)
    return path


def snapshot(folder: Path) -> dict:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def no_model(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the model was built before the outputs were checked")

    monkeypatch.setattr("tf_style.batch.prepare.extractor_for", refuse)


@pytest.fixture
def model(monkeypatch, real_extractor):
    monkeypatch.setattr(
        "tf_style.batch.prepare.extractor_for",
        lambda config, **_: real_extractor,
    )


def count_steps(monkeypatch) -> list:
    calls = []
    real_run = StyleTransfer.run
    monkeypatch.setattr(
        StyleTransfer,
        "run",
        lambda self, steps, recorder: (
            calls.append(1) or real_run(self, steps, recorder)
        ),
    )
    return calls


# --- what a path is ------------------------------------------------------------------


def test_a_symlink_then_dotdot_lands_where_the_kernel_says(tmp_path):
    photos = tmp_path / "photos"
    (photos / "sub").mkdir(parents=True)
    (tmp_path / "L").symlink_to(photos / "sub")
    assert kernel_path(tmp_path / "L" / "..") == photos.resolve()
    assert kernel_path(tmp_path / "L" / ".." / "new" / "x.png") == (
        photos.resolve() / "new" / "x.png"
    )
    # the text says tmp_path; the kernel says photos
    assert Path(os.path.abspath(tmp_path / "L" / "..")) == tmp_path


def test_a_hard_link_is_the_same_file(tmp_path):
    original = photo(tmp_path / "a.png")
    os.link(original, tmp_path / "b.png")
    assert ReadSet([original]).holder(tmp_path / "b.png") == original


def test_atomic_write_refuses_to_replace_a_file_being_read(tmp_path):
    source = photo(tmp_path / "in" / "a.png")
    before = source.read_bytes()
    (tmp_path / "L").symlink_to(tmp_path / "in")
    with protecting(ReadSet([source])):
        with pytest.raises(OverwriteError, match="refusing to overwrite"):
            with atomic_write(tmp_path / "L" / "a.png") as handle:
                handle.write(b"x")
    assert source.read_bytes() == before
    assert sorted(p.name for p in source.parent.iterdir()) == ["a.png"]


def test_special_files_are_refused_without_being_opened(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(SpecialFileError, match="FIFO"):
        read_bounded(fifo, 100)
    with pytest.raises(SpecialFileError, match="character device"):
        read_bounded("/dev/zero", 100)


# --- data loss (high) ----------------------------------------------------------------


@pytest.mark.parametrize("mode", ["folder", "glob", "frames"])
def test_an_output_through_a_symlink_and_dotdot_into_the_inputs_is_refused(
    tmp_path, monkeypatch, capsys, mode
):
    photos = tmp_path / "photos"
    for index in range(2):
        photo(photos / f"frame_{index:03d}.png", seed=index)
    (photos / "sub").mkdir()
    (tmp_path / "L").symlink_to(photos / "sub")
    before = snapshot(photos)
    no_model(monkeypatch)
    source = {
        "folder": ["--content", str(photos)],
        "glob": ["--content", str(photos / "*.png")],
        "frames": ["--frames", str(photos)],
    }[mode]
    output = str(tmp_path / "L" / "..")
    assert train.main([*source, "--output", output, *TINY]) == 2
    assert "read from" in capsys.readouterr().err
    assert snapshot(photos) == before


def make_video(path: Path, frames: int = 3, size: int = 40, height=None) -> Path:
    import imageio_ffmpeg

    path.parent.mkdir(parents=True, exist_ok=True)
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi"]
    source = f"testsrc=size={size}x{height or size}:rate=5"
    command += ["-i", source, "-frames:v", str(frames)]
    command += ["-pix_fmt", "yuv420p", str(path)]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    return path


@pytest.mark.parametrize("where", ["output folder", "current folder"])
def test_an_input_video_named_like_a_side_file_is_never_replaced(
    tmp_path, monkeypatch, capsys, where
):
    pytest.importorskip("cv2")
    out = tmp_path / "out"
    video = make_video(out / "video.mp4")
    before = video.read_bytes()
    style = photo(tmp_path / "style.png", seed=5)
    no_model(monkeypatch)
    monkeypatch.chdir(out)
    output = str(out) if where == "output folder" else "."
    arguments = ["--frames", str(video), "--output", output, "--style", str(style)]
    assert train.main([*arguments, *TINY]) == 2
    err = capsys.readouterr().err
    assert "video.mp4" in err and len(err.strip().splitlines()) == 1
    assert video.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["video.mp4"]  # nothing left


def test_a_style_inside_the_decoded_frames_folder_is_refused_before_decoding(
    tmp_path, monkeypatch, capsys
):
    pytest.importorskip("cv2")
    video = make_video(tmp_path / "clip.mp4")
    style = photo(tmp_path / "out" / "input_frames" / "frame_00001.png", seed=5)
    before = style.read_bytes()
    no_model(monkeypatch)
    arguments = ["--frames", str(video), "--output", str(tmp_path / "out")]
    assert train.main([*arguments, "--style", str(style), *TINY]) == 2
    assert "input_frames" in capsys.readouterr().err
    assert style.read_bytes() == before
    assert sorted(p.name for p in style.parent.iterdir()) == ["frame_00001.png"]


def test_a_file_in_the_way_of_the_flow_cache_is_refused_up_front(
    tmp_path, monkeypatch, capsys
):
    pytest.importorskip("cv2")
    for index in range(2):
        photo(tmp_path / "frames" / f"f{index}.png", seed=index)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "flows").write_text("mine")
    no_model(monkeypatch)
    arguments = [
        "--frames",
        str(tmp_path / "frames"),
        "--output",
        str(tmp_path / "out"),
    ]
    assert train.main([*arguments, *TINY]) == 2
    assert "flows" in capsys.readouterr().err
    assert (tmp_path / "out" / "flows").read_text() == "mine"


def test_inputs_whose_names_look_like_collision_suffixes_keep_distinct_outputs(
    tmp_path,
):
    photos = tmp_path / "photos"
    a_png, a_jpg = photo(photos / "a.png", 1), photo(photos / "a.jpg", 2)
    first = plan_outputs([a_png, a_jpg], tmp_path / "out", spec=photos)
    # an input named exactly like the suffixed name another input would get
    photo(photos / first.name(a_jpg), 3)
    inputs = sorted(photos.iterdir())
    plan = plan_outputs(inputs, tmp_path / "out", spec=photos)
    names = [plan.name(path) for path in inputs]
    assert len(inputs) == 3 and len({n.casefold() for n in names}) == 3


def test_two_folders_with_the_same_names_into_one_output_each_keep_their_result(
    tmp_path,
):
    day1 = photo(tmp_path / "day1" / "IMG_0001.JPG", 1)
    day2 = photo(tmp_path / "day2" / "IMG_0001.JPG", 2)
    output = tmp_path / "out"
    first = plan_outputs([day1], output, spec=day1.parent)
    manifest = Manifest(output, {"s": 1})
    manifest.entry(first.name(day1), identify(day1), 1)
    manifest.save()
    (output / first.name(day1)).write_bytes(b"result of day 1")
    held, _ = read_manifest(output / MANIFEST)
    second = plan_outputs([day2], output, spec=day2.parent, held=held)
    assert second.name(day2) != first.name(day1)
    again = plan_outputs([day1], output, spec=day1.parent, held=held)
    assert again.name(day1) == first.name(day1)  # a name is never reassigned


@pytest.mark.slow
def test_same_names_from_two_folders_two_runs_one_output_lose_nothing(
    tmp_path, model, monkeypatch, capsys
):
    output = tmp_path / "out"
    for day, seed in (("day1", 1), ("day2", 2)):
        photo(tmp_path / day / "IMG_0001.JPG", seed)
        photo(tmp_path / day / "IMG_0002.png", seed + 10)
    run = [*TINY, "--output", str(output)]
    assert train.main(["--content", str(tmp_path / "day1"), *run]) == 0
    first = snapshot(output)
    assert train.main(["--content", str(tmp_path / "day2"), *run]) == 0
    after = snapshot(output)
    for path, data in first.items():  # the first run's results are all still there
        if path.suffix == ".png":
            assert after[path] == data
    results = sorted(output.glob("*.png"))
    assert len(results) == 4
    record = json.loads((output / MANIFEST).read_text())
    owners = [entry["owner"] for entry in record["images"].values()]
    assert len(set(owners)) == 4 and len(record["images"]) == 4
    calls = count_steps(monkeypatch)
    assert train.main(["--content", str(tmp_path / "day1"), *run]) == 0
    assert train.main(["--content", str(tmp_path / "day2"), *run]) == 0
    assert calls == []  # both reruns find their own results
    assert "4 done" not in capsys.readouterr().err  # each run counts its own files


@pytest.mark.slow
def test_a_photo_replaced_in_place_gets_a_new_result_and_keeps_the_old(tmp_path, model):
    photos, output = tmp_path / "photos", tmp_path / "out"
    photo(photos / "a.png", 1)
    arguments = ["--content", str(photos), "--output", str(output), *TINY]
    assert train.main(arguments) == 0
    old = (output / "a.png").read_bytes()
    photo(photos / "a.png", 2)  # another photo under the same name
    assert train.main(arguments) == 0
    assert (output / "a.png").read_bytes() == old
    assert len(list(output.glob("a*.png"))) == 2


@pytest.mark.slow
def test_a_name_too_long_for_its_output_is_shortened_before_the_run(tmp_path, model):
    photos, output = tmp_path / "photos", tmp_path / "out"
    photo(photos / ("y" * 249 + ".png"), 1)
    photo(photos / ("y" * 248 + ".png"), 2)
    arguments = ["--content", str(photos), "--output", str(output), *TINY]
    assert train.main(arguments) == 0
    results = sorted(p.name for p in output.glob("*.png"))
    assert len(results) == 2
    assert all(len(name.encode()) + 14 <= 255 for name in results)


@pytest.mark.slow
def test_a_symlink_beside_its_target_is_one_input(tmp_path, model, capsys):
    photos, output = tmp_path / "photos", tmp_path / "out"
    photo(photos / "a.png", 1)
    (photos / "b.png").symlink_to(photos / "a.png")
    arguments = ["--content", str(photos), "--output", str(output), *TINY]
    assert train.main(arguments) == 0
    assert "the same file as" in capsys.readouterr().err
    assert [p.name for p in output.glob("*.png")] == ["a.png"]


# --- records as contracts, special files ---------------------------------------------


def folder_run(tmp_path, *extra) -> list[str]:
    photo(tmp_path / "photos" / "p.png")
    output = tmp_path / "out"
    output.mkdir(exist_ok=True)
    return ["--content", str(tmp_path / "photos"), "--output", str(output), *TINY]


@pytest.mark.parametrize(
    "content",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"version": 3, "images": {"a.png": {"status": "partial", "owner": "/x", '
        '"steps": 1000000000000}}}',
        '{"version": 3, "images": {"a.png": {"status": "done", "owner": "/x", '
        '"steps": -7}}}',
        '{"version": 3, "images": {"a.png": {"status": "done", "steps": 1}}}',
        '{"version": 3, "images": {"a.png": {"status": "done", "owner": "/x", '
        '"sha256": 5}}}',
        '{"version": 3, "images": {}, "source": [1]}',
    ],
    ids=["nested", "steps-huge", "steps-negative", "no-owner", "sha", "source"],
)
def test_a_hand_edited_manifest_is_one_line(tmp_path, monkeypatch, capsys, content):
    arguments = folder_run(tmp_path)
    (tmp_path / "out" / MANIFEST).write_text(content)
    no_model(monkeypatch)
    assert train.main(arguments) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and MANIFEST in err


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
@pytest.mark.parametrize("name", [MANIFEST, ".manifest.lock"])
def test_a_special_file_as_manifest_or_lock_is_refused_without_hanging(
    tmp_path, monkeypatch, capsys, kind, name
):
    arguments = folder_run(tmp_path)
    target = tmp_path / "out" / name
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to("/dev/zero")
    monkeypatch.setattr(
        "tf_style.batch.prepare.extractor_for", lambda config, **_: object()
    )
    monkeypatch.setattr(
        "tf_style.batch.prepare.with_network", lambda extractor, **_: extractor
    )
    assert train.main(arguments) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and name in err


@pytest.mark.slow
def test_a_fifo_in_the_folder_is_skipped_and_the_others_run(tmp_path, model, capsys):
    photos, output = tmp_path / "photos", tmp_path / "out"
    photo(photos / "a.png", 1)
    os.mkfifo(photos / "pipe.png")
    arguments = ["--content", str(photos), "--output", str(output), *TINY]
    assert train.main(arguments) == 1  # a file failed: not a clean run
    err = capsys.readouterr().err
    assert "FIFO" in err and "Traceback" not in err
    assert [p.name for p in output.glob("*.png")] == ["a.png"]


@pytest.mark.slow
def test_a_full_disk_stops_a_folder_run_with_one_line_and_exit_1(
    tmp_path, model, monkeypatch, capsys
):
    photos, output = tmp_path / "photos", tmp_path / "out"
    for index in range(3):
        photo(photos / f"p{index}.png", index)

    def full(image, path, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr("tf_style.batch.jobs.save_image", full)
    arguments = ["--content", str(photos), "--output", str(output), "--batch-size"]
    assert train.main([*arguments, "1", *TINY]) == 1
    err = capsys.readouterr().err
    assert "disk is full" in err and "Traceback" not in err
    assert not [p for p in output.rglob("*") if p.name.endswith(".tmp")]


# --- refuse before work, leave nothing behind ---------------------------------------


def test_a_fifo_as_content_or_style_is_refused_without_hanging(tmp_path, capsys):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    for role in ("--content", "--style"):
        arguments = [role, str(fifo), "--output", str(tmp_path / "o.png"), *TINY]
        assert train.main(arguments) == 2
        assert "FIFO" in capsys.readouterr().err
    assert not (tmp_path / "o.png").exists()


def test_an_output_where_no_file_can_be_made_is_refused_before_the_run(
    monkeypatch, capsys
):
    monkeypatch.setattr(
        "tf_style.commands.one_image.load_vgg19",
        lambda *a, **k: pytest.fail("the model was built before the check"),
    )
    assert train.main(["--output", "/proc/r.png", *TINY]) == 2
    assert "/proc" in capsys.readouterr().err


def test_a_deleted_working_folder_is_one_line_before_the_run(
    tmp_path, monkeypatch, capsys
):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    content = photo(tmp_path / "c.png")
    for output in ("out.png", "results"):
        arguments = ["--content", str(content), "--output", output, *TINY]
        if output == "results":
            arguments[1] = str(tmp_path)
        assert train.main(arguments) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("kind", ["not a video", "audio only"])
def test_a_video_refused_leaves_no_folder_behind(tmp_path, monkeypatch, capsys, kind):
    pytest.importorskip("cv2")
    import imageio_ffmpeg

    video = tmp_path / "clip.mp4"
    if kind == "not a video":
        video.write_bytes(b"\x00" * 4096)
    else:
        command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f"]
        command += ["lavfi", "-i", "sine=duration=0.5", str(video)]
        subprocess.run(command, check=True, capture_output=True, timeout=60)
    no_model(monkeypatch)
    output = tmp_path / "deep" / "out"
    assert train.main(["--frames", str(video), "--output", str(output), *TINY]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "At least one output file" not in err
    assert not (tmp_path / "deep").exists()


def test_a_bad_style_is_refused_before_the_video_is_decoded(
    tmp_path, monkeypatch, capsys
):
    pytest.importorskip("cv2")
    video = make_video(tmp_path / "clip.mp4")
    (tmp_path / "bad.png").write_bytes(b"not an image")
    monkeypatch.setattr(
        "tf_style.batch.prepare.extract_frames",
        lambda *a: pytest.fail("the video was decoded before the style was read"),
    )
    arguments = ["--frames", str(video), "--output", str(tmp_path / "out")]
    assert train.main([*arguments, "--style", str(tmp_path / "bad.png"), *TINY]) == 2
    assert "bad.png" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("where", ["folder", "image", "content"])
def test_a_name_longer_than_the_file_system_allows_is_one_line(
    tmp_path, monkeypatch, capsys, where
):
    photo(tmp_path / "photos" / "a.png")
    monkeypatch.chdir(tmp_path)
    long = "d" * 256
    arguments = {
        "folder": ["--content", "photos", "--output", long],
        "image": ["--content", "photos/a.png", "--output", f"{long}/x.png"],
        "content": ["--content", f"{long}.png", "--output", "x.png"],
    }[where]
    assert train.main([*arguments, *TINY]) == 2
    err = capsys.readouterr().err
    assert "bytes" in err and "255" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("folder", ["flows", ".partial"])
def test_inputs_inside_a_folder_the_run_fills_are_refused(
    tmp_path, monkeypatch, capsys, folder
):
    frames = tmp_path / "out" / folder
    for index in range(2):
        photo(frames / f"frame_{index}.png", seed=index)
    before = snapshot(frames)
    no_model(monkeypatch)
    for mode in ("--frames", "--content"):
        arguments = [mode, str(frames), "--output", str(tmp_path / "out"), *TINY]
        assert train.main(arguments) == 2
        assert folder in capsys.readouterr().err
    assert snapshot(frames) == before


# --- found by trying: manifest names, decoded frames, globs, the lock -----------------


@pytest.mark.parametrize(
    "name",
    [
        "sub/a.png",
        "../a.png",
        "",
        ".partial",
        "manifest.json",
        "a\0b.png",
        "\ud800.png",
    ],
)
def test_a_manifest_name_that_is_no_plain_png_is_one_line(
    tmp_path, monkeypatch, capsys, name
):
    arguments = folder_run(tmp_path)
    entry = {"status": "done", "owner": "/x", "steps": 1}
    record = {"version": 3, "images": {name: entry}}
    (tmp_path / "out" / MANIFEST).write_text(json.dumps(record))
    no_model(monkeypatch)
    assert train.main(arguments) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and MANIFEST in err


def test_frames_of_ones_own_in_input_frames_are_never_replaced_by_a_decode(
    tmp_path, monkeypatch, capsys
):
    pytest.importorskip("cv2")
    video = make_video(tmp_path / "clip.mp4")
    mine = photo(tmp_path / "out" / "input_frames" / "frame_00001.png", seed=4)
    before = mine.read_bytes()
    no_model(monkeypatch)
    arguments = ["--frames", str(video), "--output", str(tmp_path / "out"), *TINY]
    assert train.main(arguments) == 2
    assert mine.read_bytes() == before


def test_a_glob_through_a_symlink_and_dotdot_is_read_as_the_kernel_does(tmp_path):
    photos = tmp_path / "photos"
    inputs = [photo(photos / "a" / "x.png", 1), photo(photos / "b" / "y.png", 2)]
    (tmp_path / "L").symlink_to(photos / "a")
    from tf_style.batch.plan import OutputPlanError

    spec = str(tmp_path / "L" / ".." / "*" / "*.png")
    with pytest.raises(OutputPlanError, match="would match"):
        plan_outputs(inputs, photos / "out2", spec=spec)


def test_an_init_that_is_no_image_is_refused_before_anything_is_made(
    tmp_path, monkeypatch, capsys
):
    arguments = folder_run(tmp_path)
    shutil_target = tmp_path / "out"
    shutil_target.rmdir()
    os.mkfifo(tmp_path / "g.png")
    (tmp_path / "t.txt").write_text("hi")
    no_model(monkeypatch)
    for init in ("g.png", "nope.png", "t.txt"):
        assert train.main([*arguments, "--init", str(tmp_path / init)]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert not shutil_target.exists()


def test_names_are_planned_under_the_lock(tmp_path, monkeypatch):
    """Another run that gives a name between this run's checks and its lock is
    seen: the plan is made once the lock is held."""
    from tf_style.batch import lock as lock_module

    photos = photo(tmp_path / "photos" / "IMG.png").parent
    output = tmp_path / "out"
    real_enter = lock_module.folder_lock.__enter__

    def another_run_first(self):
        other = {"status": "done", "owner": "/elsewhere/IMG.png", "steps": 1}
        record = {"version": 3, "images": {"IMG.png": other}}
        (output / MANIFEST).write_text(json.dumps(record))
        (output / "IMG.png").write_bytes(b"the other run's result")
        return real_enter(self)

    monkeypatch.setattr(lock_module.folder_lock, "__enter__", another_run_first)
    seen = {}

    def stop_before_model(config, **_):
        held, _ = read_manifest(output / MANIFEST)
        seen["held"] = held
        raise KeyboardInterrupt

    monkeypatch.setattr(
        "tf_style.batch.prepare.plan_outputs",
        lambda *a, **k: seen.setdefault("plan", plan_outputs(*a, **k)),
    )
    monkeypatch.setattr("tf_style.batch.prepare.extractor_for", stop_before_model)
    arguments = ["--content", str(photos), "--output", str(output), *TINY]
    assert train.main(arguments) == 130
    assert seen["plan"].name(photos / "IMG.png") != "IMG.png"


@pytest.mark.slow
def test_a_manifest_that_cannot_be_saved_is_one_line_and_exit_1(
    tmp_path, model, monkeypatch, capsys
):
    photo(tmp_path / "photos" / "p.png")

    def full(self):
        raise OSError(errno.ENOSPC, "No space left on device", str(self.path))

    monkeypatch.setattr(Manifest, "save", full)
    arguments = ["--content", str(tmp_path / "photos"), "--output", str(tmp_path / "o")]
    assert train.main([*arguments, *TINY]) == 1
    err = capsys.readouterr().err
    assert "disk is full" in err and "Traceback" not in err


@pytest.mark.slow
def test_frames_smaller_than_32_px_once_resized_still_finish(tmp_path, model):
    pytest.importorskip("cv2")
    video = make_video(tmp_path / "clip.mp4", frames=2, size=64, height=48)
    output = tmp_path / "out"  # at --max-dim 40 the frames are 40 x 30 px
    arguments = ["--frames", str(video), "--output", str(output), "--max-dim", "40"]
    assert train.main([*arguments, "--epochs", "1", "--steps-per-epoch", "1"]) == 0
    assert len(list(output.glob("frame_*.png"))) == 2


@pytest.mark.slow
def test_the_single_image_write_refuses_an_input_swapped_in_at_the_rename(
    tmp_path, monkeypatch, capsys
):
    """Checked before the run and again at the rename: an output path that has
    become an input meanwhile (here: the check skipped) is refused, one line."""
    content = photo(tmp_path / "c.png", 1)
    before = content.read_bytes()
    monkeypatch.setattr(
        "tf_style.commands.one_image.check_outputs", lambda *a, **k: None
    )
    arguments = ["--content", str(content), "--output", str(content), *TINY]
    assert train.main(arguments) == 1
    err = capsys.readouterr().err
    assert "refusing to overwrite" in err and "Traceback" not in err
    assert content.read_bytes() == before
