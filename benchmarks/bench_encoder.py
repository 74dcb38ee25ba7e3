"""Inference throughput of the Img2Imu encoders against the source package ``efficientnet-lite-pytorch``.

Each configuration encodes the same spectrogram images (real smartwatch windows from ``load_wrist_exercises()``
through ``ImuSpectrogramFeatureExtractor``) into pooled features ``(B, D)`` with:

* ``reference``: ``efficientnet_lite_pytorch.EfficientNet.from_pretrained("efficientnet-lite0", weights_path=...)``
  with the same ImageNet weights, ``extract_features`` then the spatial mean (EfficientNet-Lite0 only; the package
  has no ResNet-18);
* ``plain``: ``Img2ImuModel``'s training graph in eval mode (convolution, BatchNorm, TF "SAME" padding by
  ``F.pad`` on every convolution; ``backbone.forward_unfolded``);
* ``ours``: ``Img2ImuModel`` under ``torch.inference_mode()``: the folded inference path (BatchNorm folded into the
  convolutions, symmetric padding where "SAME" is symmetric, channels_last), float32;
* ``ours bf16``: the same under ``torch.autocast("cpu", dtype=torch.bfloat16)`` (not compared at 1e-4: bfloat16
  keeps 8 significant bits).

Configurations: EfficientNet-Lite0 at 96x128 (one sensor) and 192x128 (accelerometer + gyroscope tiles), ResNet-18
at 96x128 (random weights: none ship offline). Pooled features of ``ours`` must equal the reference (or, for
ResNet-18, the plain path) within ``--atol``. ``--processes`` also times the EfficientNet-Lite0 192x128 encoder in
several processes at once (e.g. ``1x2,2x1,2x2``: processes x torch threads each), the layouts of multi-process
corpus building and training.

Usage::

    python benchmarks/bench_encoder.py                  # 512 windows per configuration, process layouts too
    python benchmarks/bench_encoder.py --quick          # 128 windows, 2 passes, no process layouts or F1
    python benchmarks/bench_encoder.py --json bench.json --threads 2 --batch-size 64
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

from imu_foundation import Img2ImuConfig, Img2ImuModel, create_feature_extractor
from imu_foundation.data import load_wrist_exercises
from imu_foundation.evaluation import PROBES, FewShotProtocol, few_shot_scores
from imu_foundation.models.img2imu.convert_efficientnet_lite_to_img2imu import (
    imagenet_weights_path,
    load_imagenet_backbone,
)
from imu_foundation.utils import native_bfloat16

# (name, backbone, hub variant of the feature extractor, IMU channels used)
CONFIGS = (
    ("efficientnet_lite0 96x128", "efficientnet_lite0", "img2imu-efficientnet-lite0", 3),
    ("efficientnet_lite0 192x128", "efficientnet_lite0", "img2imu-efficientnet-lite0-acc-gyro", 6),
    ("resnet18 96x128", "resnet18", "img2imu-resnet18", 3),
)
PROCESS_STUDY_CONFIG = 1  # EfficientNet-Lite0 192x128, the demo's encoder


class OtherLoad:
    """CPU time other processes used while a block ran, as a fraction of all CPUs (Linux ``/proc/stat``; else None)."""

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


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def spectrogram_images(variant: str, channels: int, num_windows: int) -> torch.Tensor:
    """``(N, 3, H, W)`` images of the first ``num_windows`` real smartwatch windows (5 s at 50 Hz), cycled."""
    data = load_wrist_exercises()
    index = np.arange(num_windows) % len(data.windows)
    extractor = create_feature_extractor(variant)
    return extractor(data.windows[index, :, :channels], sampling_rate=data.sampling_rate_hz)["pixel_values"]


def img2imu_model(backbone: str) -> Img2ImuModel:
    """The encoder in eval mode: ImageNet weights for EfficientNet-Lite0, seeded random ones for ResNet-18."""
    torch.manual_seed(0)
    model = Img2ImuModel(Img2ImuConfig(backbone=backbone))
    if backbone == "efficientnet_lite0":
        load_imagenet_backbone(model)
    return model.eval()


def build_encoders(backbone: str) -> dict:
    """The pooled-feature functions ``(B, 3, H, W) -> (B, D)`` of every method for ``backbone``."""
    model = img2imu_model(backbone)

    def ours(x):
        return model(x).pooler_output

    def ours_bf16(x):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return model(x).pooler_output.float()

    encoders = {}
    if backbone == "efficientnet_lite0":
        from efficientnet_lite_pytorch import EfficientNet

        source = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=str(imagenet_weights_path())).eval()
        encoders["reference"] = lambda x: source.extract_features(x).mean(dim=(2, 3))
    encoders["plain"] = lambda x: model.backbone.forward_unfolded(x).mean(dim=(2, 3))
    return encoders | {"ours": ours, "ours bf16": ours_bf16}


def encode(encoder, images: torch.Tensor, batch_size: int) -> torch.Tensor:
    with torch.inference_mode():
        return torch.cat([encoder(images[i : i + batch_size]) for i in range(0, len(images), batch_size)])


def time_encoders(
    encoders: dict, images: torch.Tensor, batch_size: int, repeats: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Windows per second and per CPU-second (this process, all threads, user + system) of ``repeats`` passes of each
    encoder over ``images`` in batches, after a warm-up batch.

    The methods take turns pass by pass, so that a neighbour's load on a shared machine slows all of them alike.
    """
    for encoder in encoders.values():
        encode(encoder, images[:batch_size], batch_size)
    wall, cpu = {method: [] for method in encoders}, {method: [] for method in encoders}
    for _ in range(repeats):
        for method, encoder in encoders.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            encode(encoder, images, batch_size)
            wall[method].append(len(images) / (time.perf_counter() - start))
            cpu[method].append(len(images) / (time.process_time() - start_cpu))
    return wall, cpu


def paired_speedup(rates: dict[str, list[float]], method: str, baseline: str) -> float:
    """Median over the rounds of ``method``'s rate over ``baseline``'s in the same round (robust to a busy machine)."""
    return statistics.median(a / b for a, b in zip(rates[method], rates[baseline]))


def _process_worker(threads, images, batch_size, passes, barrier, results):
    torch.set_num_threads(threads)
    model = img2imu_model("efficientnet_lite0")

    def encoder(x):
        return model(x).pooler_output

    encode(encoder, images[:batch_size], batch_size)  # warm-up
    barrier.wait()
    start = time.perf_counter()
    for _ in range(passes):
        encode(encoder, images, batch_size)
    results.put((start, time.perf_counter(), passes * len(images)))


def time_layout(processes: int, threads: int, images: torch.Tensor, batch_size: int, passes: int) -> float:
    """Windows per second of ``processes`` processes with ``threads`` torch threads each, all encoding at once."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes), context.Queue()
    workers = [
        context.Process(target=_process_worker, args=(threads, images, batch_size, passes, barrier, results))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    spans = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    return sum(count for _, _, count in spans) / (max(end for _, end, _ in spans) - min(s for s, _, _ in spans))


def few_shot_float32_vs_bfloat16(batch_size: int) -> dict[str, float]:
    """Macro-F1 (mean over runs) of frozen ImageNet EfficientNet-Lite0 features of all real windows (acc + gyro,
    192x128) in float32 and under bfloat16 autocast, by the demo's protocol; plus the paired differences."""
    data = load_wrist_exercises()
    _, backbone, variant, channels = CONFIGS[PROCESS_STUDY_CONFIG]
    images = spectrogram_images(variant, channels, len(data.windows))
    encoders = build_encoders(backbone)
    features = {
        dtype: encode(encoders[method], images, batch_size).double().numpy()
        for dtype, method in (("float32", "ours"), ("bfloat16", "ours bf16"))
    }
    scores = few_shot_scores(features, data.labels, data.subjects, FewShotProtocol())
    record = {}
    for probe in PROBES:
        key = probe.replace(" ", "_")
        paired = np.array(scores["bfloat16"][probe]) - np.array(scores["float32"][probe])
        record[f"few_shot_macro_f1_float32_{key}"] = float(np.mean(scores["float32"][probe]))
        record[f"few_shot_macro_f1_bfloat16_{key}"] = float(np.mean(scores["bfloat16"][probe]))
        record[f"few_shot_macro_f1_bfloat16_minus_float32_{key}"] = float(paired.mean())
        record[f"few_shot_macro_f1_bfloat16_minus_float32_worst_{key}"] = float(paired.min())
    record["few_shot_windows"] = len(data.windows)
    return record


def parse_layouts(text: str) -> list[tuple[int, int]]:
    layouts = []
    for item in filter(None, text.split(",")):
        processes, threads = (int(v) for v in item.lower().split("x"))
        if processes < 1 or threads < 1:
            raise ValueError(f"layout {item!r}: processes and threads must be positive")
        layouts.append((processes, threads))
    return layouts


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--windows", type=int, default=None, help="windows per configuration (512; 128 quick)")
    parser.add_argument("--batch-size", type=int, default=64, help="windows per encoder call (default 64)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's own)")
    parser.add_argument("--repeats", type=int, default=None, help="timed passes per method, best counts (3; 2 quick)")
    parser.add_argument("--atol", type=float, default=1e-4, help="largest |ours - reference| of pooled features")
    parser.add_argument(
        "--processes",
        default=None,
        help="process layouts 'PxT,...' (P processes x T torch threads) for EfficientNet-Lite0 192x128; "
        "default 1x2,2x1,2x2 (none with --quick); '' for none",
    )
    parser.add_argument(
        "--few-shot",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="compare few-shot macro-F1 of float32 and bfloat16 features on all real windows (default: on; off quick)",
    )
    parser.add_argument("--quick", action="store_true", help="a run of well under a minute")
    parser.add_argument("--json", type=Path, default=None, help="write the results as a flat JSON object here")
    args = parser.parse_args(argv)
    if args.windows is None:
        args.windows = 128 if args.quick else 512
    if args.repeats is None:
        args.repeats = 2 if args.quick else 3
    if args.few_shot is None:
        args.few_shot = not args.quick
    if args.processes is None:
        args.processes = "" if args.quick else "1x2,2x1,2x2"
    try:
        args.layouts = parse_layouts(args.processes)
    except ValueError as error:
        parser.error(f"--processes: {error}")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()
    bf16 = native_bfloat16("cpu")
    print(
        f"{args.windows} real smartwatch windows per configuration, batches of {args.batch_size}, torch threads = "
        f"{threads} (of {os.cpu_count()} CPUs), best of {args.repeats} passes; CPU: {cpu_name()}, "
        f"native bfloat16: {'yes' if bf16 else 'no (emulated, slow)'}"
    )

    record, rows, loads = {}, [], {}
    for name, backbone, variant, channels in CONFIGS:
        images = spectrogram_images(variant, channels, args.windows)
        encoders = build_encoders(backbone)
        baseline = "reference" if "reference" in encoders else "plain"
        features = {method: encode(encoder, images, args.batch_size) for method, encoder in encoders.items()}
        diff = {method: float((features[method] - features[baseline]).abs().max()) for method in encoders}
        if diff["ours"] > args.atol:
            print(f"{name}: max |ours - {baseline}| = {diff['ours']:.2e} exceeds --atol {args.atol:g}")
            return 1
        with OtherLoad() as load:
            wall, cpu = time_encoders(encoders, images, args.batch_size, args.repeats)
        loads[name] = load.fraction
        key = name.replace(" ", "_")
        for method in encoders:
            speedup = "" if method == baseline else f"{paired_speedup(wall, method, baseline):.2f}x"
            shown = "" if method == baseline else f"{diff[method]:.1e}"
            best, median = max(wall[method]), statistics.median(wall[method])
            rows.append((name, method, best, median, max(cpu[method]), speedup, shown))
            record[f"{key}_{method.replace(' ', '_')}_windows_per_s"] = max(wall[method])
            record[f"{key}_{method.replace(' ', '_')}_windows_per_cpu_s"] = max(cpu[method])
        record[f"{key}_max_abs_diff"] = diff["ours"]
        record[f"{key}_max_abs_diff_bf16"] = diff["ours bf16"]
        record[f"{key}_speedup_vs_{baseline}"] = paired_speedup(wall, "ours", baseline)
        record[f"{key}_speedup_bf16_vs_{baseline}"] = paired_speedup(wall, "ours bf16", baseline)
        record[f"{key}_speedup_vs_plain"] = paired_speedup(wall, "ours", "plain")
        print(f"  {name}: {tuple(images.shape[1:])} images, ours vs {baseline}: max |diff| = {diff['ours']:.1e}")

    print()
    header = ("configuration", "method", "windows/s (best)", "median", "per CPU-s", "vs baseline", "max|diff|")
    print(f"{header[0]:<28}{header[1]:<11}" + "".join(f"{h:>{w}}" for h, w in zip(header[2:], (17, 9, 11, 13, 11))))
    for name, method, best_rate, median, cpu_rate, speedup, shown in rows:
        print(f"{name:<28}{method:<11}{best_rate:>17,.1f}{median:>9,.1f}{cpu_rate:>11,.1f}{speedup:>13}{shown:>11}")
    print(
        "(baseline: the reference package for EfficientNet-Lite0, the plain path for ResNet-18; 'vs baseline' is the "
        "median over the passes of the ratio to the baseline's pass next to it; 'per CPU-s': windows per CPU-second "
        "of this process, best pass)"
    )

    layouts = {}
    if args.layouts:
        _, _, variant, channels = CONFIGS[PROCESS_STUDY_CONFIG]
        images = spectrogram_images(variant, channels, args.windows)
        passes = max(1, args.repeats - 1)
        print(
            f"\nprocess layouts, EfficientNet-Lite0 192x128 'ours', all processes encoding at once ({passes} passes):"
        )
        for processes, layout_threads in args.layouts:
            with OtherLoad() as load:
                rate = time_layout(processes, layout_threads, images, args.batch_size, passes)
            layouts[f"{processes}x{layout_threads}"] = rate
            loads[f"layout {processes}x{layout_threads}"] = load.fraction
            record[f"layout_{processes}x{layout_threads}_windows_per_s"] = rate
            print(f"  {processes} process(es) x {layout_threads} thread(s): {rate:8.1f} windows/s in all")

    if args.few_shot:
        f1 = few_shot_float32_vs_bfloat16(args.batch_size)
        record |= f1
        protocol = FewShotProtocol()
        print(
            f"\nfew-shot macro-F1 of frozen EfficientNet-Lite0 192x128 features, {f1['few_shot_windows']} real windows "
            f"({protocol.shots} shots, {protocol.folds} leave-subjects-out folds x {protocol.repeats} draws):"
        )
        for probe in PROBES:
            key = probe.replace(" ", "_")
            print(
                f"  {probe:<20} float32 {f1[f'few_shot_macro_f1_float32_{key}']:.4f}  bfloat16 "
                f"{f1[f'few_shot_macro_f1_bfloat16_{key}']:.4f}  paired difference mean "
                f"{f1[f'few_shot_macro_f1_bfloat16_minus_float32_{key}']:+.4f}, worst "
                f"{f1[f'few_shot_macro_f1_bfloat16_minus_float32_worst_{key}']:+.4f}"
            )

    lite0 = [name.replace(" ", "_") for name, backbone, *_ in CONFIGS if backbone == "efficientnet_lite0"]
    speedup = min(record[f"{key}_speedup_vs_reference"] for key in lite0)
    max_diff = max(record[f"{key}_max_abs_diff"] for key in lite0)
    print(
        f"\nspeed-up of ours over efficientnet-lite-pytorch: {speedup:.2f}x at least (float32, max |diff| "
        f"{max_diff:.1e}); bfloat16 autocast: "
        + ", ".join(f"{record[f'{key}_speedup_bf16_vs_reference']:.2f}x" for key in lite0)
    )
    shares = {name: share for name, share in loads.items() if share is not None}
    if shares and max(shares.values()) > 0.05:
        print(
            f"other processes took up to {max(shares.values()):.0%} of the CPUs while timing: the throughputs "
            "above are lower bounds"
        )

    if args.json is not None:
        record = {
            "speedup_vs_reference": speedup,
            "max_abs_diff": max_diff,
            "atol": args.atol,
            "windows": args.windows,
            "batch_size": args.batch_size,
            "threads": threads,
            "cpu_count": os.cpu_count(),
            "repeats": args.repeats,
            "quick": args.quick,
            "native_bf16": bool(bf16),
            "cpu": cpu_name(),
            **record,
            "other_processes_cpu_fraction_max": max(shares.values()) if shares else None,
            "python": platform.python_version(),
            "torch": torch.__version__,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(record, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
