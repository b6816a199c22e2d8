"""Sizes in bytes as people write them: ``6G``, ``512M``, ``1.5g``, ``2GiB``."""

from __future__ import annotations

import re

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)


def parse_memory(text: str) -> int:
    """``6G``, ``512M``, ``1.5g``, ``2GiB`` or a number of bytes, as bytes (binary
    units: ``1G`` is 2**30).

    Raises:
        ValueError: anything else, or zero.
    """
    match = _SIZE.match(str(text))
    if not match:
        raise ValueError(
            f"memory limit {text!r}: expected a size such as 6G, 512M or 1.5G, or auto."
        )
    number, unit = float(match[1]), match[2].lower()
    value = int(number * 1024 ** "bkmgt".index(unit or "b"))
    if value <= 0:
        raise ValueError(f"memory limit {text!r}: must be above zero.")
    return value


__all__ = ["parse_memory"]
