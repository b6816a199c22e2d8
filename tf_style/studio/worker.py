"""The command's optimisations in a process of their own, started before Gradio.

On 2 cores the page and TensorFlow each take seconds to import, and both hold one
interpreter's lock: in one process a Run pressed as soon as the page answered
waited for TensorFlow, VGG19 and its step's tracing, one after the other
(benchmarks/README.md, "The studio"). ``tf-style-studio`` therefore starts this
worker first thing: it imports TensorFlow and loads VGG19 while the page's process
imports Gradio, on the other core where one is free (the import takes only the CPU
the page leaves: :func:`import_tensorflow_gently`), then, once the page is up and
unless a Run came first, traces the default Run's 256 px step, which that Run then
takes (:meth:`~tf_style.studio.engine.Engine.extractor`). Tracing before the page
was up took both cores from it.

The worker runs :func:`tf_style.studio.actions.run` itself, the same code as an
in-process studio (``tf_style.studio.launch()``), so each Run is still the
library's :func:`tf_style.stylize`. The page's process (:class:`Worker`) sends it
the form and the tab's painted masks, and passes each page update it receives on
to Gradio; the worker waits for the update to be taken before going on, so the
update budget (:mod:`tf_style.studio.stream`) still counts Gradio's encoding.
Stop, Go on and a closed tab reach the worker's own sessions by the tab's key.

The worker ends with the page's process: when asked (the server closes), when
its pipe breaks (the page's process died, even by ``SIGKILL``), and as a daemon
of :mod:`multiprocessing` at the interpreter's exit. Ctrl-C is the page's: the
worker ignores it and ends when the page's process does.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

NAME = "tf-style-studio-worker"
# The import's niceness (19: the lowest priority; see import_tensorflow_gently).
LOW_PRIORITY = 19
# How long closing waits for the worker to end before ending it (seconds).
CLOSE_SECONDS = 10.0


class WorkerGone(RuntimeError):
    """The worker process ended while the page needed it."""


class Worker:
    """The page's side of the worker: start it, run through it, stop it.

    Use :meth:`start`; one run at a time (the page's queue keeps it so).
    """

    def __init__(self, process: Any, connection: Any):
        self.process = process
        self._connection = connection
        self._send_lock = threading.Lock()  # Stop comes from another thread
        self._run_lock = threading.Lock()

    @classmethod
    def start(cls, *, weights: str | os.PathLike | None = None) -> Worker:
        """Start the worker, which begins loading VGG19 at once.

        Imports nothing heavy here: the worker is a fresh interpreter (spawned,
        never forked: the page's process may hold threads).
        """
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(
            target=work,
            args=(theirs, None if weights is None else str(weights)),
            name=NAME,
            daemon=True,
        )
        process.start()
        theirs.close()  # the worker's end is the worker's alone: EOF when it ends
        return cls(process, ours)

    def run(
        self, key: str | None, form: Any, masks: dict, *, go_on: bool = False
    ) -> Iterator[dict]:
        """:func:`tf_style.studio.actions.run` in the worker: its page updates.

        Closing the generator (the tab went away) stops the run and waits for it.

        Raises:
            StudioError: what the run says is wrong (as in the page's process),
                or that the worker has ended.
        """
        from tf_style.studio.actions import StudioError

        with self._run_lock:
            finished = taken = False
            try:
                self._send(("run", key, form, masks, go_on))
                while True:
                    kind, value = self._receive()
                    if kind in ("error", "done"):
                        finished = True
                        if kind == "error":
                            raise StudioError(value)
                        return
                    taken = False
                    yield value
                    taken = True
                    self._send(("taken", None))
            except WorkerGone as error:
                finished = True
                raise StudioError(str(error)) from None
            finally:
                if not finished:
                    self._abandon(key, answered=taken)

    def page_up(self) -> None:
        """The page answers: the warm-up may now trace its step (on both cores)."""
        self._send(("page up", None), quiet=True)

    def stop(self, key: str | None) -> None:
        """Stop the tab ``key``'s run after its current step, keeping its work."""
        self._send(("stop", key), quiet=True)

    def close_session(self, key: str | None) -> None:
        """The tab closed: stop its run and forget it."""
        self._send(("close", key), quiet=True)

    def close(self) -> None:
        """End the worker (waits up to :data:`CLOSE_SECONDS`, then ends it)."""
        self._send(("quit", None), quiet=True)
        self.process.join(CLOSE_SECONDS)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self._connection.close()

    def _abandon(self, key: str | None, *, answered: bool) -> None:
        """The page left mid-run: stop it and take its last updates unseen (a
        closed tab's session is forgotten by :meth:`close_session`, as the page
        asks)."""
        self.stop(key)
        if not answered:
            self._send(("taken", None), quiet=True)
        try:
            while self._receive()[0] == "update":
                self._send(("taken", None))
        except WorkerGone:
            pass

    def _send(self, message: tuple, *, quiet: bool = False) -> None:
        try:
            with self._send_lock:
                self._connection.send(message)
        except (OSError, ValueError) as error:  # ValueError: closed here
            if not quiet:
                raise WorkerGone("The studio's worker process has ended.") from error

    def _receive(self) -> tuple[str, Any]:
        try:
            return self._connection.recv()
        except (EOFError, OSError) as error:
            raise WorkerGone("The studio's worker process has ended.") from error


def work(connection: Any, weights: str | None) -> None:
    """The worker process: warm up, then run each request as it comes.

    Args:
        connection: its end of the pipe to the page's process.
        weights: VGG19 weights file (None: the usual sources).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C ends the page, then us
    from tf_style.studio.engine import Engine

    engine = Engine(weights=weights)
    page_up = threading.Event()
    requests: queue.Queue = queue.Queue()
    taken = threading.Event()
    threading.Thread(
        target=listen,
        args=(connection, engine, requests, {"taken": taken, "page up": page_up}),
        name=f"{NAME}-listener",
        daemon=True,
    ).start()
    import_tensorflow_gently()
    engine.warm_up(first_run(), step_after=page_up)
    while True:
        serve_request(connection, engine, requests.get(), taken)


def import_tensorflow_gently() -> None:
    """Import TensorFlow in a thread of the lowest priority, so that it takes only
    the CPU that the page's process, importing Gradio, leaves.

    On an idle 2-core machine that is a whole core. On a busy one the page comes
    first: Linux shares a core between the processes of one session (autogroup),
    and at equal priority the import made the page 3-7 s later (benchmarks/README.md).
    Linux's priority is per thread, and TensorFlow starts the threads that compute
    at its first operation (VGG19's loading, in a thread of normal priority), so
    only the import runs at the low priority. Elsewhere the import is as it is.
    """

    def load() -> None:
        if sys.platform.startswith("linux"):  # elsewhere it would be the process's
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOW_PRIORITY)
        import tf_style

        tf_style.__getattr__("load_vgg19")  # TensorFlow and Keras, quietly

    importer = threading.Thread(target=load, name=f"{NAME}-import", daemon=True)
    importer.start()
    importer.join()


def first_run() -> Any:
    """The page's first Run at 256 px, one step: the warm-up traces the step that
    Run then takes (:mod:`tf_style.optimize.reuse` keys it by shape and
    settings, not by steps or seed)."""
    import dataclasses

    from tf_style.presets import preset

    return dataclasses.replace(
        preset("tutorial", max_dim=256), epochs=1, steps_per_epoch=1
    )


def listen(
    connection: Any, engine: Any, requests: queue.Queue, events: dict[str, Any]
) -> None:
    """Read the page's messages; a run's own go to the main thread, and
    ``events`` are set by name ("taken": the page took an update; "page up")."""
    while True:
        try:
            kind, *rest = connection.recv()
        except (EOFError, OSError):
            kind = "quit"  # the page's process has gone
        if kind == "quit":
            os._exit(0)  # nothing of the worker's outlives the page
        elif kind == "run":
            requests.put(rest)
        elif kind in events:
            events[kind].set()
        elif kind == "stop":
            engine.session(rest[0]).stop()
        elif kind == "close":
            engine.close_session(rest[0])


def serve_request(connection: Any, engine: Any, request: list, taken: Any) -> None:
    """One Run or Go on: send each update and wait until the page took it."""
    from tf_style.studio import actions

    key, form, masks, go_on = request
    engine.session(key).masks = masks
    try:
        for update in actions.run(engine, key, form, go_on=go_on):
            taken.clear()
            connection.send(("update", update))
            taken.wait()
        connection.send(("done", None))
    except actions.StudioError as error:
        connection.send(("error", str(error)))
    except Exception as error:  # noqa: BLE001 - said on the page; the worker goes on
        connection.send(("error", f"The run failed: {error}"))


__all__ = ["Worker", "WorkerGone", "work"]
