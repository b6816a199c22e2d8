"""The memory preflight of the commands: :mod:`tf_style.memory.fits`'s refusal as a
:class:`~tf_style.commands.cli.UsageError` (one line, exit status 2).

Checked before any model is built; a refusal names the largest ``--max-dim`` that
would fit.
"""

from __future__ import annotations

from collections.abc import Sequence

from tf_style.commands.cli import UsageError
from tf_style.config import StyleTransferConfig
from tf_style.memory.fits import (
    DoesNotFit,
    check_run_fits,
    check_step_fits,
    resized_size,
)


def check_run_memory(
    size: Sequence[int],
    config: StyleTransferConfig,
    *,
    available: int | None,
    where: str,
) -> None:
    """:func:`~tf_style.memory.fits.check_run_fits` for a command.

    Raises:
        UsageError: naming the largest ``--max-dim`` that would fit.
    """
    try:
        check_run_fits(size, config, available=available, where=where)
    except DoesNotFit as error:
        raise UsageError(str(error)) from None


def check_step_memory(size: Sequence[int] | None, config: StyleTransferConfig) -> None:
    """:func:`~tf_style.memory.fits.check_step_fits` for a command.

    Raises:
        UsageError: naming the largest ``--max-dim`` that would fit.
    """
    try:
        check_step_fits(size, config)
    except DoesNotFit as error:
        raise UsageError(str(error)) from None


__all__ = ["check_run_memory", "check_step_memory", "resized_size"]
