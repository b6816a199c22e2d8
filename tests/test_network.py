"""Compute precision and XLA on CPU: same loss, same step, within rounding."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import bundled_pair, replace
from tf_style.objective import StyleContentLoss, loss_and_gradient
from tf_style.optimize import StyleTransfer
from tf_style.vgg.network import extractor_precision, with_precision


@pytest.fixture(scope="module")
def images():
    return bundled_pair(48)


def cosine(a: tf.Tensor, b: tf.Tensor) -> float:
    a, b = np.ravel(a), np.ravel(b)
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_unknown_precision_is_refused(random_vgg):
    from tf_style.vgg.model import StyleContentModel

    with pytest.raises(ValueError, match="Unknown precision 'int8'"):
        with_precision(StyleContentModel(vgg=random_vgg), "int8")


@pytest.mark.slow
def test_float32_keeps_the_extractor(real_extractor):
    assert with_precision(real_extractor, "float32") is real_extractor


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["bfloat16", "float16"])
def test_low_precision_extractor_gives_float32_outputs_close_to_float32(
    real_extractor, images, precision
):
    content, _ = images
    low = with_precision(real_extractor, precision)
    assert extractor_precision(low) == precision
    assert extractor_precision(real_extractor) == "float32"
    expected, outputs = real_extractor(content), low(content)
    for name, gram in outputs["style"].items():
        assert gram.dtype == tf.float32
        reference = expected["style"][name]
        assert float(tf.norm(gram - reference) / tf.norm(reference)) < 0.03, name


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["bfloat16", "float16"])
def test_low_precision_step_has_a_finite_loss_and_gradient_close_to_float32(
    real_extractor, images, precision
):
    content, style = images
    image = tf.clip_by_value(content + 0.05 * tf.random.normal(content.shape), 0, 1)
    terms32, gradient32 = loss_and_gradient(
        StyleContentLoss(real_extractor, content, style), image
    )
    low = StyleContentLoss(with_precision(real_extractor, precision), content, style)
    terms, gradient = loss_and_gradient(low, image)
    assert gradient.dtype == tf.float32
    # float16 overflowed to inf here before the loss was scaled.
    assert np.isfinite(gradient.numpy()).all()
    assert float(terms["total"]) == pytest.approx(float(terms32["total"]), rel=0.03)
    assert cosine(gradient, gradient32) > 0.98


@pytest.mark.slow
def test_xla_step_equals_the_plain_step(real_extractor, images, tiny_config):
    content, style = images
    loss = StyleContentLoss.from_config(real_extractor, content, style, tiny_config)
    plain = StyleTransfer(loss, content, tiny_config)
    compiled = StyleTransfer(loss, content, replace(tiny_config, jit=True))
    for _ in range(2):
        expected, terms = plain.train_step(), compiled.train_step()
        assert float(terms["total"]) == pytest.approx(
            float(expected["total"]), rel=1e-4
        )
    np.testing.assert_allclose(compiled.image, plain.image, atol=1e-4)


def test_auto_precision_is_what_the_machine_decided(monkeypatch, random_vgg):
    from tf_style.precision import PrecisionChoice
    from tf_style.vgg import network
    from tf_style.vgg.model import StyleContentModel

    extractor = StyleContentModel(vgg=random_vgg)
    for measured in ("bfloat16", "float32"):
        choice = PrecisionChoice(measured, "made up")
        monkeypatch.setattr(network, "auto_precision", lambda c=choice: c)
        assert network.resolve_precision("auto") == measured
        assert network.precision_reason("auto") == "auto: made up"
        assert extractor_precision(with_precision(extractor, "auto")) == measured
    assert network.resolve_precision("float16") == "float16"  # named: kept
    with pytest.raises(ValueError, match="Unknown precision 'fast'"):
        network.resolve_precision("fast")


@pytest.mark.slow
def test_bfloat16_lbfgs_lowers_the_float32_loss_in_bounds(real_extractor, tiny_config):
    """The fast preset's bfloat16 network optimises the float32 objective: scored
    in float32, its iterates fall as far as float32's own do."""
    from tf_style.optimize import stylize

    content, style = bundled_pair(48)
    measure = StyleContentLoss(real_extractor, content, style)
    config = replace(
        tiny_config,
        optimizer="lbfgs",
        lbfgs_backend="tensorflow",
        preconditioner="fourier",
        steps_per_epoch=20,  # 10 left the two 6-14% apart at 31x48 px: too short
    )
    final = {}
    for precision in ("float32", "bfloat16"):
        run = replace(config, mixed_precision=precision)
        result = stylize(content, style, run, extractor=real_extractor)
        assert result.status == "completed", result.message
        image = result.image.numpy()
        assert image.min() >= 0.0 and image.max() <= 1.0
        final[precision] = float(measure(result.image)["total"])
    start = float(measure(content)["total"])
    assert final["bfloat16"] < 0.5 * start
    assert final["bfloat16"] == pytest.approx(final["float32"], rel=0.1)
