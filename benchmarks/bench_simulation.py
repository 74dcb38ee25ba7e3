"""IMU simulation speed: skinning only the sensor vertices against smplx's full-mesh forward pass.

Both paths compute the same readings (accelerometer and gyroscope of the sensors, float64) from the same motion on
a body of SMPL's real size: the generated SMPL-format body built with 6,890 vertices and 24 joints, loaded through
smplx. ``full_mesh`` runs smplx's skinning (``smplx.lbs.lbs``, the body of ``smplx.SMPL.forward``: all vertices,
shape and pose blend shapes, skinning) in chunks of 1,024 frames and picks the sensor vertices;
``sensor_vertices`` evaluates the same equations for the sensor vertices only. The script checks that both give
the same readings, then prints frames per second and the ratio.

Usage::

    python benchmarks/bench_simulation.py            # 100,000 frames both ways (the full-mesh pass takes minutes)
    python benchmarks/bench_simulation.py --quick    # 100,000 frames sensor-only; full mesh timed on 5,000
    python benchmarks/bench_simulation.py --json bench.json --threads 2 --sites left_wrist right_wrist
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import torch

from imu_foundation.simulation import MotionSequence, load_body_model, simulate_imu

FPS = 60.0


def benchmark_motion(frames: int, seed: int) -> MotionSequence:
    """``frames`` of smooth whole-body motion at 60 fps: every joint swinging at 0.3-2 Hz, the root walking."""
    generator = torch.Generator().manual_seed(seed)
    t = torch.arange(frames, dtype=torch.float64)[:, None] / FPS
    amplitude = 0.4 * torch.randn(69, generator=generator, dtype=torch.float64)
    frequency = 0.3 + 1.7 * torch.rand(69, generator=generator, dtype=torch.float64)
    phase = 2 * math.pi * torch.rand(69, generator=generator, dtype=torch.float64)
    body_pose = (amplitude * torch.sin(2 * math.pi * frequency * t + phase)).reshape(frames, 23, 3)
    yaw = torch.remainder(0.3 * t + math.pi, 2 * math.pi) - math.pi  # turning slowly; axis-angle stays below pi
    orient = torch.cat([0.1 * torch.sin(t), yaw, 0.05 * torch.cos(3 * t)], dim=1)
    transl = torch.cat([0.5 * torch.sin(0.1 * t), 0.04 * torch.sin(2 * math.pi * 1.8 * t), 0.5 * torch.cos(0.1 * t)], 1)
    betas = torch.randn(10, generator=generator, dtype=torch.float64)
    return MotionSequence.from_tensors(orient, body_pose, transl, FPS, betas)


def time_simulation(motion: MotionSequence, body, sites: list[str], method: str, repeats: int):
    """Best wall time of ``repeats`` runs (s) and the last result."""
    best, result = math.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = simulate_imu(motion, body, sites, method=method, dtype=torch.float64)
        best = min(best, time.perf_counter() - start)
    return best, result


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=100_000, help="frames simulated sensor-only (default 100000)")
    parser.add_argument("--full-frames", type=int, default=None, help="frames through the full mesh (default all)")
    parser.add_argument("--sites", nargs="+", default=["left_wrist", "right_wrist"], help="sensor sites")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of the sensor-only path; the best counts")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="under a minute: full mesh timed on 5,000 frames")
    parser.add_argument("--json", type=Path, default=None, help="write the results as a flat JSON object here")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    full_frames = args.full_frames or (5_000 if args.quick else args.frames)
    full_frames = min(full_frames, args.frames)

    body = load_body_model(num_vertices=6890)
    motion = benchmark_motion(args.frames, args.seed)
    print(
        f"body: {body.source}, {body.num_vertices} vertices, {body.num_joints} joints | sites: {', '.join(args.sites)}"
        f" | {args.frames:,} frames at {FPS:g} fps | torch {torch.__version__}, {args.threads} threads, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
    )

    fast_s, fast = time_simulation(motion, body, args.sites, "sensor_vertices", args.repeats)
    all_sites = list(body.sites)
    all_s, _ = time_simulation(motion, body, all_sites, "sensor_vertices", 1)
    full_motion = motion.slice(0, full_frames)
    full_s, full = time_simulation(full_motion, body, args.sites, "full_mesh", 1)

    # Same readings: compare on the frames both computed (the sequence ends differ, so simulate the slice fast too).
    fast_slice = simulate_imu(full_motion, body, args.sites, dtype=torch.float64)
    acc_diff = (fast_slice.acc - full.acc).abs().max().item()
    gyro_diff = (fast_slice.gyro - full.gyro).abs().max().item()

    fast_fps = args.frames / fast_s
    full_fps = full_frames / full_s
    speedup = fast_fps / full_fps
    print()
    print(f"{'method':<32}{'frames':>10}{'seconds':>10}{'frames/s':>14}")
    print(f"{'full mesh (smplx lbs)':<32}{full_frames:>10,}{full_s:>10.2f}{full_fps:>14,.0f}")
    print(f"{'sensor vertices only':<32}{args.frames:>10,}{fast_s:>10.2f}{fast_fps:>14,.0f}")
    print(f"{'sensor vertices, all 15 sites':<32}{args.frames:>10,}{all_s:>10.2f}{args.frames / all_s:>14,.0f}")
    print()
    print(f"speed-up of sensor-only over the full mesh: {speedup:,.1f}x (target >= 20x)")
    print(f"sensor-only throughput: {fast_fps:,.0f} frames/s (target > 100,000)")
    print(f"largest difference between the two: acc {acc_diff:.2e} m/s^2, gyro {gyro_diff:.2e} rad/s (limit 1e-5)")
    if full_frames < args.frames:
        print(f"(full mesh timed on the first {full_frames:,} frames; its frames/s does not depend on the length)")
    assert fast.acc.shape[0] == args.frames

    if args.json is not None:
        record = {
            "frames": args.frames,
            "full_mesh_frames": full_frames,
            "sites": ",".join(args.sites),
            "num_vertices": body.num_vertices,
            "num_joints": body.num_joints,
            "threads": args.threads,
            "sensor_only_frames_per_s": fast_fps,
            "full_mesh_frames_per_s": full_fps,
            "speedup_vs_full_mesh": speedup,
            "all_sites_frames_per_s": args.frames / all_s,
            "max_abs_diff_acc_mps2": acc_diff,
            "max_abs_diff_gyro_radps": gyro_diff,
            "torch": torch.__version__,
            "quick": args.quick,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(record, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0 if acc_diff <= 1e-5 and gyro_diff <= 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main())
