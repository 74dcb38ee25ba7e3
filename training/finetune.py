"""Fine-tune an Img2Imu or Multi^3Net model on a few labelled IMU windows with the transformers Trainer.

The few-shot protocol: fold ``--fold`` of ``--folds`` holds out a group of subjects (recordings when subjects are
unknown); ``--shots`` windows per class are drawn (seeded) from the other groups. ``--mode frozen`` trains the new head
only (linear evaluation), ``finetune`` everything. ``TrainingArguments`` come from
``hub_configs/training/finetune.json``, each overridable on the command line. The work is
``imu_foundation.finetuning.finetune``; this script parses arguments.

    python training/finetune.py --model pretrained --dataset wrist_exercises --shots 10 --fold 0 \\
        --output_dir runs/wrist-10shot-fold0
    python training/finetune.py --model img2imu-efficientnet-lite0-acc-gyro --pretrained_weights imagenet \\
        --mode frozen --dataset basic_motions --output_dir runs/lite0-linear --push_to_hub --hub_model_id me/x
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from transformers import HfArgumentParser, TrainingArguments

from imu_foundation.finetuning import FineTuningArguments, finetune

DEFAULT_TRAINING_CONFIG = Path(__file__).resolve().parents[1] / "hub_configs/training/finetune.json"


def parse(argv: list[str] | None = None) -> tuple[FineTuningArguments, TrainingArguments]:
    argv = list(sys.argv[1:] if argv is None else argv)
    config = DEFAULT_TRAINING_CONFIG
    if "--training_config" in argv:
        at = argv.index("--training_config")
        config = Path(argv[at + 1])
        del argv[at : at + 2]
    parser = HfArgumentParser((FineTuningArguments, TrainingArguments))
    parser.set_defaults(**json.loads(config.read_text()))
    return parser.parse_args_into_dataclasses(argv)


def main(argv: list[str] | None = None) -> None:
    args, training_args = parse(argv)
    results = finetune(args, training_args)
    if training_args.should_save:
        summary = {key: results[key] for key in ("accuracy", "macro_f1")}
        print(json.dumps({"protocol": results["protocol"], **summary}, indent=2))


if __name__ == "__main__":
    main()
