"""The fast model: a stand-in SavedModel (folder, .tar.gz), the real TFLite pair."""

from __future__ import annotations

import io
import os
import sys
import tarfile
import time
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import SHARED, random_image
from tf_style.fast import (
    TUTORIAL_HUB_HANDLE,
    FastModelError,
    HubStylizer,
    LiteStylizer,
    fast_stylize,
    load_fast_model,
)
from tf_style.fast.archive import extract_saved_model
from tf_style.fast.saved_model import LOCAL_COPY_HELP
from tf_style.fast.tflite import LITE_RUNTIME_HELP

TFLITE_DIR = SHARED / "models" / "magenta_arbitrary_stylization"
needs_tflite = pytest.mark.skipif(
    not (TFLITE_DIR / "style_transfer_quantized_dynamic.tflite").is_file(),
    reason=f"TFLite models not found in {TFLITE_DIR} (not committed; see SOURCES.md)",
)


class StandInStylizer(tf.Module):
    """The Hub model's calling convention: (content, style) -> [stylised batch].

    It returns the content tinted by the style's mean colour; a second output (the
    style's size) checks that only ``outputs[0]`` is taken, as the tutorial does.
    """

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, None, None, 3], tf.float32),
            tf.TensorSpec([None, None, None, 3], tf.float32),
        ]
    )
    def __call__(self, content, style):
        tint = tf.reduce_mean(style, axis=[1, 2], keepdims=True)
        stylized = 0.5 * content + 0.5 * tint
        return [stylized, tf.cast(tf.shape(style)[1:3], tf.float32)]


@pytest.fixture(scope="module")
def saved_model_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("stand_in") / "saved_model"
    tf.saved_model.save(StandInStylizer(), str(directory))
    return directory


@pytest.fixture(scope="module")
def saved_model_archive(saved_model_dir, tmp_path_factory) -> Path:
    """The layout of a TF-Hub compressed download: saved_model.pb at the root."""
    archive = tmp_path_factory.mktemp("download") / "magenta_stand_in.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(saved_model_dir.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(saved_model_dir)))
    return archive


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TF_STYLE_CACHE_DIR", str(tmp_path / "cache"))


@pytest.mark.parametrize("kind", ["directory", "archive"])
def test_saved_model_stand_in_loads_from_dir_and_tar_gz(
    kind, saved_model_dir, saved_model_archive
):
    handle = saved_model_dir if kind == "directory" else saved_model_archive
    content = random_image(40, 56, seed=1)
    style = random_image(90, 70, seed=2)
    image = fast_stylize(content, style, hub_handle=handle)
    assert image.shape == content.shape and image.dtype == tf.float32
    assert 0.0 <= float(tf.reduce_min(image)) <= float(tf.reduce_max(image)) <= 1.0
    # The stand-in's arithmetic by hand: half the content, half the mean colour of
    # the style as the model receives it (resized to 256x256).
    tint = np.mean(tf.image.resize(style, (256, 256)), axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(image, 0.5 * np.asarray(content) + 0.5 * tint, atol=1e-5)


def test_style_reaches_the_saved_model_at_256(saved_model_dir, monkeypatch):
    started = time.perf_counter()
    model = HubStylizer(saved_model_dir)
    wall = time.perf_counter() - started
    seen = []
    original = model.model

    def spy(content, style):
        seen.append(tuple(style.shape))
        return original(content, style)

    monkeypatch.setattr(model, "model", spy)
    model(random_image(32, 48), random_image(100, 60))
    assert seen == [(1, 256, 256, 3)]
    assert 0 < model.load_seconds <= wall  # the load itself, timed inside
    assert "SavedModel" in model.source


def test_archive_is_extracted_once_into_the_cache(saved_model_archive, tmp_path):
    first = extract_saved_model(saved_model_archive, cache_dir=tmp_path)
    second = extract_saved_model(saved_model_archive, cache_dir=tmp_path)
    assert first == second and (first / "saved_model.pb").is_file()
    assert [p.name for p in (tmp_path / "hub").iterdir()] == [first.name]


def test_unsafe_archive_member_is_refused(tmp_path):
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    with pytest.raises(FastModelError, match="unsafe archive member"):
        load_fast_model(hub_handle=archive)
    # "../" from the staging folder would land in cache/hub: nothing anywhere.
    assert not list(tmp_path.rglob("escaped.txt"))
    assert not list((tmp_path / "cache" / "hub").iterdir())


def test_corrupt_archive_is_one_clear_error(tmp_path):
    archive = tmp_path / "broken.tar.gz"
    archive.write_bytes(b"not gzip at all")
    with pytest.raises(FastModelError, match="not a readable .tar.gz"):
        load_fast_model(hub_handle=archive)


def test_folder_of_tflite_files_points_to_tflite_dir(tmp_path):
    (tmp_path / "style_predict.tflite").write_bytes(b"x")
    with pytest.raises(FastModelError, match="--tflite-dir"):
        load_fast_model(hub_handle=tmp_path)


def test_offline_url_handle_says_how_to_provide_a_local_copy(monkeypatch):
    import tensorflow_hub

    def offline(handle, *args, **kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(tensorflow_hub, "load", offline)
    monkeypatch.delenv("TFHUB_MODEL_LOAD_FORMAT", raising=False)
    with pytest.raises(FastModelError) as caught:
        load_fast_model()
    message = str(caught.value)
    assert TUTORIAL_HUB_HANDLE in message and "Name or service" in message
    for way in ("--hub-handle DIR", "FILE.tar.gz", "--tflite-dir DIR"):
        assert way in message
    assert message.endswith(LOCAL_COPY_HELP.format(handle=TUTORIAL_HUB_HANDLE))
    assert "\n" not in message
    assert os.environ["TFHUB_MODEL_LOAD_FORMAT"] == "COMPRESSED"


def test_a_missing_tflite_folder_says_where_to_get_the_pair_and_the_runtime(
    tmp_path,
):
    for folder in (tmp_path / "models" / "magenta", tmp_path):  # absent, empty
        with pytest.raises(FastModelError) as caught:
            load_fast_model(tflite_dir=folder)
        message = str(caught.value)
        assert "google/arbitrary-image-stylization-v1" in message
        assert 'pip install -e ".[lite]"' in message
        assert "style_predict*.tflite and style_transfer*.tflite" in message


def test_the_lite_extra_installs_the_runtime_the_errors_name():
    import configparser

    setup = configparser.ConfigParser()
    setup.read(Path(__file__).resolve().parents[1] / "setup.cfg")
    lite = setup["options.extras_require"]["lite"].split()
    assert "ai-edge-litert" in lite
    assert "ai-edge-litert" in LITE_RUNTIME_HELP and ".[lite]" in LITE_RUNTIME_HELP


def test_no_default_path_points_outside_the_repository():
    """Models are given explicitly (their errors say where to get them): no path
    of the package reaches into a folder beside the repository."""
    package = Path(__file__).resolve().parents[1] / "tf_style"
    for source in package.rglob("*.py"):
        assert "shared/models" not in source.read_text(), source


def test_hub_and_tflite_together_is_an_error():
    with pytest.raises(ValueError, match="not both"):
        load_fast_model(hub_handle="x", tflite_dir="y")


def test_strength_needs_the_tflite_pair(saved_model_dir):
    model = HubStylizer(saved_model_dir)
    with pytest.raises(ValueError, match="bottleneck"):
        model(random_image(32, 32), random_image(32, 32), strength=0.5)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        model(random_image(32, 32), random_image(32, 32), strength=2.0)


def test_missing_tflite_files_are_named(tmp_path):
    (tmp_path / "style_predict_quantized_256.tflite").write_bytes(b"x")
    with pytest.raises(FastModelError, match=r"style_transfer\*\.tflite"):
        LiteStylizer(tmp_path)


@pytest.mark.network
def test_real_tutorial_handle_downloads_and_stylizes():
    image = fast_stylize(random_image(64, 96), random_image(64, 64))
    assert image.shape == (1, 64, 96, 3)


# --- the real TensorFlow Lite pair ------------------------------------------------


@pytest.fixture(scope="module")
def lite_model() -> LiteStylizer:
    if not (TFLITE_DIR / "style_transfer_quantized_dynamic.tflite").is_file():
        pytest.skip(f"TFLite models not found in {TFLITE_DIR}")
    return LiteStylizer(TFLITE_DIR)


@pytest.fixture(scope="module")
def pictures():
    from tests.conftest import ASSETS
    from tf_style.images import load_image

    return {
        "content": load_image(ASSETS / "chelsea.png", 72),
        "starry": load_image(ASSETS / "starry_night.jpg", 96),
        "scream": load_image(SHARED / "images" / "the_scream.jpg", 96)
        if (SHARED / "images" / "the_scream.jpg").is_file()
        else random_image(96, 96, seed=5),
    }


@needs_tflite
def test_tflite_output_has_the_content_shape_and_range(lite_model, pictures):
    content = pictures["content"]
    image = fast_stylize(content, pictures["starry"], model=lite_model)
    assert image.shape == content.shape and image.dtype == tf.float32
    assert 0.0 <= float(tf.reduce_min(image)) <= float(tf.reduce_max(image)) <= 1.0
    assert "style_transfer_quantized_dynamic" in lite_model.source


@needs_tflite
def test_tflite_handles_any_content_size(lite_model):
    for height, width in [(33, 47), (64, 40)]:
        image = lite_model(random_image(height, width), random_image(64, 64))
        assert image.shape == (1, height, width, 3)


@needs_tflite
def test_tflite_a_different_style_gives_a_different_image(lite_model, pictures):
    starry = lite_model(pictures["content"], pictures["starry"])
    scream = lite_model(pictures["content"], pictures["scream"])
    assert float(tf.reduce_mean(tf.abs(starry - scream))) > 0.02


@needs_tflite
def test_tflite_strength_zero_stays_close_to_the_content(lite_model, pictures):
    content = pictures["content"]
    distances = []
    for strength in (0.0, 0.5, 1.0):
        image = lite_model(content, pictures["starry"], strength=strength)
        distances.append(float(tf.reduce_mean(tf.abs(image - content))))
    # The network re-paints even in the photo's own style, so "close" is relative:
    # at 72 px measured about 0.10, 0.14 and 0.19 (mean absolute pixel difference).
    assert distances[0] < distances[1] < distances[2]
    assert distances[0] < 0.15 and distances[0] < 0.7 * distances[2]


@needs_tflite
@pytest.mark.filterwarnings("ignore:.*tf.lite.Interpreter is deprecated:UserWarning")
def test_tflite_falls_back_to_tf_lite_without_litert(monkeypatch, pictures):
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    model = LiteStylizer(TFLITE_DIR)
    assert isinstance(model.predictor, tf.lite.Interpreter)
    assert model(pictures["content"], pictures["starry"]).shape == (1, 47, 72, 3)


@needs_tflite
def test_tflite_through_load_fast_model(pictures):
    started = time.perf_counter()
    model = load_fast_model(tflite_dir=TFLITE_DIR)
    assert 0 < model.load_seconds <= time.perf_counter() - started
    assert model(pictures["content"], pictures["starry"]).shape == (1, 47, 72, 3)


def test_loading_a_saved_model_logs_its_handle_hash_and_the_trust_warning(
    saved_model_archive, caplog, tmp_path
):
    import hashlib

    digest = hashlib.sha256(saved_model_archive.read_bytes()).hexdigest()
    with caplog.at_level("WARNING", logger="tf_style.fast.saved_model"):
        model = HubStylizer(saved_model_archive, cache_dir=tmp_path)
    assert f"sha256 {digest}" in model.source
    assert str(saved_model_archive) in caplog.text and digest in caplog.text
    assert "Only load models you trust" in caplog.text


def _archive_of(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]):
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, None if data is None else io.BytesIO(data))
    return path


def _file(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    return info


def test_an_archive_bomb_is_refused_from_its_headers(tmp_path, monkeypatch):
    """300 KB of gzip unpacking to 301 MB of zeros: refused before a byte is
    written, and before the member's data is even decompressed."""
    archive = tmp_path / "bomb.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.addfile(_file("saved_model.pb", 301 * 2**20), io.BytesIO(bytes(301 << 20)))
    assert archive.stat().st_size < 400_000
    reads = []
    real_read = tarfile.ExFileObject.read
    monkeypatch.setattr(
        tarfile.ExFileObject, "read", lambda *a: reads.append(a) or real_read(*a)
    )
    with pytest.raises(FastModelError, match=r"would unpack to more than 29 MB"):
        load_fast_model(hub_handle=archive)
    assert reads == []
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]


def test_an_archive_of_too_many_members_is_refused(tmp_path):
    archive = _archive_of(
        tmp_path / "many.tar.gz", [(_file(f"f{n}", 0), b"") for n in range(10_001)]
    )
    with pytest.raises(FastModelError, match="more than 10000 members"):
        load_fast_model(hub_handle=archive)


def test_an_archive_with_a_huge_long_name_header_is_refused(tmp_path):
    """tarfile reads a GNU long-name header whole: a 64 MB one is refused unread."""
    archive = tmp_path / "long.tar.gz"
    with tarfile.open(archive, "w:gz", format=tarfile.GNU_FORMAT) as tar:
        info = _file("x", 0)
        info.type = tarfile.GNUTYPE_LONGNAME
        info.size = 64 * 2**20
        tar.addfile(info, io.BytesIO(bytes(64 << 20)))
    with pytest.raises(FastModelError, match="extended header"):
        load_fast_model(hub_handle=archive)


@pytest.mark.parametrize(
    "kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.FIFOTYPE, tarfile.CHRTYPE]
)
def test_links_and_devices_in_an_archive_are_refused(tmp_path, kind):
    info = _file("variables", 0)
    info.type, info.linkname = kind, "/etc/passwd"
    archive = _archive_of(tmp_path / "links.tar.gz", [(info, None)])
    with pytest.raises(FastModelError, match="unsafe archive member 'variables'"):
        load_fast_model(hub_handle=archive)


def test_an_archive_within_the_limits_still_loads(saved_model_archive, tmp_path):
    from tf_style.fast.archive import unpacked_limit

    assert unpacked_limit(90 * 2**20) == 4 * 2**30  # a real model's size: the cap
    assert unpacked_limit(1000) == 16 * 2**20
    root = extract_saved_model(saved_model_archive, cache_dir=tmp_path)
    assert (root / "saved_model.pb").is_file()


@pytest.mark.parametrize("strength", [True, "0.5", None, float("nan")])
def test_a_strength_that_is_not_a_number_in_the_unit_range_is_refused(strength):
    from tf_style.fast import check_strength

    with pytest.raises(ValueError, match="strength must be in"):
        check_strength(strength, supported=True, source="the SavedModel")


def test_numpy_strengths_are_numbers():
    from tf_style.fast import check_strength

    check_strength(np.float32(0.5), supported=True, source="the TFLite pair")
