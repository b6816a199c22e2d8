"""Video files: a video is decoded whole or refused in one line that says why, and
nothing is left behind either way; the caches (a decode's ``video.json``, the
flows) recompute whatever is damaged; a written video appears whole or not at all.

The videos are made here with imageio-ffmpeg's own ffmpeg: tiny, a few frames.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import signal
import subprocess
from pathlib import Path

import numpy as np
import PIL.Image
import pytest

from tf_style.video import files, frame_folder, writer
from tf_style.video import header as video_headers
from tf_style.video.clips import make_clip
from tf_style.video.files import (
    INPUT_FRAMES,
    VideoError,
    extract_frames,
    probe_video,
    read_video,
    write_video,
)
from tf_style.video.temporal import FlowCache, FlowCacheError

imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg(*arguments) -> None:
    command = [FFMPEG, "-nostdin", "-hide_banner", "-v", "error", "-y"]
    subprocess.run([*command, *map(str, arguments)], check=True)


def make_video(path, *options, size=(48, 32), frames=5, fps=8):
    source = f"testsrc=size={size[0]}x{size[1]}:rate={fps}"
    ffmpeg("-f", "lavfi", "-i", source, "-frames:v", frames, *options, path)
    return Path(path)


def cut(video: Path, name: str) -> Path:
    """The first half of ``video``'s bytes."""
    data = video.read_bytes()
    (half := video.with_name(name)).write_bytes(data[: len(data) // 2])
    return half


def left_in(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


@pytest.fixture
def deadline():
    """A blocking open (a FIFO read as a file) fails the test instead of hanging."""

    def expire(*_):
        raise TimeoutError("blocked: a special file was opened as a cache file")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def no_streams(path):
    make_video(path, frames=0)


def audio_only(path):
    ffmpeg("-f", "lavfi", "-i", "sine=duration=0.5", path)


def truncated_index(path):
    whole = make_video(path.with_name("whole.mp4"), "-pix_fmt", "yuv420p", frames=20)
    cut(whole, path.name)
    whole.unlink()


def eight_pixels(path):
    make_video(path, "-pix_fmt", "yuv420p", size=(8, 8))


def empty(path):
    path.write_bytes(b"")


def random_bytes(path):
    path.write_bytes(np.random.default_rng(0).bytes(3000))


REFUSED = {
    "no streams": (no_streams, "no streams"),
    "audio only": (audio_only, "no video stream"),
    "truncated index": (truncated_index, "truncated"),
    "8 x 8": (eight_pixels, "8x8 px; at least 32 px"),
    "empty": (empty, "empty"),
    "not a video": (random_bytes, "not a"),
}


@pytest.mark.parametrize("kind", REFUSED)
def test_a_refused_video_says_why_and_leaves_nothing_behind(tmp_path, kind):
    make, reason = REFUSED[kind]
    video = tmp_path / "clip.mp4"
    make(video)
    with pytest.raises(VideoError) as refused:
        extract_frames(video, tmp_path / "out" / "run" / INPUT_FRAMES)
    message = str(refused.value)
    assert reason in message and str(video) in message
    assert "output file" not in message and "\n" not in message
    assert left_in(tmp_path) == ["clip.mp4"]  # no folder, parent or hidden decode
    with pytest.raises(VideoError, match=reason):
        probe_video(video)


@pytest.mark.parametrize(
    "failure", [KeyboardInterrupt, OSError(errno.ENOSPC, "No space left on device")]
)
def test_an_interrupted_or_failed_decode_leaves_nothing_behind(
    tmp_path, monkeypatch, failure
):
    video = make_video(tmp_path / "clip.mp4", frames=6)
    saved = []

    def fail_on_the_third(path, png):
        saved.append(path)
        if len(saved) == 3:
            raise failure
        path.write_bytes(png)

    monkeypatch.setattr(frame_folder, "_save_frame", fail_on_the_third)
    expected = KeyboardInterrupt if failure is KeyboardInterrupt else VideoError
    with pytest.raises(expected) as raised:
        extract_frames(video, tmp_path / "out" / INPUT_FRAMES)
    assert expected is KeyboardInterrupt or "No space left" in str(raised.value)
    assert len(saved) == 3 and left_in(tmp_path) == ["clip.mp4"]


def test_a_video_is_decoded_whole_into_its_folder_with_its_record(
    tmp_path, monkeypatch
):
    video = make_video(tmp_path / "clip.mp4", "-pix_fmt", "yuv420p")
    folder = tmp_path / "out" / INPUT_FRAMES
    frames, fps = extract_frames(video, folder)
    assert [f.name for f in frames] == [f"frame_{n:05d}.png" for n in range(1, 6)]
    with PIL.Image.open(frames[2]) as image:
        assert (fps, image.size) == (8.0, (48, 32))
        decoded = np.asarray(image.convert("RGB"))
    assert left_in(tmp_path / "out") == [INPUT_FRAMES]  # no hidden folder left
    record = json.loads((folder / "video.json").read_text())
    assert record["fps"] == 8.0 and record["frames"] == [f.name for f in frames]
    np.testing.assert_array_equal(decoded, read_video(video)[0][2])

    def no_decoding(*_, **__):
        raise AssertionError("decoded again")

    monkeypatch.setattr(frame_folder, "decoded_frames", no_decoding)
    assert extract_frames(video, folder) == (frames, 8.0)  # read from the record


def test_a_decode_replaces_an_earlier_one_but_not_files_it_did_not_write(tmp_path):
    folder = tmp_path / "out" / INPUT_FRAMES
    first = make_video(tmp_path / "first.mp4", frames=7)
    assert len(extract_frames(first, folder)[0]) == 7
    second = make_video(tmp_path / "second.mp4", frames=4, fps=5)
    frames, fps = extract_frames(second, folder)
    assert (len(frames), fps) == (4, 5.0)
    assert left_in(folder) == [*(f.name for f in frames), "video.json"]
    assert left_in(tmp_path / "out") == [INPUT_FRAMES]
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(VideoError, match="move them"):
        extract_frames(first, folder)
    assert (folder / "notes.txt").read_text() == "mine"
    assert left_in(tmp_path / "out") == [INPUT_FRAMES]


@pytest.mark.parametrize(
    ("suffix", "options"),
    [(".mkv", ["-c:v", "mjpeg"]), (".mp4", ["-movflags", "+faststart"])],
)
def test_a_video_cut_short_is_refused_naming_frames_decoded_and_promised(
    tmp_path, suffix, options
):
    whole = make_video(tmp_path / f"whole{suffix}", *options, frames=40)
    assert len(extract_frames(whole, tmp_path / "whole")[0]) == 40
    truncated = cut(whole, f"cut{suffix}")
    with pytest.raises(VideoError, match=r"cut short: \d+ of the 40 frames") as cut_:
        extract_frames(truncated, tmp_path / "out" / INPUT_FRAMES)
    assert "\n" not in str(cut_.value)
    assert not (tmp_path / "out").exists()


def test_a_video_damaged_mid_stream_is_refused(tmp_path):
    video = make_video(tmp_path / "clip.mkv", "-c:v", "mjpeg", frames=40)
    data = bytearray(video.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4000] = np.random.default_rng(1).bytes(4000)
    video.write_bytes(bytes(data))
    with pytest.raises(VideoError, match="cannot decode the whole video"):
        extract_frames(video, tmp_path / "out" / INPUT_FRAMES)
    assert left_in(tmp_path) == ["clip.mkv"]


def test_an_audio_track_longer_than_the_video_is_no_truncation(tmp_path):
    video = make_video(tmp_path / "video.mp4", "-pix_fmt", "yuv420p")
    ffmpeg("-f", "lavfi", "-i", "sine=duration=3", tmp_path / "sound.m4a")
    both = tmp_path / "both.mp4"
    ffmpeg("-i", video, "-i", tmp_path / "sound.m4a", "-map", "0", "-map", "1",
           "-c", "copy", both)  # fmt: skip
    frames, fps = extract_frames(both, tmp_path / "out")
    assert (len(frames), fps) == (5, 8.0)


@pytest.mark.parametrize(
    ("header", "promised"),
    [
        ("  Duration: 00:00:01.00, start: 0.000000\n  Stream #0:0: Video: h264, "
         "48x32, 25 fps, 25 tbr", (25, 2)),
        ("  Duration: 00:00:03.00\n  Stream #0:0: Video: h264, 48x32, 25 fps\n"
         "  Stream #0:1: Audio: aac, 44100 Hz", (None, 2)),
        ("  Duration: 00:00:03.02\n  Stream #0:0: Video: h264, 48x32, 8 fps\n"
         "      DURATION        : 00:00:00.625000000\n  Stream #0:1: Audio: aac",
         (5, 2)),
        ("  Duration: 00:00:00.01\n  Stream #0:0: Video: h264, 48x32, 1k fps", (10, 7)),
        ("  Duration: N/A\n  Stream #0:0: Video: h264, 48x32, 25 fps", (None, 2)),
    ],
)  # fmt: skip
def test_the_promised_frame_count_comes_from_the_video_streams_duration(
    header, promised
):
    parsed = video_headers._header(Path("clip.mp4"), header)
    assert (parsed.frames, parsed.slack) == promised


@pytest.mark.parametrize(
    ("rates", "fps"),
    [
        ("29.97 fps, 29.97 tbr", 29.97),
        ("1k fps, 1k tbr", 1000.0),
        ("90k tbr", 90000.0),
        ("25 tbr", 25.0),
        ("30 fps, 60 tbr", 30.0),
        ("0.0500 fps, 0.05 tbr", 0.05),
        ("", files.DEFAULT_FPS),
    ],
)
def test_the_frame_rate_is_read_in_each_form_ffmpeg_prints(rates, fps):
    line = "  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), "
    line += f"yuv420p(progressive), 48x32 [SAR 1:1 DAR 3:2], {rates}, 16k tbn"
    assert video_headers._header(Path("clip.mp4"), line).fps == fps


def test_a_1000_fps_video_keeps_its_rate(tmp_path):
    video = make_video(tmp_path / "fast.mp4", "-pix_fmt", "yuv420p", fps=1000)
    folder = tmp_path / "out" / INPUT_FRAMES
    frames, fps = extract_frames(video, folder)
    assert (len(frames), fps) == (5, 1000.0)
    assert json.loads((folder / "video.json").read_text())["fps"] == 1000.0


def test_a_video_whose_frame_size_changes_is_refused(tmp_path):
    parts = []
    for size in ((48, 32), (64, 48)):  # MPEG-TS segments join byte by byte
        parts.append(make_video(tmp_path / f"{size[0]}.ts", "-pix_fmt", "yuv420p",
                                size=size, frames=4))  # fmt: skip
    video = tmp_path / "joined.ts"
    video.write_bytes(b"".join(part.read_bytes() for part in parts))
    message = r"frame size changes mid-stream .frame \d is 64x48 px, the first 48x32"
    with pytest.raises(VideoError, match=message):
        extract_frames(video, tmp_path / "out" / INPUT_FRAMES)
    assert not (tmp_path / "out").exists()
    with pytest.raises(VideoError, match="size changes"):
        read_video(video)


def test_probe_video_gives_size_rate_and_promised_frames(tmp_path, deadline):
    video = make_video(tmp_path / "clip.mp4", "-pix_fmt", "yuv420p", frames=12)
    header = probe_video(video)
    assert (header.size, header.fps, header.frames) == ((48, 32), 8.0, 12)
    assert left_in(tmp_path) == ["clip.mp4"]
    os.mkfifo(tmp_path / "pipe.mp4")  # ffmpeg would wait on it forever
    with pytest.raises(VideoError, match="not a video file"):
        probe_video(tmp_path / "pipe.mp4")
    with pytest.raises(VideoError, match="no such video"):
        extract_frames(tmp_path / "missing.mp4", tmp_path / "out")


def record_as(change):
    def damage(record: Path) -> None:
        record.write_text(json.dumps(change(json.loads(record.read_text()))))

    return damage


def replace_with(make):
    def damage(record: Path) -> None:
        record.unlink()
        make(record)

    return damage


DAMAGED_RECORDS = {
    "not JSON": lambda record: record.write_text("{"),
    "a list": lambda record: record.write_text("[]"),
    "rate a string": record_as(lambda r: r | {"fps": "8"}),
    "rate NaN": record_as(lambda r: r | {"fps": float("nan")}),
    "rate a boolean": record_as(lambda r: r | {"fps": True}),
    "rate negative": record_as(lambda r: r | {"fps": -8.0}),
    "frames a mapping": record_as(lambda r: r | {"frames": {"a": 1}}),
    "no frames": record_as(lambda r: r | {"frames": []}),
    "a frame outside the folder": record_as(lambda r: r | {"frames": ["../../x.mp4"]}),
    "size a string": record_as(lambda r: r | {"bytes": str(r["bytes"])}),
    "oversized": lambda record: record.write_text(
        record.read_text() + " " * (files.RECORD_LIMIT + 1)
    ),
    "a FIFO": replace_with(os.mkfifo),
    "a folder": replace_with(Path.mkdir),
}


@pytest.mark.parametrize("damage", DAMAGED_RECORDS)
def test_a_damaged_record_means_decoding_again(tmp_path, deadline, damage):
    video = make_video(tmp_path / "x.mp4", "-pix_fmt", "yuv420p")
    folder = tmp_path / "out" / INPUT_FRAMES
    expected = extract_frames(video, folder)
    DAMAGED_RECORDS[damage](folder / "video.json")
    assert extract_frames(video, folder) == expected
    record = json.loads((folder / "video.json").read_text())  # written anew
    assert type(record["fps"]) is float and record["fps"] == 8.0
    assert record["frames"] == [frame.name for frame in expected[0]]
    assert left_in(tmp_path / "out") == [INPUT_FRAMES]


def test_a_failed_video_write_leaves_no_partial_file(tmp_path, monkeypatch):
    frames = []
    for number in range(3):
        frames.append(tmp_path / f"{number}.png")
        PIL.Image.new("RGB", (40, 32), (number * 80, 0, 0)).save(frames[-1])
    out = tmp_path / "out"
    out.mkdir()
    calls = []
    even = writer._even

    def interrupted(pixels):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return even(pixels)

    monkeypatch.setattr(writer, "_even", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_video(frames, out / "video.mp4", 8.0)
    assert left_in(out) == []
    monkeypatch.undo()
    frames[1].unlink()
    with pytest.raises(FileNotFoundError):
        write_video(frames, out / "video.mp4", 8.0)
    assert left_in(out) == []
    with pytest.raises(ValueError, match="no frames"):
        write_video([], out / "video.mp4", 8.0)
    write_video([frames[0], frames[2]], out / "video.mp4", 8.0)
    assert left_in(out) == ["video.mp4"]


# Flow cache (tf_style.video.temporal.FlowCache)


@pytest.fixture
def clip():
    pytest.importorskip("cv2")  # the flow itself
    return make_clip("pan", 3, (32, 40))


def savez(**changes):
    def damage(path: Path, flow) -> None:
        arrays = {"digest": "x", "backward": flow.backward, "forward": flow.forward}
        arrays |= {"mask": flow.mask}
        with np.load(path.with_name("good.npz")) as good:
            arrays["digest"] = good["digest"]
        np.savez_compressed(path, **(arrays | changes))

    return damage


DAMAGED_FLOWS = {
    "cut short": lambda path, _: path.write_bytes(
        path.with_name("good.npz").read_bytes()[:300]
    ),
    "not a zip": lambda path, _: path.write_bytes(b"\x93NUMPY" + b"\0" * 100),
    "mistyped": savez(backward=np.zeros((32, 40, 2), np.int32)),
    "another shape": savez(forward=np.zeros((16, 40, 2), np.float32)),
    "not finite": savez(mask=np.full((32, 40), np.nan, np.float32)),
    "an extra array": savez(extra=np.zeros(3)),
    "oversized": lambda path, _: path.write_bytes(b"\0" * 2**22),
    "a FIFO": lambda path, _: os.mkfifo(path),
    "a folder": lambda path, _: path.mkdir(),
}


@pytest.mark.parametrize("damage", DAMAGED_FLOWS)
def test_a_damaged_cached_flow_is_computed_again(tmp_path, clip, deadline, damage):
    folder = tmp_path / "flows"
    first = FlowCache(folder).pair(clip.frames[0], clip.frames[1], key="a__b")
    (folder / "a__b.npz").rename(folder / "good.npz")
    DAMAGED_FLOWS[damage](folder / "a__b.npz", first)
    cache = FlowCache(folder)
    flow = cache.pair(clip.frames[0], clip.frames[1], key="a__b")
    assert cache.computed == 1
    np.testing.assert_array_equal(flow.backward, first.backward)
    np.testing.assert_array_equal(flow.mask, first.mask)
    if damage != "a folder":  # written anew, then read
        again = FlowCache(folder)
        again.pair(clip.frames[0], clip.frames[1], key="a__b")
        assert again.computed == 0


def test_a_file_where_the_flow_folder_belongs_is_refused_at_once(tmp_path):
    (tmp_path / "flows").write_text("mine")
    with pytest.raises(FlowCacheError, match="move it") as refused:
        FlowCache(tmp_path / "flows")
    assert str(tmp_path / "flows") in str(refused.value)
    assert isinstance(refused.value, ValueError)
    with pytest.raises(FlowCacheError):
        FlowCache(tmp_path / "flows" / "deeper")
    assert (tmp_path / "flows").read_text() == "mine"
    FlowCache(None)  # no folder, nothing to check


def test_a_failing_cache_write_leaves_nothing_and_the_run_goes_on(
    tmp_path, clip, monkeypatch, caplog, capsys
):
    def full_disk(file, **arrays):
        file.write(b"PK\3\4" * 1000)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez_compressed", full_disk)
    cache = FlowCache(tmp_path / "flows")
    with caplog.at_level(logging.WARNING):
        for t in (1, 2):
            cache.pair(clip.frames[t - 1], clip.frames[t], key=f"{t - 1}__{t}")
    assert cache.computed == 2
    assert left_in(tmp_path / "flows") == []  # no partial file
    assert "No space left" in cache.unwritable
    assert [r.levelno for r in caplog.records] == [logging.WARNING]  # once
    assert capsys.readouterr().out == ""
