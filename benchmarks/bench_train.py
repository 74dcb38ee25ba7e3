"""Pre-training throughput of Multi^3Net, and what the ``Trainer`` costs over a plain PyTorch loop.

For each model size, the same model (same seed), the same corpus windows, the same collator (sensor variety on,
cached caption embeddings) and the same optimiser (AdamW, the pre-training learning rate, gradient clipping at 1) run
``--steps`` optimisation steps twice:

* ``plain``: ``for batch in DataLoader(...): loss.backward(); clip; step; zero_grad`` (the baseline);
* ``trainer``: ``Multi3NetPretrainer`` (the package's ``Trainer``) with ``max_steps``, no evaluation, no saving, the
  per-term loss logging every 25 steps, as ``imu-foundation pretrain`` runs it.

Both are timed after one warm-up step, on the same threads. ``trainer_overhead`` is ``plain samples/s / trainer
samples/s - 1`` (target: under 0.10). The corpus is generated once (library motions, eight sites, 20 Hz, 10 s
windows, pose at 10 fps, as the pre-training corpus).

Usage::

    python benchmarks/bench_train.py                    # multi3net-small and multi3net-medium, 60 steps each
    python benchmarks/bench_train.py --quick            # multi3net-small, 15 steps (about a minute)
    python benchmarks/bench_train.py --json bench_train.json --sizes multi3net-small --steps 100 --threads 2
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import torch
from transformers import TrainerCallback

from imu_foundation.data.augmentation import SensorVariety
from imu_foundation.data.collators import Multi3NetPretrainingCollator
from imu_foundation.pretraining import (
    Multi3NetPretrainer,
    build_model_and_processor,
    build_pretraining_corpus,
    caption_embeddings,
    load_corpus,
)

BATCH = 64
LEARNING_RATE = 5e-4


def setup(size: str, corpus, seed: int = 0):
    """A seeded model, its processor and the pre-training collator over ``corpus``."""
    torch.manual_seed(seed)
    model, processor = build_model_and_processor(size, {})
    cache = caption_embeddings(model, processor.tokenizer, corpus, ["train"])
    collator = Multi3NetPretrainingCollator(
        processor.feature_extractor, cache, variety=SensorVariety(), pose_fps=model.config.pose_config.fps, seed=seed
    )
    return model, processor, collator


def plain_loop(size: str, corpus, steps: int) -> float:
    """Seconds of ``steps`` steps of a hand-written training loop (after one warm-up step)."""
    model, _, collator = setup(size, corpus)
    model.train()
    loader = torch.utils.data.DataLoader(corpus["train"], batch_size=BATCH, shuffle=True, collate_fn=collator)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trainable, lr=LEARNING_RATE, weight_decay=0.05)
    batches, started, done = iter(loader), None, -1
    while done < steps:
        try:
            batch = next(batches)
        except StopIteration:
            batches = iter(loader)
            continue
        loss = model(**{**batch, "return_loss": True}).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimiser.step()
        optimiser.zero_grad(set_to_none=True)
        done += 1
        if done == 0:
            started = time.perf_counter()  # after the warm-up step
    return time.perf_counter() - started


class _Clock(TrainerCallback):
    """Starts the clock at the end of the first step (the warm-up)."""

    started: float | None = None

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == 1:
            self.started = time.perf_counter()


def trainer_loop(size: str, corpus, steps: int, output: Path) -> float:
    """Seconds of ``steps`` steps of the package's pre-training ``Trainer`` (after one warm-up step)."""
    from transformers import TrainingArguments

    model, processor, collator = setup(size, corpus)
    args = TrainingArguments(
        output_dir=str(output), max_steps=steps + 1, per_device_train_batch_size=BATCH, learning_rate=LEARNING_RATE,
        weight_decay=0.05, max_grad_norm=1.0, lr_scheduler_type="constant", logging_steps=25, save_strategy="no",
        eval_strategy="no", report_to="none", disable_tqdm=True, remove_unused_columns=False,
        dataloader_num_workers=0, seed=0,
    )  # fmt: skip
    trainer = Multi3NetPretrainer(
        model=model, args=args, train_dataset=corpus["train"], data_collator=collator, processing_class=processor
    )
    clock = _Clock()
    trainer.add_callback(clock)
    trainer.train()
    return time.perf_counter() - clock.started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="multi3net-small, 15 steps: about a minute")
    parser.add_argument("--sizes", nargs="+", default=["multi3net-small", "multi3net-medium"])
    parser.add_argument("--steps", type=int, default=60, help="timed steps of each loop (default: 60)")
    parser.add_argument("--windows", type=int, default=512, help="corpus windows to generate (default: 512)")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch threads")
    parser.add_argument("--json", type=Path, default=None, help="write the figures as one flat JSON object")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.steps, args.windows = ["multi3net-small"], 15, 160
    torch.set_num_threads(args.threads)
    figures: dict[str, float | str] = {"threads": args.threads, "batch": BATCH, "steps": args.steps}
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        build_pretraining_corpus(Path(scratch) / "corpus", args.windows, pose_rate_hz=10.0, seed=0)
        corpus = load_corpus(str(Path(scratch) / "corpus"))
        print(f"corpus: {len(corpus['train'])} training windows in {time.perf_counter() - started:.0f} s")
        for size in args.sizes:
            plain_s = plain_loop(size, corpus, args.steps)
            trainer_s = trainer_loop(size, corpus, args.steps, Path(scratch) / size)
            plain_rate, trainer_rate = BATCH * args.steps / plain_s, BATCH * args.steps / trainer_s
            overhead = plain_rate / trainer_rate - 1
            key = size.replace("multi3net-", "")
            figures |= {
                f"samples_per_s_{key}": round(trainer_rate, 1),
                f"plain_samples_per_s_{key}": round(plain_rate, 1),
                f"trainer_overhead_{key}": round(overhead, 4),
            }
            print(
                f"{size}: Trainer {trainer_rate:.1f} samples/s, plain loop {plain_rate:.1f} samples/s, "
                f"Trainer overhead {overhead:+.1%} ({args.steps} steps of {BATCH}, {args.threads} thread(s))"
            )
    first = args.sizes[0].replace("multi3net-", "")
    figures["samples_per_s"] = figures[f"samples_per_s_{first}"]
    figures["trainer_overhead"] = figures[f"trainer_overhead_{first}"]
    figures["machine"] = f"{platform.machine()}, {torch.__version__}"
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
