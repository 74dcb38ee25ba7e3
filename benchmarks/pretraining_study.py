"""Pre-training study of Multi^3Net: seeds, an ablation of the loss terms and of sensor variety, and novel activities.

Every run is ``imu-foundation pretrain`` on the same corpus with the ``pretrain-multi3net-small`` training arguments
(``--max_steps`` here), differing only in what its row names. Each finished run is then measured, with no label of
the real data used for training:

* zero-shot on the real benchmarks (``evaluation.zero_shot_benchmarks``): BasicMotions' 40 test windows (and all
  80), seglearn's wrist exercises (1,737 windows); accuracy and macro-F1, class-name prompts (4 templates) and
  the datasets' label strings;
* retrieval on the corpus' validation split (split by motion, never trained on): the first caption of each of
  512 windows against those windows, Recall@1/5/10 and MRR, instance and activity level, left wrist channels.

Model selection is declared before any test number: each run keeps its checkpoint with the best zero-shot accuracy
on BasicMotions' 40 *training* windows (evaluated every ``eval_steps``), class-name prompts.

Runs (``RUNS``): ``full-seed{0,1,2}`` (all five loss terms, sensor variety on), ``text-imu-only`` (the text-IMU
InfoNCE alone), ``no-pose`` (no text-pose, IMU-pose or Pose2IMU term), ``no-reconstruction``, ``clean-sensors``
(random subsets of sites as in every run, but no mounting tilt or flips, no MEMS errors, gravity always included,
one rate, whole windows) and ``novel-activities`` (the nine shoulder-exercise activities left out of the
corpus, so the wrist exercises are unseen activities).

Finished runs are skipped, interrupted ones resume. Writes ``pretraining_study.json`` (every run's arguments and
scores) and ``pretraining_study.md`` (tables) into ``--output-dir``.

Usage::

    python benchmarks/pretraining_study.py --corpus corpora/pretrain-20k --runs-dir runs/pretraining-study
    python benchmarks/pretraining_study.py --only full-seed0,text-imu-only --max-steps 1500
    python benchmarks/pretraining_study.py --quick      # a tiny corpus and model, 2 runs, 20 steps: about a minute
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

NOVEL_ACTIVITIES = (
    "pendulum,shoulder_abduction,shoulder_flexion,internal_rotation,external_rotation,"
    "shoulder_shrugs,lower_trapezius_row,bent_over_row,upright_row"
)
ZERO_OTHER_TERMS = {
    "text_pose_loss_weight": 0.0,
    "imu_pose_loss_weight": 0.0,
    "pose2imu_loss_weight": 0.0,
    "reconstruction_loss_weight": 0.0,
}
NO_POSE = {"text_pose_loss_weight": 0.0, "imu_pose_loss_weight": 0.0, "pose2imu_loss_weight": 0.0}
# Sensor variety off except the random subsets of sites (all eight sites in every example would cost ~4x the compute):
# no mounting tilt or flips, no MEMS errors, gravity always included, the model's rate, whole 10 s windows.
CLEAN_SENSORS = {
    "side_unknown_probability": 0.0,
    "acc_only_probability": 0.0,
    "tilt_std_deg": 0.0,
    "flip_probability": 0.0,
    "gravity_removed_probability": 0.0,
    "sensor_errors": False,
    "device_rates_hz": [],
    "window_s": [10.0, 10.0],
}
RUNS: dict[str, list[str]] = {
    "full-seed0": ["--seed", "0"],
    "full-seed1": ["--seed", "1"],
    "full-seed2": ["--seed", "2"],
    "text-imu-only": ["--config_overrides", json.dumps(ZERO_OTHER_TERMS)],
    "no-pose": ["--config_overrides", json.dumps(NO_POSE)],
    "no-reconstruction": ["--config_overrides", json.dumps({"reconstruction_loss_weight": 0.0})],
    "clean-sensors": ["--sensor_variety", json.dumps(CLEAN_SENSORS)],
    "novel-activities": ["--exclude_activities", NOVEL_ACTIVITIES],
}
HEADLINE = (
    "basic_motions_test_accuracy",
    "basic_motions_all_accuracy",
    "wrist_exercises_macro_f1",
    "wrist_exercises_accuracy",
)


def train(name: str, corpus: str, runs_dir: Path, max_steps: int, quick: bool) -> Path:
    output = runs_dir / name
    status = output / "imu_foundation_run.json"
    if status.exists() and json.loads(status.read_text()).get("status") == "complete":
        return output
    command = [sys.executable, "-m", "imu_foundation.cli", "pretrain", "--corpus", corpus, "--output_dir", str(output)]
    every = str(max(1, max_steps // 10))  # ten evaluations: ten candidate checkpoints
    command += ["--max_steps", str(max_steps), "--eval_steps", every, "--save_steps", every, "--disable_tqdm", "true"]
    command += RUNS[name]
    if quick:
        command += ["--model", "multi3net-tiny", "--logging_steps", "5", "--per_device_train_batch_size", "8"]
        command += ["--max_eval_windows", "16"]
    if status.exists():
        command.append("--resume")
    print(f"[{name}] {' '.join(command)}", flush=True)
    started = time.time()
    subprocess.run(command, check=True)
    print(f"[{name}] trained in {time.time() - started:.0f} s", flush=True)
    return output


def measure(output: Path, corpus: str, quick: bool, checkpoint: str | None = None) -> dict:
    """The run's zero-shot and retrieval scores (cached in ``output/study_scores.json``), of its selected model or,
    with ``checkpoint``, of that checkpoint folder (``checkpoint-1000``: the last step)."""
    from transformers import AutoModel, AutoProcessor

    from imu_foundation.evaluation.zero_shot_benchmarks import PROMPT_SETS, synthetic_retrieval, zero_shot_on_benchmarks
    from imu_foundation.pretraining import load_corpus

    cached = output / (f"study_scores_{checkpoint}.json" if checkpoint else "study_scores.json")
    if cached.exists():
        return json.loads(cached.read_text())
    source = output / checkpoint if checkpoint else output
    model, processor = AutoModel.from_pretrained(source).eval(), AutoProcessor.from_pretrained(source)
    scores = {prompts: zero_shot_on_benchmarks(model, processor, prompts) for prompts in PROMPT_SETS}
    validation = load_corpus(corpus)["validation"]
    scores["retrieval"] = synthetic_retrieval(model, processor, validation, max_windows=64 if quick else 512)
    record = json.loads((output / "imu_foundation_run.json").read_text())
    scores["train"] = {
        "best_step": _best_step(output),
        "train_runtime_s": record.get("results", {}).get("train_runtime"),
        "arguments": record.get("arguments", {}),
    }
    cached.write_text(json.dumps(scores, indent=2))
    return scores


def _best_step(output: Path) -> int | None:
    states = sorted(output.glob("checkpoint-*/trainer_state.json"), key=lambda p: int(p.parent.name.split("-")[1]))
    if not states:
        return None
    best = json.loads(states[-1].read_text()).get("best_model_checkpoint")
    return int(best.rsplit("-", 1)[1]) if best else None


def _mean_std(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def last_step_table(last: dict[str, dict], max_steps: int) -> str:
    """The runs' scores at their last step, beside the selected checkpoint's (what the selection rule changes)."""
    lines = ["", f"The same runs at their last step ({max_steps}), for comparison with the selected checkpoints:", ""]
    lines += ["| run | BM test acc | BM all acc | wrist macro-F1 | wrist acc | t→i R@1 (activity) |", "|" + "---|" * 6]
    for name, s in last.items():
        names = s["class names"]
        activity_recall = s["retrieval"]["activity_text_to_imu_recall@1"]
        cells = [name] + [f"{names[k]:.3f}" for k in HEADLINE] + [f"{activity_recall:.3f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def markdown(scores: dict[str, dict], max_steps: int) -> str:
    lines = [f"Runs of {max_steps} steps; checkpoint chosen on BasicMotions' 40 training windows.", ""]
    header = "| run | best step | BM test acc | BM all acc | wrist macro-F1 | wrist acc | BM test acc (labels) "
    header += "| wrist F1 (labels) | t→i R@1 (instance) | t→i R@10 (instance) | t→i R@1 (activity) |"
    lines += [header, "|" + "---|" * 11]
    for name, s in scores.items():
        names, labels, ret = s["class names"], s["label strings"], s["retrieval"]
        cells = [name, str(s["train"]["best_step"])] + [f"{names[k]:.3f}" for k in HEADLINE]
        cells += [f"{labels['basic_motions_test_accuracy']:.3f}", f"{labels['wrist_exercises_macro_f1']:.3f}"]
        cells += [f"{ret[k]:.3f}" for k in ("instance_text_to_imu_recall@1", "instance_text_to_imu_recall@10")]
        cells.append(f"{ret['activity_text_to_imu_recall@1']:.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    seeds = [s for name, s in scores.items() if name.startswith("full-seed")]
    if len(seeds) > 1:
        lines += ["", f"Full model over {len(seeds)} pre-training seeds (mean ± std):", ""]
        lines += ["| measure | class-name prompts | label strings |", "|---|---|---|"]
        for key in HEADLINE + ("basic_motions_test_macro_f1",):
            by_prompts = [_mean_std([s[p][key] for s in seeds]) for p in ("class names", "label strings")]
            lines.append(f"| {key} | {by_prompts[0]} | {by_prompts[1]} |")
        for key in ("instance_text_to_imu_recall@1", "instance_text_to_imu_recall@10", "instance_imu_to_text_mrr"):
            lines.append(f"| retrieval {key} | {_mean_std([s['retrieval'][key] for s in seeds])} | |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="corpora/pretrain-20k")
    parser.add_argument("--runs-dir", type=Path, default=Path("runs/pretraining-study"))
    parser.add_argument("--output-dir", type=Path, default=Path("outputs/pretraining_study"))
    parser.add_argument("--max-steps", type=int, default=1500)
    parser.add_argument("--only", default=",".join(RUNS), help="comma-separated runs of RUNS")
    parser.add_argument("--measure-only", action="store_true", help="score the finished runs, train nothing")
    parser.add_argument("--last-step", action="store_true", help="also score each run's last checkpoint")
    parser.add_argument("--quick", action="store_true", help="tiny corpus and model, 2 runs, 20 steps")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = sorted(set(names) - set(RUNS))
    if unknown:
        parser.error(f"unknown runs {unknown}; known: {list(RUNS)}")
    if args.quick:
        names, args.max_steps = ["full-seed0", "clean-sensors"], 20
        args.runs_dir, args.output_dir = args.runs_dir.with_name(args.runs_dir.name + "-quick"), args.output_dir
        args.corpus = str(_quick_corpus(args.runs_dir))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    scores, last = {}, {}
    for name in names:
        output = args.runs_dir / name
        if not args.measure_only:
            output = train(name, args.corpus, args.runs_dir, args.max_steps, args.quick)
        if (output / "imu_foundation_run.json").exists():
            scores[name] = measure(output, args.corpus, args.quick)
            if args.last_step and (output / f"checkpoint-{args.max_steps}").is_dir():
                last[name] = measure(output, args.corpus, args.quick, f"checkpoint-{args.max_steps}")
    args.output_dir.mkdir(parents=True, exist_ok=True)
    table = markdown(scores, args.max_steps) + (last_step_table(last, args.max_steps) if last else "")
    (args.output_dir / "pretraining_study.md").write_text(table)
    result = {"max_steps": args.max_steps, "corpus": args.corpus, "runs": RUNS, "scores": scores, "last_step": last}
    for path in (args.output_dir / "pretraining_study.json", args.json):
        if path is not None:
            path.write_text(json.dumps(result, indent=2))
    print(table)


def _quick_corpus(runs_dir: Path) -> Path:
    from imu_foundation.data.synthetic_corpus import CorpusSettings, LibrarySource, build_synthetic_corpus

    folder = runs_dir / "corpus"
    if not folder.exists():  # the multi3net-tiny sizes: 30 Hz, 2 s windows, pose at 15 fps
        sites = ("left_wrist", "right_wrist", "pelvis")
        settings = CorpusSettings(sites=sites, sampling_rate_hz=30.0, window_s=2.0, overlap=0.5, pose_rate_hz=15.0)
        splits = {"train": 0.6, "validation": 0.4}  # split by motion: a small corpus needs a large fraction
        corpus = build_synthetic_corpus(LibrarySource(), settings, num_windows=160, seed=1, split_fractions=splits)
        corpus.save_to_disk(folder)
    return folder


if __name__ == "__main__":
    main()
