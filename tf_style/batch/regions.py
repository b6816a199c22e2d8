"""Several styles, each in its own region, for a folder or a video's frames.

A folder or video run takes its regions (:class:`tf_style.Region`) as files, as it
takes its styles, so that the manifest can name them and a rerun with other regions
(or other bytes under the same names) redoes the outputs. Every file a region names
is an input the run protects. The masks are drawn for the photos' shape, so the
run is refused before anything is made when one photo cannot take them
(:func:`tf_style.regions.check_mask_fits`): a mask stretched over another shape
would put the styles in the wrong places.

A video's region may instead give a folder of masks, one per frame in numbered
order (a moving sky, say); every other mode shares one mask between its images.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from tf_style.batch.frames import numbered_frames
from tf_style.batch.plan import OutputPlan
from tf_style.batch.results import RunRefused
from tf_style.config import StyleTransferConfig
from tf_style.memory.fits import resized_size
from tf_style.paths.identity import same_file
from tf_style.regions import (
    Region,
    StyleRegion,
    as_style_region,
    check_mask_fits,
    mask_image,
)


@dataclass(frozen=True)
class RunRegions:
    """A run's regions, loaded once and checked.

    Attributes:
        regions: each region as the loss takes it (a mask folder's region holds its
            first frame's mask).
        per_frame: for each region, its masks one per frame (a video's mask folder),
            or None where one mask serves every image.
    """

    regions: tuple[StyleRegion, ...] = ()
    per_frame: tuple[tuple[Path, ...] | None, ...] = ()

    def at(self, index: int) -> list[StyleRegion]:
        """The regions for the ``index``-th frame (from 1): a mask folder's mask
        for that frame, loaded now (a long video's masks are never all in memory)."""
        return [
            region if masks is None else replace(region, mask=frame_mask(masks, index))
            for region, masks in zip(self.regions, self.per_frame, strict=True)
        ]


def frame_mask(masks: Sequence[Path], index: int):
    """The mask of frame ``index`` (from 1), as :func:`mask_image` reads it."""
    return mask_image(masks[index - 1], f"{masks[index - 1]}", must_select=True)


def as_region_files(regions: Sequence[Region]) -> tuple[Region, ...]:
    """The regions with their files as ``Path``s.

    Raises:
        TypeError: a mask, style or style mask given as an array: a folder or
            video run reads its regions from files, so the manifest can name them.
    """
    files = []
    for number, region in enumerate(regions, start=1):
        if not isinstance(region, Region):
            raise TypeError(f"regions: expected tf_style.Region, got {region!r}.")
        named = [region.mask, region.style, region.style_mask]
        if not all(isinstance(p, (str, os.PathLike)) for p in named if p is not None):
            raise TypeError(
                f"region {number}: expected paths for its mask, style and style "
                "mask; a folder or video run reads its regions from files so the "
                "manifest can name them."
            )
        mask, style, style_mask = (None if p is None else Path(p) for p in named)
        files.append(replace(region, mask=mask, style=style, style_mask=style_mask))
    return tuple(files)


def region_reads(regions: Sequence[Region]) -> list[Path]:
    """Every file the regions name, a mask folder's masks one by one: inputs the
    run protects, whose bytes the manifest records."""
    reads = []
    for region in regions:
        mask = Path(region.mask)
        reads += numbered_frames(mask) if mask.is_dir() else [mask]
        reads += [p for p in (region.style, region.style_mask) if p is not None]
    return reads


def load_regions(regions: Sequence[Region], max_dim: int, *, video: bool) -> RunRegions:
    """The regions' masks and paintings, read and checked before any model.

    Raises:
        RunRefused: a weight that is not above 0, a mask black all over or not an
            image in [0, 1], a style mask of another shape than its painting, a
            folder of masks outside a video run or one without numbered masks.
        ImageError: a file that cannot be read.
    """
    loaded, per_frame = [], []
    for number, region in enumerate(regions, start=1):
        masks = None
        if Path(region.mask).is_dir():
            masks = tuple(mask_folder(Path(region.mask), number, video=video))
            region = replace(region, mask=masks[0])
        try:
            loaded.append(as_style_region(region, max_dim, number))
        except ValueError as error:
            raise RunRefused(str(error)) from None
        per_frame.append(masks)
    return RunRegions(tuple(loaded), tuple(per_frame))


def mask_folder(folder: Path, number: int, *, video: bool) -> list[Path]:
    """A region's folder of masks, one per frame, in frame order.

    Raises:
        RunRefused: not a video run, no masks, or masks whose order cannot be
            told (a name without a number, two with one number).
    """
    if not video:
        raise RunRefused(
            f"region {number}'s mask {folder} is a folder: one mask per frame is for "
            "--frames; the photos of a folder run share one mask file."
        )
    masks = numbered_frames(folder)
    if not masks:
        raise RunRefused(f"region {number}'s mask folder {folder} holds no images.")
    numbers: dict[int, Path] = {}
    for mask in masks:
        digits = re.findall(r"\d+", mask.stem)
        if not digits:
            raise RunRefused(
                f"region {number}'s mask {mask} has no frame number in its name; "
                "name the masks in frame order (mask_0001.png, ...)."
            )
        if int(digits[-1]) in numbers:
            raise RunRefused(
                f"region {number}'s masks {numbers[int(digits[-1])].name} and "
                f"{mask.name} have one frame number; give one mask per frame."
            )
        numbers[int(digits[-1])] = mask
    return masks


def check_run_regions(
    loaded: RunRegions, plan: OutputPlan, config: StyleTransferConfig, request
) -> None:
    """The planned inputs take the regions' masks: every photo of a folder (the
    first's canvas with ``sizing="common"``), a video's frames, and a mask folder's
    count. Under the output folder's lock, before anything is stylised.

    Raises:
        RunRefused: see :func:`check_photos_fit` and :func:`check_frame_masks`.
    """
    photos = [item.path for item in plan.inputs if item.sha256 is not None]
    video = request.video is not None
    common = not video and request.many.sizing == "common"
    check_photos_fit(loaded, photos, config.max_dim, common=common)
    if video and any(masks is not None for masks in loaded.per_frame):
        size = resized_size(photos[0], config.max_dim) if photos else None
        check_frame_masks(loaded, [item.path for item in plan.inputs], size)
    for masks in loaded.per_frame:
        if masks is not None and same_file(masks[0].parent, plan.folder):
            raise RunRefused(
                f"{plan.folder}: holds a region's masks, one per frame; the frames "
                "written there would be taken for masks. Choose another --output."
            )


def check_photos_fit(
    loaded: RunRegions, photos: Sequence[Path], max_dim: int, *, common: bool
) -> None:
    """Every photo takes the regions' masks, checked from the files' headers before
    anything is made (a file that cannot be read fails alone later).

    Args:
        loaded: the run's regions.
        photos: the readable inputs, in order.
        max_dim: the size they are read at.
        common: ``sizing="common"``: every photo is fitted into the first's canvas,
            so only that shape must take the masks.

    Raises:
        RunRefused: naming the first photo that does not fit, and why.
    """
    if not loaded.regions:
        return
    for photo in photos[:1] if common else photos:
        size = resized_size(photo, max_dim)
        if size is None:
            continue
        for number, region in enumerate(loaded.regions, start=1):
            try:
                check_mask_fits(region.mask, size, f"region {number}'s mask")
            except ValueError as error:
                raise RunRefused(
                    f"{photo}: {error} Every image of the run shares the masks: "
                    "stylise this one alone, or with masks of its own."
                ) from None


def check_frame_masks(
    loaded: RunRegions, frames: Sequence[Path], size: tuple[int, int] | None
) -> None:
    """A video's mask folders: one mask per frame, each selecting something and of
    the frames' shape.

    Raises:
        RunRefused: another count of masks than of frames, or a mask refused.
    """
    for number, masks in enumerate(loaded.per_frame, start=1):
        if masks is None:
            continue
        if len(masks) != len(frames):
            raise RunRefused(
                f"region {number}'s mask folder {masks[0].parent} holds {len(masks)} "
                f"masks for {len(frames)} frames; give one mask per frame."
            )
        for mask_path in masks:
            try:
                mask = frame_mask([mask_path], 1)
                if size is not None:
                    check_mask_fits(mask, size, f"{mask_path}", "frame")
            except ValueError as error:
                raise RunRefused(str(error)) from None


__all__ = [
    "RunRegions",
    "as_region_files",
    "check_frame_masks",
    "check_photos_fit",
    "check_run_regions",
    "load_regions",
    "region_reads",
]
