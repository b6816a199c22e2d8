"""Sizes in bytes as people write them: ``6G``, ``512M``, ``1.5g``, ``2GiB``."""

from __future__ import annotations

import math
import re
from fractions import Fraction

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)
# No machine has a pebibyte of memory; a larger limit is a typo (and past 2**63
# would overflow the int64 sizes TensorFlow takes).
MAX_MEMORY = 2**50


def parse_memory(text: str) -> int:
    """``6G``, ``512M``, ``1.5g``, ``2GiB`` or a number of bytes, as bytes (binary
    units: ``1G`` is 2**30).

    Raises:
        ValueError: anything else, zero, or more than :data:`MAX_MEMORY` (1P).
    """
    match = _SIZE.match(str(text))
    if not match:
        raise ValueError(
            f"memory limit {_shown(text)}: expected a size such as 6G, 1.5G or 2048M, "
            "or auto."
        )
    # Exact arithmetic: a float of 400 digits is infinity, which int() refuses.
    number = Fraction(match[1]) * 1024 ** "bkmgt".index(match[2].lower() or "b")
    if number > MAX_MEMORY:
        raise ValueError(
            f"memory limit {_shown(text)}: more than any machine has (at most 1024T, "
            f"{MAX_MEMORY} bytes)."
        )
    value = int(number)
    if value <= 0:
        raise ValueError(f"memory limit {_shown(text)}: must be above zero.")
    return value


def format_memory(value: int) -> str:
    """``value`` bytes as a size :func:`parse_memory` reads, in tenths of a GiB,
    rounded up so that the size given back is at least ``value``: ``1.4G`` for
    1.36 GiB."""
    return f"{math.ceil(value * 10 / 2**30) / 10:g}G"


def _shown(text: str, limit: int = 40) -> str:
    """The text as the user gave it, cut short: a 400-digit number fills a screen."""
    shown = repr(str(text))
    return shown if len(shown) <= limit else shown[: limit - 4] + "...'"


__all__ = ["MAX_MEMORY", "format_memory", "parse_memory"]
