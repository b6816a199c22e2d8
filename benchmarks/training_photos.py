"""Training photos an offline machine can gather: scikit-image's, and Debian's.

A feed-forward network generalises from the photos it trains on; Johnson et al.
used COCO's 80,000. A machine with only the package registries has far fewer:

* scikit-image's bundled photos (13 once its drawings and the held-out
  ``chelsea``/``coffee`` are left out; several are textures or micrographs);
* with ``--debian``, photos from two Debian packages fetched with
  ``apt-get download`` (no root, nothing installed): ``opencv-doc``'s sample
  photos (fruit, a baboon, a squirrel, buildings, street scenes; OpenCV's
  sample data, see the package's copyright file) and
  ``plasma-workspace-wallpapers``' photographs (landscapes, leaves, a forest;
  each wallpaper's ``metadata.json`` names its author and licence). The lists
  below leave out their drawings, renders, calibration boards and the
  package's own copy of *The Starry Night*, the style under test.

Photos are written as PNG, shrunk so the shorter side is at most 512 px: the
training pipeline decodes every file for every crop, and a 5120-px wallpaper
would make decoding, not the network, the bottleneck. Nothing here is committed
or shipped; the README says which photos the figures used.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

MAX_SHORTER_SIDE = 512
SKIMAGE_NOT_PHOTOS = {"chelsea", "coffee", "horse", "logo", "phantom", "color"}
OPENCV_PHOTOS = (
    "aero1 aero3 aloeL apple baboon building butterfly ela_original fruits graf1 "
    "home left leuvenA licenseplate_motion messi5 orange rubberwhale1 smarties "
    "squirrel_cls stuff"
).split()
PLASMA_PHOTOS = (
    "BytheWater ColdRipple ColorfulCups DarkestHour EveningGlow FallenLeaf Grey "
    "Kite MilkyWay OneStandsOut Path summer_1am"
).split()
OPENCV_DATA = "usr/share/doc/opencv-doc/examples/data"
PLASMA_WALLPAPERS = "usr/share/wallpapers"


def save_photo(source: Path, destination: Path, min_side: int) -> bool:
    """``source`` as an RGB PNG at most :data:`MAX_SHORTER_SIDE` on its shorter
    side; False (nothing written) when it is smaller than ``min_side``."""
    from PIL import Image

    with Image.open(source) as opened:
        image = opened.convert("RGB")
    shorter = min(image.size)
    if shorter < min_side:
        return False
    if shorter > MAX_SHORTER_SIDE:
        scale = MAX_SHORTER_SIDE / shorter
        size = (round(image.width * scale), round(image.height * scale))
        image = image.resize(size, Image.Resampling.LANCZOS)
    image.save(destination)
    return True


def copy_skimage_photos(folder: Path, min_side: int) -> list[str]:
    """scikit-image's bundled photos (no drawings, not the held-out two)."""
    import skimage

    copied = []
    for path in sorted((Path(skimage.__file__).parent / "data").iterdir()):
        if path.suffix not in (".png", ".jpg") or path.stem in SKIMAGE_NOT_PHOTOS:
            continue
        if save_photo(path, folder / f"skimage_{path.stem}.png", min_side):
            copied.append(f"skimage/{path.name}")
    return copied


def extract_debian_package(name: str, workdir: Path) -> Path:
    """``apt-get download`` one package into ``workdir`` and unpack its files."""
    subprocess.run(
        ["apt-get", "download", name], cwd=workdir, check=True, capture_output=True
    )
    (package,) = workdir.glob(f"{name}_*.deb")
    tree = workdir / name
    subprocess.run(["dpkg-deb", "-x", str(package), str(tree)], check=True)
    return tree


def copy_debian_photos(folder: Path, min_side: int) -> list[str]:
    """The photos named in :data:`OPENCV_PHOTOS` and :data:`PLASMA_PHOTOS`."""
    copied = []
    with tempfile.TemporaryDirectory() as work:
        opencv = extract_debian_package("opencv-doc", Path(work)) / OPENCV_DATA
        for stem in OPENCV_PHOTOS:
            (path,) = opencv.glob(f"{stem}.*")
            if save_photo(path, folder / f"opencv_{stem}.png", min_side):
                copied.append(f"opencv-doc/{path.name}")
        plasma = extract_debian_package("plasma-workspace-wallpapers", Path(work))
        for name in PLASMA_PHOTOS:
            images = (plasma / PLASMA_WALLPAPERS / name / "contents" / "images").glob(
                "*"
            )
            # The smallest file that is still large enough: every size is the same
            # photo, and decoding a smaller one is quicker.
            for path in sorted(images, key=lambda p: p.stat().st_size):
                if save_photo(path, folder / f"plasma_{name}.png", min_side):
                    copied.append(f"plasma-workspace-wallpapers/{name}/{path.name}")
                    break
    return copied


def gather(folder: Path, *, debian: bool, min_side: int) -> list[str]:
    """Fill ``folder`` with training photos; returns where each came from."""
    if debian and not shutil.which("apt-get"):
        raise SystemExit("--debian needs apt-get (a Debian or Ubuntu machine).")
    folder.mkdir(parents=True, exist_ok=True)
    copied = copy_skimage_photos(folder, min_side)
    if debian:
        copied += copy_debian_photos(folder, min_side)
    return copied
