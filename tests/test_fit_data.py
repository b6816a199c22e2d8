"""tf_style.fit.data: finding training photos, holding some back, cutting crops."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import PIL.Image
import pytest
import tensorflow as tf

from tf_style.fit.data import (
    UnreadableImagesWarning,
    list_images,
    load_photos,
    split_held_out,
    training_dataset,
)
from tf_style.fit.sources import PhotoSource, dataset_from_source, resolve_source
from tf_style.fit.tfds import tfds_dataset


def save(path: Path, pixels: np.ndarray, mode: str | None = None) -> Path:
    """Write uint8 ``pixels`` ([H, W], [H, W, 3] or [H, W, 4]) as an image file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    PIL.Image.fromarray(pixels.astype(np.uint8), mode=mode).save(path)
    return path


def noise(height: int, width: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, channels))


def halves(height: int, width: int, left: int = 64, right: int = 191) -> np.ndarray:
    """Left half ``left``, right half ``right``: where a crop came from shows."""
    pixels = np.full((height, width, 3), left)
    pixels[:, width // 2 :] = right
    return pixels


@pytest.fixture
def photos(tmp_path: Path) -> list[Path]:
    """A small, mixed training folder: RGB, grey, RGBA, a portrait, a nested JPEG."""
    folder = tmp_path / "photos"
    return [
        save(folder / "a.png", noise(24, 40, seed=1)),
        save(folder / "b_grey.png", noise(32, 32, seed=2)[..., 0]),
        save(folder / "c_rgba.png", noise(24, 40, channels=4, seed=3)),
        save(folder / "d_portrait.bmp", noise(60, 20, seed=4)),
        save(folder / "nested" / "e.jpg", noise(40, 40, seed=5)),
        save(folder / "f_rgba.webp", noise(20, 30, channels=4, seed=6)),
    ]


def take(dataset: tf.data.Dataset, count: int) -> list[np.ndarray]:
    return [batch.numpy() for batch in dataset.take(count)]


# list_images


def test_list_images_finds_folder_images_recursively_and_sorted(photos, tmp_path):
    (tmp_path / "photos" / "notes.txt").write_text("not an image")
    save(tmp_path / "photos" / ".hidden.png", noise(16, 16))
    save(tmp_path / "photos" / ".cache" / "g.png", noise(16, 16))

    assert list_images(tmp_path / "photos") == sorted(photos)


def test_list_images_accepts_a_recursive_glob(photos, tmp_path):
    found = list_images(str(tmp_path / "photos" / "**" / "*.jpg"))

    assert found == [tmp_path / "photos" / "nested" / "e.jpg"]


def test_list_images_accepts_a_single_file(photos):
    assert list_images(photos[0]) == [photos[0]]


def test_list_images_skips_corrupt_files_with_one_warning(photos, tmp_path):
    corrupt = tmp_path / "photos" / "corrupt.jpg"
    corrupt.write_bytes(np.random.default_rng(0).bytes(200))

    with pytest.warns(UnreadableImagesWarning, match=r"Skipped 1 of 7.*corrupt\.jpg"):
        found = list_images(tmp_path / "photos")

    assert found == sorted(photos)


def test_list_images_names_a_source_with_no_images(tmp_path):
    missing = tmp_path / "nowhere"

    with pytest.raises(ValueError, match="No training images at .*nowhere"):
        list_images(missing)


def test_list_images_rejects_a_folder_of_only_corrupt_files(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not a png at all")

    with pytest.warns(UnreadableImagesWarning):
        with pytest.raises(ValueError, match="None of the 1 files"):
            list_images(tmp_path)


# split_held_out


def test_split_held_out_is_deterministic_and_spread_over_the_folder():
    paths = [Path(f"{i:02d}.jpg") for i in range(10)]

    training, held_out = split_held_out(list(reversed(paths)), 2)

    assert held_out == [Path("02.jpg"), Path("07.jpg")]
    assert training == [path for path in paths if path not in held_out]
    assert split_held_out(paths, 2) == (training, held_out)


@pytest.mark.parametrize(
    ("total", "count", "held"), [(1, 3, 0), (3, 3, 2), (4, 3, 3), (5, 0, 0)]
)
def test_split_held_out_always_leaves_a_photo_to_train_on(total, count, held):
    paths = [Path(f"{i}.png") for i in range(total)]

    training, held_out = split_held_out(paths, count)

    assert len(held_out) == held
    assert len(training) == total - held >= 1
    assert sorted(training + held_out) == paths


def test_split_held_out_rejects_a_negative_count():
    with pytest.raises(ValueError, match="-1"):
        split_held_out([Path("a.png")], -1)


# training_dataset


def test_training_dataset_gives_float_batches_of_square_crops(photos):
    dataset = training_dataset(photos, image_size=16, batch_size=3, seed=0)

    batches = take(dataset, 4)  # past one epoch of 6 photos: it repeats

    for batch in batches:
        assert batch.shape == (3, 16, 16, 3)
        assert batch.dtype == np.float32
        assert 0.0 <= batch.min() and batch.max() <= 1.0


def test_training_dataset_crops_windows_of_the_image_not_padding(tmp_path):
    # 64x32 (W x H): the shorter side is already 32, so each crop is a 32x32
    # window of the two halves, flipped or not.
    photo = save(tmp_path / "halves.png", halves(32, 64))
    dataset = training_dataset([photo], image_size=32, batch_size=8, seed=0)

    crops = np.concatenate(take(dataset, 2))

    columns = crops[:, 0, :, 0]  # every row of a crop is the same
    np.testing.assert_allclose(
        crops, np.broadcast_to(columns[:, None, :, None], crops.shape)
    )
    assert set(np.round(columns.ravel() * 255).astype(int)) <= {64, 191}
    offsets = {int(np.sum(np.isclose(row, 191 / 255))) for row in columns}
    assert len(offsets) > 2  # the window moves


def test_training_dataset_resizes_the_shorter_side_before_cropping(tmp_path):
    # A 40x80 (W x H) portrait at image_size 16 becomes 16x32: every crop spans
    # the full width, so it shows both halves.
    photo = save(tmp_path / "portrait.png", halves(80, 40))
    dataset = training_dataset([photo], image_size=16, batch_size=8, seed=0)

    crops = take(dataset, 1)[0]

    ends = np.sort(crops[:, 8, [0, -1], 0], axis=1)
    np.testing.assert_allclose(ends, np.tile([64 / 255, 191 / 255], (8, 1)), atol=1e-5)


def test_training_dataset_flips_some_crops_and_not_others(tmp_path):
    ramp = np.broadcast_to(np.linspace(0, 255, 32)[None, :, None], (32, 32, 3))
    photo = save(tmp_path / "ramp.png", ramp)
    dataset = training_dataset([photo], image_size=32, batch_size=8, seed=3)

    crops = np.concatenate(take(dataset, 2))

    brighter_right = crops[:, 0, -1, 0] > crops[:, 0, 0, 0]
    assert brighter_right.any() and not brighter_right.all()


def test_training_dataset_same_seed_same_batches_other_seed_others(photos):
    def first_batches(seed: int) -> np.ndarray:
        dataset = training_dataset(photos, image_size=16, batch_size=2, seed=seed)
        return np.stack(take(dataset, 4))

    np.testing.assert_array_equal(first_batches(7), first_batches(7))
    assert not np.array_equal(first_batches(7), first_batches(8))


def test_training_dataset_iterator_checkpoint_resumes_at_the_next_batch(
    photos, tmp_path
):
    # Five photos in batches of two: the save falls mid-epoch, and the batches
    # after it cross into a freshly shuffled epoch.
    def build() -> tf.data.Dataset:
        return training_dataset(photos[:5], image_size=16, batch_size=2, seed=5)

    iterator = iter(build())
    for _ in range(3):
        next(iterator)
    saved = tf.train.Checkpoint(iterator=iterator).save(tmp_path / "ckpt" / "data")
    expected = [next(iterator).numpy() for _ in range(4)]

    resumed = iter(build())
    tf.train.Checkpoint(iterator=resumed).restore(saved).assert_consumed()
    got = [next(resumed).numpy() for _ in range(4)]

    np.testing.assert_array_equal(np.stack(got), np.stack(expected))


@pytest.mark.parametrize(
    ("paths", "image_size", "batch_size", "match"),
    [
        ([], 16, 1, "at least one image path"),
        (["a.png"], 8, 1, "image_size must be .* at least 16, got 8"),
        (["a.png"], 16, 0, "batch_size must be .* at least 1, got 0"),
    ],
)
def test_training_dataset_rejects_bad_arguments(paths, image_size, batch_size, match):
    with pytest.raises(ValueError, match=match):
        training_dataset(paths, image_size=image_size, batch_size=batch_size)


# TensorFlow Datasets


def test_tfds_source_without_the_package_says_what_to_install():
    if importlib.util.find_spec("tensorflow_datasets") is not None:
        pytest.skip("tensorflow_datasets is installed")

    with pytest.raises(ValueError, match="pip install tensorflow-datasets"):
        tfds_dataset("coco/2017", image_size=16, batch_size=1)
    with pytest.raises(ValueError, match="tfds build coco/2017"):
        dataset_from_source("tfds:coco/2017:train", image_size=16, batch_size=1)


def test_dataset_from_source_rejects_a_tfds_source_without_a_name():
    with pytest.raises(ValueError, match="names no dataset"):
        dataset_from_source("tfds:", image_size=16, batch_size=1)


# load_photos and dataset_from_source


def test_load_photos_center_crops_at_the_shorter_side(tmp_path):
    # Thirds of 48x16 (W x H): at size 16 the centre square is the middle third.
    thirds = np.zeros((16, 48, 3))
    thirds[:, 16:32] = 128
    thirds[:, 32:] = 255
    paths = [
        save(tmp_path / "thirds.png", thirds),
        save(tmp_path / "n.jpg", noise(40, 20)),
    ]

    photos = load_photos(paths, 16)

    assert photos.shape == (2, 16, 16, 3) and photos.dtype == tf.float32
    np.testing.assert_allclose(photos[0], 128 / 255, atol=1e-5)


def test_dataset_from_source_holds_photos_back_from_a_folder(photos, tmp_path):
    batches, held_out = dataset_from_source(
        str(tmp_path / "photos"), image_size=16, batch_size=2, seed=0, held_out=2
    )

    assert held_out == split_held_out(sorted(photos), 2)[1]
    assert take(batches, 1)[0].shape == (2, 16, 16, 3)


def test_a_resolved_source_is_not_listed_again(photos, tmp_path, monkeypatch):
    import tf_style.fit.sources as sources

    source = resolve_source(tmp_path / "photos")
    assert source == PhotoSource(str(tmp_path / "photos"), tuple(sorted(photos)))
    listed = []
    monkeypatch.setattr(
        sources, "list_images", lambda text: listed.append(text) or list(source.files)
    )
    batches, held_out = dataset_from_source(
        source, image_size=16, batch_size=2, seed=0, held_out=2
    )
    assert listed == [] and held_out == split_held_out(list(source.files), 2)[1]
    assert take(batches, 1)[0].shape == (2, 16, 16, 3)
    dataset_from_source(source.text, image_size=16, batch_size=2, held_out=2)
    assert listed == [source.text]  # text is listed, once
