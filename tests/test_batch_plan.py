"""Many images, safely: no input overwritten, no two outputs sharing a name."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import numpy as np
import PIL.Image
import pytest

from tf_style import train
from tf_style.batch import jobs
from tf_style.batch.plan import OutputPlanError, plan_outputs

TINY = ["--max-dim", "40", "--epochs", "1", "--steps-per-epoch", "1", "--quiet"]


def photo(path, seed=0, size=(40, 40)):
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 255, (*size, 3), dtype=np.uint8)
    PIL.Image.fromarray(pixels).save(path)
    return path


def snapshot(folder):
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def model(monkeypatch, real_extractor):
    """The folder command's extractor: the session's VGG19, loaded once."""
    target = "tf_style.batch.prepare.extractor_for"
    monkeypatch.setattr(target, lambda config, **_: real_extractor)


def stand_in_model(monkeypatch):
    """An extractor that is never run: for runs that end before any step."""
    target = "tf_style.batch.prepare"
    monkeypatch.setattr(f"{target}.extractor_for", lambda config, **_: object())
    monkeypatch.setattr(f"{target}.with_network", lambda extractor, **_: extractor)


def no_model(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the model was built before the outputs were checked")

    monkeypatch.setattr("tf_style.batch.prepare.extractor_for", refuse)


@pytest.mark.parametrize(
    "content, output",
    [
        ("{photos}", "{photos}"),
        ("{photos}/*", "{photos}"),
        ("{photos}/*.png", "{photos}/"),
        ("{photos}", "{photos}/../photos"),
        ("{photos}", "{tmp}/nodir/../photos"),
    ],
)
def test_an_output_folder_holding_the_inputs_is_refused_and_nothing_changes(
    tmp_path, monkeypatch, capsys, content, output
):
    photos = tmp_path / "photos"
    for index in range(2):
        photo(photos / f"p{index}.png", seed=index)
    photo(photos / "style.png", seed=9)
    before = snapshot(photos)
    no_model(monkeypatch)
    fill = {"photos": photos, "tmp": tmp_path}
    status = train.main(
        ["--content", content.format(**fill), "--output", output.format(**fill)]
        + ["--style", str(photos / "style.png"), *TINY]
    )
    assert status == 2
    assert "read from" in capsys.readouterr().err
    assert snapshot(photos) == before
    assert not (tmp_path / "nodir").exists()


def test_frames_into_their_own_folder_are_refused(tmp_path, monkeypatch, capsys):
    frames = tmp_path / "frames"
    for index in range(2):
        photo(frames / f"frame_{index:03d}.png", seed=index)
    before = snapshot(frames)
    no_model(monkeypatch)
    assert train.main(["--frames", str(frames), "--output", str(frames), *TINY]) == 2
    assert snapshot(frames) == before


def test_an_output_never_takes_the_name_of_a_file_it_did_not_make(tmp_path):
    style = photo(tmp_path / "out" / "style.png", seed=3)
    inputs = [photo(tmp_path / "photos" / "style.jpg")]
    plan = plan_outputs(
        inputs, tmp_path / "out", spec=tmp_path / "photos", reads=[style]
    )
    name = plan.name(inputs[0])
    assert name.startswith("style-") and name.endswith(".png")


def test_an_output_reached_through_a_symlink_avoids_the_file_there(tmp_path):
    style = photo(tmp_path / "styles" / "a.png", seed=3)
    (tmp_path / "out").symlink_to(tmp_path / "styles")
    inputs = [photo(tmp_path / "photos" / "a.jpg")]
    plan = plan_outputs(
        inputs, tmp_path / "out", spec=tmp_path / "photos", reads=[style]
    )
    assert plan.outputs[inputs[0]].parent == (tmp_path / "styles").resolve()
    assert plan.name(inputs[0]) != "a.png"


def test_names_that_would_collide_are_made_distinct_and_stable(tmp_path):
    photos = tmp_path / "photos"
    inputs = [
        photo(photos / "a.png"),
        photo(photos / "a.jpg"),
        photo(photos / "a.PNG"),
        photo(photos / "b.png"),
    ]
    plan = plan_outputs(inputs, tmp_path / "out", spec=photos)
    names = [plan.name(source) for source in inputs]
    assert len({name.casefold() for name in names}) == 4
    assert names[3] == "b.png"  # no collision: the plain name
    again = plan_outputs(inputs, tmp_path / "out", spec=photos)
    assert [again.name(source) for source in inputs] == names


@pytest.mark.slow
def test_colliding_inputs_through_a_glob_each_get_their_own_output(tmp_path, model):
    photo(tmp_path / "day1" / "x.png", seed=1)
    photo(tmp_path / "day2" / "x.png", seed=2)
    output = tmp_path / "out"
    status = train.main(
        ["--content", str(tmp_path / "day*" / "*.png"), "--output", str(output)] + TINY
    )
    assert status == 0
    outputs = sorted(p.name for p in output.glob("*.png"))
    assert len(outputs) == 2 and all(name.startswith("x-") for name in outputs)
    record = json.loads((output / "manifest.json").read_text())
    assert [e["status"] for e in record["images"].values()] == ["done", "done"]
    assert sorted(
        e["output"].rsplit("/", 1)[-1] for e in record["images"].values()
    ) == (outputs)


@pytest.mark.slow
def test_a_style_replaced_under_the_same_name_redoes_the_outputs(tmp_path, model):
    photo(tmp_path / "photos" / "p.png", seed=1)
    style = photo(tmp_path / "style.png", seed=5)
    output = tmp_path / "out"
    arguments = ["--content", str(tmp_path / "photos"), "--output", str(output)]
    arguments += ["--style", str(style), *TINY]
    assert train.main(arguments) == 0
    first = (output / "p.png").read_bytes()
    photo(style, seed=6)  # another painting, the same file name
    assert train.main(arguments) == 0
    assert (output / "p.png").read_bytes() != first


# --- the smaller promises: overflow, JSON, empty success, API checks ---------------


def test_layer_weights_that_overflow_are_refused_by_the_config():
    from tf_style.config import StyleTransferConfig

    with pytest.raises(ValueError, match="more than a float can hold"):
        StyleTransferConfig(style_layer_weights=(1e308, 1e308, 1, 1, 1))


def test_json_records_hold_no_nan(tmp_path):
    from tf_style.artifacts import write_json

    path = write_json(
        {"ratio": float("nan"), "x": [np.float32("inf"), 1.0]}, tmp_path / "r.json"
    )
    assert json.loads(path.read_text(), parse_constant=pytest.fail) == {
        "ratio": None,
        "x": [None, 1.0],
    }


def test_a_folder_where_every_input_fails_exits_non_zero(tmp_path, monkeypatch, capsys):
    stand_in_model(monkeypatch)
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "a.png").write_bytes(b"not a png")
    (photos / "b.jpg").write_bytes(b"")
    status = train.main(
        ["--content", str(photos), "--output", str(tmp_path / "o"), *TINY]
    )
    assert status == 2
    err = capsys.readouterr().err
    assert "no input could be stylised" in err and "0 done" not in err


@pytest.mark.parametrize(
    "mask, message",
    [
        (np.full((20, 20, 1), np.nan, np.float32), "NaN"),
        (np.full((20, 20, 1), -0.5, np.float32), "values from -0.5"),
        (np.full((20, 20, 1), 255.0, np.float32), "values from 255"),
    ],
)
def test_a_mask_outside_the_unit_range_is_a_value_error(mask, message):
    from tf_style.optimize.driver import as_mask_image

    with pytest.raises(ValueError, match=message):
        as_mask_image(mask)


def test_stylize_many_refuses_one_path_instead_of_iterating_its_letters():
    from tf_style.batch.stylize_many import stylize_many

    with pytest.raises(TypeError, match="for one image pass"):
        stylize_many("a.png", "b.png")


# --- the manifest as a contract, the lock, the memory preflight ---------------------


@pytest.mark.parametrize(
    "content",
    [
        "[1, 2, 3]",
        '{"version": 2, "images": {"a": {"status": "done"',  # truncated
        '{"version": 2, "images": {"a": {"status": "finished"}}}',
        '{"version": 2, "images": {"a": {"status": "done", "steps": "7"}}}',
        '{"version": 2, "images": []}',
        '{"images": {}}',  # no version: not ours
        "",
    ],
    ids=["list", "truncated", "status", "steps", "images", "version", "empty"],
)
def test_a_corrupt_manifest_is_one_line_and_nothing_is_overwritten(
    tmp_path, monkeypatch, capsys, content
):
    photo(tmp_path / "photos" / "p.png")
    output = tmp_path / "out"
    output.mkdir()
    (output / "manifest.json").write_text(content)
    no_model(monkeypatch)
    arguments = ["--content", str(tmp_path / "photos"), "--output", str(output), *TINY]
    assert train.main(arguments) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "manifest.json" in err
    assert (output / "manifest.json").read_text() == content


def test_a_folder_named_manifest_json_is_refused(tmp_path, monkeypatch, capsys):
    photo(tmp_path / "photos" / "p.png")
    (tmp_path / "out" / "manifest.json").mkdir(parents=True)
    no_model(monkeypatch)
    arguments = [
        "--content",
        str(tmp_path / "photos"),
        "--output",
        str(tmp_path / "out"),
    ]
    assert train.main([*arguments, *TINY]) == 2


def test_a_second_run_on_a_locked_folder_is_refused(tmp_path, monkeypatch, capsys):
    from tf_style.batch.manifest import folder_lock

    photo(tmp_path / "photos" / "p.png")
    output = tmp_path / "out"
    output.mkdir()
    stand_in_model(monkeypatch)
    arguments = ["--content", str(tmp_path / "photos"), "--output", str(output)]
    with folder_lock(output):  # as another run would hold it
        assert train.main([*arguments, *TINY]) == 2
    assert "another run" in capsys.readouterr().err
    assert not (output / "p.png").exists()


def test_a_folder_too_large_for_memory_is_refused_before_the_model(
    tmp_path, monkeypatch, capsys
):
    photo(tmp_path / "photos" / "p.png", size=(300, 400))
    no_model(monkeypatch)
    monkeypatch.setattr("tf_style.memory.fits.available_host_memory", lambda: 2 * 2**30)
    arguments = ["--content", str(tmp_path / "photos"), "--output", str(tmp_path / "o")]
    assert train.main([*arguments, "--max-dim", "3000", "--quiet"]) == 2
    assert "use --max-dim" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_bad_entries_in_a_folder_are_skipped_and_the_others_run(
    tmp_path, model, capsys
):
    photos = tmp_path / "photos"
    photo(photos / "good.png")
    (photos / "dangling.png").symlink_to(tmp_path / "nowhere.png")
    (photos / "loop.png").symlink_to(photos / "loop.png")
    photo(photos / "strip.png", size=(40, 420))  # 40 px tall: too narrow at 40
    (photos / ("x" * 200 + ".png")).write_bytes(b"not an image")
    output = tmp_path / "out"
    arguments = ["--content", str(photos), "--output", str(output), *TINY]
    assert train.main(arguments) == 1  # some inputs failed
    record = json.loads((output / "manifest.json").read_text())
    statuses = {Path(k).name: v["status"] for k, v in record["images"].items()}
    assert statuses.pop("good.png") == "done"
    assert set(statuses.values()) == {"failed"}
    assert "Traceback" not in capsys.readouterr().err


def test_frames_of_different_sizes_are_refused_up_front(tmp_path, monkeypatch, capsys):
    frames = tmp_path / "frames"
    photo(frames / "frame_001.png", size=(40, 48))
    photo(frames / "frame_002.png", size=(48, 40))
    no_model(monkeypatch)
    arguments = ["--frames", str(frames), "--output", str(tmp_path / "out"), *TINY]
    assert train.main(arguments) == 2
    assert "frames differ in size" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_an_output_that_cannot_be_written_fails_alone(
    tmp_path, model, monkeypatch, capsys
):
    photos = tmp_path / "photos"
    photo(photos / "good.png")
    photo(photos / "unlucky.png", seed=2)
    real_save = jobs.save_image

    def failing(image, path, **kwargs):
        if Path(path).name == "unlucky.png":
            raise OSError(errno.EIO, "Input/output error", str(path))
        return real_save(image, path, **kwargs)

    monkeypatch.setattr(jobs, "save_image", failing)
    output = tmp_path / "out"
    arguments = ["--content", str(photos), "--output", str(output), *TINY]
    assert train.main(arguments) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "could not write it" in err
    record = json.loads((output / "manifest.json").read_text())
    statuses = sorted(entry["status"] for entry in record["images"].values())
    assert statuses == ["done", "failed"]


@pytest.mark.parametrize("weights", ["missing.bin", "folder"])
def test_a_bad_weights_file_in_folder_mode_is_one_line(
    tmp_path, monkeypatch, capsys, weights
):
    photo(tmp_path / "photos" / "p.png")
    (tmp_path / "folder").mkdir()
    no_model(monkeypatch)
    arguments = ["--content", str(tmp_path / "photos"), "--output", str(tmp_path / "o")]
    status = train.main([*arguments, "--weights", str(tmp_path / weights), *TINY])
    assert status == 2
    assert "no such weights file" in capsys.readouterr().err


def test_a_read_only_output_folder_is_one_line(tmp_path, monkeypatch, capsys):
    import os

    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    photo(tmp_path / "photos" / "p.png")
    (tmp_path / "o").mkdir(mode=0o500)
    no_model(monkeypatch)
    arguments = ["--content", str(tmp_path / "photos"), "--output", str(tmp_path / "o")]
    assert train.main([*arguments, *TINY]) == 2


@pytest.mark.parametrize("spec", ["a_file.png", "missing"])
def test_frames_naming_a_file_or_nothing_is_one_line(
    tmp_path, monkeypatch, capsys, spec
):
    photo(tmp_path / "a_file.png")
    no_model(monkeypatch)
    arguments = ["--frames", str(tmp_path / spec), "--output", str(tmp_path / "o")]
    assert train.main([*arguments, *TINY]) == 2
    assert "a folder of numbered frames" in capsys.readouterr().err


@pytest.mark.slow
def test_a_bad_frame_is_skipped_and_the_others_run(tmp_path, model, capsys):
    frames = tmp_path / "frames"
    for index in range(3):
        photo(frames / f"frame_{index:03d}.png", seed=index, size=(40, 48))
    (frames / "frame_001.png").write_bytes(b"not a frame")
    output = tmp_path / "out"
    assert train.main(["--frames", str(frames), "--output", str(output), *TINY]) == 1
    assert "skipped" in capsys.readouterr().err
    record = json.loads((output / "manifest.json").read_text())
    statuses = [entry["status"] for entry in record["images"].values()]
    assert sorted(statuses) == ["done", "done", "failed"]
    report = json.loads((output / "frames.json").read_text())
    assert len(report["warping"]["pairs"]) == 1  # the two good frames


def test_an_output_folder_inside_the_input_folder_is_fine_when_the_glob_skips_it(
    tmp_path,
):
    photos = tmp_path / "photos"
    inputs = [photo(photos / "a.png")]
    plan = plan_outputs(inputs, photos / "styled", spec=photos / "*.png")
    assert plan.name(inputs[0]) == "a.png"
    with pytest.raises(OutputPlanError, match="would match"):
        plan_outputs(inputs, photos / "styled", spec=photos / "*" / "*.png")
