"""A setting's range, said once in its field's metadata.

A field of :class:`tf_style.config.StyleTransferConfig` may bound its value with
``at_least``, ``above``, ``at_most`` and ``below`` (see
:func:`tf_style.config.option`): ``epochs`` is ``at_least=1``, ``beta_1``
``at_least=0, below=1``. :func:`validate_ranges` checks them when a config is made
(so the command line refuses ``--epochs 0`` in one line, exit status 2, as it
refuses any setting the config does), and the studio's number boxes take them as
their limits (:func:`limits`): a new bounded field is bounded everywhere at once.
Checks that relate two settings, or need more than a number's bounds, stay in
:mod:`.validation`.
"""

from __future__ import annotations

import dataclasses
import numbers
from typing import Any

# The metadata keys of a range, and how a message says each.
RANGE_KEYS = ("at_least", "above", "at_most", "below")
_WORDS = {
    "at_least": "at least",
    "above": "above",
    "at_most": "at most",
    "below": "below",
}


def bounds(field: dataclasses.Field) -> dict[str, float]:
    """The field's range metadata: ``{"at_least": 1}``; empty where unbounded."""
    return {key: field.metadata[key] for key in RANGE_KEYS if key in field.metadata}


def limits(field: dataclasses.Field) -> tuple[float | None, float | None]:
    """The least and largest value a form may offer (an open bound is offered as
    its limit; the config refuses it with a message when chosen)."""
    given = bounds(field)
    low = given.get("at_least", given.get("above"))
    high = given.get("at_most", given.get("below"))
    return low, high


def range_words(given: dict[str, float]) -> str:
    """How a message says the range: ``at least 1``, ``between 0 and 1``,
    ``positive``, ``zero or positive``, ``at least 0 and below 1``."""
    if given.keys() == {"at_least", "at_most"}:
        return f"between {given['at_least']} and {given['at_most']}"
    if given == {"above": 0}:
        return "positive"
    if given == {"at_least": 0}:
        return "zero or positive"  # as a loss weight's check says it
    return " and ".join(
        f"{_WORDS[key]} {given[key]}" for key in RANGE_KEYS if key in given
    )


def in_range(value: float, given: dict[str, float]) -> bool:
    """True when ``value`` keeps every bound of ``given``."""
    checks = {
        "at_least": lambda bound: value >= bound,
        "above": lambda bound: value > bound,
        "at_most": lambda bound: value <= bound,
        "below": lambda bound: value < bound,
    }
    return all(checks[key](bound) for key, bound in given.items())


def validate_ranges(config: Any) -> None:
    """Every set field with range metadata holds a number within it (None, where
    a field allows it, is unset and passes).

    Raises:
        TypeError: a bounded setting that is not a number.
        ValueError: naming the setting, its range and the value.
    """
    for field in dataclasses.fields(config):
        given = bounds(field)
        value = getattr(config, field.name)
        if not given or value is None:
            continue
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            raise TypeError(f"{field.name} must be a number, got {value!r}.")
        if not in_range(value, given):
            raise ValueError(f"{field.name} must be {range_words(given)}, got {value}.")


__all__ = [
    "RANGE_KEYS",
    "bounds",
    "in_range",
    "limits",
    "range_words",
    "validate_ranges",
]
