"""Images in and out: files decoded safely (:mod:`.decode`, within :mod:`.limits`,
any mode made RGB by :mod:`.pillow_modes`), written exactly (:mod:`.saving`,
:mod:`.encode`), turned upright (:mod:`.orientation`), arrays checked
(:mod:`.arrays`), and the tensors the tutorial works on (:mod:`.tensors`);
:mod:`.bundled` names the pictures that ship with the package.

``from tf_style.images import load_image`` keeps working: names are looked up on
first use, so decoding a file's header before TensorFlow loads does not load it.
"""

from __future__ import annotations

import importlib
from typing import Any

_BUNDLED = ("BUNDLED", "bundled_folder", "bundled_image", "bundled_images")


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    module = "bundled" if name in _BUNDLED else "tensors"
    return getattr(importlib.import_module(f"tf_style.images.{module}"), name)
