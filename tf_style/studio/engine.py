"""What the studio loads once and every tab shares: VGG19, the fast networks, and
each tab's last run.

Nothing is loaded when the page is built, so it is ready in seconds:
:meth:`Engine.warm_up` imports TensorFlow and loads VGG19 in a background thread
while the page is served, once, and a Run waits for it rather than doing the same
work beside it; a fast network loads at its first use. Each tab is a
:class:`Session`, found by Gradio's session hash; closing the tab stops its run.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tf_style.config import StyleTransferConfig
from tf_style.images.bundled import BUNDLED, bundled_image
from tf_style.presets import preset

# The warm-up's run: one step of the page's Run at 256 px, the tutorial's settings
# on the bundled pair, so that Run takes its compiled step (tf_style.optimize.reuse
# keys it by shape and settings, not by steps or seed). A first Run 30 s after the
# page opened showed its first step's image (256 px) in 7.2 s with a 32 px
# warm-up, 8.6 s without (benchmarks/studio.py, one run each, 2 busy cores).
WARM_UP = dataclasses.replace(
    preset("tutorial", max_dim=256), epochs=1, steps_per_epoch=1
)


@dataclass
class Session:
    """One browser tab: its run, its last result and what made it.

    Attributes:
        run: the optimisation going on (:class:`tf_style.studio.stream.Run`).
        result: the last run's :class:`~tf_style.optimize.recorder.StylizeResult`.
        steps_before: steps of the runs this one went on from (Go on).
        downloads: the files of the last result (image, record, loss plot).
        output_name: the last result's file name, for Go on's ``--init``.
        runs: runs so far, naming each run's folder.
        history: the losses of the runs this one went on from.
        masks: each region's painted mask, by its number
            (:mod:`tf_style.studio.regions_panel`).
    """

    run: Any = None
    result: Any = None
    steps_before: int = 0
    downloads: dict[str, Path] = field(default_factory=dict)
    output_name: str | None = None
    runs: int = 0
    history: dict[str, list[float]] = field(default_factory=dict)
    masks: dict[int, Any] = field(default_factory=dict)

    def stop(self) -> None:
        """Stop the run going on, if any, keeping its work."""
        if self.run is not None:
            self.run.stop()


class Engine:
    """The models and sessions of one studio.

    Args:
        weights: VGG19 weights file (None: the usual sources, see
            :func:`tf_style.load_vgg19`).
        networks: fast networks for the side-by-side panel: anything
            :func:`tf_style.load_network` takes (Magenta's TFLite pair, a TF-Hub
            handle, a ``tf-style-fit`` output folder).
        folder: where each run's downloads are written (default: a new folder
            in the system's temporary folder).
    """

    def __init__(
        self,
        *,
        weights: str | os.PathLike | None = None,
        networks: Sequence[str | os.PathLike] = (),
        folder: str | os.PathLike | None = None,
    ):
        self.weights = weights
        self.networks = [str(network) for network in networks]
        self.folder = Path(folder) if folder else None  # made at the first run
        self.sessions: dict[str, Session] = {}
        self.build_seconds = 0.0
        self._vgg: Any = None
        self._extractors: dict[tuple, Any] = {}
        self._fast: dict[str, Any] = {}
        self._vgg_lock = threading.Lock()
        self._fast_lock = threading.Lock()
        self._run_asked = threading.Event()  # a Run wants VGG19: warm up no more
        self._warm_up: threading.Thread | None = None

    def session(self, key: str | None) -> Session:
        """The tab ``key``'s session (made at its first use)."""
        return self.sessions.setdefault(key or "", Session())

    def close_session(self, key: str | None) -> None:
        """The tab closed: stop its run and forget it."""
        session = self.sessions.pop(key or "", None)
        if session is not None:
            session.stop()

    def vgg(self, *, warming_up: bool = False) -> Any:
        """VGG19 with its weights, loaded at the first call (TensorFlow too).

        A run's call waits for the warm-up (:meth:`warm_up`) to end: the run then
        finds TensorFlow, VGG19 and the step's one-off costs paid once, rather than
        paying them again beside the warm-up on the same cores.

        Args:
            warming_up: the call is :meth:`warm_up`'s (any other is a run's).

        Raises:
            WeightsNotFoundError: every source failed; the message lists them.
        """
        if not warming_up:
            self._run_asked.set()
            warm_up = self._warm_up
            if warm_up is not None and warm_up is not threading.current_thread():
                warm_up.join()
        with self._vgg_lock:
            if self._vgg is None:
                started = time.perf_counter()
                import tf_style  # its public names load TensorFlow quietly

                self._vgg = tf_style.load_vgg19(self.weights)
                self.build_seconds = time.perf_counter() - started
            return self._vgg

    def extractor(
        self, config: StyleTransferConfig, *, warming_up: bool = False
    ) -> Any:
        """The feature extractor for ``config``'s layers, cut from :meth:`vgg` once.

        One object for every run with those layers, not one cut per run: a run
        of the same shape and settings as the last takes its compiled step either
        way (:mod:`tf_style.optimize.reuse` matches the network), and the cutting
        is done once.
        """
        vgg = self.vgg(warming_up=warming_up)  # first: TensorFlow loads quietly
        from tf_style.vgg.model import extractor_for

        layers = (tuple(config.style_layers), tuple(config.content_layers))
        with self._vgg_lock:
            if layers not in self._extractors:
                self._extractors[layers] = extractor_for(config, vgg=vgg)
            return self._extractors[layers]

    def warm_up(self, config: StyleTransferConfig = WARM_UP) -> threading.Thread:
        """Load VGG19 and run ``config`` on the bundled pair in a background
        thread, so the first Run need not wait: a process's first run also pays
        TensorFlow's one-off start of its graph machinery, besides tracing its
        own step, and a Run of the warm-up's shape and settings takes its
        compiled step. Called again, it returns the same thread: the warm-up
        happens once.

        The step is left out where a Run came while VGG19 loaded: that run pays
        the one-off costs itself, rather than wait for a step nobody sees. A
        failure is left for the first Run to report.
        """
        if self._warm_up is not None:
            return self._warm_up

        def load() -> None:
            try:
                import tf_style

                extractor = self.extractor(config, warming_up=True)
                if self._run_asked.is_set():
                    return
                pair = [
                    tf_style.load_image(bundled_image(role), config.max_dim)
                    for role in BUNDLED
                ]
                tf_style.stylize(*pair, config, extractor=extractor)
            except Exception:  # noqa: BLE001 - said again by the Run that needs it
                pass

        self._warm_up = threading.Thread(
            target=load, name="tf-style-studio-warm-up", daemon=True
        )
        self._warm_up.start()
        return self._warm_up

    def network(self, location: str) -> Any:
        """The fast network at ``location``, loaded at its first use.

        Raises:
            FastModelError: nothing loadable there; the message says what is taken.
        """
        with self._fast_lock:
            if location not in self._fast:
                import tf_style

                started = time.perf_counter()
                model = tf_style.load_network(location)
                model.load_seconds = model.load_seconds or (
                    time.perf_counter() - started
                )
                self._fast[location] = model
            return self._fast[location]

    def run_folder(self, session: Session) -> Path:
        """A new folder for the downloads of ``session``'s next run (its tab may
        have closed meanwhile: the folder is still made, and nobody is recreated)."""
        session.runs += 1
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="tf-style-studio-results-"))
        return Path(tempfile.mkdtemp(prefix=f"run-{session.runs}-", dir=self.folder))


__all__ = ["Engine", "Session"]
