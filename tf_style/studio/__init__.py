"""The studio: tf_style's style transfer on a web page, for one machine.

``tf-style-studio`` (or ``python -m tf_style.studio``) serves it; in Jupyter,
:func:`launch` shows it inline. Built on Gradio, an optional extra
(``pip install tf_style[studio]``). The controls are the config's fields, the run
is :func:`tf_style.stylize` with its callback, and the page shows the
``tf-style-train`` command that reproduces it. Safe by default: it listens on
127.0.0.1, makes no share link, serves no file but uploads and its own results,
and sends no analytics (:mod:`tf_style.studio.safety`).

The modules, one responsibility each: :mod:`~tf_style.studio.form` (controls from
the config's fields, and the command), :mod:`~tf_style.studio.stream` (the run in
a worker thread, streamed), :mod:`~tf_style.studio.actions` (what the buttons do),
:mod:`~tf_style.studio.results` (the downloads),
:mod:`~tf_style.studio.fast_panel` (fast beside slow),
:mod:`~tf_style.studio.engine` (models and tabs), :mod:`~tf_style.studio.safety`,
:mod:`~tf_style.studio.app` (the page) and :mod:`~tf_style.studio.command`.

Neither Gradio nor TensorFlow loads with this package: :func:`launch` imports
Gradio, and TensorFlow loads in the background once the page is up.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from tf_style.studio.safety import LOOPBACK  # no Gradio: imports nothing heavy


def launch(
    *,
    host: str = LOOPBACK,
    port: int | None = None,
    networks: Sequence[str | os.PathLike] = (),
    weights: str | os.PathLike | None = None,
    inline: bool | None = None,
    block: bool = False,
    quiet: bool = False,
) -> Any:
    """Serve the studio; in Jupyter, show it in the notebook.

    Args:
        host: the address to listen on; 127.0.0.1 (this machine only) by default.
        port: the port (None: the first free one from 7860).
        networks: fast networks for the side-by-side panel (anything
            :func:`tf_style.load_network` takes: Magenta's TensorFlow Lite folder,
            a TF-Hub handle, a ``tf-style-fit`` output folder).
        weights: VGG19 weights file (None: the usual sources).
        inline: show the page in the notebook (None: when running in one).
        block: keep serving until interrupted (the command); False returns at once.
        quiet: print nothing (the address is ``page.local_url``).

    Warns:
        UserWarning: ``host`` lets other machines reach the studio (it has no
            login).

    Returns:
        The running Gradio ``Blocks`` (``.close()`` stops it; ``.local_url``).

    Example:
        >>> page = tf_style.studio.launch()  # in a notebook cell
    """
    import warnings

    from tf_style.studio.safety import host_notice
    from tf_style.studio.serve import serve

    page = serve(
        host=host,
        port=port,
        networks=networks,
        weights=weights,
        inline=inline,
        block=False,
        quiet=quiet,
    )
    notice = host_notice(host, page.server_port)
    if notice is not None:
        warnings.warn(f"tf_style.studio: {notice}", UserWarning, stacklevel=2)
    if block:
        page.block_thread()
    return page


__all__ = ["launch"]
