"""Video: flow on clips with known motion, Ruder et al.'s temporal term, the warping
error, video files, and the frames mode's three ``--temporal`` modes."""

from __future__ import annotations

import json

import numpy as np
import PIL.Image
import pytest
import tensorflow as tf

from tf_style import train
from tf_style.losses import TemporalTarget, temporal_loss
from tf_style.video.clips import CLIP_KINDS, make_clip
from tf_style.video.files import read_video, write_video
from tf_style.video.flow import flow_from, reliability, warp
from tf_style.video.measures import PairFlow, warping_error, warping_report
from tf_style.video.temporal import FlowCache, long_term_weights, warped_start

pytest.importorskip("cv2")


def inside(flow: np.ndarray, border: int = 6) -> np.ndarray:
    """Known (finite) flow away from the frame's edges, where DIS extrapolates."""
    known = np.isfinite(flow[..., 0])
    known[:border], known[-border:], known[:, :border], known[:, -border:] = (
        False,
        False,
        False,
        False,
    )
    return known


@pytest.mark.parametrize("kind", CLIP_KINDS)
def test_dis_flow_recovers_the_known_motion_of_each_clip(kind):
    clip = make_clip(kind, 3, (96, 128), speed=2.0, seed=3)
    for t in (1, 2):
        estimate = flow_from(clip.frames[t], clip.frames[t - 1])
        known = inside(clip.flows[t - 1])
        error = np.linalg.norm(estimate - clip.flows[t - 1], axis=-1)[known]
        assert np.median(error) < 0.25, kind  # pixels; the motion is 2.2 px


def test_warping_the_earlier_frame_by_the_true_flow_gives_the_current_one():
    clip = make_clip("pan", 2, (48, 64), speed=3.0)
    warped = warp(clip.frames[0], clip.flows[0])
    known = inside(clip.flows[0])
    assert np.abs(warped - clip.frames[1])[known].mean() < 0.01
    unwarped = np.abs(clip.frames[0] - clip.frames[1])[known].mean()
    assert unwarped > 0.03  # so the check above means something


def test_reliability_drops_what_the_object_uncovers_and_keeps_the_background():
    clip = make_clip("occluder", 3, (96, 128), speed=2.0, seed=1)
    pair = PairFlow.between(clip.frames[1], clip.frames[2])
    hidden = ~np.isfinite(clip.flows[1][..., 0])
    assert hidden.any()
    assert pair.mask[hidden].mean() < 0.5
    assert pair.mask[inside(clip.flows[1])].mean() > 0.85


def test_reliability_of_a_consistent_flow_is_one_and_of_a_contradiction_zero():
    shift = np.zeros((20, 30, 2), np.float32)
    shift[..., 0] = 1.0
    trusted = reliability(shift, -shift)
    assert trusted[:, 2:-2].min() == 1.0  # the last column leaves the frame
    assert reliability(shift * 3, shift * 3)[:, 4:-4].max() == 0.0


def test_the_warping_error_rewards_motion_that_follows_the_scene_not_a_frozen_picture():
    clip = make_clip("pan", 3, (96, 128), speed=2.0)
    pairs = [
        PairFlow.between(a, b)
        for a, b in zip(clip.frames[:-1], clip.frames[1:], strict=True)
    ]
    frozen = [clip.frames[0]] * 3  # what an unwarped difference scores best
    moving = warping_report(clip.frames, clip.frames, pairs)
    still = warping_report(clip.frames, frozen, pairs)
    assert moving["output_mean"] < 0.002
    assert still["output_mean"] > 10 * moving["output_mean"]
    assert moving["input_mean"] == moving["output_mean"]  # outputs are the inputs


def test_warping_error_by_hand():
    current = np.zeros((4, 5, 3), np.float32)
    earlier = np.full((4, 5, 3), 0.5, np.float32)
    zero = np.zeros((4, 5, 2), np.float32)
    mask = np.zeros((4, 5), np.float32)
    mask[0, 0] = 1.0
    assert warping_error(current, earlier, PairFlow(zero, zero, mask)) == 0.25
    assert np.isnan(warping_error(current, earlier, PairFlow(zero, zero, 0 * mask)))


def test_long_term_weights_give_each_pixel_to_the_nearest_frame_that_saw_it():
    near = np.array([1.0, 0.0, 0.0, 1.0])
    far = np.array([1.0, 1.0, 0.0, 0.0])
    farther = np.array([1.0, 1.0, 1.0, 0.0])
    weights = long_term_weights([near, far, farther])
    np.testing.assert_array_equal(weights[0], near)
    np.testing.assert_array_equal(weights[1], [0.0, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(weights[2], [0.0, 0.0, 1.0, 0.0])


def test_temporal_loss_and_its_gradient_by_hand(rng):
    image = tf.constant(rng.uniform(size=(1, 6, 7, 3)), tf.float32)
    target = tf.constant(rng.uniform(size=(1, 6, 7, 3)), tf.float32)
    weights = tf.constant(rng.uniform(size=(1, 6, 7, 1)), tf.float32)
    targets = [TemporalTarget(target, weights)]
    with tf.GradientTape() as tape:
        tape.watch(image)
        value = temporal_loss(image, targets, 5.0)
    expected = 5.0 * np.mean(weights.numpy() * (image.numpy() - target.numpy()) ** 2)
    assert float(value) == pytest.approx(expected, rel=1e-5)
    by_hand = 5.0 * 2 * weights * (image - target) / image.numpy().size
    np.testing.assert_allclose(tape.gradient(value, image), by_hand, rtol=1e-5)


def test_warped_start_takes_the_content_where_the_flow_is_not_trusted():
    previous = np.full((4, 4, 3), 0.8, np.float32)
    content = np.full((4, 4, 3), 0.2, np.float32)
    mask = np.ones((4, 4), np.float32)
    mask[0] = 0.0
    zero = np.zeros((4, 4, 2), np.float32)
    start = warped_start(previous, PairFlow(zero, zero, mask), content)
    assert np.allclose(start[0], 0.2) and np.allclose(start[1:], 0.8)


def test_flows_are_cached_and_recomputed_only_for_other_pixels(tmp_path):
    clip = make_clip("pan", 3, (32, 40))
    cache = FlowCache(tmp_path)
    first = cache.pair(clip.frames[0], clip.frames[1], key="a__b")
    again = FlowCache(tmp_path).pair(clip.frames[0], clip.frames[1], key="a__b")
    np.testing.assert_array_equal(first.backward, again.backward)
    other = FlowCache(tmp_path)
    other.pair(clip.frames[1], clip.frames[2], key="a__b")  # same name, new pixels
    assert other.computed == 1 and cache.computed == 1


def test_a_video_file_round_trips_with_its_frame_rate(tmp_path):
    clip = make_clip("zoom", 4, (30, 40))
    paths = []
    for number, frame in enumerate(clip.frames):
        paths.append(tmp_path / f"{number}.png")
        PIL.Image.fromarray(np.uint8(np.rint(frame * 255))).save(paths[-1])
    write_video(paths, tmp_path / "clip.mp4", 12.5)
    frames, fps = read_video(tmp_path / "clip.mp4")
    assert (len(frames), fps, frames[0].shape) == (4, 12.5, (30, 40, 3))
    assert np.abs(frames[2] / 255.0 - clip.frames[2]).mean() < 0.03  # H.264 loss


TINY = ["--epochs", "1", "--quiet", "--seed", "0"]


@pytest.fixture
def shared_extractor(monkeypatch, real_extractor):
    monkeypatch.setattr(
        "tf_style.batch.prepare.extractor_for",
        lambda config, **_: real_extractor,
    )


def write_frames(folder, kind="occluder", frames=5, size=(72, 96), seed=5):
    clip = make_clip(kind, frames, size, speed=2.0, seed=seed)
    folder.mkdir(parents=True, exist_ok=True)
    for number, frame in enumerate(clip.frames):
        pixels = np.uint8(np.rint(frame * 255))
        PIL.Image.fromarray(pixels).save(folder / f"frame_{number:03d}.png")
    return folder


def run_frames(frames, output, *options, max_dim=48):
    """The frames command on ``frames`` (a folder or a video). ``max_dim``: the
    clip's width, as a larger one would upsample its frames."""
    arguments = ["--frames", str(frames), "--output", str(output), *TINY, *options]
    assert train.main([*arguments, "--max-dim", str(max_dim)]) == 0
    return json.loads((output / "frames.json").read_text())


@pytest.mark.slow
def test_the_flow_mode_is_steadier_than_independent_frames_and_needs_its_term(
    tmp_path, shared_extractor
):
    """Fails if the warping or the temporal term is disconnected.

    3 frames of 48 x 64 px: the flow run's warping error was 0.26 of the
    independent run's and 0.73 of the unheld run's (4 frames, 1.4 times as long:
    0.20 and 0.74; 5 frames of 72 x 96 px: 0.12 and 0.68)."""
    frames = write_frames(tmp_path / "clip", frames=3, size=(48, 64))
    steps = ["--steps-per-epoch", "15"]
    independent = run_frames(
        frames, tmp_path / "i", "--temporal", "independent", *steps, max_dim=64
    )
    flow = run_frames(frames, tmp_path / "f", *steps, max_dim=64)
    unheld = run_frames(
        frames, tmp_path / "u", "--temporal-weight", "0", *steps, max_dim=64
    )
    errors = [r["warping"]["output_mean"] for r in (independent, flow, unheld)]
    assert errors[1] < 0.5 * errors[0]  # warped start and term: steadier
    assert errors[1] < errors[2]  # the term itself holds the frames together
    assert "temporal" in flow["frames"][1]["losses"]
    assert "temporal" not in independent["frames"][1]["losses"]


@pytest.mark.slow
def test_frames_resume_without_recomputing_frames_or_flows(tmp_path, shared_extractor):
    frames = write_frames(tmp_path / "clip", frames=3, size=(40, 48))
    options = ["--steps-per-epoch", "2", "--long-term", "2"]
    first = run_frames(frames, tmp_path / "o", *options)
    assert first["flows_computed"] == 3  # (0, 1), (0, 2), (1, 2)
    again = run_frames(frames, tmp_path / "o", *options)
    assert again["flows_computed"] == 0 and again["seconds_per_frame"] is None
    assert again["warping"] == first["warping"]


@pytest.mark.slow
def test_a_video_file_in_gives_frames_and_a_video_out_at_its_rate(
    tmp_path, shared_extractor
):
    frames = write_frames(tmp_path / "clip", frames=3, size=(40, 48))
    write_video(sorted(frames.iterdir()), tmp_path / "clip.mp4", 8.0)
    output = tmp_path / "out"
    lbfgs = ["--optimizer", "lbfgs", "--steps-per-epoch", "2"]
    report = run_frames(tmp_path / "clip.mp4", output, *lbfgs)
    assert len(report["frames"]) == 3
    pictures, fps = read_video(output / "video.mp4")
    assert (len(pictures), fps) == (3, 8.0)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--temporal", "flow"], "needs --frames"),
        (["--fps", "12"], "needs --frames"),
        (["--frames", "{clip}", "--temporal", "previous", "--long-term", "2"], "none"),
        (["--frames", "{clip}", "--long-term", "0"], "at least 1"),
        (["--frames", "{clip}", "--temporal-weight", "-1"], "zero or positive"),
        (["--frames", "{clip}", "--fps", "0"], "above 0"),
        (["--frames", "{missing}.mp4"], "no such video"),
    ],
)
def test_video_options_where_they_mean_nothing_are_refused(
    tmp_path, capsys, options, message
):
    clip = write_frames(tmp_path / "clip", frames=2, size=(40, 48))
    options = [o.format(clip=clip, missing=tmp_path / "nothing") for o in options]
    arguments = [*options, "--output", str(tmp_path / "out"), *TINY]
    assert train.main(arguments) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("header", "size"),
    [
        (
            "  Stream #0:0: Video: h264, yuv420p, 1920x1080, 30 fps, 30 tbr",
            (1920, 1080),
        ),
        (
            "  Stream #0:0: Video: h264, yuv420p, 1920x1080, 29.97 fps\n"
            "      displaymatrix: rotation of -90.00 degrees",
            (1080, 1920),
        ),
        ("  Stream #0:0: Video: h264, 640x360, 25 tbr\n    rotate : 180", (640, 360)),
    ],
)
def test_a_portrait_phone_video_is_read_upright(monkeypatch, header, size):
    """ffmpeg turns a video stored sideways upright: the frames are H x W."""
    from subprocess import CompletedProcess

    from tf_style.video import header as video_headers

    monkeypatch.setattr(
        video_headers.subprocess,
        "run",
        lambda *a, **k: CompletedProcess(a, 1, "", header),
    )
    (width_height, fps) = video_headers.video_header("ffmpeg", "clip.mp4")
    assert width_height == size
    assert fps in (30.0, 29.97, 25.0)


def test_under_luminance_transfer_the_temporal_targets_are_grey_like_the_content(
    rng,
):
    """The run optimises a grey image then: a colour target would pull it off."""
    import dataclasses

    from tf_style.config import StyleTransferConfig
    from tf_style.controls import prepare

    content = tf.constant(rng.uniform(size=(1, 20, 24, 3)), tf.float32)
    style = tf.constant(rng.uniform(size=(1, 16, 16, 3)), tf.float32)
    target = TemporalTarget(
        tf.constant(rng.uniform(size=(1, 10, 12, 3)), tf.float32),  # another size
        tf.ones([1, 10, 12, 1]),
    )
    config = dataclasses.replace(StyleTransferConfig(), preserve_color="luminance")
    prepared = prepare(content, [style], config, temporal=[target])
    (grey,) = prepared.temporal
    assert grey.image.shape == (1, 20, 24, 3) and grey.weights.shape == (1, 20, 24, 1)
    np.testing.assert_allclose(grey.image[..., 0], grey.image[..., 2], atol=1e-6)
    np.testing.assert_allclose(
        prepared.content[..., 0], prepared.content[..., 1], atol=1e-6
    )
    (kept,) = prepare(
        content, [style], StyleTransferConfig(), temporal=[target]
    ).temporal
    assert np.abs(kept.image[..., 0] - kept.image[..., 2]).max() > 0.1  # colour kept
