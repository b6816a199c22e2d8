"""Training photos from a prepared TensorFlow Datasets split (``tfds:NAME[:SPLIT]``).

Optional: ``tensorflow-datasets`` is imported only here, and only when a source
names it. Nothing is downloaded; the user prepares the data (``tfds build``).
"""

from __future__ import annotations

import tensorflow as tf

from tf_style.fit.data import check_sizes, crop_batches, resolve_seed

TFDS_PREFIX = "tfds:"


def parse_tfds_source(source: str) -> tuple[str, str]:
    """``tfds:NAME[:SPLIT]`` as ``(NAME, SPLIT)``, the split ``train`` by default."""
    # Dataset names have no colon, so the first one ends the name; splits may have
    # their own ("train[:90%]").
    name, _, split = source.removeprefix(TFDS_PREFIX).partition(":")
    if not name:
        raise ValueError(
            f"'{source}' names no dataset: write {TFDS_PREFIX}NAME[:SPLIT], "
            f"e.g. {TFDS_PREFIX}coco/2017."
        )
    return name, split or "train"


def tfds_dataset(
    name: str,
    *,
    split: str = "train",
    image_size: int,
    batch_size: int,
    seed: int | None = None,
    data_dir: str | None = None,
    shuffle_buffer: int = 1024,
) -> tf.data.Dataset:
    """Endless batches of random crops of a prepared TensorFlow Datasets split.

    The same crops as :func:`~tf_style.fit.data.training_dataset`, over the
    ``image`` feature of a dataset such as ``"coco/2017"``. Nothing is downloaded:
    prepare the data first (``tfds build coco/2017``). Images are shuffled still
    encoded, so the buffer holds compressed bytes rather than pixels.

    Args:
        name: the dataset, with its config if any (``"coco/2017"``).
        split: the split, in TFDS's syntax (``"train"``, ``"train[:90%]"``).
        image_size: side of the square crops, in pixels (at least 16).
        batch_size: crops per batch (at least 1).
        seed: the same seed gives the same batches; None draws one.
        data_dir: where the prepared data lives; TFDS's default when None.
        shuffle_buffer: how many encoded images the shuffle holds.

    Returns:
        A ``tf.data.Dataset`` of float32 ``[batch_size, image_size, image_size, 3]``
        in [0, 1].

    Raises:
        ValueError: ``tensorflow_datasets`` is not installed, the split is not
            prepared or does not exist, or a size is too small.
    """
    check_sizes(image_size, batch_size)
    seed = resolve_seed(seed)
    examples = tfds_examples(name, split=split, data_dir=data_dir, seed=seed)
    contents = (
        examples.map(lambda example: example["image"])
        .repeat()
        .shuffle(shuffle_buffer, seed=seed)
    )
    return crop_batches(
        contents, image_size=image_size, batch_size=batch_size, seed=seed
    )


def tfds_examples(
    name: str, *, split: str, data_dir: str | None, seed: int
) -> tf.data.Dataset:
    """The examples of a prepared split, images still encoded; never downloads."""
    try:
        import tensorflow_datasets as tfds
    except ImportError as error:
        raise ValueError(
            f"Training on '{TFDS_PREFIX}{name}' needs TensorFlow Datasets: "
            "pip install tensorflow-datasets, then prepare the data with "
            f"'tfds build {name}'. Or train on a folder of images."
        ) from error
    try:
        builder = tfds.builder(name, data_dir=data_dir)
        return builder.as_dataset(
            split=split,
            shuffle_files=True,
            read_config=tfds.ReadConfig(shuffle_seed=seed),
            decoders={"image": tfds.decode.SkipDecoding()},
        )
    # TFDS raises AssertionError for data that is not prepared, ValueError or
    # KeyError for unknown names and splits.
    except (AssertionError, ValueError, KeyError, OSError) as error:
        where = f" in {data_dir}" if data_dir else ""
        raise ValueError(
            f"TensorFlow Datasets has no prepared '{name}' split '{split}'{where}: "
            f"prepare it with 'tfds build {name}' ({error})."
        ) from error


__all__ = ["TFDS_PREFIX", "parse_tfds_source", "tfds_dataset", "tfds_examples"]
