"""Random folder trees through the folder command: the invariant users rely on.

Whatever a folder holds (good photos of odd sizes, corrupt files, dangling symlinks,
names that collide, odd characters, subfolders), a run must leave every input as it
was, stylise every good image exactly once, record the others as failed, keep the
manifest in agreement with the files, print no traceback, and on a rerun compute
nothing again.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import PIL.Image
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tf_style import train
from tf_style.optimize.adam import StyleTransfer

pytestmark = pytest.mark.slow

TINY = ["--max-dim", "40", "--epochs", "1", "--steps-per-epoch", "1", "--quiet"]
STEMS = ["a", "b", "photo 1", "été", "x" * 120]
SUFFIXES = {
    "good png": ".png",
    "good jpg": ".jpg",
    "corrupt": ".png",
    "empty": ".jpg",
    "dangling": ".png",
    "folder": ".png",
}
KINDS = list(SUFFIXES)


def make_entry(folder: Path, stem: str, kind: str, seed: int) -> bool:
    """Create one entry; True when it is a good image the run must stylise."""
    rng = np.random.default_rng(seed)
    if kind.startswith("good"):
        suffix = ".png" if kind.endswith("png") else ".jpg"
        size = (int(rng.integers(40, 64)), int(rng.integers(40, 64)), 3)
        pixels = rng.integers(0, 255, size, dtype=np.uint8)
        PIL.Image.fromarray(pixels).save(folder / f"{stem}{suffix}")
        return True
    if kind == "corrupt":
        (folder / f"{stem}.png").write_bytes(rng.bytes(64))
    elif kind == "empty":
        (folder / f"{stem}.jpg").write_bytes(b"")
    elif kind == "dangling":
        (folder / f"{stem}.png").symlink_to(folder / "missing" / "nothing.png")
    else:
        (folder / f"{stem}.png").mkdir()  # a folder named like an image
    return False


def snapshot(folder: Path) -> dict:
    return {
        p: (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
        if not p.is_symlink()
    }


entries = st.lists(
    st.tuples(st.sampled_from(STEMS), st.sampled_from(KINDS)),
    min_size=1,
    max_size=5,
    unique_by=lambda entry: entry,
)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(tree=entries, same_folder=st.booleans(), seed=st.integers(0, 1000))
def test_a_folder_run_never_loses_or_repeats_work(
    tmp_path_factory, monkeypatch, real_extractor, tree, same_folder, seed
):
    target = "tf_style.commands.many_images.extractor_for"
    monkeypatch.setattr(target, lambda config, **_: real_extractor)
    root = tmp_path_factory.mktemp("tree")
    photos = root / "photos"
    photos.mkdir()
    names = {}  # one entry per file name: the later of two is dropped
    for stem, kind in tree:
        names.setdefault(stem + SUFFIXES[kind], (stem, kind))
    good_count = sum(
        make_entry(photos, stem, kind, seed + number)
        for number, (stem, kind) in enumerate(names.values())
    )
    before = snapshot(photos)
    output = photos if same_folder else root / "out"
    arguments = ["--content", str(photos), "--output", str(output), *TINY]
    status = train.main(arguments)
    assert snapshot(photos) == before  # every input as it was
    if same_folder:
        assert status == 2  # refused: the outputs would replace the inputs
        return
    assert status == (0 if good_count else 2)
    if not (output / "manifest.json").exists():
        assert good_count == 0
        return
    record = json.loads((output / "manifest.json").read_text())
    done = [e for e in record["images"].values() if e["status"] == "done"]
    failed = [e for e in record["images"].values() if e["status"] == "failed"]
    assert len(done) == good_count
    assert len(done) + len(failed) == len(record["images"])
    for entry in done:  # the manifest agrees with the files
        assert Path(entry["output"]).is_file()
    assert len(list(output.glob("*.png"))) == good_count
    calls = []
    real_run = StyleTransfer.run
    monkeypatch.setattr(
        StyleTransfer,
        "run",
        lambda self, steps, recorder: (
            calls.append(1) or real_run(self, steps, recorder)
        ),
    )
    assert train.main(arguments) == (0 if good_count else 2)
    assert calls == []  # nothing computed twice
