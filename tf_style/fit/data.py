"""Training images for the fit command: where they come from and how they are cut.

A feed-forward style network learns from many photos, each seen as a random square
crop (Johnson et al. train on 256x256 crops of COCO). This module turns photo files
(:func:`list_images` finds them; :mod:`tf_style.fit.sources` names a run's source
once) into an endless ``tf.data`` pipeline of
float32 ``[batch_size, image_size, image_size, 3]`` batches in [0, 1]. Nothing here
knows about networks or losses.

Every random choice (file order, crop window, flip) is seeded, per element, from one
``seed``: the same seed gives the same batches, and a checkpointed iterator resumes
at exactly the next batch. Files are decoded by TensorFlow inside the pipeline
(``tf.image.decode_image``), not by Pillow as :func:`tf_style.images.tensors.load_image`
does, so EXIF rotation is not applied: a sideways photo is still a fair sample of
texture for a crop.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from pathlib import Path

import tensorflow as tf

from tf_style.fit.photos import (
    IMAGE_SUFFIXES,
    MIN_IMAGE_SIZE,
    UnreadableImagesWarning,
    list_images,
    split_held_out,
)
from tf_style.images.tensors import clip_0_1


def training_dataset(
    paths: Sequence[Path | str],
    *,
    image_size: int,
    batch_size: int,
    seed: int | None = None,
    shuffle_buffer: int = 1024,
) -> tf.data.Dataset:
    """Endless batches of random crops of image files.

    The file list is shuffled afresh each epoch; each image is resized so its
    shorter side is ``image_size``, cut to a random ``image_size`` square and
    flipped left-right half the time. Batches drop the remainder so every replica
    of a ``tf.distribute`` strategy gets the same shape.

    Args:
        paths: image files, e.g. the training half of :func:`split_held_out`.
        image_size: side of the square crops, in pixels (at least 16).
        batch_size: crops per batch (at least 1).
        seed: the same seed gives the same batches; None draws one.
        shuffle_buffer: how many file names the shuffle holds; the whole list
            when it is shorter (a perfect shuffle).

    Returns:
        A ``tf.data.Dataset`` of float32 ``[batch_size, image_size, image_size, 3]``
        in [0, 1]. Its iterator can be saved in a ``tf.train.Checkpoint``;
        restored into the iterator of a dataset built with the same arguments, it
        resumes at exactly the next batch.

    Raises:
        ValueError: ``paths`` is empty, or a size is too small.

    Example:
        >>> training, preview = split_held_out(list_images("photos"), 4)
        >>> batches = training_dataset(training, image_size=256, batch_size=4, seed=0)
    """
    check_sizes(image_size, batch_size)
    if not paths:
        raise ValueError(
            "training_dataset needs at least one image path, got none: "
            "list_images(source) finds them."
        )
    seed = resolve_seed(seed)
    files = tf.data.Dataset.from_tensor_slices([os.fspath(path) for path in paths])
    files = files.shuffle(
        min(len(paths), shuffle_buffer), seed=seed, reshuffle_each_iteration=True
    ).repeat()
    contents = files.map(tf.io.read_file, num_parallel_calls=tf.data.AUTOTUNE)
    options = tf.data.Options()
    # The checkpoint then records positions, not the prefetched batches of pixels:
    # small, and still exact, because every random op is seeded per element.
    options.experimental_symbolic_checkpoint = True
    batches = crop_batches(
        contents, image_size=image_size, batch_size=batch_size, seed=seed
    )
    return batches.with_options(options)


def crop_batches(
    contents: tf.data.Dataset, *, image_size: int, batch_size: int, seed: int
) -> tf.data.Dataset:
    """Decode, crop, flip and batch encoded images: both sources end here.

    Args:
        contents: an endless, already shuffled dataset of encoded images (scalar
            ``tf.string``: the bytes of a JPEG, PNG, BMP, GIF or WebP file).
        image_size: side of the square crops, in pixels.
        batch_size: crops per batch.
        seed: the pipeline's seed; image ``i`` gets the stateless seed
            ``(seed, i)``, so a resumed iterator redraws exactly what it would have.

    Returns:
        float32 ``[batch_size, image_size, image_size, 3]`` in [0, 1].
    """
    seeds = tf.data.Dataset.counter().map(
        lambda index: tf.stack([tf.constant(seed, tf.int64), index])
    )
    crops = tf.data.Dataset.zip(contents, seeds).map(
        lambda content, element_seed: random_crop(
            decode_rgb(content), image_size, element_seed
        ),
        num_parallel_calls=tf.data.AUTOTUNE,
        # In order, whatever finishes first, so a seed always gives the same batches.
        deterministic=True,
    )
    return crops.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def decode_rgb(contents: tf.Tensor) -> tf.Tensor:
    """Encoded image bytes to float32 ``[H, W, 3]`` in [0, 1].

    Grey becomes RGB and alpha is dropped, as the tutorial's ``load_img`` does
    (``channels=3``); an animated GIF gives its first frame.
    """
    # TensorFlow's WebP decoder cannot drop an alpha channel (channels=3 fails on a
    # transparent WebP), so WebP, always RGB or RGBA, is decoded as stored and cut.
    is_webp = tf.strings.regex_full_match(
        tf.strings.substr(contents, 0, 12), "(?s)RIFF....WEBP"
    )
    image = tf.cond(
        is_webp,
        lambda: tf.image.decode_image(contents, expand_animations=False)[..., :3],
        lambda: tf.image.decode_image(contents, channels=3, expand_animations=False),
    )
    image = tf.ensure_shape(image, [None, None, 3])
    return tf.image.convert_image_dtype(image, tf.float32)


def random_crop(image: tf.Tensor, size: int, seed: tf.Tensor) -> tf.Tensor:
    """A random ``size`` square of ``image`` at ``size`` on its shorter side,
    flipped left-right half the time.

    Args:
        image: float32 ``[H, W, 3]`` in [0, 1], any size.
        size: side of the crop, in pixels.
        seed: int64 ``[2]``, the stateless seed of this crop.

    Returns:
        float32 ``[size, size, 3]`` in [0, 1].
    """
    crop_seed, flip_seed = tf.unstack(
        tf.random.experimental.stateless_split(seed, num=2)
    )
    image = resize_shorter_side(image, size)
    image = tf.image.stateless_random_crop(image, [size, size, 3], seed=crop_seed)
    return tf.image.stateless_random_flip_left_right(image, seed=flip_seed)


def resize_shorter_side(image: tf.Tensor, size: int) -> tf.Tensor:
    """Scale ``image`` (float32 ``[H, W, 3]``) so its shorter side is ``size``.

    Bilinear and antialiased, then clipped, as
    :func:`~tf_style.images.tensors.resize` does, but for a shape known only when
    the pipeline runs.
    """
    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    scaled = tf.round(shape * (size / tf.reduce_min(shape)))
    # Rounding must never leave the longer side short of the crop.
    new_shape = tf.maximum(tf.cast(scaled, tf.int32), size)
    return clip_0_1(tf.image.resize(image, new_shape, antialias=True))


def load_photos(paths: Sequence[Path | str], size: int) -> tf.Tensor:
    """The held-back photos as one fixed batch, for previews.

    Decoded as the training images are, resized so the shorter side is ``size``
    and cut to the centre square, so every preview shows the same pixels.

    Args:
        paths: image files, e.g. the held-out half of :func:`split_held_out`.
        size: side of each square photo, in pixels (at least 16).

    Returns:
        float32 ``[len(paths), size, size, 3]`` in [0, 1].

    Raises:
        ValueError: ``paths`` is empty or ``size`` is too small.
    """
    _check_at_least("size", size, MIN_IMAGE_SIZE)
    if not paths:
        raise ValueError("load_photos needs at least one image path, got none.")
    photos = [decode_rgb(tf.io.read_file(os.fspath(path))) for path in paths]
    return tf.stack(
        [
            tf.image.resize_with_crop_or_pad(
                resize_shorter_side(photo, size), size, size
            )
            for photo in photos
        ]
    )


def check_sizes(image_size: int, batch_size: int) -> None:
    _check_at_least("image_size", image_size, MIN_IMAGE_SIZE)
    _check_at_least("batch_size", batch_size, 1)


def _check_at_least(name: str, value: int, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(
            f"{name} must be a whole number of at least {minimum}, got {value!r}."
        )


def resolve_seed(seed: int | None) -> int:
    """``seed``, or a fresh one: the pipeline needs a concrete seed to be resumable."""
    return random.randrange(2**31) if seed is None else int(seed)


__all__ = [
    "IMAGE_SUFFIXES",
    "UnreadableImagesWarning",
    "crop_batches",
    "decode_rgb",
    "list_images",
    "load_photos",
    "random_crop",
    "resize_shorter_side",
    "split_held_out",
    "training_dataset",
]
