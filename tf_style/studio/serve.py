"""Serving the page: Gradio's launch with the studio's safe settings.

Where it listens, what it may serve and how large an upload may be are
:mod:`tf_style.studio.safety`'s; here they become Gradio's arguments. The queue
keeps one optimisation at a time (see :mod:`tf_style.studio.app`). VGG19 loads in
the background once the page is up (:meth:`~tf_style.studio.engine.Engine.warm_up`),
so the page does not wait for TensorFlow.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from tf_style.studio.safety import (
    LOOPBACK,
    MAX_UPLOAD,
    blocked_paths,
    prepare_environment,
)

# Tabs that may wait for the optimisation slot; more are told the queue is full.
QUEUE_SIZE = 16
# How often Gradio's queue looks for a job to start, and for progress to send
# (seconds). Gradio polls every 1 and 10 ms except on Windows, where it uses these;
# the polling kept a core 5-8% busy throughout a run on 2 cores (benchmarks/studio.py:
# the event loop's thread, from /proc), CPU the library's run does not spend. A Run
# now starts up to 50 ms later; the studio reports no progress through Gradio.
QUEUE_POLL_SECONDS = 0.05
PROGRESS_POLL_SECONDS = 0.1


def serve(
    *,
    host: str = LOOPBACK,
    port: int | None = None,
    networks: Sequence[str | os.PathLike] = (),
    weights: str | os.PathLike | None = None,
    inline: bool | None = None,
    block: bool = False,
    quiet: bool = False,
) -> Any:
    """Build the page and serve it (see :func:`tf_style.studio.launch`)."""
    prepare_environment()
    from tf_style.studio.app import PAGE_CSS, build_app
    from tf_style.studio.engine import Engine

    engine = Engine(weights=weights, networks=networks)
    page = build_app(engine)
    page.queue(max_size=QUEUE_SIZE)
    calm_queue(page)
    page.launch(
        server_name=host,
        server_port=port,
        share=False,
        inline=inline,
        inbrowser=False,
        prevent_thread_lock=True,
        quiet=quiet,
        show_error=True,
        allowed_paths=[],
        blocked_paths=blocked_paths(),
        max_file_size=MAX_UPLOAD,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        enable_monitoring=False,
        css=PAGE_CSS,
    )
    page.studio_engine = engine  # for tests and notebooks: the models and tabs
    engine.warm_up()
    if block:
        page.block_thread()
    return page


def calm_queue(page: Any) -> None:
    """Gradio's queue polls at :data:`QUEUE_POLL_SECONDS`, not every millisecond.

    The attributes are Gradio's own (its queue reads them at every poll); a Gradio
    without them is left as it is.
    """
    queue = getattr(page, "_queue", None)
    for name, seconds in (
        ("sleep_when_free", QUEUE_POLL_SECONDS),
        ("progress_update_sleep_when_free", PROGRESS_POLL_SECONDS),
    ):
        if hasattr(queue, name):
            setattr(queue, name, max(getattr(queue, name), seconds))


__all__ = ["QUEUE_SIZE", "calm_queue", "serve"]
