"""tf_style.fit.export: a trained network to a Hub-style SavedModel and TFLite files,
and those files back through tf_style.fast."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import bundled_pair, random_image
from tf_style.fast import HubStylizer, NetworkLiteStylizer, load_fast_model
from tf_style.fast.tflite import make_interpreter
from tf_style.fit.export import export_network
from tf_style.fit.networks import (
    adain_decoder,
    adain_network,
    johnson_network,
    pad_to_multiple,
)

# Mean absolute difference from the SavedModel's image, per TFLite variant. Measured
# on the tiny Johnson network (4 seeds, 42x64 and 37x50 images, output standard
# deviation 0.12 to 0.21): float16 0.9e-4 to 1.3e-4, int8 2.0e-3 to 3.2e-3.
JOHNSON_TOLERANCE = {"float16": 1e-3, "int8": 1e-2}
# The untrained AdaIN decoder saturates its sigmoid (standard deviation 0.48), so
# a small change flips pixels between 0 and 1: measured float16 5e-4 to 7e-4,
# int8 0.014 to 0.026.
ADAIN_TOLERANCE = {"float16": 5e-3, "int8": 0.05}


def mean_abs(a, b) -> float:
    return float(np.mean(np.abs(np.asarray(a) - np.asarray(b))))


@pytest.fixture(scope="module")
def johnson() -> keras.Model:
    keras.utils.set_random_seed(0)
    return johnson_network(width=4, residual_blocks=1)


@pytest.fixture(scope="module")
def johnson_paths(johnson, tmp_path_factory) -> dict:
    """What export_network returns for the tiny Johnson network."""
    directory = tmp_path_factory.mktemp("johnson") / "starry"
    metadata = {"style": "starry_night", "steps": 3}
    return export_network(johnson, "johnson", directory, metadata=metadata)


@pytest.fixture(scope="module")
def johnson_dir(johnson_paths):
    """The fit command's output folder."""
    return johnson_paths["saved_model"].parent


@pytest.fixture(scope="module")
def hub_johnson(johnson_dir):
    import tensorflow_hub as hub

    return hub.load(str(johnson_dir / "saved_model"))


def test_export_writes_the_saved_model_tflite_files_and_record(
    johnson_paths, johnson_dir
):
    assert johnson_paths == {
        "saved_model": johnson_dir / "saved_model",
        "float16": johnson_dir / "tflite" / "network_float16.tflite",
        "int8": johnson_dir / "tflite" / "network_int8.tflite",
    }
    assert (johnson_paths["saved_model"] / "saved_model.pb").is_file()
    # 50.7 kB against 53.5 kB here: the tiny network's bytes are mostly graph.
    sizes = {key: path.stat().st_size for key, path in johnson_paths.items()}
    assert sizes["int8"] < sizes["float16"]
    record = json.loads((johnson_dir / "network.json").read_text())
    assert record["architecture"] == "johnson" and record["steps"] == 3
    assert record["style"] == "starry_night"
    assert record["files"]["int8"] == "tflite/network_int8.tflite"


def test_export_without_tflite_writes_the_saved_model_only(tmp_path, johnson):
    paths = export_network(johnson, "johnson", tmp_path, tflite=False)
    assert set(paths) == {"saved_model"} and not (tmp_path / "tflite").exists()


def test_saved_model_is_the_network_padded_and_cropped(hub_johnson, johnson):
    content = random_image(37, 50, seed=1)
    image = hub_johnson(content, random_image(20, 20, seed=2))[0]
    expected = johnson(pad_to_multiple(content, 4))[:, :37, :50]
    assert image.shape == (1, 37, 50, 3)
    np.testing.assert_allclose(image, expected, atol=1e-5)
    # One network per style: the style argument is ignored.
    other = hub_johnson(content, random_image(30, 40, seed=3))[0]
    np.testing.assert_array_equal(image, other)
    assert hub_johnson.architecture.numpy() == b"johnson"


def test_output_folder_loads_as_hub_handle_with_strength(johnson_dir, hub_johnson):
    content, style = bundled_pair(64)
    model = load_fast_model(hub_handle=johnson_dir)
    assert isinstance(model, HubStylizer) and model.supports_strength
    full = model(content, style)
    np.testing.assert_allclose(full, hub_johnson(content, style)[0], atol=1e-6)
    # The Johnson network's strength is a pixel blend: 0 gives the photo back.
    np.testing.assert_allclose(model(content, style, strength=0.0), content, atol=1e-6)
    half = model(content, style, strength=0.5)
    np.testing.assert_allclose(half, 0.5 * full + 0.5 * content, atol=1e-5)


@pytest.mark.parametrize("variant", ["float16", "int8"])
def test_tflite_runs_at_any_size_close_to_the_saved_model(
    variant, johnson_dir, hub_johnson
):
    interpreter = make_interpreter(
        johnson_dir / "tflite" / f"network_{variant}.tflite", None
    )
    (content_input,) = interpreter.get_input_details()  # the content only
    for height, width in [(40, 56), (37, 50)]:
        content = random_image(height, width, seed=height)
        interpreter.resize_tensor_input(content_input["index"], [1, height, width, 3])
        interpreter.allocate_tensors()
        interpreter.set_tensor(content_input["index"], np.asarray(content))
        interpreter.invoke()
        output = interpreter.get_output_details()[0]
        image = interpreter.get_tensor(output["index"])
        assert image.shape == (1, height, width, 3)
        expected = hub_johnson(content, content)[0]
        assert mean_abs(image, expected) < JOHNSON_TOLERANCE[variant]


def test_tflite_dir_loads_the_network_stylizer(johnson_dir, hub_johnson):
    content, style = bundled_pair(64)
    model = load_fast_model(tflite_dir=johnson_dir)
    assert isinstance(model, NetworkLiteStylizer) and model.supports_strength
    assert "network_float16.tflite" in model.source
    image = model(content, style)
    assert image.shape == content.shape
    assert (
        mean_abs(image, hub_johnson(content, style)[0]) < JOHNSON_TOLERANCE["float16"]
    )
    np.testing.assert_allclose(model(content, style, strength=0.0), content, atol=1e-6)
    int8 = load_fast_model(tflite_dir=johnson_dir / "tflite", variant="int8")
    assert "network_int8.tflite" in int8.source


def test_variant_needs_a_network_tflite_folder(johnson_dir):
    with pytest.raises(ValueError, match="Unknown TensorFlow Lite variant 'int4'"):
        load_fast_model(tflite_dir=johnson_dir, variant="int4")
    with pytest.raises(ValueError, match="give tflite_dir"):
        load_fast_model(hub_handle=johnson_dir, variant="int8")


def test_unknown_architecture_is_a_one_line_value_error(tmp_path, johnson):
    with pytest.raises(ValueError, match="Unknown architecture 'cyclegan'") as caught:
        export_network(johnson, "cyclegan", tmp_path)
    assert "\n" not in str(caught.value)
    assert not list(tmp_path.iterdir())


def test_metadata_json_cannot_hold_fails_before_any_saving(tmp_path, johnson):
    with pytest.raises(TypeError, match="plain JSON"):
        export_network(johnson, "johnson", tmp_path, metadata={"data": tmp_path})
    assert not list(tmp_path.iterdir())


def test_network_of_another_architecture_is_refused(tmp_path, johnson):
    with pytest.raises(ValueError, match="adain network takes 3 input"):
        export_network(johnson, "adain", tmp_path)


@pytest.mark.slow
def test_adain_export_matches_its_network_and_blends_strength(real_vgg, tmp_path):
    keras.utils.set_random_seed(0)
    network = adain_network(vgg=real_vgg, decoder=adain_decoder(8))
    export_network(network, "adain", tmp_path)
    hub_model = load_fast_model(hub_handle=tmp_path)
    content, style = random_image(37, 50, seed=1), bundled_pair(64)[1]
    # The style as every FastStylizer passes it (256x256), so the networks agree.
    style_256 = tf.image.resize(style, (256, 256))
    image = hub_model.model(content, style_256)[0]
    alpha = tf.ones([1])
    expected = network([pad_to_multiple(content, 8), style_256, alpha])[:, :37, :50]
    np.testing.assert_allclose(image, expected, atol=1e-5)
    # AdaIN's strength blends features; measured 0.16 between 1 and 0.5.
    full, half = hub_model(content, style), hub_model(content, style, strength=0.5)
    assert mean_abs(full, half) > 0.05
    # Each TFLite file against the SavedModel: both strengths, and a photo whose
    # sides are multiples of 8 (no padding) beside one that is padded.
    other = random_image(48, 40, seed=3)
    expected = [(content, 1.0, full), (content, 0.5, half)]
    expected.append((other, 1.0, hub_model(other, style)))
    for variant, tolerance in ADAIN_TOLERANCE.items():
        lite = load_fast_model(tflite_dir=tmp_path, variant=variant)
        assert lite.architecture == "adain"
        for photo, strength, hub_image in expected:
            image = lite(photo, style, strength=strength)
            assert image.shape == hub_image.shape
            assert mean_abs(image, hub_image) < tolerance
