"""Pre-train Multi^3Net on a synthetic IMU corpus with the transformers Trainer.

The model comes from a ``hub_configs/`` variant and the ``TrainingArguments`` from a JSON file
(``hub_configs/training/pretrain-multi3net-small.json`` by default); every field of either can be overridden on the
command line. The work is ``imu_foundation.pretraining.pretrain``; this script parses arguments.

    python dataset_builders/build_synthetic_corpus.py --output corpora/library-20k --num-windows 20000 \\
        --sites left_wrist,right_wrist,left_thigh,right_thigh,pelvis,chest,left_ankle,right_ankle \\
        --sampling-rate 20 --window-s 10 --pose-rate 10 --num-proc 2
    python training/pretrain_multi3net.py --corpus corpora/library-20k --output_dir runs/multi3net-small

    # several processes (CPU: DDP over gloo; GPUs: one per process); interrupted runs continue with --resume
    accelerate launch --multi_gpu --num_processes 2 training/pretrain_multi3net.py --corpus ... --output_dir ...
    torchrun --nproc_per_node 2 training/pretrain_multi3net.py --corpus ... --output_dir ... --resume
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from transformers import HfArgumentParser, TrainingArguments

from imu_foundation.pretraining import PretrainingArguments, pretrain

DEFAULT_TRAINING_CONFIG = Path(__file__).resolve().parents[1] / "hub_configs/training/pretrain-multi3net-small.json"


def parse(argv: list[str] | None = None) -> tuple[PretrainingArguments, TrainingArguments]:
    argv = list(sys.argv[1:] if argv is None else argv)
    config = DEFAULT_TRAINING_CONFIG
    if "--training_config" in argv:
        at = argv.index("--training_config")
        config = Path(argv[at + 1])
        del argv[at : at + 2]
    parser = HfArgumentParser((PretrainingArguments, TrainingArguments))
    parser.set_defaults(**json.loads(config.read_text()))
    return parser.parse_args_into_dataclasses(argv)


def main(argv: list[str] | None = None) -> None:
    args, training_args = parse(argv)
    metrics = pretrain(args, training_args)
    if training_args.should_save:
        print(json.dumps(metrics, indent=2, default=str))


if __name__ == "__main__":
    main()
