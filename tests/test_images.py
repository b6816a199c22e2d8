"""Image loading for every mode users have on disk, made here in tmp_path."""

from __future__ import annotations

import re
import struct
import warnings
from unittest import mock

import numpy as np
import PIL.Image
import PIL.ImageFile
import pytest
import tensorflow as tf

from tf_style.images import (
    MAX_PIXELS,
    RANGE_TOLERANCE,
    ImageError,
    as_batch,
    load_image,
    read_rgb,
    save_image,
    tensor_to_image,
)
from tf_style.images.decode import ReducedDecodeWarning


def _save(image: PIL.Image.Image, path, **options):
    image.save(path, **options)
    return path


def test_rgb_png_is_float32_batch_in_unit_range(tmp_path):
    pixels = np.zeros((40, 60, 3), np.uint8)
    pixels[..., 0] = 255
    path = _save(PIL.Image.fromarray(pixels), tmp_path / "red.png")
    image = load_image(path, max_dim=None)
    assert image.dtype == tf.float32 and image.shape == (1, 40, 60, 3)
    np.testing.assert_allclose(image[0, 0, 0].numpy(), [1.0, 0.0, 0.0])


def test_longest_side_scaled_to_max_dim_keeping_aspect(tmp_path):
    path = _save(PIL.Image.new("RGB", (200, 100), "blue"), tmp_path / "wide.png")
    assert load_image(path, max_dim=64).shape == (1, 32, 64, 3)
    tall = _save(PIL.Image.new("RGB", (50, 100), "blue"), tmp_path / "tall.png")
    assert load_image(tall, max_dim=128).shape == (1, 128, 64, 3)  # up, as the tutorial


def test_grayscale_becomes_three_equal_channels(tmp_path):
    path = _save(PIL.Image.new("L", (40, 40), 128), tmp_path / "gray.png")
    pixels = read_rgb(path)
    np.testing.assert_allclose(pixels[0, 0], [128 / 255] * 3, atol=1e-6)


def test_palette_image_uses_its_palette(tmp_path):
    image = PIL.Image.new("P", (40, 40), 1)
    image.putpalette([0, 0, 0, 0, 255, 0] + [0] * 762)
    pixels = read_rgb(_save(image, tmp_path / "palette.png"))
    np.testing.assert_allclose(pixels[5, 5], [0, 1, 0])


def test_load_image_composites_rgba_on_white(tmp_path):
    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[..., 0] = 255  # red ...
    rgba[:, :20, 3] = 0  # ... fully transparent on the left half
    rgba[:, 20:, 3] = 128  # ... half transparent on the right half
    pixels = read_rgb(_save(PIL.Image.fromarray(rgba, "RGBA"), tmp_path / "rgba.png"))
    np.testing.assert_allclose(pixels[0, 0], [1, 1, 1])
    np.testing.assert_allclose(pixels[0, 30], [1, 127 / 255, 127 / 255], atol=2 / 255)


def test_palette_transparency_composites_on_white(tmp_path):
    image = PIL.Image.new("P", (40, 40), 0)
    image.putpalette([255, 0, 0] * 256)
    image.info["transparency"] = 0
    path = _save(image, tmp_path / "ptrans.png", transparency=0)
    np.testing.assert_allclose(read_rgb(path)[0, 0], [1, 1, 1])


def test_cmyk_jpeg_is_converted_to_rgb(tmp_path):
    image = PIL.Image.new("CMYK", (40, 40), (0, 255, 255, 0))  # red in CMYK
    pixels = read_rgb(_save(image, tmp_path / "cmyk.jpg", quality=100))
    assert pixels[20, 20, 0] > 0.9 and pixels[20, 20, 1:].max() < 0.1


def test_16_bit_grayscale_uses_the_full_range(tmp_path):
    values = np.full((40, 40), 32768, np.uint16)
    image = PIL.Image.fromarray(values)
    assert image.mode.startswith("I;16")
    pixels = read_rgb(_save(image, tmp_path / "sixteen.png"))
    np.testing.assert_allclose(pixels[0, 0], [32768 / 65535] * 3, atol=1e-4)


def test_exif_orientation_is_honoured(tmp_path):
    pixels = np.zeros((40, 80, 3), np.uint8)  # stored landscape ...
    pixels[:, :40] = 255  # ... white on the left
    image = PIL.Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    path = _save(image, tmp_path / "rotated.jpg", exif=exif, quality=100)
    shown = read_rgb(path)
    assert shown.shape == (80, 40, 3)  # displayed portrait
    assert shown[5, 20].mean() > 0.9 and shown[75, 20].mean() < 0.1  # white on top


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p, "no such file"),
        (lambda p: (p.mkdir(), p)[1], "is a directory"),
        (lambda p: (p.write_bytes(b""), p)[1], "file is empty"),
        (lambda p: (p.write_text("not an image at all"), p)[1], "not a readable image"),
    ],
    ids=["missing", "directory", "empty", "text"],
)
def test_unusable_files_raise_image_error_naming_the_file(tmp_path, make, message):
    path = make(tmp_path / "photo.jpg")
    with pytest.raises(ImageError, match=message) as raised:
        load_image(path)
    assert "photo.jpg" in str(raised.value)


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_truncated_file_raises_image_error(tmp_path, suffix):
    noise = np.random.default_rng(0).integers(0, 255, (100, 100, 3), np.uint8)
    whole = _save(PIL.Image.fromarray(noise), tmp_path / f"whole{suffix}")
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(ImageError, match="not a readable image"):
        load_image(cut)


def test_image_smaller_than_32_px_is_refused(tmp_path):
    path = _save(PIL.Image.new("RGB", (100, 20)), tmp_path / "strip.png")
    with pytest.raises(ImageError, match="100x20 px; at least 32"):
        load_image(path)


def test_tensor_to_image_rounds_and_clips():
    tensor = tf.constant([[[[0.0, 0.5, 1.5]] * 2] * 2])
    pixels = np.asarray(tensor_to_image(tensor))
    assert pixels.shape == (2, 2, 3) and pixels.dtype == np.uint8
    assert list(pixels[0, 0]) == [0, 128, 255]


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_save_then_load_round_trip(tmp_path, suffix):
    image = tf.concat([tf.zeros([1, 40, 20, 3]), tf.ones([1, 40, 20, 3])], axis=2)
    path = save_image(image, tmp_path / f"out{suffix}")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"out{suffix}"
    ]  # no temp left
    np.testing.assert_allclose(load_image(path, None).numpy(), image.numpy(), atol=0.05)


def test_save_refuses_unknown_suffix(tmp_path):
    with pytest.raises(ValueError, match="cannot save as '.gif'"):
        save_image(tf.zeros([1, 40, 40, 3]), tmp_path / "out.gif")


def test_failed_save_leaves_no_file(tmp_path, monkeypatch):
    def broken_save(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(PIL.Image.Image, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_image(tf.zeros([1, 40, 40, 3]), tmp_path / "out.png")
    assert list(tmp_path.iterdir()) == []


# --- hardening: bombs, big files, deep integer and float images ---------------------


def test_a_decompression_bomb_is_refused_from_its_header(tmp_path):
    """41 KB on disk, 144 megapixels decoded: refused before a pixel is decoded."""
    bomb = tmp_path / "bomb.png"
    PIL.Image.new("1", (12000, 12000)).save(bomb, optimize=True)
    assert bomb.stat().st_size < 100_000
    with pytest.raises(ImageError, match="megapixels"):
        load_image(bomb, 64)


def test_a_20_megapixel_jpeg_is_decoded_in_full_as_the_tutorial_does(tmp_path):
    path = tmp_path / "large.jpg"
    PIL.Image.new("RGB", (5000, 4000), (200, 100, 50)).save(path, quality=70)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ReducedDecodeWarning
        image = load_image(path, 64)
    decoded = tf.image.convert_image_dtype(
        tf.io.decode_image(tf.io.read_file(str(path)), channels=3), tf.float32
    )
    expected = tf.image.resize(decoded, (51, 64))[tf.newaxis]
    assert image.shape == (1, 51, 64, 3)
    np.testing.assert_allclose(image, expected, atol=1e-6)


def test_a_32_bit_integer_tiff_uses_its_full_range(tmp_path):
    path = tmp_path / "deep.tif"
    gradient = np.linspace(0, 2**31 - 1, 64 * 64).reshape(64, 64).astype(np.int32)
    PIL.Image.fromarray(gradient).save(path)
    image = load_image(path, None)
    assert float(image[0, 32, 32, 0]) == pytest.approx(0.5, abs=0.02)
    assert float(image[0, 0, 0, 0]) == pytest.approx(0.0, abs=1e-6)


def test_a_float_tiff_with_nan_is_refused(tmp_path):
    path = tmp_path / "nan.tif"
    pixels = np.full((40, 40), 0.5, np.float32)
    pixels[3, 3] = np.nan
    PIL.Image.fromarray(pixels, mode="F").save(path)
    with pytest.raises(ImageError, match="non-finite"):
        load_image(path, None)


@pytest.mark.parametrize(
    "array, error, message",
    [
        (None, TypeError, "got NoneType"),
        ("cat.png", TypeError, "got str"),
        (np.zeros((8, 8, 3), np.float32), ValueError, "8x8 px"),
        (np.zeros((0, 0, 3), np.float32), ValueError, "0x0 px"),
        (np.full((20, 20, 3), np.nan, np.float32), ValueError, "1200 non-finite"),
        (np.full((20, 20, 3), 255.0, np.float32), ValueError, "values from 255"),
        (np.ones((20, 20, 3), np.int64), TypeError, "dtype int64"),
        (np.ones((20, 20, 3), bool), TypeError, "dtype bool"),
        (np.ones((2, 20, 20, 3), np.float32), ValueError, "shape [2, 20, 20, 3]"),
        (np.ones((20, 20, 4), np.float32), ValueError, "shape [1, 20, 20, 4]"),
    ],
)
def test_as_batch_refuses_what_is_not_an_image(array, error, message):
    with pytest.raises(error, match=re.escape(message)):
        as_batch(array, "content_image")


def test_as_batch_converts_uint8_and_adds_the_batch_axis():
    batch = as_batch(np.full((20, 24, 3), 255, np.uint8))
    assert batch.shape == (1, 20, 24, 3) and batch.dtype == tf.float32
    np.testing.assert_allclose(batch, 1.0)


# --- decoding large and deep files (tf_style/images/decode.py) ---------------------


def _bomb(path, side: int = 12000):
    """A 1-bit PNG of side x side that compresses to a few KB (144 MP at 12000)."""
    PIL.Image.new("1", (side, side)).save(path, optimize=True)
    return path


@pytest.mark.parametrize("max_dim", [64, None])
def test_a_bomb_is_refused_before_decoding_and_without_warnings(
    tmp_path, monkeypatch, max_dim
):
    bomb = _bomb(tmp_path / "bomb.png")
    decoded = []
    real_load = PIL.ImageFile.ImageFile.load

    def spy(image):
        decoded.append(image.size)
        return real_load(image)

    monkeypatch.setattr(PIL.ImageFile.ImageFile, "load", spy)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ImageError, match="12000x12000 px"):
            load_image(bomb, max_dim)
    assert decoded == []
    assert not [w for w in caught if w.category is PIL.Image.DecompressionBombWarning]


def test_the_bomb_message_says_the_size_the_limit_and_what_to_do(tmp_path):
    bomb = _bomb(tmp_path / "bomb.png")
    with pytest.raises(ImageError) as raised:
        load_image(bomb, 64)
    assert str(raised.value).startswith(
        f"{bomb}: image is 12000x12000 px (144 megapixels), more than the "
        f"{MAX_PIXELS / 1e6:.0f} megapixels tf_style decodes; downscale the file"
    )


def _gif_claiming(width: int, height: int) -> bytes:
    """A GIF header and one empty frame: Pillow takes the size from the header."""
    return (
        b"GIF89a"
        + struct.pack("<HHBBB", width, height, 0, 0, 0)
        + b"\x2c"
        + struct.pack("<HHHHB", 0, 0, width, height, 0)
        + b"\x02\x02\x4c\x01\x00\x3b"
    )


def test_an_image_past_pillows_own_limit_is_refused_saying_what_to_do(tmp_path):
    path = tmp_path / "huge.gif"
    path.write_bytes(_gif_claiming(65535, 65535))  # 4295 megapixels, 25 bytes
    with pytest.raises(
        ImageError, match=r"4294836225 pixels.*64 megapixels: downscale"
    ):
        load_image(path, 64)


def test_a_jpeg_past_the_limit_is_decoded_reduced_and_says_so(tmp_path):
    path = _save(PIL.Image.new("L", (9000, 9000), 100), tmp_path / "81mp.jpg")
    with pytest.warns(ReducedDecodeWarning, match=r"9000x9000 px .* 1/2 size"):
        image = load_image(path, 64)
    assert image.shape == (1, 64, 64, 3)
    np.testing.assert_allclose(image[0, 32, 32], [100 / 255] * 3, atol=0.02)
    with pytest.raises(ImageError, match="9000x9000 px"):
        load_image(path, None)  # no draft at full size: the limit holds


def test_a_large_rotated_jpeg_is_turned_upright(tmp_path):
    pixels = np.zeros((4000, 5000, 3), np.uint8)
    pixels[:, :2500] = 255  # white on the left, stored landscape ...
    image = PIL.Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6  # ... shown rotated 90 degrees clockwise
    path = _save(image, tmp_path / "rotated.jpg", exif=exif, quality=80)
    shown = load_image(path, 64)
    assert shown.shape == (1, 64, 51, 3)
    assert float(shown[0, 5, 25, 0]) > 0.9 and float(shown[0, 58, 25, 0]) < 0.1


LARGE_MODES = [
    ("L", "png", 100, 100 / 255),
    ("RGB", "png", (100, 100, 100), 100 / 255),
    ("RGBA", "png", (100, 100, 100, 255), 100 / 255),
    ("CMYK", "tif", (0, 0, 0, 155), 100 / 255),
    ("F", "tif", 0.25, 0.25),
    ("1", "png", 1, 1.0),
    ("P", "png", 0, 0.0),
    ("I;16", "png", 40000, 40000 / 65535),
]


@pytest.mark.parametrize("mode, suffix, fill, expected", LARGE_MODES)
def test_a_large_image_in_any_mode_loads_at_max_dim(
    tmp_path, mode, suffix, fill, expected
):
    """20 megapixels, decoded in full in each mode, then resized."""
    path = _save(PIL.Image.new(mode, (5000, 4000), fill), tmp_path / f"big.{suffix}")
    image = load_image(path, 64)
    assert image.shape == (1, 51, 64, 3)
    np.testing.assert_allclose(image[0, 25, 32], [expected] * 3, atol=0.01)


def _set_tiff_tag(data: bytes, tag: int, value: int) -> bytes:
    """Rewrite a one-value SHORT tag of a little-endian TIFF (Pillow's writer)."""
    data = bytearray(data)
    directory = struct.unpack_from("<I", data, 4)[0]
    count = struct.unpack_from("<H", data, directory)[0]
    for entry in range(directory + 2, directory + 2 + 12 * count, 12):
        if struct.unpack_from("<H", data, entry)[0] == tag:
            struct.pack_into("<HHIHH", data, entry, tag, 3, 1, value, 0)
            return bytes(data)
    raise ValueError(f"no tag {tag}")


def test_an_unsigned_32_bit_tiff_uses_its_full_range(tmp_path):
    """Pillow reads unsigned 32-bit samples into signed mode I: past 2**31 they wrap."""
    signed = tmp_path / "signed.tif"
    gradient = np.linspace(0, 2**32 - 1, 64 * 64).reshape(64, 64).astype(np.uint32)
    PIL.Image.fromarray(gradient.view(np.int32)).save(signed)  # the same bits
    path = tmp_path / "unsigned.tif"
    path.write_bytes(_set_tiff_tag(signed.read_bytes(), 339, 1))  # SampleFormat: uint
    image = load_image(path, None)
    np.testing.assert_allclose(
        image[0, :, 0, 0], gradient[:, 0] / (2**32 - 1), atol=1e-3
    )


def test_a_16_bit_tiff_uses_the_full_range(tmp_path):
    path = _save(
        PIL.Image.fromarray(np.full((40, 40), 40000, np.uint16)), tmp_path / "a.tif"
    )
    np.testing.assert_allclose(read_rgb(path)[0, 0], [40000 / 65535] * 3, atol=1e-4)


def test_a_16_bit_pgm_uses_its_maxval(tmp_path):
    """Pillow opens PGMs deeper than 8 bits as mode I, rescaled to 0-65535."""
    path = tmp_path / "ten_bit.pgm"
    path.write_bytes(b"P5 40 40 1023\n" + np.full((40, 40), 512, ">u2").tobytes())
    np.testing.assert_allclose(read_rgb(path)[0, 0], [512 / 1023] * 3, atol=1e-3)


def test_a_float_tiff_in_the_unit_range_loads_as_it_is(tmp_path):
    ramp = np.linspace(0, 1, 40 * 40, dtype=np.float32).reshape(40, 40)
    path = _save(PIL.Image.fromarray(ramp), tmp_path / "ramp.tif")
    np.testing.assert_allclose(read_rgb(path)[..., 1], ramp, atol=1e-6)


SIGNALLING_NAN = np.array(0x7FA00000, np.uint32).view(np.float32)  # quiet bit clear


@pytest.mark.parametrize(
    "value", [np.inf, -np.inf, SIGNALLING_NAN], ids=["inf", "-inf", "signalling-nan"]
)
def test_a_float_tiff_with_infinity_or_a_signalling_nan_is_refused(tmp_path, value):
    """Found by fuzzing (a spliced TIFF): a signalling NaN made NumPy warn."""
    pixels = np.full((40, 40), 0.5, np.float32)
    pixels[3, 3] = value
    path = _save(PIL.Image.fromarray(pixels), tmp_path / "inf.tif")
    with pytest.raises(ImageError, match="1 non-finite values"):
        load_image(path, None)


def test_a_long_panorama_is_judged_by_its_own_size_not_the_reduced_one(tmp_path):
    """20000x1000 at max_dim=64 is 64x3: too small to run, but the file is not."""
    path = _save(PIL.Image.new("L", (20000, 1000), 100), tmp_path / "panorama.png")
    assert load_image(path, 64).shape == (1, 3, 64, 3)  # the tutorial's arithmetic


# --- as_batch: what the Python API accepts --------------------------------------------


def test_as_batch_accepts_float16_bfloat16_tensors_and_variables():
    ramp = np.linspace(0, 1, 20 * 20 * 3).reshape(1, 20, 20, 3)
    for image in (
        ramp.astype(np.float16),
        tf.constant(ramp, tf.bfloat16),
        tf.Variable(ramp.astype(np.float32)),
    ):
        batch = as_batch(image)
        assert batch.dtype == tf.float32 and batch.shape == (1, 20, 20, 3)
        np.testing.assert_allclose(batch, ramp, atol=4e-3)  # bfloat16's precision


def test_as_batch_allows_rounding_just_outside_the_unit_range_and_clips_it():
    image = np.full((20, 20, 3), 1 + RANGE_TOLERANCE / 2, np.float32)
    image[0, 0] = -RANGE_TOLERANCE / 2
    batch = as_batch(image).numpy()
    assert batch.min() == 0.0 and batch.max() == 1.0
    with pytest.raises(ValueError, match=r"values from 1\.001 to 1\.001"):
        as_batch(np.full((20, 20, 3), 1.001, np.float32))


@pytest.mark.parametrize(
    "image, message",
    [
        (
            np.ones((20, 20, 3), np.uint16),
            "dtype uint16; convert it, e.g. image.astype('float32') / 65535",
        ),
        (np.ones((20, 20, 3), bool), "dtype bool; convert it with image.astype"),
        (np.ones((20, 20, 3), np.complex64), "dtype complex64"),
        (tf.ragged.constant([[0.5], [0.5, 0.5]]), "got RaggedTensor"),
        (tf.constant([["a"]]), "got EagerTensor of dtype object"),
        ([[0.5], [0.5, 0.5]], "got list"),
    ],
    ids=["uint16", "bool", "complex", "ragged", "strings", "ragged-list"],
)
def test_as_batch_refuses_other_types_saying_how_to_convert(image, message):
    with pytest.raises(TypeError, match=r"^style_image: .*" + re.escape(message)):
        as_batch(image, "style_image")


def test_as_batch_refuses_a_symbolic_tensor_clearly():
    @tf.function(input_signature=[tf.TensorSpec([None, None, 3])])
    def inside(image):
        return as_batch(image, "content_image")

    with pytest.raises(TypeError, match="content_image: .*symbolic tensor"):
        inside(tf.zeros([20, 20, 3]))


# --- headers that claim more than the file's bytes can hold -------------------------


def _jpeg_claiming(path, width: int, height: int, **options):
    """A valid 64x64 JPEG whose start-of-frame claims ``width`` x ``height``: the
    decoder pads the missing blocks and succeeds."""
    PIL.Image.new("RGB", (64, 64), (120, 30, 200)).save(path, **options)
    data = bytearray(path.read_bytes())
    frame = max(data.find(b"\xff\xc0"), data.find(b"\xff\xc2"))  # baseline, progressive
    struct.pack_into(">HH", data, frame + 5, height, width)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    "width, height, options",
    [
        (12000, 12000, {}),  # what testers found: decoded at 1/2 size, 2 GB
        (8000, 8000, {}),  # at the pixel limit: decoded in full
        (3000, 2000, {"progressive": True}),
        (60000, 1000, {"quality": 10}),
    ],
)
@pytest.mark.parametrize("max_dim", [64, None])
def test_a_jpeg_claiming_more_pixels_than_its_bytes_is_refused_before_decoding(
    tmp_path, monkeypatch, width, height, options, max_dim
):
    path = _jpeg_claiming(tmp_path / "claim.jpg", width, height, **options)
    assert path.stat().st_size < 1000
    decoded = []
    monkeypatch.setattr(PIL.ImageFile.ImageFile, "load", lambda i: decoded.append(i))
    monkeypatch.setattr(tf.io, "decode_jpeg", lambda *a, **k: decoded.append(a))
    monkeypatch.setattr(tf.io, "decode_image", lambda *a, **k: decoded.append(a))
    with pytest.raises(ImageError) as raised:
        load_image(path, max_dim)
    message = str(raised.value)
    if width * height <= MAX_PIXELS or max_dim is not None:
        assert f"the header claims {width}x{height} px" in message
        assert f"more than {path.stat().st_size} bytes of JPEG" in message
    assert "\n" not in message and decoded == []


def test_a_gif_whose_screen_is_larger_than_its_bytes_is_refused(tmp_path):
    """GIF's decoder fills a screen its frames do not cover with the background."""
    path = _save(PIL.Image.new("P", (48, 40)), tmp_path / "small.gif")
    data = bytearray(path.read_bytes())
    struct.pack_into("<HH", data, 6, 8000, 8000)  # the logical screen
    path.write_bytes(bytes(data))
    with pytest.raises(ImageError, match="the header claims 8000x8000 px"):
        load_image(path, 64)


@pytest.mark.parametrize(
    "mode, suffix, options",
    [
        ("L", "jpg", {"optimize": True}),  # the densest JPEG: 1/255 byte a pixel
        ("RGB", "jpg", {"progressive": True}),
        ("1", "png", {"optimize": True}),  # deflate at its 1032:1 ceiling
        ("P", "gif", {}),
    ],
)
def test_the_flattest_real_files_still_load_and_resize(tmp_path, mode, suffix, options):
    """One flat colour, 16 megapixels: as many pixels a byte as a real file has."""
    path = _save(
        PIL.Image.new(mode, (4800, 3200)), tmp_path / f"flat.{suffix}", **options
    )
    image = load_image(path, 64)
    assert image.shape == (1, 42, 64, 3)


# --- arrays: what converting would cost, and the promised errors ----------------------


@pytest.mark.parametrize("shape", [(40000, 40000, 3), (1, 9000, 8000, 3)])
def test_a_huge_broadcast_array_is_refused_before_converting(shape):
    """np.broadcast_to takes no memory; converting 40000x40000 would take 19 GB."""
    huge = np.broadcast_to(np.float32(0.5), shape)
    with mock.patch.object(np, "isfinite", side_effect=AssertionError("converted")):
        with pytest.raises(ValueError, match=r"megapixels\), more than the 64 mega"):
            as_batch(huge, "content_image")


def test_an_array_at_the_pixel_limit_is_taken_one_more_row_is_not(monkeypatch):
    monkeypatch.setattr("tf_style.images.arrays.MAX_PIXELS", 40 * 30)
    assert as_batch(np.zeros((30, 40, 3), np.float32)).shape == (1, 30, 40, 3)
    with pytest.raises(ValueError, match="40x31 px"):
        as_batch(np.zeros((31, 40, 3), np.float32))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint16, np.bool_])
def test_an_integer_array_is_the_value_error_the_docs_promise(dtype):
    """docs/promises.md: other integer types are a ValueError (and still a
    TypeError, as the dtype is the wrong type)."""
    image = np.ones((20, 20, 3), dtype)
    with pytest.raises(ValueError, match=f"dtype {np.dtype(dtype).name}"):
        as_batch(image, "content_image")
    with pytest.raises(TypeError, match=f"dtype {np.dtype(dtype).name}"):
        as_batch(image, "content_image")


def test_load_image_takes_a_numpy_max_dim(tmp_path):
    path = _save(PIL.Image.new("RGB", (96, 64)), tmp_path / "a.png")
    assert load_image(path, np.int64(48)).shape == (1, 32, 48, 3)
