"""The training command's many-image mode: a folder, a glob or ``--frames``.

Called by :mod:`tf_style.train` when ``--content`` names a folder or a glob and
``--output`` a folder, or ``--frames`` is given (``--output`` then defaults to
``outputs/<folder>_<style>/``). Each run records its settings in the folder's
``manifest.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
from pathlib import Path

from tf_style.batch.distribute import make_strategy
from tf_style.batch.frames import numbered_frames
from tf_style.batch.inputs import collect_inputs
from tf_style.batch.manifest import (
    MANIFEST,
    ManifestError,
    ManifestLocked,
    folder_lock,
    read_entries,
)
from tf_style.batch.plan import OutputPlanError, plan_outputs
from tf_style.choices import TEMPORAL_WEIGHT
from tf_style.commands.cli import (
    UsageError,
    check_style_count,
    config_from_args,
    input_image,
)
from tf_style.commands.folder import stylize_folder
from tf_style.commands.frames import VideoSettings, stylize_frames
from tf_style.commands.memory import check_step_memory, resized_size
from tf_style.config import INITS
from tf_style.images import SAVE_FORMATS, load_image
from tf_style.vgg.model import extractor_for
from tf_style.vgg.network import with_network
from tf_style.vgg.weights import WeightsNotFoundError
from tf_style.video.files import (
    DEFAULT_FPS,
    INPUT_FRAMES,
    VIDEO_SUFFIXES,
    VideoError,
    extract_frames,
    is_video,
)


def run_many(args: argparse.Namespace) -> int:
    """Stylise a folder, glob or frame sequence; returns the exit status."""
    config = config_from_args(args)
    styles = args.style or [input_image(None, "style")]
    check_style_count(config, len(styles))
    if args.frames is not None:
        check_video_tools()
    spec = args.frames or args.content
    frames_from_video = args.frames is not None and is_video(args.frames)
    if frames_from_video and not Path(args.frames).is_file():
        raise UsageError(f"{args.frames}: no such video file.")
    if args.frames is not None and not (frames_from_video or args.frames.is_dir()):
        raise UsageError(
            f"{args.frames}: --frames names a video file "
            f"({', '.join(VIDEO_SUFFIXES)}) or a folder of numbered frames."
        )
    name = Path(str(spec).split("*")[0].rstrip("/")).name or "images"
    if frames_from_video:
        name = Path(args.frames).stem
    output = args.output or Path("outputs") / f"{name}_{styles[0].stem}"
    if output.suffix.lower() in SAVE_FORMATS or output.is_file():
        raise UsageError(f"{output}: with many images --output names a folder.")
    refuse_single_image_options(args)
    inputs, fps = collect_many(args, spec, output)
    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, got {args.batch_size}.")
    video = VideoSettings(
        mode=args.temporal or "flow",
        temporal_weight=TEMPORAL_WEIGHT
        if args.temporal_weight is None
        else args.temporal_weight,
        long_term=args.long_term or 1,
        fps=args.fps or fps or DEFAULT_FPS,
    )
    strategy = None if args.frames else strategy_from(args.strategy)
    if strategy is not None and config.optimizer != "adam":
        raise UsageError(
            f"--strategy shares an Adam batch across {strategy.num_replicas_in_sync} "
            "replicas; L-BFGS optimises one image at a time. Use --optimizer adam "
            "or --strategy none."
        )
    if args.weights is not None and not args.weights.is_file():
        raise UsageError(f"{args.weights}: no such weights file.")
    init_file = None if config.init in INITS else Path(config.init)
    reads = [*styles, *(p for p in (init_file, args.weights) if p is not None)]
    try:
        plan = plan_outputs(inputs, output, spec=spec, reads=reads)
    except OutputPlanError as error:
        raise UsageError(str(error)) from None
    check_existing_manifest(output)
    if args.frames:
        check_one_frame_size(inputs, config.max_dim)
    check_step_memory(largest_size(inputs, config.max_dim), config)
    style_images = [load_image(s, config.max_dim) for s in styles]
    try:
        extractor = extractor_for(config, weights=args.weights)
    except WeightsNotFoundError as error:
        raise UsageError(str(error)) from None
    extractor = with_network(
        extractor, precision=config.mixed_precision, pooling=config.pooling
    )
    settings = {
        "config": dataclasses.asdict(config),
        "style": [str(s) for s in styles],
        # The contents, not only the names: a style replaced under the same name
        # must redo every output.
        "inputs_sha256": {str(p): file_sha256(p) for p in reads if p != args.weights},
        "sizing": args.sizing,
    }
    if args.frames:
        settings["temporal"] = video.record()
    names = {source: plan.name(source) for source in inputs}
    with contextlib.ExitStack() as held:
        try:
            output.mkdir(parents=True, exist_ok=True)
            held.enter_context(folder_lock(output))
        except ManifestLocked as error:
            raise UsageError(str(error)) from None
        except OSError as error:
            reason = error.strerror or error
            raise UsageError(f"{output}: cannot write there ({reason}).") from None
        if args.frames:
            return stylize_frames(
                inputs,
                style_images,
                output,
                config,
                extractor=extractor,
                settings=settings,
                quiet=args.quiet,
                names=names,
                video=video,
            )
        return stylize_folder(
            inputs,
            style_images,
            output,
            config,
            extractor=extractor,
            settings=settings,
            batch_size=args.batch_size,
            sizing=args.sizing,
            strategy=strategy,
            quiet=args.quiet,
            names=names,
        )


def refuse_single_image_options(args: argparse.Namespace) -> None:
    """What many images cannot honour is refused with the reason.

    Raises:
        UsageError: ``--mask``, ``--bit-depth`` or ``--save-every``.
    """
    if args.mask is not None:
        raise UsageError(
            "--mask is drawn for one photo; it cannot be honoured for many images."
        )
    if args.bit_depth is not None:
        raise UsageError(
            "--bit-depth sets one print's file; many images are written as 8-bit "
            "PNGs named after their inputs. Run the print alone with --output x.tif."
        )
    if args.save_every:
        raise UsageError(
            "--save-every animates one run; with many images use --frames for video."
        )


def collect_many(
    args: argparse.Namespace, spec: Path | str, output: Path
) -> tuple[list[Path], float | None]:
    """The inputs in order, and a video's frame rate (None for images): a video
    is decoded once into ``output/input_frames/``.

    Raises:
        UsageError: nothing to read, or a video ffmpeg cannot decode.
    """
    try:
        if args.frames is not None and is_video(args.frames):
            return extract_frames(args.frames, output / INPUT_FRAMES)
        inputs = numbered_frames(spec) if args.frames else collect_inputs(spec)
    except OSError as error:
        reason = error.strerror or error
        raise UsageError(f"{spec}: cannot list the images ({reason}).") from None
    except VideoError as error:
        raise UsageError(str(error)) from None
    if not inputs:
        raise UsageError(f"{spec}: no images found (looked for common suffixes).")
    return inputs, None


def check_video_tools() -> None:
    """The frames mode measures (and by default follows) the optical flow: OpenCV
    and imageio-ffmpeg must be installed (the ``video`` extra).

    Raises:
        UsageError: naming the install command.
    """
    import importlib.util

    missing = [m for m in ("cv2", "imageio_ffmpeg") if not importlib.util.find_spec(m)]
    if missing:
        raise UsageError(
            f"--frames needs {' and '.join(missing)}: pip install 'tf_style[video]' "
            "(opencv-python-headless, imageio, imageio-ffmpeg)."
        )


def check_existing_manifest(output: Path) -> None:
    """A manifest already in ``output`` is one tf_style wrote (else nothing runs).

    Raises:
        UsageError: it cannot be read or does not follow the schema.
    """
    path = output / MANIFEST
    if path.exists() or path.is_symlink():
        try:
            read_entries(path)
        except ManifestError as error:
            raise UsageError(str(error)) from None


def check_one_frame_size(frames: list[Path], max_dim: int) -> None:
    """Every frame has the first one's size once resized (else refused up front:
    each frame starts from the last, and the warping error compares them pixel by
    pixel).

    Raises:
        UsageError: naming the first frame that differs.
    """
    first = resized_size(frames[0], max_dim)
    for frame in frames[1:]:
        size = resized_size(frame, max_dim)
        if size is not None and first is not None and size != first:
            raise UsageError(
                f"{frame}: the frames differ in size ({size[1]}x{size[0]} px at "
                f"--max-dim {max_dim}, the first {first[1]}x{first[0]}); resize them "
                "to one size first."
            )


def largest_size(inputs: list[Path], max_dim: int) -> tuple[int, int] | None:
    """The largest (H, W) any input will have, from the headers (None: unknown)."""
    sizes = [s for s in (resized_size(p, max_dim) for p in inputs) if s is not None]
    return max(sizes, key=lambda size: size[0] * size[1], default=None)


def strategy_from(name: str):
    """The ``tf.distribute`` strategy, made before any other TensorFlow op: a
    multi-worker strategy's collective ops must be configured at program start.

    Raises:
        UsageError: an unknown name, or a ``TF_CONFIG`` that is not a cluster.
    """
    try:
        return make_strategy(name)
    except (ValueError, KeyError, TypeError) as error:
        raise UsageError(str(error)) from None


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in 1 MB pieces."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


__all__ = ["run_many"]
