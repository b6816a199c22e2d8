"""What every fast model is: one forward pass from a content and a style image.

:class:`FastStylizer` fixes the contract (float32 ``[1, H, W, 3]`` in [0, 1] in and
out, the style at 256x256, the result at the content's size); the back ends only run
their forward pass: :mod:`tf_style.fast.saved_model` and :mod:`tf_style.fast.tflite`.
"""

from __future__ import annotations

import abc

import tensorflow as tf

from tf_style.config.validation import is_real
from tf_style.images.tensors import as_batch, clip_0_1, resize

# Both releases were trained with 256x256 style images; the tutorial resizes to this.
STYLE_SIZE = (256, 256)


class FastModelError(RuntimeError):
    """The fast model cannot be loaded or run; the message says how to fix it."""


class FastStylizer(abc.ABC):
    """A loaded fast model: call it on many pairs, load it once.

    Attributes:
        source: where the model came from (shown in reports).
        load_seconds: time spent loading, kept apart from stylising.
    """

    source: str = ""
    load_seconds: float = 0.0
    supports_strength: bool = False

    def __call__(
        self, content_image: tf.Tensor, style_image: tf.Tensor, *, strength: float = 1.0
    ) -> tf.Tensor:
        """Stylise ``content_image`` in the style of ``style_image``.

        Args:
            content_image: float32 ``[1, H, W, 3]`` in [0, 1], any size.
            style_image: float32 ``[1, H', W', 3]`` in [0, 1]; resized to 256x256.
            strength: in [0, 1]; 1 is the model's full style, 0 the content alone.

        Returns:
            float32 ``[1, H, W, 3]`` in [0, 1], the content's size.
        """
        content_image = as_batch(content_image, "content_image")
        style_image = as_batch(style_image, "style_image")
        check_strength(strength, supported=self.supports_strength, source=self.source)
        style_image = resize(style_image, STYLE_SIZE, antialias=False)
        stylized = self._stylize(content_image, style_image, strength)
        if stylized.shape[1:3] != content_image.shape[1:3]:
            # The transformer's strided convolutions can round odd sizes; keep the
            # contract (the content's size) so images can be compared pixel by pixel.
            stylized = resize(
                tf.cast(stylized, tf.float32), content_image.shape[1:3], antialias=False
            )
        return clip_0_1(tf.cast(stylized, tf.float32))

    @abc.abstractmethod
    def _stylize(
        self, content_image: tf.Tensor, style_image: tf.Tensor, strength: float
    ) -> tf.Tensor:
        """The back end's forward pass; the style is already 256x256."""


def check_strength(strength: float, *, supported: bool, source: str) -> None:
    """Strength in [0, 1], and only where the model exposes its bottleneck.

    Raises:
        ValueError: out of range, or below 1 for a model that cannot blend.
    """
    if not is_real(strength) or not 0.0 <= strength <= 1.0:  # a bool is no strength
        raise ValueError(f"strength must be in [0, 1], got {strength}.")
    if strength < 1.0 and not supported:
        raise ValueError(
            f"strength {strength} needs the TensorFlow Lite pair (tflite_dir): "
            f"{source} does not expose the style bottleneck to blend."
        )


__all__ = ["STYLE_SIZE", "FastModelError", "FastStylizer", "check_strength"]
