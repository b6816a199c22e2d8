"""Coarse to fine: sizes at each scale, steps per scale, the loop in stylize()."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import ASSETS, random_image, replace
from tf_style.config import StyleTransferConfig
from tf_style.images import load_image
from tf_style.objective import StyleContentLoss
from tf_style.optimize import StyleTransfer, stylize
from tf_style.optimize.multiscale import resize_by, resize_to, scale_sizes, scaled_size


def test_scaled_size_truncates_as_the_tutorial_and_keeps_full_size_exact():
    assert scaled_size((300, 400), 0.5) == (150, 200)
    assert scaled_size((171, 256), 0.25) == (42, 64)  # 42.75, truncated
    assert scaled_size((171, 256), 1.0) == (171, 256)


def test_scaled_size_keeps_a_side_vgg19_can_pool():
    assert scaled_size((20, 40), 0.25) == (16, 16)
    assert scaled_size((12, 40), 0.25) == (12, 16)  # never larger than it was


def test_scale_sizes_end_at_the_full_size():
    assert scale_sizes((43, 64), (0.25, 0.5, 1.0)) == [(16, 16), (21, 32), (43, 64)]


@pytest.mark.parametrize("scale", [0.0, 1.5])
def test_scale_outside_0_1_is_refused(scale):
    with pytest.raises(ValueError, match=r"scale must be in \(0, 1\]"):
        scaled_size((64, 64), scale)


def test_resize_to_leaves_an_image_of_that_size_alone():
    image = random_image(20, 30)
    assert resize_to(image, (20, 30)) is image
    resized = resize_to(image, (10, 15)).numpy()
    assert resized.shape == (1, 10, 15, 3)
    assert resized.min() >= 0 and resized.max() <= 1


def test_resize_by_scales_the_style_image_like_the_content():
    assert resize_by(random_image(40, 60), 0.5).shape == (1, 20, 30, 3)


def test_steps_are_split_evenly_with_the_remainder_at_full_size():
    config = StyleTransferConfig(epochs=1, steps_per_epoch=10, scales=(0.25, 0.5, 1))
    assert config.steps_per_scale == (3, 3, 4)
    assert config.total_steps == 10


def test_scale_steps_set_the_schedule():
    config = StyleTransferConfig(scales=(0.5, 1.0), scale_steps=(7, 2))
    assert config.steps_per_scale == (7, 2)
    assert config.total_steps == 9


@pytest.mark.parametrize(
    "changes",
    [
        {"scales": (0.5, 1.0), "scale_steps": (5,)},
        {"scales": (0.5, 1.0), "scale_steps": (5, 0)},
    ],
)
def test_scale_steps_need_one_positive_count_per_scale(changes):
    with pytest.raises(ValueError, match="one count of at least 1 per scale"):
        StyleTransferConfig(**changes)


def test_too_few_steps_to_split_is_refused():
    with pytest.raises(ValueError, match="cannot be split over 3 scales"):
        StyleTransferConfig(epochs=1, steps_per_epoch=2, scales=(0.25, 0.5, 1))


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_stylize_runs_each_scale_and_ends_at_the_content_size(
    real_extractor, tiny_config, optimizer
):
    content = load_image(ASSETS / "chelsea.png", 64)  # 42 x 64 (42.57, truncated)
    config = replace(
        tiny_config, optimizer=optimizer, scales=(0.5, 1.0), scale_steps=(2, 3)
    )
    reports = []
    result = stylize(
        content,
        ASSETS / "starry_night.jpg",
        config,
        extractor=real_extractor,
        callback=reports.append,
    )
    assert result.status == "completed", result.message
    assert [r.step for r in reports] == [1, 2, 3, 4, 5]
    assert {r.total_steps for r in reports} == {5}
    shapes = [tuple(r.image.shape[1:3]) for r in reports]
    assert shapes == [(21, 32)] * 2 + [(42, 64)] * 3
    assert result.image.shape == content.shape
    assert all(len(values) == 5 for values in result.history.values())
    # One clock for the whole run: it does not restart at the scale switch.
    elapsed = [r.elapsed for r in reports]
    assert elapsed == sorted(elapsed) and 0 < elapsed[0]
    assert elapsed[-1] <= result.seconds


@pytest.mark.slow
def test_ctrl_c_at_a_coarse_scale_returns_a_full_size_image(
    real_extractor, tiny_config
):
    def interrupt_at_second(report):
        if report.step == 2:
            raise KeyboardInterrupt

    content = load_image(ASSETS / "chelsea.png", 64)
    result = stylize(
        content,
        ASSETS / "starry_night.jpg",
        replace(tiny_config, scales=(0.5, 1.0), scale_steps=(3, 3)),
        extractor=real_extractor,
        callback=interrupt_at_second,
    )
    assert result.status == "interrupted"
    assert len(result.history["total"]) == 2
    assert result.image.shape == content.shape
    assert np.isfinite(result.image.numpy()).all()


@pytest.mark.slow
def test_one_scale_of_one_is_the_tutorials_loop(real_extractor, tiny_config):
    content = load_image(ASSETS / "chelsea.png", 40)
    style = load_image(ASSETS / "starry_night.jpg", 40)
    config = replace(tiny_config, steps_per_epoch=3)
    loss = StyleContentLoss.from_config(real_extractor, content, style, config)
    transfer = StyleTransfer(loss, content, config)
    expected_totals = [float(transfer.train_step()["total"]) for _ in range(3)]
    result = stylize(content, style, config, extractor=real_extractor)
    np.testing.assert_allclose(result.history["total"], expected_totals, rtol=1e-5)
    np.testing.assert_allclose(result.image, transfer.image, atol=1e-5)


def test_correction_start_keeps_the_contents_detail_and_adds_the_change():
    from tf_style.optimize.multiscale import upsample_result

    content = random_image(32, 48, seed=1)
    coarse_content = resize_to(content, (16, 24))
    # A coarse run that changed nothing starts the next scale at the content itself.
    unchanged = upsample_result(coarse_content, content, (32, 48), start="correction")
    np.testing.assert_allclose(unchanged.numpy(), content.numpy(), atol=1e-6)
    # The plain upsample loses the detail: far from the content.
    blurred = upsample_result(coarse_content, content, (32, 48), start="upsample")
    assert float(np.abs(blurred - content).mean()) > 0.05
    # A uniform change of +0.1 comes through (clipped to [0, 1]).
    shifted = upsample_result(
        tf.clip_by_value(coarse_content + 0.1, 0, 1), content, (32, 48),
        start="correction", method="bicubic",
    )  # fmt: skip
    expected = np.clip(content.numpy() + 0.1, 0, 1)
    assert float(np.abs(shifted.numpy() - expected).mean()) < 0.02
    assert shifted.numpy().min() >= 0 and shifted.numpy().max() <= 1
