"""Your own fast networks: train, resume and export a feed-forward style network.

``python -m tf_style.fit --style S --content PHOTOS --output MODEL_DIR`` (also
``tf-style-fit``) trains Johnson et al.'s per-style network or an AdaIN decoder with
the tutorial's loss (:meth:`tf_style.objective.StyleContentLoss.scored`), then
exports it for :func:`tf_style.fast.load_fast_model` and ``tf-style-compare``.

Modules: :mod:`~tf_style.fit.networks` (the architectures),
:mod:`~tf_style.fit.sources` (a run's photos, named once), :mod:`~tf_style.fit.data`
(tf.data over photo files), :mod:`~tf_style.fit.tfds` (TensorFlow Datasets splits),
:mod:`~tf_style.fit.config` (FitConfig), :mod:`~tf_style.fit.training` (the
trainer), :mod:`~tf_style.fit.run` (``fit()``), :mod:`~tf_style.fit.export`
(SavedModel and TensorFlow Lite).

The names below are imported on first use (PEP 562), as the package's are, so that
``python -m tf_style.fit`` can quiet TensorFlow's start-up before it loads.
"""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {
    "FitConfig": "tf_style.fit.config",
    "FitResult": "tf_style.fit.run",
    "fit": "tf_style.fit.run",
}


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'tf_style.fit' has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name]), name)


__all__ = ["FitConfig", "FitResult", "fit"]
