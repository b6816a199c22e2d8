"""What a folder or video run reports and returns, and how it refuses or stops.

:func:`tf_style.batch.stylize_folder` and :func:`tf_style.batch.stylize_video`
never print: they report through ``on_progress(ProgressEvent)``, return a
:class:`FolderResult` or :class:`VideoResult`, and say a refusal or a stop with one
of the exceptions below, whose message is one line. The command maps each to its
exit status (2 refused, 1 stopped by a write, 130 interrupted).
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tf_style.batch.manifest import STATUSES


@dataclass(frozen=True)
class ProgressEvent:
    """One thing a folder or video run did, for a progress bar or a log.

    Attributes:
        kind: ``start`` (the model is ready; ``message`` names it), ``step`` (an
            image or frame took an optimisation step, or a network's one pass),
            ``done``, ``failed`` (``message`` says why), ``kept`` (done by an
            earlier run), ``skipped`` (another path to an earlier input;
            ``message`` names it).
        index: the input's place among the run's inputs, from 1 (0: the run).
        count: how many inputs the run has.
        path: the input image or frame (None for ``start``).
        name: its output's file name in the output folder.
        step: steps the image has had (counted from 1; a resumed image goes on
            from the steps it had).
        total: steps it has when done (``config.total_steps``; 1 for a network).
        loss: the total loss after ``step`` (of the whole batch when images are
            optimised together), or None.
        message: why an input failed or was skipped; which model ``start`` uses.
    """

    kind: str
    index: int = 0
    count: int = 0
    path: Path | None = None
    name: str = ""
    step: int = 0
    total: int = 0
    loss: float | None = None
    message: str = ""


OnProgress = Callable[[ProgressEvent], None]


def reporter(on_progress: OnProgress | None) -> OnProgress:
    """``on_progress``, or a callback that does nothing."""
    return on_progress or (lambda event: None)


@dataclass
class FolderResult:
    """What a folder run left in its output folder.

    Attributes:
        folder: the output folder, as the kernel resolves it.
        outputs: each input done (as collected) -> its output file.
        records: each of this run's outputs, by name -> its manifest record
            (owner, SHA-256, status, steps, error).
        failures: each input that failed -> why.
        duplicates: an input that is another path to an earlier one -> that one.
        manifest: the ``manifest.json`` written.
    """

    folder: Path
    outputs: dict[Path, Path] = field(default_factory=dict)
    records: dict[str, dict] = field(default_factory=dict)
    failures: dict[Path, str] = field(default_factory=dict)
    duplicates: dict[Path, Path] = field(default_factory=dict)
    manifest: Path | None = None

    def counts(self) -> dict[str, int]:
        """How many of this run's outputs have each status (done, failed, ...);
        an output counts as done only while its file is there."""
        statuses = [self._status(name, r) for name, r in self.records.items()]
        return {status: statuses.count(status) for status in STATUSES}

    def summary(self) -> str:
        """ "3 done, 1 failed": the statuses that occur."""
        return ", ".join(f"{n} {s}" for s, n in self.counts().items() if n)

    def _status(self, name: str, record: dict) -> str:
        if record["status"] == "done" and not (self.folder / name).is_file():
            return "pending"
        return record["status"]


@dataclass
class VideoResult(FolderResult):
    """A video run's frames, their steadiness and the files made from them.

    Attributes:
        frames: the stylised frames in order (the failed ones left out).
        pairs: per consecutive pair of stylised frames, its names and the warping
            error of the outputs and of the inputs (Lai et al. 2018).
        warping_error: the outputs' mean warping error (lower is steadier).
        input_warping_error: the input frames' own, to compare with.
        report: ``frames.json``'s record (losses per frame, flows, timings).
        video: ``video.mp4``; preview: ``preview.gif`` (None: no frame was done).
    """

    frames: list[Path] = field(default_factory=list)
    pairs: list[dict] = field(default_factory=list)
    warping_error: float | None = None
    input_warping_error: float | None = None
    report: dict = field(default_factory=dict)
    video: Path | None = None
    preview: Path | None = None


class RunRefused(ValueError):
    """The run was refused before it made anything (no folder, lock or file is
    left behind): a setting the mode cannot honour, an output that would replace
    an input, a locked or foreign folder, no inputs, a size that cannot fit. The
    message is one line and says what to change."""


class OutputWriteError(RuntimeError):
    """A file could not be written and the run stopped there (a full disk, a
    folder made read-only); every output finished before is kept and recorded.

    Attributes:
        reason: what failed, one line.
        result: the run so far.
    """

    def __init__(self, reason: str, result: FolderResult):
        super().__init__(reason)
        self.reason, self.result = reason, result


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped the run; the manifest holds every finished output (and a
    folder run's partial images), so the same call finishes the rest.

    A ``KeyboardInterrupt``: code that does not look for it stops as on Ctrl-C.

    Attributes:
        result: the run so far.
    """

    def __init__(self, result: FolderResult):
        super().__init__("interrupted")
        self.result = result


def is_disk_full(error: OSError) -> bool:
    """ENOSPC or EDQUOT: the kind of write error no check beforehand can rule out."""
    return error.errno in (errno.ENOSPC, errno.EDQUOT)


def write_reason(error: Exception, folder: Path) -> str:
    """ "the disk is full (where)" or "could not write where (why)", one line."""
    where = getattr(error, "filename", None) or folder
    why = getattr(error, "strerror", None) or error
    if isinstance(error, OSError) and is_disk_full(error):
        return f"the disk is full ({where})"
    return f"could not write {where} ({why})"


def collect_records(entries: dict[str, dict], names: Iterable[str]) -> dict:
    """The manifest records of ``names`` (copies), in order."""
    return {name: dict(entries[name]) for name in names if name in entries}


__all__ = [
    "FolderResult",
    "OnProgress",
    "OutputWriteError",
    "ProgressEvent",
    "RunInterrupted",
    "RunRefused",
    "VideoResult",
    "collect_records",
    "is_disk_full",
    "reporter",
    "write_reason",
]
