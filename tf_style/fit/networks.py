"""The feed-forward networks a user trains: Johnson's per-style transformer and AdaIN.

* :func:`johnson_network`: Johnson et al. 2016, "Perceptual Losses for Real-Time
  Style Transfer", as pytorch/examples' ``fast_neural_style`` builds it: three
  convolutions down, five residual blocks, two up, with Ulyanov et al.'s instance
  normalisation (2016, "Instance Normalization: The Missing Ingredient") in place of
  batch normalisation, reflection padding (no dark frame at the border) and
  upsample-then-convolve instead of transposed convolutions (Odena et al. 2016,
  "Deconvolution and Checkerboard Artifacts"). One network per style.
* :func:`adain_network`: Huang and Belongie 2017, "Arbitrary Style Transfer in
  Real-time with Adaptive Instance Normalization": the package's VGG19 up to
  ``block4_conv1`` encodes content and style, :func:`adaptive_instance_norm` gives
  the content features the style's channel means and deviations, a trained decoder
  (VGG's mirror) paints them. Any style, one network.

Both take and return float32 images in [0, 1], any size (the Johnson network wants
sides that are multiples of 4: :func:`pad_to_multiple` does it for callers). What
they are trained with lives in :mod:`tf_style.fit.training`.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from tf_style.vgg.model import vgg_layers

# The encoder's last layer (relu4_1 in Caffe's names).
ADAIN_ENCODER_LAYER = "block4_conv1"
# The Johnson network halves the image twice: sides must be multiples of this.
JOHNSON_STRIDE = 4
# AdaIN's encoder pools three times before block4_conv1.
ADAIN_STRIDE = 8
ARCHITECTURES = ("johnson", "adain")


@keras.saving.register_keras_serializable(package="tf_style")
class ReflectionPadding2D(keras.layers.Layer):
    """Pads height and width by mirroring the image (no dark border)."""

    def __init__(self, padding: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.padding = int(padding)

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        p = self.padding
        return tf.pad(inputs, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT")

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        grow = lambda side: None if side is None else side + 2 * self.padding  # noqa: E731
        return (batch, grow(height), grow(width), channels)

    def get_config(self) -> dict:
        return super().get_config() | {"padding": self.padding}


@keras.saving.register_keras_serializable(package="tf_style")
class AdaptiveInstanceNorm(keras.layers.Layer):
    """:func:`adaptive_instance_norm` as a layer, with the blend ``alpha``."""

    def call(self, content: tf.Tensor, style: tf.Tensor, alpha: tf.Tensor):
        target = adaptive_instance_norm(content, style)
        alpha = tf.reshape(tf.cast(alpha, content.dtype), [-1, 1, 1, 1])
        return alpha * target + (1.0 - alpha) * content


def adaptive_instance_norm(
    content: tf.Tensor, style: tf.Tensor, epsilon: float = 1e-5
) -> tf.Tensor:
    """``sigma(y) (x - mu(x)) / sigma(x) + mu(y)``, per image and channel (AdaIN)."""
    content_mean, content_var = tf.nn.moments(content, axes=[1, 2], keepdims=True)
    style_mean, style_var = tf.nn.moments(style, axes=[1, 2], keepdims=True)
    normalised = (content - content_mean) * tf.math.rsqrt(content_var + epsilon)
    return normalised * tf.sqrt(style_var + epsilon) + style_mean


def _conv(
    x: tf.Tensor,
    filters: int,
    kernel: int,
    *,
    stride: int = 1,
    name: str,
    use_bias: bool = True,
) -> tf.Tensor:
    """Reflection padding, then a 'valid' convolution: the output keeps the size
    (divided by ``stride``)."""
    x = ReflectionPadding2D(kernel // 2, name=f"{name}_pad")(x)
    return keras.layers.Conv2D(
        filters, kernel, strides=stride, use_bias=use_bias, name=name
    )(x)


def _conv_norm_relu(
    x: tf.Tensor,
    filters: int,
    kernel: int,
    *,
    name: str,
    stride: int = 1,
    relu: bool = True,
) -> tf.Tensor:
    """Convolution, instance normalisation (one group per channel), ReLU. The
    convolution has no bias: the normalisation subtracts it again, so its gradient
    would be rounding noise that Adam turns into full-size steps."""
    x = _conv(x, filters, kernel, stride=stride, name=name, use_bias=False)
    # Without a ReLU after it (a residual branch's end), a shift would only pass
    # through to the next normalisation, which removes it: no beta then either.
    x = keras.layers.GroupNormalization(
        groups=-1, epsilon=1e-5, center=relu, name=f"{name}_in"
    )(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x) if relu else x


def _upsample(x: tf.Tensor, name: str) -> tf.Tensor:
    return keras.layers.UpSampling2D(2, interpolation="nearest", name=name)(x)


def johnson_network(*, width: int = 32, residual_blocks: int = 5) -> keras.Model:
    """Johnson et al.'s image transformation network for one style.

    Args:
        width: filters of the first convolution (32 in the paper); the others are
            2x and 4x it. Halving it makes the network about 4x cheaper.
        residual_blocks: residual blocks at 1/4 resolution (5 in the paper).

    Returns:
        A functional ``keras.Model``: ``[B, H, W, 3]`` in [0, 1] to the same shape,
        ``H`` and ``W`` multiples of :data:`JOHNSON_STRIDE`.
    """
    if width < 1 or residual_blocks < 0:
        raise ValueError(
            f"width must be >= 1 and residual_blocks >= 0: {width}, {residual_blocks}."
        )
    image = keras.Input((None, None, 3), name="content_image")
    x = _conv_norm_relu(image, width, 9, name="down1")
    x = _conv_norm_relu(x, 2 * width, 3, stride=2, name="down2")
    x = _conv_norm_relu(x, 4 * width, 3, stride=2, name="down3")
    for block in range(residual_blocks):
        name = f"residual{block + 1}"
        y = _conv_norm_relu(x, 4 * width, 3, name=f"{name}a")
        y = _conv_norm_relu(y, 4 * width, 3, name=f"{name}b", relu=False)
        x = keras.layers.Add(name=name)([x, y])
    x = _conv_norm_relu(_upsample(x, "up1_resize"), 2 * width, 3, name="up1")
    x = _conv_norm_relu(_upsample(x, "up2_resize"), width, 3, name="up2")
    x = _conv(x, 3, 9, name="output")
    # A sigmoid keeps the image in [0, 1] without clipping away the gradient.
    output = keras.layers.Activation("sigmoid", name="stylized_image")(x)
    return keras.Model(image, output, name="johnson")


def adain_decoder(width: int = 64, channels: int = 512) -> keras.Model:
    """VGG19's mirror from ``block4_conv1`` (``channels`` at 1/8 size) back to an
    image in [0, 1]: nearest-neighbour upsampling, reflection padding, as Huang and
    Belongie's decoder (``width`` 64 there; smaller is faster, for tests)."""
    features = keras.Input((None, None, channels), name="features")
    x = keras.layers.ReLU()(_conv(features, 4 * width, 3, name="dec4_1"))
    x = _upsample(x, "dec_up3")
    for index in range(1, 4):
        x = keras.layers.ReLU()(_conv(x, 4 * width, 3, name=f"dec3_{index}"))
    x = keras.layers.ReLU()(_conv(x, 2 * width, 3, name="dec3_4"))
    x = _upsample(x, "dec_up2")
    x = keras.layers.ReLU()(_conv(x, 2 * width, 3, name="dec2_1"))
    x = keras.layers.ReLU()(_conv(x, width, 3, name="dec2_2"))
    x = _upsample(x, "dec_up1")
    x = keras.layers.ReLU()(_conv(x, width, 3, name="dec1_1"))
    x = _conv(x, 3, 3, name="dec1_2")
    output = keras.layers.Activation("sigmoid", name="stylized_image")(x)
    return keras.Model(features, output, name="adain_decoder")


def adain_encoder(vgg: keras.Model | None = None) -> keras.Model:
    """The package's frozen VGG19 up to ``block4_conv1``, taking images in [0, 1]."""
    layers = vgg_layers([ADAIN_ENCODER_LAYER], vgg=vgg)
    image = keras.Input((None, None, 3), name="image")
    # VGG19's own preprocessing, as StyleContentModel.call does it.
    pixels = keras.layers.Rescaling(255.0)(image)
    preprocessed = keras.layers.Lambda(
        keras.applications.vgg19.preprocess_input, name="vgg19_preprocess"
    )(pixels)
    (features,) = layers(preprocessed)  # vgg_layers returns a list
    encoder = keras.Model(image, features, name="adain_encoder")
    encoder.trainable = False
    return encoder


def adain_network(
    *, vgg: keras.Model | None = None, decoder: keras.Model | None = None
) -> keras.Model:
    """Content, style and ``alpha`` (style strength, ``[B]`` in [0, 1]) to the image.

    The encoder is frozen; only ``decoder`` (a new :func:`adain_decoder` by default)
    is trained.
    """
    encoder = adain_encoder(vgg)
    decoder = adain_decoder() if decoder is None else decoder
    content = keras.Input((None, None, 3), name="content_image")
    style = keras.Input((None, None, 3), name="style_image")
    alpha = keras.Input((), name="alpha")
    target = AdaptiveInstanceNorm(name="adain")(encoder(content), encoder(style), alpha)
    return keras.Model([content, style, alpha], decoder(target), name="adain")


def pad_to_multiple(image: tf.Tensor, multiple: int = JOHNSON_STRIDE) -> tf.Tensor:
    """``image`` (``[B, H, W, 3]``) reflected out to sides that are multiples of
    ``multiple``; crop the network's output back with ``[:, :H, :W]``."""
    height, width = tf.shape(image)[1], tf.shape(image)[2]
    extra_h = (-height) % multiple
    extra_w = (-width) % multiple
    return tf.pad(image, [[0, 0], [0, extra_h], [0, extra_w], [0, 0]], mode="SYMMETRIC")


__all__ = [
    "ADAIN_ENCODER_LAYER",
    "ADAIN_STRIDE",
    "ARCHITECTURES",
    "JOHNSON_STRIDE",
    "AdaptiveInstanceNorm",
    "ReflectionPadding2D",
    "adain_decoder",
    "adain_encoder",
    "adain_network",
    "adaptive_instance_norm",
    "johnson_network",
    "pad_to_multiple",
]
