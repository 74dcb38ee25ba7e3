"""Training run folders: started, interrupted or complete at a glance; resumed with one flag; launched as meant.

Every training entry point of the package (pre-training, fine-tuning) writes :data:`RUN_FILE` into its output folder
when it starts (``"status": "running"``) and marks it ``"complete"`` at the end, so a folder left by a killed run is
recognisable as incomplete. Starting again in that folder needs ``--resume`` (continue from its last checkpoint) or
``--overwrite`` (start over); a folder the package did not write is never touched.

Several processes are started by ``accelerate launch --multi_gpu --num_processes N`` (on CPUs too: DDP over gloo) or
``torchrun --nproc_per_node N``. Two things stand in the way on CPUs, and :func:`join_processes` and
:func:`check_launch` deal with them before a run trains:

* transformers' ``TrainingArguments`` joins the process group only on GPUs or with ``use_cpu=True``: on a CPU-only
  machine each process otherwise trains alone and all of them write the same output folder;
  :func:`join_processes` sets ``use_cpu`` when the launcher started several processes and there is no GPU;
* ``accelerate launch --cpu --num_processes N`` (and an accelerate config with ``distributed_type: MULTI_CPU``)
  starts a single process, whatever N says: :func:`check_launch` fails loudly instead of training alone.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RUN_FILE = "imu_foundation_run.json"


@dataclass(frozen=True)
class RunFolder:
    """What a training entry point does with its output folder.

    Attributes:
        path: the output folder.
        resume_from: the checkpoint to resume from, or ``None`` to start from scratch.
        replace: whether an earlier run's folder (the package's own) is to be cleared first.
    """

    path: Path
    resume_from: str | None
    replace: bool


def inspect_run_folder(output_dir: str | Path, resume: bool = False, overwrite: bool = False) -> RunFolder:
    """Decides how a run uses ``output_dir``; reads only (every process of a run calls it before any writes).

    Raises:
        FileExistsError: the folder holds something else than a run of the package, or a run (interrupted or
            complete) that neither ``resume`` nor ``overwrite`` says what to do with.
    """
    from transformers.trainer_utils import get_last_checkpoint

    path = Path(output_dir)
    if resume and overwrite:
        raise ValueError("--resume continues a run and --overwrite starts it over: pass one of them.")
    if not path.exists() or (path.is_dir() and not any(path.iterdir())):
        if resume:
            raise FileNotFoundError(f"--resume: {path} holds no run to resume.")
        return RunFolder(path, None, False)
    run = path / RUN_FILE
    if not run.is_file():
        raise FileExistsError(f"{path} exists and was not written by an imu_foundation run: choose another folder.")
    status = json.loads(run.read_text()).get("status")
    last = get_last_checkpoint(str(path))
    if overwrite:
        return RunFolder(path, None, True)
    if resume:
        if status == "complete":
            raise FileExistsError(f"{path} holds a complete run: nothing to resume (--overwrite starts it over).")
        return RunFolder(path, last, False)
    where = f"its last checkpoint is {Path(last).name}" if last else "it saved no checkpoint yet"
    if status == "complete":
        raise FileExistsError(f"{path} holds a complete run; pass --overwrite to start over, or another folder.")
    raise FileExistsError(
        f"{path} holds an interrupted run ({where}); pass --resume to continue it, or --overwrite to start over."
    )


def start_run(folder: RunFolder, description: dict[str, Any], is_main_process: bool = True) -> None:
    """Clears a replaced run (the package's own folder only) and writes :data:`RUN_FILE` with status ``running``."""
    if not is_main_process:
        return
    if folder.replace:
        shutil.rmtree(folder.path)
    folder.path.mkdir(parents=True, exist_ok=True)
    record = {
        "status": "running",
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "command": shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "resumed_from": folder.resume_from,
        **description,
    }
    (folder.path / RUN_FILE).write_text(json.dumps(record, indent=2) + "\n")


def finish_run(output_dir: str | Path, results: dict[str, Any], is_main_process: bool = True) -> None:
    """Marks the run complete and records its results."""
    if not is_main_process:
        return
    run = Path(output_dir) / RUN_FILE
    record = json.loads(run.read_text()) if run.is_file() else {}
    record.update(status="complete", finished=time.strftime("%Y-%m-%dT%H:%M:%S"), results=results)
    run.write_text(json.dumps(record, indent=2, default=str) + "\n")


def requested_processes() -> int | None:
    """The number of processes an ``accelerate launch`` parent of this process was asked for, if there is one.

    Read from the launcher's command line (``--num_processes``) or the config file it used; ``None`` when this
    process was not started by ``accelerate launch`` (or the platform does not show parents' command lines).
    """
    pid = os.getppid()
    for _ in range(3):  # the launcher, or a shell between it and us
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
            pid = int(Path(f"/proc/{pid}/stat").read_text().split(") ")[1].split()[1])
        except (OSError, ValueError, IndexError):
            return None
        words = [w for w in argv if w]
        console = any(w.endswith("accelerate") for w in words[:2]) and "launch" in words
        if console or "accelerate.commands.launch" in words:  # `accelerate launch` or `python -m accelerate...`
            return _num_processes(words)
    return None


def _num_processes(words: list[str]) -> int | None:
    for flag in ("--num_processes", "--num-processes"):
        for i, word in enumerate(words):
            if word == flag and i + 1 < len(words) and words[i + 1].isdigit():
                return int(words[i + 1])
            if word.startswith(flag + "="):
                return int(word.split("=", 1)[1])
    config = None
    for flag in ("--config_file", "--config-file"):
        if flag in words and words.index(flag) + 1 < len(words):
            config = Path(words[words.index(flag) + 1])
    if config is None:
        from accelerate.commands.config import default_config_file

        config = Path(default_config_file)
    if config.is_file():
        for line in config.read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "num_processes" and value.strip().isdigit():
                return int(value.strip())
    return None


def join_processes(training_args):
    """``training_args``, or a copy with ``use_cpu=True`` when the launcher started several processes on a machine
    without GPU, so that they join one process group (``TrainingArguments`` fixes its devices when built)."""
    import dataclasses

    import torch

    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not torch.cuda.is_available() and not training_args.use_cpu:
        return dataclasses.replace(training_args, use_cpu=True)
    return training_args


def leave_processes() -> None:
    """Ends a run of several processes cleanly: each waits for the others, then the process group is destroyed.

    A group left alive until the interpreter exits can abort a process there ("terminate called without an active
    exception", exit code -6) after all of its work is saved. A single process has no group: nothing to do.
    """
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def check_launch(world_size: int) -> None:
    """``RuntimeError`` when the launcher was asked for several processes but this run has ``world_size`` 1.

    Without this check such a run trains alone and silently, or N copies overwrite each other's output.
    """
    requested = requested_processes()
    if requested is not None and requested > 1 and world_size == 1:
        raise RuntimeError(
            f"accelerate launch was asked for {requested} processes but started one: on CPUs, accelerate's --cpu "
            "(and distributed_type MULTI_CPU) runs a single process. Start N cooperating processes with "
            "`accelerate launch --multi_gpu --num_processes N ...` (DDP over gloo; no GPU needed) or "
            "`torchrun --nproc_per_node N ...`."
        )
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and world_size == 1:
        raise RuntimeError(
            f"WORLD_SIZE={os.environ['WORLD_SIZE']} but this process trains alone: the processes would overwrite each "
            "other's output. Use the package's training entry points (they join the process group through "
            "TrainingArguments)."
        )


__all__ = [
    "RUN_FILE",
    "RunFolder",
    "check_launch",
    "finish_run",
    "inspect_run_folder",
    "join_processes",
    "leave_processes",
    "requested_processes",
    "start_run",
]
