"""Output folders: nothing the user had is lost.

Two rules for everything the package writes:

* result files are never replaced unless the caller asks (:func:`refuse_to_overwrite`), and then only those files
  (:func:`remove_results`): other files in the folder are left alone;
* a folder the package builds (a corpus, a checkpoint) is built in a temporary folder beside the target and moved
  into place only when the build succeeded (:func:`building_folder`). An existing target is replaced only if the
  package wrote it, which it recognises by the marker file it leaves there (:data:`MARKER`); a killed build leaves
  only its temporary folder, which the next build in the same place removes.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

MARKER = ".imu_foundation.json"  # written into every folder the package builds: what wrote it, and when
_TEMPORARY = ".{name}.imu-foundation-partial-{pid}"


def refuse_to_overwrite(folder: str | Path, names: Iterable[str]) -> None:
    """``FileExistsError`` naming the files of ``names`` that already exist in ``folder``."""
    existing = [str(Path(folder) / name) for name in names if (Path(folder) / name).exists()]
    if existing:
        raise FileExistsError(f"Refusing to overwrite {', '.join(existing)}; pass --overwrite or another folder.")


def remove_results(folder: str | Path, names: Iterable[str]) -> None:
    """Deletes the named result files of an earlier run in ``folder``, and nothing else."""
    for name in names:
        (Path(folder) / name).unlink(missing_ok=True)


def written_by_package(folder: str | Path) -> bool:
    """Whether ``folder`` is one the package built (it holds the marker file)."""
    return (Path(folder) / MARKER).is_file()


@contextmanager
def building_folder(target: str | Path, what: str, overwrite: bool = False) -> Iterator[Path]:
    """Yields an empty temporary folder beside ``target`` to build into; on success it becomes ``target``.

    Args:
        target: the folder to create.
        what: a short description recorded in the marker file (e.g. ``"synthetic corpus"``).
        overwrite: replace an existing ``target``, which must be a folder the package wrote.
    Raises:
        FileExistsError: ``target`` exists and ``overwrite`` is false, or it exists and the package did not write it
            (then nothing is deleted, whatever ``overwrite`` says).
    On an exception inside the block the temporary folder is removed and ``target`` is untouched.
    """
    target = Path(target)
    check_replaceable(target, overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(target)
    partial = target.parent / _TEMPORARY.format(name=target.name, pid=os.getpid())
    shutil.rmtree(partial, ignore_errors=True)  # our own leftover from an earlier attempt in this process
    partial.mkdir()
    (partial / MARKER).write_text(json.dumps({"written_by": "imu_foundation", "what": what, "time": time.time()}))
    try:
        yield partial
        check_replaceable(target, overwrite)  # again: the target may have appeared while we built
        if target.exists():
            retired = partial.with_name(partial.name + "-old")
            target.rename(retired)
            partial.rename(target)
            shutil.rmtree(retired)
        else:
            partial.rename(target)
    finally:
        if partial.exists():
            shutil.rmtree(partial)


def check_replaceable(target: str | Path, overwrite: bool) -> None:
    """``FileExistsError`` unless ``target`` is new, or ``overwrite`` and a folder the package wrote: call it before
    long work, so that a build that cannot be kept is not run."""
    target = Path(target)
    if not target.exists():
        return
    if not target.is_dir() or not written_by_package(target):
        raise FileExistsError(
            f"{target} exists and was not written by imu_foundation: nothing is deleted. Choose another output."
        )
    if not overwrite:
        raise FileExistsError(f"{target} exists; pass --overwrite to replace it (it was written by imu_foundation).")


def _remove_stale_partials(target: Path) -> None:
    """Removes temporary folders of killed builds of ``target`` (their process is gone)."""
    prefix = f".{target.name}.imu-foundation-partial-"
    for partial in target.parent.glob(f"{prefix}*"):
        pid = partial.name[len(prefix) :].removesuffix("-old")
        if pid.isdigit() and not _alive(int(pid)) and written_by_package(partial):
            shutil.rmtree(partial, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


__all__ = [
    "MARKER",
    "building_folder",
    "check_replaceable",
    "refuse_to_overwrite",
    "remove_results",
    "written_by_package",
]
