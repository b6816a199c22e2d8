"""The package as users install it: a wheel carries the default images and runs."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

DEFAULT_IMAGES = ("tf_style/data/chelsea.png", "tf_style/data/starry_night.jpg")
TINY_RUN = ["--max-dim", "48", "--epochs", "1", "--steps-per-epoch", "2", "--quiet"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from this checkout, as ``pip wheel .`` builds it."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", "--wheel-dir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )  # fmt: skip
    (path,) = out.glob("tf_style-*.whl")
    return path


def test_the_wheel_contains_the_default_images(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for image in (*DEFAULT_IMAGES, "tf_style/data/SOURCES.md", "tf_style/py.typed"):
        assert image in names, image


def test_the_installed_wheel_runs_its_default_command_outside_the_clone(
    wheel, tmp_path
):
    """Only the wheel's files on the path (unpacked, as pip installs a pure wheel)."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "elsewhere"
    work.mkdir()
    environment = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run(
        [sys.executable, "-c", "import tf_style.commands.cli as c; print(c.__file__)"],
        cwd=work, env=environment, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert where.stdout.strip().startswith(str(site))  # not the checkout's copy
    done = subprocess.run(
        [sys.executable, "-m", "tf_style.train", *TINY_RUN],
        cwd=work, env=environment, capture_output=True, text=True, timeout=300,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (work / "outputs" / "chelsea_starry_night.png").is_file()


def test_the_console_script_runs_outside_the_clone(tmp_path):
    script = Path(sys.executable).with_name("tf-style-train")
    if not script.exists():
        pytest.skip("tf-style-train is not installed beside this Python")
    done = subprocess.run(
        [str(script), *TINY_RUN, "--output", "cat.png"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "cat.png").is_file()
