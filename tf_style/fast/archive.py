"""Safe, one-time extraction of a downloaded SavedModel archive into a cache.

TF-Hub's compressed downloads (``?tf-hub-format=compressed``) are ``.tar.gz`` files
holding ``saved_model.pb`` and ``variables/``. An archive from the internet is
untrusted input, so only plain files and folders that stay inside the target folder
are extracted, no more than a SavedModel holds (an archive bomb is refused from its
headers), and the folder appears under its final name only when complete.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
from pathlib import Path


class ArchiveError(RuntimeError):
    """An archive that cannot be used; the message names it and says why."""


def is_tar_gz(path: Path) -> bool:
    """A gzip-compressed tar archive, judged by its name."""
    return path.name.endswith((".tar.gz", ".tgz"))


def default_cache_dir() -> Path:
    """``$TF_STYLE_CACHE_DIR``, else ``$XDG_CACHE_HOME/tf_style`` or ``~/.cache``."""
    if os.environ.get("TF_STYLE_CACHE_DIR"):
        return Path(os.environ["TF_STYLE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tf_style"


def extract_saved_model(
    archive: Path, *, cache_dir: str | os.PathLike | None = None
) -> Path:
    """Extract a SavedModel archive once; return the folder holding saved_model.pb.

    The archive is extracted into a temporary folder beside its final place and
    renamed, so an interrupted extraction never looks complete. Members that would
    escape the folder (absolute paths, ``..``, links, devices) are refused.

    Raises:
        ArchiveError: not a readable archive, unsafe, or without saved_model.pb.
    """
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = root / "hub" / f"{archive.name.split('.')[0]}-{file_digest(archive)}"
    if not target.is_dir():
        root.joinpath("hub").mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=root / "hub"))
        try:
            safe_extract(archive, staging)
            os.replace(staging, target)
        except OSError as error:
            shutil.rmtree(staging, ignore_errors=True)
            if not target.is_dir():  # a parallel run may have won the rename
                raise ArchiveError(f"{archive}: cannot extract ({error}).") from None
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return saved_model_root(target, archive)


def file_digest(path: Path, *, length: int = 16) -> str:
    """The first ``length`` hex digits of the file's SHA-256.

    16 name the cache folder (a new download, a new folder); the full 64 go in the
    log and the reports, to say exactly which program was loaded.
    """
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:length]


def safe_extract(archive: Path, destination: Path) -> None:
    """Extract regular files and folders only, each inside ``destination``, and no
    more than a SavedModel holds (:func:`unpacked_limit`, :data:`MAX_MEMBERS`).

    Each member is checked from its header, before its data is read: a 300 KB
    archive of zeros that would unpack to gigabytes is refused at once.

    Raises:
        ArchiveError: the archive is unreadable, a member is unsafe, or it holds
            more than a SavedModel would.
    """
    limit = unpacked_limit(archive.stat().st_size)
    try:
        with tarfile.open(archive, "r:gz", tarinfo=_BoundedTarInfo) as tar:
            members, total = [], 0
            for member in tar:  # one header at a time, checked before its data
                check_member(member, destination, archive)
                members.append(member)
                total += member.size
                check_totals(archive, len(members), total, limit)
            tar.extractall(destination, members=members, filter="data")
    except (tarfile.TarError, EOFError, OSError) as error:
        raise ArchiveError(
            f"{archive}: not a readable .tar.gz archive ({error})."
        ) from None


# A SavedModel is a few files, mostly float weights, which gzip hardly compresses
# (by a tenth or so); its protobuf graph perhaps 10:1. An archive unpacking to more
# than 100 times its size (past 16 MB, so that small archives of small files always
# pass), to more than 4 GiB, or holding more than 10,000 members is not a model.
MAX_EXPANSION = 100
EXPANSION_ALLOWANCE = 16 * 2**20
MAX_UNPACKED_BYTES = 4 * 2**30
MAX_MEMBERS = 10_000
# A long-name or pax header is read whole into memory by tarfile: 1 MB is plenty.
MAX_HEADER_BYTES = 2**20


def unpacked_limit(archive_bytes: int) -> int:
    """The most bytes an archive of ``archive_bytes`` may unpack to."""
    return min(
        MAX_UNPACKED_BYTES, max(EXPANSION_ALLOWANCE, MAX_EXPANSION * archive_bytes)
    )


def check_totals(archive: Path, members: int, total: int, limit: int) -> None:
    """Refuse an archive past :data:`MAX_MEMBERS` or ``limit`` unpacked bytes."""
    if members > MAX_MEMBERS:
        raise ArchiveError(
            f"{archive}: holds more than {MAX_MEMBERS} members; a SavedModel has "
            "a few. Refusing to extract it."
        )
    if total > limit:
        raise ArchiveError(
            f"{archive}: would unpack to more than {limit / 2**20:.0f} MB "
            f"({archive.stat().st_size} bytes packed); a SavedModel's weights hardly "
            "compress, so this is not one. Refusing to extract it."
        )


class _BoundedTarInfo(tarfile.TarInfo):
    """tarfile's member header, refusing a long-name or pax header past
    :data:`MAX_HEADER_BYTES` before tarfile reads it into memory."""

    def _proc_member(self, tarfile_):
        if self.type in HEADER_TYPES and self.size > MAX_HEADER_BYTES:
            raise tarfile.HeaderError(
                f"a {self.size}-byte extended header; at most {MAX_HEADER_BYTES}"
            )
        return super()._proc_member(tarfile_)


HEADER_TYPES = (
    tarfile.GNUTYPE_LONGNAME,
    tarfile.GNUTYPE_LONGLINK,
    tarfile.XHDTYPE,
    tarfile.XGLTYPE,
    tarfile.SOLARIS_XHDTYPE,
)


def check_member(member: tarfile.TarInfo, destination: Path, archive: Path) -> None:
    """Refuse members that are not plain files/folders or that leave the folder.

    Links, devices, FIFOs and GNU sparse files (whose size is not their bytes)
    are refused, as are absolute names and ``..`` that would leave it.
    """
    target = (destination / member.name).resolve()
    inside = target == destination.resolve() or destination.resolve() in target.parents
    plain = (member.isfile() and not member.issparse()) or member.isdir()
    if not plain or not inside:
        raise ArchiveError(
            f"{archive}: refusing unsafe archive member {member.name!r} "
            "(only plain files and folders inside the archive are extracted)."
        )


def saved_model_root(folder: Path, archive: Path) -> Path:
    """The folder itself or its single subfolder, whichever holds saved_model.pb."""
    if (folder / "saved_model.pb").is_file():
        return folder
    found = sorted(found.parent for found in folder.rglob("saved_model.pb"))
    if len(found) != 1:
        raise ArchiveError(
            f"{archive}: expected one saved_model.pb in the archive, found "
            f"{len(found)}."
        )
    return found[0]
