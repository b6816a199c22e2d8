"""The train step and stylize(): real offline weights, tiny images, few steps."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import ASSETS, replace
from tf_style.images import load_image
from tf_style.objective import StyleContentLoss
from tf_style.optimize import StyleTransfer, clip_0_1, stylize

pytestmark = pytest.mark.slow


def test_clip_0_1():
    clipped = clip_0_1(tf.constant([-0.5, 0.25, 1.5]))
    np.testing.assert_allclose(clipped, [0.0, 0.25, 1.0])


def test_content_image_has_zero_content_loss(real_extractor):
    content = load_image(ASSETS / "chelsea.png", 48)
    style = load_image(ASSETS / "starry_night.jpg", 48)
    terms = StyleContentLoss(real_extractor, content, style)(content)
    assert float(terms["content"]) == pytest.approx(0.0, abs=1e-6)
    assert float(terms["style"]) > 0
    total = terms["style"] + terms["content"] + terms["variation"]
    assert float(terms["total"]) == pytest.approx(float(total))


def test_train_step_keeps_the_image_in_bounds(real_extractor, tiny_config):
    content = load_image(ASSETS / "chelsea.png", 40)
    style = load_image(ASSETS / "starry_night.jpg", 40)
    loss = StyleContentLoss.from_config(real_extractor, content, style, tiny_config)
    transfer = StyleTransfer(loss, content, replace(tiny_config, learning_rate=0.5))
    for _ in range(3):
        transfer.train_step()
    image = transfer.image.numpy()
    assert image.min() >= 0.0 and image.max() <= 1.0
    assert not np.allclose(image, content.numpy())
    # Adam's moments exist before the first step, so the step was traced once
    # (variables made inside a first call would trace it a second time).
    assert transfer._step.experimental_get_tracing_count() == 1


def test_stylize_end_to_end_halves_the_loss_and_approaches_the_style(
    real_extractor, tiny_config
):
    # 2 x 10 steps: the total falls to 0.20 of its start and the style loss to 0.16
    # (2 x 30 steps, twice as long: 0.10 and 0.07).
    config = replace(tiny_config, max_dim=64, epochs=2, steps_per_epoch=10)
    content = load_image(ASSETS / "chelsea.png", 64)
    style = load_image(ASSETS / "starry_night.jpg", 64)
    reports = []
    result = stylize(
        content, style, config, extractor=real_extractor, callback=reports.append
    )
    assert result.status == "completed"
    assert result.image.shape == content.shape
    history = result.history
    assert set(history) == {"total", "style", "content", "variation"}
    assert all(len(values) == 20 for values in history.values())
    assert history["total"][-1] < 0.5 * history["total"][0]
    assert [r.step for r in reports] == list(range(1, 21))

    measure = StyleContentLoss(real_extractor, content, style)
    style_before = float(measure(content)["style"])
    style_after = float(measure(result.image)["style"])
    assert style_after < 0.5 * style_before


def test_ctrl_c_returns_the_work_so_far(real_extractor, tiny_config):
    def interrupt_at_third(report):
        if report.step == 3:
            raise KeyboardInterrupt

    result = stylize(
        ASSETS / "chelsea.png",
        ASSETS / "starry_night.jpg",
        replace(tiny_config, max_dim=40, steps_per_epoch=10),
        extractor=real_extractor,
        callback=interrupt_at_third,
    )
    assert result.status == "interrupted"
    assert len(result.history["total"]) == 3
    assert result.image.shape[1:3] == (26, 40)  # 26.6, truncated


def test_non_finite_loss_stops_and_keeps_the_last_finite_image(
    real_extractor, tiny_config
):
    content = load_image(ASSETS / "chelsea.png", 40)
    result = stylize(
        content,
        ASSETS / "starry_night.jpg",
        replace(tiny_config, max_dim=40, style_weight=1e38),
        extractor=real_extractor,
    )
    assert result.status == "non_finite"
    assert "style_weight" in result.message
    assert np.isfinite(result.image.numpy()).all()
    np.testing.assert_allclose(result.image, content)  # failed at the first step


def test_init_image_is_resized_to_the_content(real_extractor, tiny_config):
    result = stylize(
        ASSETS / "chelsea.png",
        ASSETS / "starry_night.jpg",
        replace(tiny_config, max_dim=48, steps_per_epoch=1),
        extractor=real_extractor,
        init_image=tf.fill([1, 10, 10, 3], 0.5),
    )
    assert result.image.shape == (1, 31, 48, 3)


def test_an_image_too_narrow_once_resized_is_refused_before_the_model(
    tmp_path, tiny_config, monkeypatch
):
    import PIL.Image

    strip = tmp_path / "strip.png"
    PIL.Image.new("RGB", (400, 40), (90, 120, 200)).save(strip)

    def no_model(*args, **kwargs):
        raise AssertionError("VGG19 was loaded before the size was checked")

    monkeypatch.setattr("tf_style.vgg.model.load_vgg19", no_model)
    with pytest.raises(ValueError, match="content image is 48x4 px"):
        stylize(strip, ASSETS / "starry_night.jpg", replace(tiny_config, max_dim=48))


@pytest.mark.parametrize(
    "image, error, message",
    [
        (None, TypeError, "content_image"),
        (np.full((1, 40, 40, 3), np.nan, np.float32), ValueError, "finite"),
        (np.zeros((8, 8, 3), np.float32), ValueError, "at least 16 px"),
        (np.zeros((0, 0, 3), np.float32), ValueError, "at least 16 px"),
        (np.full((1, 40, 40, 3), 255, np.float64), ValueError, "expected"),
        (np.ones((40, 40, 3), np.int32), TypeError, "dtype int32"),
    ],
    ids=["none", "all-nan", "8x8", "0x0", "float-0-255", "int32"],
)
def test_bad_arrays_are_refused_with_a_clear_error(
    image, error, message, tiny_config, monkeypatch
):
    monkeypatch.setattr("tf_style.vgg.model.load_vgg19", None)  # never reached
    with pytest.raises(error, match=message):
        stylize(image, ASSETS / "starry_night.jpg", tiny_config)


def test_a_uint8_array_is_divided_by_255_as_documented(tiny_config, real_extractor):
    content = np.asarray(bundled_content_uint8())
    as_float = content.astype(np.float32) / 255.0
    config = replace(tiny_config, max_dim=48, steps_per_epoch=1)
    from_uint8 = stylize(content, as_float, config, extractor=real_extractor)
    from_float = stylize(as_float, as_float, config, extractor=real_extractor)
    np.testing.assert_allclose(from_uint8.image, from_float.image, atol=1e-5)
    assert float(tf.reduce_mean(from_uint8.image)) < 0.9  # not near-white


def bundled_content_uint8() -> np.ndarray:
    import PIL.Image

    with PIL.Image.open(ASSETS / "chelsea.png") as image:
        return np.asarray(image.convert("RGB").resize((48, 32)))


@pytest.mark.parametrize(
    "optimizer, backend",
    [("adam", "scipy"), ("lbfgs", "scipy"), ("lbfgs", "tensorflow")],
)
def test_every_optimiser_satisfies_the_transfer_protocol(
    real_extractor, tiny_config, optimizer, backend
):
    from tf_style.optimize.driver import make_transfer
    from tf_style.optimize.protocol import Transfer
    from tf_style.optimize.recorder import RunRecorder

    content = load_image(ASSETS / "chelsea.png", 40)
    config = replace(tiny_config, optimizer=optimizer, lbfgs_backend=backend)
    loss = StyleContentLoss.from_config(real_extractor, content, content, config)
    transfer = make_transfer(loss, content, config)
    assert isinstance(transfer, Transfer)
    recorder = RunRecorder(2)
    transfer.run(2, recorder)
    assert recorder.steps >= 1 and transfer.image.shape == content.shape
