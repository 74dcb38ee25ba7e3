"""Throughput of ImuSpectrogramFeatureExtractor against per-window matplotlib / SciPy spectrogram pipelines, and
against the Img2Imu EfficientNet-Lite0 encoder it feeds.

The IMG2IMU authors build each image with ``matplotlib.mlab.specgram`` per window and per axis, then scale and resize
it. This script times, on the same windows:

* ``ours``: ``ImuSpectrogramFeatureExtractor`` called the way a data collator calls it, on NumPy batches of
  ``--batch-size`` windows (torch ops on ``torch.get_num_threads()`` threads, ``--threads`` sets it; with
  ``--device cuda``, on tensors already on the GPU);
* ``matplotlib``: ``mlab.specgram`` per window and axis, then log10, min-max, nearest-exact resize, flip and ImageNet
  normalisation in NumPy per window (float64);
* ``scipy``: ``scipy.signal.spectrogram`` once per window (all axes), same NumPy post-processing;
* ``encoder``: ``create_model("img2imu-efficientnet-lite0-acc-gyro", pretrained="imagenet").eval()`` on our images,
  same batches, same device and thread count, under ``torch.inference_mode()``: the front end has to be much faster
  than the model it feeds (``speedup_vs_encoder``).

Both baselines are plain per-window Python/NumPy code, so they run on one core whatever the thread setting. The
images of all three pipelines are compared on a spread of windows (``np.testing.assert_allclose``, ``--atol``), and
the script prints each throughput and the speed-ups. ``--json PATH`` writes the numbers as one flat JSON object.

Usage::

    python benchmarks/bench_spectrogram.py            # 10,000 windows, every baseline on all of them
    python benchmarks/bench_spectrogram.py --quick    # 1,000 windows; baselines on 200, encoder on 64
    python benchmarks/bench_spectrogram.py --json bench.json --batch-size 64 --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

from imu_foundation import create_model
from imu_foundation.models.img2imu.feature_extraction_img2imu import (
    IMAGENET_DEFAULT_MEAN,
    IMAGENET_DEFAULT_STD,
    ImuSpectrogramFeatureExtractor,
)

GRAVITY = 9.81
ENCODER = "img2imu-efficientnet-lite0-acc-gyro"  # the Img2Imu model these images feed


def synthetic_imu(num_windows: int, num_samples: int, channels: int, rate: float, seed: int) -> np.ndarray:
    """Realistic-looking IMU windows ``(N, T, C)`` float32: accelerometer (m/s^2) then gyroscope triads (rad/s).

    Each window is one of: still (gravity and sensor noise), walking (~1.5-2.2 Hz step frequency with harmonics),
    running (~2.5-3.2 Hz, larger), or a slow posture change (gravity turning). The accelerometer always carries
    gravity in a random, slowly drifting direction, which is what makes the weak high-frequency bins hard for a
    float32 STFT.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(num_samples) / rate  # (T,)
    activity = rng.integers(0, 4, size=num_windows)  # 0 still, 1 walk, 2 run, 3 posture change
    step = np.select(
        [activity == 1, activity == 2], [rng.uniform(1.5, 2.2, num_windows), rng.uniform(2.5, 3.2, num_windows)], 0.0
    )
    motion = np.select([activity == 1, activity == 2], [1.5, 4.0], 0.0) * rng.uniform(0.5, 1.5, num_windows)
    noise = rng.uniform(0.01, 0.05, num_windows)

    # Gravity: a random unit vector turning slowly (a lot for posture changes) about a random axis.
    up = rng.normal(size=(num_windows, 3))
    up /= np.linalg.norm(up, axis=1, keepdims=True)
    axis = np.cross(up, rng.normal(size=(num_windows, 3)))
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    turn = np.where(activity == 3, rng.uniform(0.5, 1.5, num_windows), rng.uniform(0.0, 0.1, num_windows))
    angle = turn[:, None] * t[None, :] / t[-1]  # (N, T) radians
    cos, sin = np.cos(angle)[..., None], np.sin(angle)[..., None]
    cross = np.cross(axis, up)[:, None, :]
    gravity = GRAVITY * (up[:, None, :] * cos + cross * sin)  # Rodrigues, axis perpendicular to up

    out = np.empty((num_windows, num_samples, channels), dtype=np.float64)
    for group in range(channels // 3):
        phase = rng.uniform(0, 2 * np.pi, size=(num_windows, 1, 3))
        weights = rng.uniform(0.3, 1.0, size=(num_windows, 1, 3))
        omega = 2 * np.pi * step[:, None, None] * t[None, :, None]
        periodic = weights * (np.sin(omega + phase) + 0.4 * np.sin(2 * omega + 2 * phase) + 0.15 * np.sin(3 * omega))
        if group == 0:  # accelerometer, m/s^2
            signal = gravity + motion[:, None, None] * periodic
        else:  # gyroscope, rad/s: smaller, with a constant bias
            signal = 0.3 * motion[:, None, None] * periodic + rng.normal(0, 0.01, size=(num_windows, 1, 3))
        signal += noise[:, None, None] * rng.standard_normal((num_windows, num_samples, 3))
        out[:, :, 3 * group : 3 * group + 3] = signal
    return out.astype(np.float32)


class NumpyImage:
    """Per-window post-processing of the baselines: log10, min-max per axis, nearest-exact resize, flip, normalise."""

    def __init__(self, num_bins: int, num_frames: int, height: int, width: int, log_floor: float):
        rows = np.minimum(np.floor((np.arange(height) + 0.5) * num_bins / height).astype(int), num_bins - 1)
        cols = np.minimum(np.floor((np.arange(width) + 0.5) * num_frames / width).astype(int), num_frames - 1)
        self.index = np.ix_(rows[::-1], cols)  # resize and flip (frequency bin 0 at the bottom) in one index
        self.height, self.width, self.log_floor = height, width, log_floor
        self.mean = np.asarray(IMAGENET_DEFAULT_MEAN)
        self.std = np.asarray(IMAGENET_DEFAULT_STD)

    def __call__(self, psd_per_axis) -> np.ndarray:
        """``psd_per_axis``: C arrays ``(K, F)`` (frequency rows, time columns) -> ``(3, G*H, W)`` float64 image."""
        groups = len(psd_per_axis) // 3
        image = np.empty((3, groups * self.height, self.width))
        for channel, psd in enumerate(psd_per_axis):
            log_psd = np.log10(psd + self.log_floor)
            lo, hi = log_psd.min(), log_psd.max()
            scaled = (log_psd - lo) / (hi - lo) if hi > lo else np.zeros_like(log_psd)
            group, colour = divmod(channel, 3)
            tile = scaled[self.index]
            image[colour, group * self.height : (group + 1) * self.height] = (tile - self.mean[colour]) / self.std[
                colour
            ]
        return image


def matplotlib_pipeline(extractor: ImuSpectrogramFeatureExtractor, post: NumpyImage):
    from matplotlib import mlab

    window = np.hanning(extractor.n_fft)  # the window mlab.window_hanning applies
    kwargs = dict(
        NFFT=extractor.n_fft,
        Fs=extractor.sampling_rate,
        window=window,
        noverlap=extractor.n_fft - extractor.hop_length,
        mode="psd",
    )

    def image(x: np.ndarray) -> np.ndarray:  # x: (T, C) float64
        return post([mlab.specgram(x[:, c], **kwargs)[0] for c in range(x.shape[1])])

    return image


def scipy_pipeline(extractor: ImuSpectrogramFeatureExtractor, post: NumpyImage):
    from scipy import signal

    kwargs = dict(
        fs=extractor.sampling_rate,
        window=np.hanning(extractor.n_fft),  # symmetric Hann, as numpy.hanning (scipy's "hann" would be periodic)
        nperseg=extractor.n_fft,
        noverlap=extractor.n_fft - extractor.hop_length,
        detrend=False,
        return_onesided=True,
        scaling="density",
        mode="psd",
        axis=-1,
    )

    def image(x: np.ndarray) -> np.ndarray:  # x: (T, C) float64
        return post(list(signal.spectrogram(x.T, **kwargs)[2]))  # one call per window: (C, K, F)

    return image


class OtherLoad:
    """CPU time other processes used while a block ran, as a fraction of all CPUs (Linux ``/proc/stat``; else None).

    On a shared machine a neighbour's job slows the timing down; the script reports it instead of hiding it.
    """

    def __enter__(self):
        self.start = self._machine_busy(), time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        busy, own, wall = self._machine_busy(), time.process_time(), time.perf_counter()
        self.fraction = None
        if busy is not None and self.start[0] is not None:
            others = (busy - self.start[0]) - (own - self.start[1])
            self.fraction = max(0.0, others / ((wall - self.start[2]) * (os.cpu_count() or 1)))

    @staticmethod
    def _machine_busy() -> float | None:
        try:
            with open("/proc/stat") as f:
                fields = [int(v) for v in f.readline().split()[1:9]]
        except (OSError, ValueError):
            return None
        return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_passes(run_pass, num_windows: int, repeats: int, device: torch.device) -> tuple[list[float], list[float]]:
    """Windows per second of wall-clock time and of this process's CPU time (all its threads), for each pass."""
    wall, cpu = [], []
    for _ in range(repeats):
        _synchronize(device)
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        run_pass()
        _synchronize(device)
        wall.append(num_windows / (time.perf_counter() - start_wall))
        cpu.append(num_windows / max(time.process_time() - start_cpu, 1e-9))
    return wall, cpu


def time_extractor(extractor, windows, batch_size: int, rate: float, repeats: int, device):
    """Passes over ``windows`` (an array, or a tensor on ``device``) in batches, as a data collator calls it."""
    extractor(windows[:batch_size], sampling_rate=rate)  # warm-up

    def run_pass():
        for i in range(0, len(windows), batch_size):
            extractor(windows[i : i + batch_size], sampling_rate=rate)

    return time_passes(run_pass, len(windows), repeats, device)


def time_encoder(model, images: torch.Tensor, batch_size: int, repeats: int):
    """Passes of the encoder's forward over ``images`` ``(N, 3, H, W)`` in batches."""

    def run_pass():
        for i in range(0, len(images), batch_size):
            model(pixel_values=images[i : i + batch_size])

    with torch.inference_mode():
        model(pixel_values=images[:8])  # warm-up
        return time_passes(run_pass, len(images), repeats, images.device)


def time_baseline(image_fn, windows: np.ndarray, repeats: int):
    """Passes of a per-window pipeline over ``windows``."""
    image_fn(windows[0].astype(np.float64))  # warm-up (imports, caches)

    def run_pass():
        for window in windows:
            image_fn(window.astype(np.float64))

    return time_passes(run_pass, len(windows), repeats, torch.device("cpu"))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--windows", type=int, default=None, help="windows timed for ours (default 10000; 1000 quick)")
    parser.add_argument(
        "--baseline-windows",
        type=int,
        default=None,
        help="windows timed for each baseline, the first ones of the set (default: all; 200 with --quick); fewer "
        "than --windows are extrapolated per window",
    )
    parser.add_argument("--batch-size", type=int, default=64, help="windows per extractor call (default 64)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's own)")
    parser.add_argument("--device", default="cpu", help="where ours and the encoder run (cpu, cuda; default cpu)")
    parser.add_argument(
        "--encoder-windows", type=int, default=None, help="windows timed for the encoder (default 512; 64 quick)"
    )
    parser.add_argument(
        "--repeats", type=int, default=None, help="timed passes per method; the best counts (default 3; 2 quick)"
    )
    parser.add_argument("--channels", type=int, default=6, help="IMU channels per window, a multiple of 3")
    parser.add_argument("--samples", type=int, default=500, help="samples per window (default 500 = 10 s)")
    parser.add_argument("--rate", type=float, default=50.0, help="sampling rate in Hz (default 50)")
    parser.add_argument("--check-windows", type=int, default=None, help="windows compared (default 200; 50 quick)")
    parser.add_argument("--atol", type=float, default=1e-4, help="absolute tolerance of the image comparison")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="a run of well under a minute")
    parser.add_argument("--json", type=Path, default=None, help="write the results as a flat JSON object here")
    args = parser.parse_args(argv)
    if args.windows is None:
        args.windows = 1000 if args.quick else 10_000
    if args.baseline_windows is None:
        args.baseline_windows = 200 if args.quick else args.windows
    args.baseline_windows = min(args.baseline_windows, args.windows)
    if args.repeats is None:
        args.repeats = 2 if args.quick else 3
    if args.encoder_windows is None:
        args.encoder_windows = 64 if args.quick else 512
    args.encoder_windows = min(args.encoder_windows, args.windows)
    if args.check_windows is None:
        args.check_windows = 50 if args.quick else 200
    args.check_windows = min(args.check_windows, args.windows)
    if args.channels % 3 or args.channels <= 0:
        parser.error("--channels must be a positive multiple of 3")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()
    device = torch.device(args.device)

    extractor = ImuSpectrogramFeatureExtractor(feature_size=args.channels, sampling_rate=args.rate)
    windows = synthetic_imu(args.windows, args.samples, args.channels, args.rate, args.seed)
    # A data collator hands NumPy arrays to the extractor; on a GPU the windows are already there, as in a model.
    on_device = windows if device.type == "cpu" else torch.from_numpy(windows).to(device)
    num_frames = 1 + (args.samples - extractor.n_fft) // extractor.hop_length
    post = NumpyImage(
        extractor.n_fft // 2 + 1, num_frames, extractor.image_height, extractor.image_width, extractor.log_floor
    )
    baselines = {"matplotlib": matplotlib_pipeline(extractor, post), "scipy": scipy_pipeline(extractor, post)}
    encoder = create_model(ENCODER, pretrained="imagenet").eval().to(device)

    print(
        f"{args.windows} windows of {args.channels} channels x {args.samples} samples at {args.rate:g} Hz "
        f"(synthetic still/walk/run/posture IMU, float32), image (3, {args.channels // 3 * extractor.image_height}, "
        f"{extractor.image_width}); n_fft={extractor.n_fft}, hop={extractor.hop_length}"
    )
    print(
        f"ours and the encoder: batches of {args.batch_size} windows on {device}, torch threads = {threads} (of "
        f"{os.cpu_count()} CPUs); baselines: one window at a time, single-threaded; best of {args.repeats} passes each"
    )

    # Equal outputs first: ours (float32) against both float64 baselines on windows spread over the set.
    check = np.unique(np.linspace(0, args.windows - 1, args.check_windows).astype(int))
    ours_images = np.concatenate(
        [
            extractor(on_device[check[i : i + args.batch_size]], sampling_rate=args.rate)["pixel_values"].cpu().numpy()
            for i in range(0, len(check), args.batch_size)
        ]
    )
    max_diff = {}
    for name, image_fn in baselines.items():
        reference = np.stack([image_fn(windows[i].astype(np.float64)) for i in check])
        max_diff[name] = float(np.abs(ours_images - reference).max())
        np.testing.assert_allclose(ours_images, reference, rtol=0, atol=args.atol, err_msg=f"ours vs {name}")
    print(
        f"outputs equal on {len(check)} windows (atol {args.atol:g}): max |ours - matplotlib| = "
        f"{max_diff['matplotlib']:.2e}, max |ours - scipy| = {max_diff['scipy']:.2e}"
    )

    load, results = {}, {}  # name -> (windows timed, wall-clock rates, CPU-time rates)
    with OtherLoad() as load["ours"]:
        results["ours"] = (
            args.windows,
            *time_extractor(extractor, on_device, args.batch_size, args.rate, args.repeats, device),
        )
    for name, image_fn in baselines.items():
        with OtherLoad() as load[name]:
            results[name] = (
                args.baseline_windows,
                *time_baseline(image_fn, windows[: args.baseline_windows], args.repeats),
            )
    images = extractor(on_device[: args.encoder_windows], sampling_rate=args.rate)["pixel_values"]
    with OtherLoad() as load["encoder"]:
        results["encoder"] = (args.encoder_windows, *time_encoder(encoder, images, args.batch_size, args.repeats))

    best = {name: max(wall) for name, (_, wall, _) in results.items()}
    best_cpu = {name: max(cpu) for name, (_, _, cpu) in results.items()}
    speedup = {name: best["ours"] / best[name] for name in results if name != "ours"}
    print()
    print(f"{'method':<12}{'windows timed':>15}{'windows/s (best)':>18}{'median':>10}{'per CPU-s':>11}{'ours is':>10}")
    for name, (count, wall, _) in results.items():
        ratio = "" if name == "ours" else f"{speedup[name]:.1f}x"
        note = " (extrapolated)" if count < args.windows else ""
        print(
            f"{name:<12}{count:>15}{max(wall):>18,.0f}{statistics.median(wall):>10,.0f}{best_cpu[name]:>11,.0f}"
            f"{ratio:>10}{note}"
        )
    print()
    shares = {name: meter.fraction for name, meter in load.items() if meter.fraction is not None}
    if shares:
        listed = ", ".join(f"{name} {share:.0%}" for name, share in shares.items())
        print(f"CPU share taken by other processes while timing: {listed}")
        if max(shares.values()) > 0.05:
            print("  (a busy machine: the throughputs above are lower bounds)")
    print("per CPU-s: windows per second of this process's CPU time (all its threads), the cost on a core of its own")
    if min(args.baseline_windows, args.encoder_windows) < args.windows:
        print(
            f"baselines were timed on the first {args.baseline_windows} windows and the encoder on "
            f"{args.encoder_windows}; their per-window throughput is extrapolated to the {args.windows} windows"
        )
    front_end_share = best["encoder"] / (best["ours"] + best["encoder"])  # of the time to encode a window
    print(
        f"speed-up of ours: {speedup['matplotlib']:.1f}x over the matplotlib pipeline, "
        f"{speedup['scipy']:.1f}x over the scipy pipeline, {speedup['encoder']:.1f}x over the {ENCODER} encoder it "
        f"feeds (the front end is {front_end_share:.2%} of the encoding time; {threads} torch threads, batch size "
        f"{args.batch_size}, {device})"
    )

    if args.json is not None:
        record = {
            "windows": args.windows,
            "baseline_windows": args.baseline_windows,
            "baseline_extrapolated": args.baseline_windows < args.windows,
            "encoder_windows": args.encoder_windows,
            "encoder": ENCODER,
            "device": str(device),
            "batch_size": args.batch_size,
            "threads": threads,
            "cpu_count": os.cpu_count(),
            "channels": args.channels,
            "samples": args.samples,
            "sampling_rate": args.rate,
            "repeats": args.repeats,
            "quick": args.quick,
            "ours_windows_per_s": best["ours"],
            "ours_windows_per_s_median": statistics.median(results["ours"][1]),
            "ours_windows_per_cpu_s": best_cpu["ours"],
            "encoder_windows_per_cpu_s": best_cpu["encoder"],
            "matplotlib_windows_per_s": best["matplotlib"],
            "scipy_windows_per_s": best["scipy"],
            "encoder_windows_per_s": best["encoder"],
            "speedup_vs_matplotlib": speedup["matplotlib"],
            "speedup_vs_scipy": speedup["scipy"],
            "speedup_vs_encoder": speedup["encoder"],
            "front_end_share_of_encoding_time": front_end_share,
            "check_windows": int(len(check)),
            "atol": args.atol,
            "max_abs_diff_vs_matplotlib": max_diff["matplotlib"],
            "max_abs_diff_vs_scipy": max_diff["scipy"],
            **{f"other_processes_cpu_fraction_{name}": meter.fraction for name, meter in load.items()},
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": np.__version__,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(record, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
