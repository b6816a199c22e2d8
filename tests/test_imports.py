"""Every module imports (catches syntax errors and import cycles in seconds)."""

import importlib
import pkgutil

import pytest

import tf_style

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(tf_style.__path__, prefix="tf_style.")
)


@pytest.mark.parametrize("name", MODULES)
def test_module_imports(name):
    importlib.import_module(name)


def test_public_names_exist():
    for name in tf_style.__all__:
        assert hasattr(tf_style, name), name
