"""IMU simulation accuracy: the simulator's derivatives against the 3-point difference, for every library activity.

The same motion is generated twice with the same seed: at the usual 60 fps and at 16x that rate (960 fps), where
every scheme has converged. Both are simulated (sensors at the ankle, wrist and pelvis, gravity removed) and
resampled to a common sensor rate; the error of the 60 fps readings is their RMS difference from the 960 fps
reference, relative to the reference's RMS (floored at 1 m/s^2 and 0.5 rad/s so that still activities do not
divide by almost nothing). Two schemes differentiate the 60 fps positions and orientations:

* baseline: the 3-point second difference ``(x[t+1] - 2 x[t] + x[t-1]) / dt^2`` (4-point one-sided at the ends)
  and the 2-frame rotation difference ``log(R[t-1]^T R[t+1]) / 2 dt``, what the simulator used before;
* simulator: ``second_derivative`` and ``angular_velocity`` (7-point stencils, see ``finite_differences.py``).

Errors are reported over the whole sequence and over its interior (without the first and last 0.1 s, where
every scheme extrapolates). The script also reports how the peak acceleration changes with the generation rate
(60 / 240 / 960 fps): a motion with a kink in a joint trajectory has a peak that grows with the rate.

Usage::

    python benchmarks/bench_simulation_accuracy.py            # every activity, 3 seeds
    python benchmarks/bench_simulation_accuracy.py --quick    # 6 activities, 1 seed, under a minute
    python benchmarks/bench_simulation_accuracy.py --json accuracy.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

from imu_foundation.sensors import resample
from imu_foundation.simulation import (
    VirtualImu,
    angular_velocity,
    generate_motion,
    list_activities,
    load_body_model,
    second_derivative,
    sensor_trajectories,
)
from imu_foundation.simulation.rotations import matrix_to_axis_angle

SITES = ("left_ankle", "right_wrist", "pelvis")
QUICK_ACTIVITIES = ("running", "jumping_jacks", "walking", "clapping", "punching", "overhead_racket_swing")
BASE_FPS, REFERENCE_FACTOR = 60.0, 16
ACC_FLOOR_MPS2, GYRO_FLOOR_RADPS = 1.0, 0.5


def three_point_acceleration(p: torch.Tensor, fps: float) -> torch.Tensor:
    """The baseline: 3-point second difference inside, 4-point one-sided at the ends."""
    a = torch.empty_like(p)
    a[1:-1] = (p[2:] - 2 * p[1:-1] + p[:-2]) * fps**2
    a[0] = (2 * p[0] - 5 * p[1] + 4 * p[2] - p[3]) * fps**2
    a[-1] = (2 * p[-1] - 5 * p[-2] + 4 * p[-3] - p[-4]) * fps**2
    return a


def two_frame_rate(R: torch.Tensor, fps: float) -> torch.Tensor:
    """The baseline gyroscope: ``log(R[t-1]^T R[t+1]) / 2 dt`` inside, one-sided at the ends."""
    central = matrix_to_axis_angle(R[:-2].transpose(-1, -2) @ R[2:]) * (fps / 2)
    first = matrix_to_axis_angle(R[:1].transpose(-1, -2) @ R[1:2]) * fps
    last = matrix_to_axis_angle(R[-2:-1].transpose(-1, -2) @ R[-1:]) * fps
    return torch.cat([first, central, last])


def readings(activity: str, seed: int, fps: float, body, rate_hz: float, scheme: str) -> tuple:
    """Linear acceleration (m/s^2, world frame rotated into the sensor) and gyro at ``rate_hz``, and the peak
    acceleration at the generation rate."""
    motion = generate_motion(activity, seed, fps=fps, duration_s=6.0, handedness="right")  # the right wrist works
    p_world_m, R_world_from_sensor = sensor_trajectories(motion, body, [VirtualImu(s) for s in SITES])
    if scheme == "baseline":
        p_ddot, gyro = three_point_acceleration(p_world_m, fps), two_frame_rate(R_world_from_sensor, fps)
    else:
        p_ddot, gyro = second_derivative(p_world_m, fps), angular_velocity(R_world_from_sensor, fps)
    acc = (R_world_from_sensor.transpose(-1, -2) @ p_ddot[..., None])[..., 0]
    peak = float(acc.norm(dim=-1).max())
    return resample(acc, fps, rate_hz), resample(gyro, fps, rate_hz), peak


def relative_rms(x: torch.Tensor, reference: torch.Tensor, floor: float) -> float:
    """Largest over sensors of RMS(x - reference) / max(RMS(reference), floor)."""
    error = (x - reference).pow(2).mean(dim=(0, 2)).sqrt()
    return float((error / reference.pow(2).mean(dim=(0, 2)).sqrt().clamp_min(floor)).max())


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="common sensor rate the readings are compared at")
    parser.add_argument("--seeds", type=int, default=3, help="motions per activity (default 3)")
    parser.add_argument("--activities", nargs="+", default=None, help="default: all (--quick: 6)")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--quick", action="store_true", help="6 activities, 1 seed")
    parser.add_argument("--json", type=Path, default=None, help="write the results as a flat JSON object here")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    activities = args.activities or (list(QUICK_ACTIVITIES) if args.quick else list_activities())
    seeds = range(1 if args.quick else args.seeds)
    body = load_body_model()
    trim = int(round(0.1 * args.rate))
    started = time.perf_counter()
    reference_fps = BASE_FPS * REFERENCE_FACTOR
    print(f"sites {', '.join(SITES)}; {BASE_FPS:g} fps against {reference_fps:g} fps, compared at {args.rate:g} Hz")
    print(
        f"{'activity':<24}{'acc 3-point':>12}{'acc now':>9}{'interior 3-pt':>14}{'interior now':>13}"
        f"{'gyro 2-frame':>13}{'gyro now':>9}{'peak 60/240/960 fps (m/s^2)':>30}"
    )
    record: dict[str, float | str | bool] = {}
    summary: dict[str, list[float]] = {}
    for activity in activities:
        rows: dict[str, list[float]] = {}
        peaks = []
        for seed in seeds:
            ref_acc, ref_gyro, peak_960 = readings(activity, seed, reference_fps, body, args.rate, "now")
            _, _, peak_240 = readings(activity, seed, BASE_FPS * 4, body, args.rate, "now")
            for scheme in ("baseline", "now"):
                acc, gyro, peak_60 = readings(activity, seed, BASE_FPS, body, args.rate, scheme)
                rows.setdefault(f"acc_{scheme}", []).append(relative_rms(acc, ref_acc, ACC_FLOOR_MPS2))
                inner = relative_rms(acc[trim:-trim], ref_acc[trim:-trim], ACC_FLOOR_MPS2)
                rows.setdefault(f"acc_interior_{scheme}", []).append(inner)
                rows.setdefault(f"gyro_{scheme}", []).append(relative_rms(gyro, ref_gyro, GYRO_FLOOR_RADPS))
            peaks.append((peak_60, peak_240, peak_960))
        means = {key: statistics.fmean(values) for key, values in rows.items()}
        peak = [statistics.fmean(p[i] for p in peaks) for i in range(3)]
        print(
            f"{activity:<24}{means['acc_baseline']:>12.2%}{means['acc_now']:>9.2%}"
            f"{means['acc_interior_baseline']:>14.2%}{means['acc_interior_now']:>13.2%}"
            f"{means['gyro_baseline']:>13.2%}{means['gyro_now']:>9.2%}"
            f"{f'{peak[0]:.0f} / {peak[1]:.0f} / {peak[2]:.0f}':>30}"
        )
        for key, value in means.items():
            record[f"{activity}_{key}"] = value
            summary.setdefault(key, []).append(value)
        record[f"{activity}_peak_growth_960_vs_60"] = peak[2] / peak[0]
        summary.setdefault("peak_growth", []).append(peak[2] / peak[0])
    print()
    for key in ("acc", "acc_interior", "gyro"):
        base, now = max(summary[f"{key}_baseline"]), max(summary[f"{key}_now"])
        median_base = statistics.median(summary[f"{key}_baseline"])
        median_now = statistics.median(summary[f"{key}_now"])
        print(
            f"{key:<13} worst activity: 3-point {base:.2%}, now {now:.2%} ({base / now:.1f}x smaller); "
            f"median {median_base:.2%} -> {median_now:.2%}"
        )
        record |= {f"worst_{key}_baseline": base, f"worst_{key}_now": now, f"worst_{key}_ratio": base / now}
    print(f"largest peak growth from 60 to 960 fps: {max(summary['peak_growth']):.2f}x (1 = no kinks)")
    print(f"done in {time.perf_counter() - started:.0f} s")
    record |= {"rate_hz": args.rate, "sites": ",".join(SITES), "seeds": len(seeds), "quick": args.quick}
    record["max_peak_growth_960_vs_60"] = max(summary["peak_growth"])
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(record, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
