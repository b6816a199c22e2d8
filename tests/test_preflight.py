"""Checks before any model is built: outputs against inputs, locations, memory."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from tf_style.commands.cli import UsageError
from tf_style.commands.memory_check import check_run_memory
from tf_style.commands.preflight import check_outputs
from tf_style.config import StyleTransferConfig
from tf_style.config.byte_sizes import format_memory, parse_memory
from tf_style.config.layer_names import CONTENT_LAYERS, STYLE_LAYERS
from tf_style.memory.estimate import (
    FIXED_BYTES,
    TooLarge,
    forward_bytes_per_pixel,
    least_budget,
    plan_scales,
    step_bytes,
    tiled_fixed_bytes,
)

LAYERS = STYLE_LAYERS + CONTENT_LAYERS


@pytest.fixture
def inputs(tmp_path):
    folder = tmp_path / "sf"
    folder.mkdir()
    content = folder / "a_losses.png"
    content.write_bytes(b"content")
    return folder, content


def test_a_side_file_that_is_an_input_is_refused(inputs):
    folder, content = inputs
    with pytest.raises(UsageError, match="refusing to overwrite the input"):
        check_outputs([folder / "a.png", folder / "a_losses.png"], [content])


def test_inputs_are_compared_by_inode_not_by_spelling(inputs, tmp_path):
    folder, content = inputs
    link = tmp_path / "hard_link.png"
    os.link(content, link)
    spelled_otherwise = folder / ".." / "sf" / "a_losses.png"
    for path in (link, spelled_otherwise):
        with pytest.raises(UsageError, match="refusing to overwrite"):
            check_outputs([path], [content])


def test_an_input_inside_the_frames_folder_is_refused(inputs):
    folder, content = inputs
    with pytest.raises(UsageError, match="refusing to write frames"):
        check_outputs([], [content], folders=[folder])


def test_frames_folder_existing_as_a_file_is_refused(tmp_path):
    (tmp_path / "a_frames").write_text("a file")
    with pytest.raises(UsageError, match="exists and is not a directory"):
        check_outputs([], [], folders=[tmp_path / "a_frames"])


def test_an_output_naming_a_directory_is_refused(tmp_path):
    (tmp_path / "out.png").mkdir()
    with pytest.raises(UsageError, match="is a directory"):
        check_outputs([tmp_path / "out.png"], [])


def test_a_name_too_long_for_its_temporary_copy_is_refused(tmp_path):
    name = "a" * (os.pathconf(tmp_path, "PC_NAME_MAX") - 8) + ".png"
    with pytest.raises(UsageError, match="file name too long"):
        check_outputs([tmp_path / name], [])


def test_a_file_in_the_way_of_the_output_folder_is_refused(tmp_path):
    (tmp_path / "blocker").write_text("a file")
    with pytest.raises(UsageError, match="cannot create output directory"):
        check_outputs([tmp_path / "blocker" / "sub" / "out.png"], [])


def test_checks_create_nothing(tmp_path):
    target = tmp_path / "new" / "deeper"
    check_outputs([target / "a.png"], [], folders=[target / "a_frames"])
    assert list(tmp_path.iterdir()) == []


def test_forward_activations_per_pixel_by_hand():
    # block1: 2 x 64, block2: 2 x 128 / 4, block3: 4 x 256 / 16, block4: 4 x 512 / 64,
    # block5 up to conv2: 2 x 512 / 256; poolings after blocks 1-4: 16 + 8 + 4 + 2.
    floats = 128 + 64 + 64 + 32 + 4 + 30
    assert forward_bytes_per_pixel(LAYERS) == floats * 4
    assert forward_bytes_per_pixel(["block1_conv1"]) == 64 * 4
    assert forward_bytes_per_pixel(LAYERS, dtype_bytes=2) == floats * 2


def test_step_memory_grows_with_pixels_and_shrinks_with_16_bit():
    small, large = step_bytes((256, 256), LAYERS), step_bytes((512, 512), LAYERS)
    assert large - FIXED_BYTES == pytest.approx(4 * (small - FIXED_BYTES), rel=1e-6)
    assert step_bytes((512, 512), LAYERS, precision="bfloat16") < large
    assert step_bytes((512, 512), LAYERS, optimizer="lbfgs") > large


def largest_in(error: pytest.ExceptionInfo) -> int:
    return int(error.value.args[0].rsplit("--max-dim ", 1)[1].split()[0])


def test_a_size_that_cannot_fit_at_once_is_refused_with_the_largest_that_fits():
    available, config = 4 * 2**30, StyleTransferConfig(tiling="off")
    with pytest.raises(UsageError, match=r"use --max-dim (\d+) or less") as caught:
        check_run_memory((8000, 12000), config, available=available, where="host")
    fits = largest_in(caught)
    height = int(fits * 8000 / 12000)
    assert step_bytes((height, fits), LAYERS) <= available
    assert step_bytes((height * 1.05, fits * 1.05), LAYERS) > available


def test_tiles_fit_what_the_whole_image_cannot_and_name_their_limit():
    available, config = 4 * 2**30, StyleTransferConfig()
    check_run_memory((1536, 2048), config, available=available, where="host")
    assert step_bytes((1536, 2048), LAYERS) > available  # only tiled it fits
    with pytest.raises(UsageError, match="even tile by tile") as caught:
        check_run_memory((8000, 12000), config, available=available, where="host")
    fits = largest_in(caught)
    height = int(fits * 8000 / 12000)
    content = config.content_layers
    assert tiled_fixed_bytes((height, fits), LAYERS, content) < available
    assert tiled_fixed_bytes((height * 1.05, fits * 1.05), LAYERS, content) > (
        available - (64 << 20)
    )


def test_a_size_that_fits_or_unknown_memory_passes():
    config = StyleTransferConfig()
    check_run_memory((341, 512), config, available=8 * 2**30, where="host")
    check_run_memory((80000, 120000), config, available=None, where="GPU")


def test_nothing_fits_below_the_fixed_memory():
    with pytest.raises(UsageError, match="not even a 32 px image fits"):
        check_run_memory(
            (300, 400), StyleTransferConfig(), available=FIXED_BYTES // 2, where="host"
        )


@pytest.mark.parametrize("tiling", ["auto", "on", "off"])
@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_the_least_budget_is_the_edge_of_what_can_be_planned(tiling, optimizer):
    config = StyleTransferConfig(tiling=tiling, optimizer=optimizer, scales=(0.5, 1))
    needed = least_budget((384, 512), config)
    plan_scales((384, 512), config, needed)
    with pytest.raises(TooLarge) as refused:
        plan_scales((384, 512), config, needed - 1)
    assert refused.value.needed == needed
    assert f"memory_limit {format_memory(needed)} or more" in str(refused.value)


def test_a_memory_limit_too_small_is_refused_with_the_least_that_would_do():
    config = StyleTransferConfig(memory_limit="512M")
    with pytest.raises(UsageError) as caught:
        check_run_memory(
            (384, 512), config, available=512 << 20, where="--memory-limit"
        )
    message = str(caught.value)
    assert "not even a 32 px image fits" in message
    least = message.split("give --memory-limit ")[1].split()[0]
    assert least == "1.4G"
    check_run_memory((384, 512), config, available=parse_memory(least), where="x")
    too_little = parse_memory(least) - (100 << 20)
    with pytest.raises(UsageError, match=f"give --memory-limit {least} or more"):
        check_run_memory(
            (384, 512), config, available=too_little, where="--memory-limit"
        )


def test_an_image_small_enough_to_run_whole_is_the_largest_that_fits():
    """Tiles need 1.31 GiB for any image; below that, a small image still fits whole
    (1.26 GiB at 32 px), and the refusal says how small."""
    available = FIXED_BYTES + (40 << 20)
    with pytest.raises(UsageError, match=r"use --max-dim (\d+) or less") as caught:
        check_run_memory(
            (384, 512), StyleTransferConfig(), available=available, where="host"
        )
    fits = largest_in(caught)
    assert 32 <= fits < 512
    assert step_bytes((int(fits * 384 / 512), fits), LAYERS) <= available


def test_the_help_names_the_least_memory_limit_of_a_default_run():
    """The help's numbers are the memory model's: a 512 px square at the tutorial's
    settings, and what TensorFlow and VGG19 take before any image."""
    least = format_memory(least_budget((512, 512), StyleTransferConfig()))
    field = {f.name: f for f in dataclasses.fields(StyleTransferConfig)}
    text = field["memory_limit"].metadata["help"]
    assert f"At least about {least} at --max-dim 512" in text
    assert f"alone take {FIXED_BYTES / 2**30:g}G" in text
    assert "512M" not in text  # refused for any image


@pytest.mark.parametrize("value", [1, 2**30, 1_463_000_000, 5 << 40])
def test_a_formatted_memory_size_is_read_back_as_at_least_itself(value):
    text = format_memory(value)
    assert parse_memory(text) >= value
    assert parse_memory(text) - value < 2**30 / 10


@pytest.mark.parametrize("spelling", ["nodir/../photo.png", "a/b/../../photo.png"])
def test_an_output_through_folders_yet_to_be_made_is_the_input_it_lands_on(
    tmp_path, monkeypatch, spelling
):
    from tf_style.commands.cli import UsageError
    from tf_style.commands.preflight import check_outputs

    monkeypatch.chdir(tmp_path)
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"an input")
    with pytest.raises(UsageError, match="refusing to overwrite the input"):
        check_outputs([Path(spelling)], [Path("photo.png")])
    assert not (tmp_path / "nodir").exists() and not (tmp_path / "a").exists()
    check_outputs([Path("nodir/photo.png")], [Path("photo.png")])  # another file
