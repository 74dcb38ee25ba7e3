"""CPU settings for inference and for work split over several processes.

PyTorch starts as many intra-op threads as the machine has cores in every process. With several processes working at
once (``datasets.map(num_proc=...)``, multi-process training) that oversubscribes the cores: threads of different
processes preempt each other. Each process should take its share instead:

    torch.set_num_threads(threads_per_process(num_proc))   # at the start of each worker process

:func:`inference_autocast` runs encoders in bfloat16 where the hardware computes it natively (see docs/encoder.md
for its speed and the few-shot scores it keeps).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch


def available_cpus() -> int:
    """CPUs this process may run on: its affinity mask where the OS has one, else ``os.cpu_count()``."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def threads_per_process(num_processes: int, cpus: int | None = None) -> int:
    """Torch threads for each of ``num_processes`` processes working at the same time: an equal share of ``cpus``
    (default :func:`available_cpus`), at least one.

    The equal share is the measured optimum (``benchmarks/bench_encoder.py --processes``, docs/encoder.md): on
    2 cores, 2 processes x 1 thread encode faster than 2 processes x 2 threads, which oversubscribe the cores.
    """
    if num_processes < 1:
        raise ValueError(f"num_processes must be at least 1, got {num_processes}.")
    cpus = available_cpus() if cpus is None else cpus
    if cpus < 1:
        raise ValueError(f"cpus must be at least 1, got {cpus}.")
    return max(1, cpus // num_processes)


def native_bfloat16(device_type: str = "cpu") -> bool:
    """Whether ``device_type`` computes bfloat16 natively: AVX512-BF16 or AMX on CPUs, Ampere or newer on CUDA.

    Elsewhere bfloat16 is emulated and slower than float32.
    """
    if device_type == "cpu":
        return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    if device_type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False)
    return False


def inference_autocast(device_type: str = "cpu") -> torch.autocast:
    """``torch.autocast`` to bfloat16 where :func:`native_bfloat16`, else a disabled one (float32)::

    with torch.inference_mode(), inference_autocast():
        features = model(pixel_values).pooler_output.float()
    """
    return torch.autocast(device_type, dtype=torch.bfloat16, enabled=native_bfloat16(device_type))


@contextmanager
def torch_threads(num_threads: int) -> Iterator[int]:
    """Runs the block with ``torch.set_num_threads(num_threads)``, then restores the previous setting."""
    if num_threads < 1:
        raise ValueError(f"num_threads must be at least 1, got {num_threads}.")
    previous = torch.get_num_threads()
    torch.set_num_threads(num_threads)
    try:
        yield num_threads
    finally:
        torch.set_num_threads(previous)


__all__ = ["available_cpus", "inference_autocast", "native_bfloat16", "threads_per_process", "torch_threads"]
