"""The fast-network benchmark's photo gatherer: what it keeps and how it shrinks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import PIL.Image

from tests.conftest import load_benchmark


def load_module():
    return load_benchmark("training_photos")


def write(path: Path, width: int, height: int, mode: str = "RGB") -> Path:
    pixels = np.random.default_rng(0).integers(0, 256, (height, width, len(mode)))
    PIL.Image.fromarray(pixels.astype(np.uint8).squeeze(), mode=mode).save(path)
    return path


def test_a_large_photo_is_shrunk_to_the_cap_on_its_shorter_side(tmp_path):
    photos = load_module()
    source = write(tmp_path / "wide.jpg", 1600, 900)

    assert photos.save_photo(source, tmp_path / "out.png", min_side=256)

    with PIL.Image.open(tmp_path / "out.png") as saved:
        assert saved.mode == "RGB"
        assert min(saved.size) == photos.MAX_SHORTER_SIDE
        assert abs(saved.width / saved.height - 1600 / 900) < 0.01


def test_a_grey_photo_becomes_rgb_and_a_small_one_is_skipped(tmp_path):
    photos = load_module()
    grey = write(tmp_path / "grey.png", 300, 260, mode="L")
    small = write(tmp_path / "small.png", 400, 200)

    assert photos.save_photo(grey, tmp_path / "grey_out.png", min_side=256)
    with PIL.Image.open(tmp_path / "grey_out.png") as saved:
        assert saved.size == (300, 260) and saved.mode == "RGB"
    assert not photos.save_photo(small, tmp_path / "small_out.png", min_side=256)
    assert not (tmp_path / "small_out.png").exists()
