"""Memory: what a run needs (:mod:`.estimate`), what the machine has free
(:mod:`.free`) and what this process holds (:mod:`.resident`).

``from tf_style.memory import estimate_run`` keeps working: names are looked up in
:mod:`.estimate` on first use, so importing :mod:`.free` before TensorFlow loads does
not load it.
"""

from __future__ import annotations

import importlib
from typing import Any


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(importlib.import_module("tf_style.memory.estimate"), name)
