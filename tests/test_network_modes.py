"""Any network drives a photo, a folder and a video (tf_style.fast.load_network,
``model=`` in stylize_folder/stylize_video, ``tf-style-train --network``): one
forward pass per photo or frame through the same plumbing, and every option a
network cannot honour refused with the reason."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from tests.conftest import SHARED
from tests.test_library_modes import write_clip, write_photos, write_style
from tf_style import train
from tf_style.batch import RunRefused, stylize_folder, stylize_video
from tf_style.config import StyleTransferConfig
from tf_style.config.modes import VideoConfig
from tf_style.fast import (
    FastModelError,
    HubStylizer,
    LiteStylizer,
    NetworkLiteStylizer,
    fast_stylize,
    load_network,
)
from tf_style.images.tensors import load_image, save_image

TFLITE_PAIR = SHARED / "models" / "magenta_arbitrary_stylization"
SIZE = StyleTransferConfig(max_dim=48)


@pytest.fixture(scope="module")
def fit_folder(tmp_path_factory):
    """A tiny Johnson network as tf-style-fit writes it: SavedModel and TFLite."""
    from tf_style.fit.export import export_network
    from tf_style.fit.networks import johnson_network

    keras.utils.set_random_seed(0)
    network = johnson_network(width=4, residual_blocks=1)
    folder = tmp_path_factory.mktemp("fit") / "tiny"
    export_network(network, "johnson", folder, metadata={"style": "tiny"})
    return folder


@pytest.fixture(scope="module")
def tflite_pair():
    if not (TFLITE_PAIR / "style_predict_quantized_256.tflite").is_file():
        pytest.skip(f"the Magenta TFLite pair is not in {TFLITE_PAIR} (SOURCES.md)")
    return TFLITE_PAIR


def pngs(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.png"))}


def test_load_network_finds_the_kind_from_what_is_there(fit_folder, tmp_path):
    assert isinstance(load_network(fit_folder), HubStylizer)  # its SavedModel
    lite = load_network(fit_folder / "tflite")
    assert isinstance(lite, NetworkLiteStylizer)
    assert "float16" in lite.source
    int8 = load_network(fit_folder / "tflite" / "network_int8.tflite")
    assert isinstance(int8, NetworkLiteStylizer) and "int8" in int8.source
    assert lite.identity["sha256"] != int8.identity["sha256"]
    assert load_network(fit_folder).identity["kind"] == "saved_model"
    (tmp_path / "empty").mkdir()
    for nothing in (tmp_path / "empty", tmp_path / "missing"):
        with pytest.raises(FastModelError, match="tf-style-fit output folder"):
            load_network(nothing)


def test_load_network_takes_the_magenta_pair(tflite_pair):
    model = load_network(tflite_pair)
    assert isinstance(model, LiteStylizer)
    assert model.identity["kind"] == "tflite_pair"


@pytest.mark.parametrize("where", ["fit", "tflite pair"])
def test_a_network_paints_a_photo_a_folder_and_a_clip_as_the_command_does(
    where, fit_folder, request, tmp_path, capsys
):
    network = fit_folder if where == "fit" else request.getfixturevalue("tflite_pair")
    model = load_network(network)
    photos, style = write_photos(tmp_path / "photos"), write_style(tmp_path / "s.png")
    clip = write_clip(tmp_path / "clip")
    common = ["--style", str(style), "--network", str(network), "--max-dim", "48"]
    # one photo
    photo, single = photos / "photo0.png", tmp_path / "single.png"
    arguments = ["--content", str(photo), "--output", str(single), *common]
    assert train.main(arguments) == 0
    out = capsys.readouterr().out
    assert "Device: " in out and f"Network: {model.source}" in out
    images = [load_image(path, 48) for path in (photo, style)]
    expected = save_image(fast_stylize(*images, model=model), tmp_path / "e.png")
    assert single.read_bytes() == expected.read_bytes()
    # a folder
    events = []
    result = stylize_folder(
        photos, style, SIZE, output=tmp_path / "lib", model=model,
        on_progress=events.append,
    )  # fmt: skip
    arguments = ["--content", str(photos), "--output", str(tmp_path / "cmd")]
    assert train.main([*arguments, *common, "--quiet"]) == 0
    assert pngs(tmp_path / "lib") == pngs(tmp_path / "cmd")
    assert pngs(tmp_path / "lib")["photo0.png"] == single.read_bytes()
    assert result.summary() == "2 done"
    assert [(e.kind, e.step, e.total) for e in events if e.index == 1] == [
        ("step", 1, 1),
        ("done", 1, 1),
    ]
    settings = json.loads((tmp_path / "lib" / "manifest.json").read_text())["settings"]
    assert settings["network"] == {"source": model.source, **model.identity}
    assert "config" not in settings
    # a clip
    pytest.importorskip("cv2")
    video = stylize_video(clip, style, SIZE, output=tmp_path / "vlib", model=model)
    arguments = ["--frames", str(clip), "--output", str(tmp_path / "vcmd")]
    assert train.main([*arguments, *common, "--quiet"]) == 0
    assert pngs(tmp_path / "vlib") == pngs(tmp_path / "vcmd")
    assert len(video.frames) == 4 and len(video.pairs) == 3
    assert np.isfinite(video.warping_error) and video.video.stat().st_size > 0
    assert video.report["temporal"]["mode"] == "independent"
    assert "warping error" in capsys.readouterr().err


def test_a_folder_of_one_network_refuses_another_model(fit_folder, tmp_path, capsys):
    photos, style = write_photos(tmp_path / "p", 1), write_style(tmp_path / "s.png")
    output = tmp_path / "out"
    stylize_folder(photos, style, SIZE, output=output, model=load_network(fit_folder))
    before = pngs(output)
    other = load_network(fit_folder / "tflite")
    with pytest.raises(RunRefused, match="holds the results of the network"):
        stylize_folder(photos, style, SIZE, output=output, model=other)
    arguments = ["--content", str(photos), "--style", str(style), "--output"]
    assert train.main([*arguments, str(output), "--max-dim", "48", "--quiet"]) == 2
    assert "this run uses the optimisation" in capsys.readouterr().err
    assert pngs(output) == before


@pytest.mark.parametrize(
    ("options", "output", "message"),
    [
        (["--frames", "{clip}", "--temporal", "flow"], "o", "--temporal flow makes"),
        (["--frames", "{clip}", "--temporal-weight", "1"], "o", "temporal term"),
        (["--frames", "{clip}", "--long-term", "2"], "o", "temporal term"),
        (["--content", "{photos}", "--learning-rate", "0.1"], "o", "optimisation"),
        (["--content", "{photos}", "--epochs", "10"], "o", "optimisation setting"),
        (["--content", "{photos}", "--preset", "fast"], "o", "--preset fast"),
        (["--content", "{photos}", "--batch-size", "2"], "o", "--batch-size"),
        (["--content", "{photo}", "--tv-weight", "1"], "o.png", "optimisation"),
        (["--content", "{photo}", "--mask", "{photo}"], "o.png", "--mask"),
        (["--content", "{photo}", "--weights", "{photo}"], "o.png", "--weights"),
        (["--content", "{photo}", "--strength", "2"], "o.png", "strength must be"),
    ],
)
def test_what_a_network_cannot_honour_is_refused_with_the_reason(
    fit_folder, tmp_path, capsys, options, output, message
):
    photos, clip = write_photos(tmp_path / "photos", 1), write_clip(tmp_path / "c", 2)
    fill = {"clip": clip, "photos": photos, "photo": photos / "photo0.png"}
    options = [option.format(**fill) for option in options]
    output = ["--output", str(tmp_path / output)]
    assert train.main([*options, "--network", str(fit_folder), *output]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists() and not (tmp_path / "o.png").exists()


def test_strength_without_a_network_is_refused(tmp_path, capsys):
    assert train.main(["--strength", "0.5", "--output", str(tmp_path / "o.png")]) == 2
    assert "give --network too" in capsys.readouterr().err


def test_the_library_refuses_a_flow_video_and_optimisation_settings_for_a_network(
    fit_folder, tmp_path
):
    model = load_network(fit_folder)
    clip, style = write_clip(tmp_path / "c", 2), write_style(tmp_path / "s.png")
    with pytest.raises(RunRefused, match="--temporal flow"):
        stylize_video(
            clip, style, output=tmp_path / "o", model=model, video=VideoConfig()
        )
    tuned = StyleTransferConfig(max_dim=48, style_weight=1.0)
    with pytest.raises(RunRefused, match="--style-weight is an optimisation"):
        stylize_folder(clip, style, tuned, output=tmp_path / "o", model=model)
    with pytest.raises(RunRefused, match="one style"):
        stylize_folder(clip, [style, style], output=tmp_path / "o", model=model)
    assert not (tmp_path / "o").exists()
