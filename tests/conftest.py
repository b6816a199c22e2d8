"""Shared fixtures: one tiny config, the real (offline) VGG19, and tiny images."""

from __future__ import annotations

import dataclasses
import functools
import gc
import importlib.util
import os
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, settings

from tf_style.config import StyleTransferConfig

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "tf_style" / "data"
SHARED = ROOT.parent / "shared"

TINY = StyleTransferConfig(max_dim=64, epochs=1, steps_per_epoch=5)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@pytest.fixture(autouse=True)
def signal_handlers_kept():
    """Every test leaves Ctrl-C's and SIGTERM's handlers as it found them.

    A command run in this process (``main(argv)``, as a notebook runs it) must give
    Python's handlers back; one left behind would swallow a user's next Ctrl-C, and
    here it would change what a later test on this worker sees. A test that leaves
    one fails, naming it, and the handlers are put back.
    """
    before = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    yield
    after = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    for number, handler in before.items():
        signal.signal(number, handler)
    left = {signal.Signals(n).name: h for n, h in after.items() if h is not before[n]}
    assert not left, f"the test left signal handlers behind: {left}"


@pytest.fixture(scope="module")
def gradio_garbage_collected():
    """The collector runs at the end of a studio module, under its warning filters.

    Gradio's servers and clients leave event loops and sockets for the collector
    to close, with a ResourceWarning each, which the studio modules ignore. Left to
    the collector's own time they were closed during a later module's test, where
    the suite's warnings-as-errors failed it (a tiles and a video test in one run).
    """
    yield
    gc.collect()


@pytest.fixture(scope="session")
def tiny_config() -> StyleTransferConfig:
    return TINY


@pytest.fixture(scope="session")
def real_vgg():
    """VGG19 with real ImageNet weights from an offline source.

    Skipped where none is installed, except in CI, where a missing install step must
    fail loudly rather than skip the tests that matter most.
    """
    from tf_style.vgg.weights import WeightsNotFoundError, load_vgg19

    try:
        return load_vgg19(download=False)
    except WeightsNotFoundError as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no offline VGG19 weights: {error}")


@pytest.fixture(scope="session")
def real_extractor(real_vgg):
    from tf_style.vgg.model import StyleContentModel

    return StyleContentModel(vgg=real_vgg)


@pytest.fixture(scope="session")
def random_vgg():
    from tf_style.vgg.weights import load_vgg19

    return load_vgg19(random_weights=True)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@functools.lru_cache(maxsize=8)
def bundled_pair(max_dim: int) -> tuple[tf.Tensor, tf.Tensor]:
    """The bundled content and style images at ``max_dim`` (decoded once per size)."""
    from tf_style.images import load_image

    return (
        load_image(ASSETS / "chelsea.png", max_dim),
        load_image(ASSETS / "starry_night.jpg", max_dim),
    )


def random_image(height: int, width: int, seed: int = 0) -> tf.Tensor:
    """float32 [1, H, W, 3] in [0, 1]."""
    generator = np.random.default_rng(seed)
    return tf.constant(generator.random((1, height, width, 3), dtype=np.float32))


# TensorFlow's logging settings a caller may have in the shell. A test of what a
# command prints must see the command's own defaults, not the caller's.
TENSORFLOW_LOGGING = (
    "TF_CPP_MIN_LOG_LEVEL",
    "TF_CPP_MIN_VLOG_LEVEL",
    "TF_CPP_MAX_VLOG_LEVEL",
    "TF_CPP_VMODULE",
    "TF_CPP_LOG_THREAD_ID",
    "TF_ENABLE_ONEDNN_OPTS",
)


def command_environment(**extra: str) -> dict[str, str]:
    """The environment for running a command as a user would, whatever the shell's
    TensorFlow logging variables: those removed, tf_style importable, ``extra`` set.
    """
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in TENSORFLOW_LOGGING
    }
    return environment | {"PYTHONPATH": str(ROOT)} | extra


def load_benchmark(name: str):
    """``benchmarks/NAME.py`` as a module: the scripts are not a package."""
    spec = importlib.util.spec_from_file_location(
        name, ROOT / "benchmarks" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def run_here(monkeypatch, capsys):
    """``tf-style-train ARGS`` in this process, in ``cwd``: ``main(argv)`` with its
    output captured, as a CompletedProcess, so a run here and a subprocess are
    checked the same way."""
    from tf_style import train

    def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        try:
            status = train.main(list(args))
        except SystemExit as stop:  # argparse's own errors
            status = stop.code
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, status, out, err)

    return run


def replace(config: StyleTransferConfig, **changes) -> StyleTransferConfig:
    return dataclasses.replace(config, **changes)


# More workers than this gain nothing: each starts TensorFlow and loads VGG19
# (about 2 GB), and the slowest tests run alone at the end.
MAX_WORKERS = 4


def pytest_xdist_auto_num_workers(config) -> int:
    """``-n auto`` (pyproject.toml): one worker per core, at most ``MAX_WORKERS``;
    measured on 2 cores, two workers took the suite from about 28 to 17 min."""
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def module_fixture_group(item) -> str | None:
    """The item's module when it uses a fixture built once per module there.

    Under ``--dist loadgroup`` (pyproject.toml) such tests go to one worker, so the
    fixture (a finished fit run, a built wheel, a studio server, a batch of refused
    commands in one process) is built once, not once on each worker that draws one
    of them; tests using none of them are shared out one by one as before. An
    autouse fixture (a switch such as eager execution) costs nothing to build twice
    and groups nothing.
    """
    fixtures = getattr(item, "_fixtureinfo", None)
    if fixtures is None:
        return None
    module = item.nodeid.split("::")[0]
    for definitions in fixtures.name2fixturedefs.values():
        for definition in definitions:
            if (
                definition.scope == "module"
                and definition.baseid == module
                and not getattr(definition, "_autouse", False)
            ):
                return module
    return None


def pytest_collection_modifyitems(config, items):
    """Tests sharing a module's fixture are grouped on one worker
    (:func:`module_fixture_group`); tests marked ``gpu`` are skipped, with the
    reason, where TensorFlow sees none."""
    for item in items:
        group = module_fixture_group(item)
        if group is not None and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(group))
    if not any(item.get_closest_marker("gpu") for item in items):
        return
    if tf.config.list_physical_devices("GPU"):
        return
    skip = pytest.mark.skip(reason="needs a GPU; TensorFlow sees none")
    for item in items:
        if item.get_closest_marker("gpu"):
            item.add_marker(skip)


# Property-based tests: bounded and quick by default (CI), long under -m fuzz.
# TF_STYLE_FUZZ_EXAMPLES sets how many examples each fuzz-marked test tries.
settings.register_profile(
    "ci",
    max_examples=60,
    deadline=5000,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci")
FUZZ_SETTINGS = settings(
    max_examples=int(os.environ.get("TF_STYLE_FUZZ_EXAMPLES", "20000")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
