"""Every module imports (catches syntax errors and import cycles in seconds)."""

import importlib
import pkgutil
import subprocess
import sys

import pytest

import tf_style
from tests.conftest import command_environment

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(tf_style.__path__, prefix="tf_style.")
)


# Packages whose modules need an optional extra: skipped where it is not installed.
EXTRAS = {"tf_style.studio.": "gradio"}


@pytest.mark.parametrize("name", MODULES)
def test_module_imports(name):
    for package, requirement in EXTRAS.items():
        if name.startswith(package):
            pytest.importorskip(requirement)
    importlib.import_module(name)


def test_public_names_exist():
    for name in tf_style.__all__:
        assert hasattr(tf_style, name), name


LOAD_AN_IMAGE = (
    "import sys, tf_style; "
    "image = tf_style.load_image(tf_style.bundled_image('content'), 32); "
    "import tf_style.commands.one_image; "
    "print(tuple(image.shape), 'scipy.optimize' in sys.modules)"
)


def test_the_python_api_starts_tensorflow_without_its_log():
    """No CUDA probe, CPU feature notes or absl warning on stderr (on a machine
    without a GPU they are all noise), as in the commands."""
    done = subprocess.run(
        [sys.executable, "-c", LOAD_AN_IMAGE],
        capture_output=True,
        text=True,
        env=command_environment(),  # no TF_CPP_* of the caller's
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("(1, ")
    assert done.stderr == ""
    # scipy's optimiser (0.5 s of a start) is imported by the runs that use it only.
    assert done.stdout.split()[-1] == "False"


def test_a_users_tensorflow_log_level_is_kept():
    """``TF_CPP_MIN_LOG_LEVEL=0`` brings TensorFlow's log back (the README says so)."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import tf_style, os; print(os.environ['TF_CPP_MIN_LOG_LEVEL'])",
        ],
        capture_output=True,
        text=True,
        env=command_environment(TF_CPP_MIN_LOG_LEVEL="0"),
        timeout=60,
    )
    assert done.stdout.strip() == "0"  # the user's level is kept


def test_a_config_from_the_package_loads_no_tensorflow():
    """Only names that need TensorFlow load it (a notebook's first cell, a command's
    parser)."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, tf_style; tf_style.StyleTransferConfig(); "
            "print('tensorflow' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        env=command_environment(),
        timeout=60,
    )
    assert done.stdout.strip() == "False", done.stderr
