"""Few-shot fine-tuning of an Img2Imu classifier on real wrist IMU data with the transformers Trainer.

Data: seglearn's smartwatch shoulder-exercise recordings (7 classes, 10 subjects, acc + gyro at 50 Hz), cut into 5 s
windows with 50 % overlap. Protocol (IMG2IMU's): the subjects are split into ``--folds`` groups; fold ``--fold``'s
subjects are the test set, ``--shots`` windows per class are drawn (seeded) from the other subjects for training.
Linear evaluation (``--freeze_backbone``) or full fine-tuning; Adam(W), cosine schedule with warm-up, batch 4.

The raw windows live in a ``datasets.Dataset``; the collator turns each batch into spectrogram images with the
model's feature extractor, as audio models do.

    python training/finetune_img2imu.py --model img2imu-efficientnet-lite0-acc-gyro --pretrained imagenet \\
        --shots 10 --fold 0 --freeze_backbone --output_dir runs/lite0-linear-fold0
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from datasets import Array2D, ClassLabel, Dataset, Features
from transformers import TrainingArguments

from imu_foundation import Img2ImuForImuClassification, create_feature_extractor, create_model
from imu_foundation.data import load_wrist_exercises
from imu_foundation.evaluation import draw_shots, macro_f1, subject_folds
from imu_foundation.plotting import save_confusion_matrix
from imu_foundation.trainer import SafetensorsTrainer


def few_shot_split(labels, subjects, shots: int, fold: int, folds: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of ``shots`` training windows per class from the training subjects, and all test-subject windows."""
    held_out = subject_folds(subjects, folds, seed)[fold]
    is_test = np.isin(subjects, held_out)
    train = draw_shots(labels, np.flatnonzero(~is_test), shots, np.random.default_rng([seed, fold]))
    return np.sort(train), np.flatnonzero(is_test)


def to_dataset(windows: np.ndarray, labels: np.ndarray, label_names: list[str]) -> Dataset:
    features = Features(
        {"imu": Array2D(shape=(None, windows.shape[2]), dtype="float32"), "label": ClassLabel(names=label_names)}
    )
    return Dataset.from_dict({"imu": list(windows), "label": labels.tolist()}, features=features).with_format("numpy")


class SpectrogramCollator:
    """Batches of raw ``(T, C)`` windows -> ``pixel_values`` and ``labels``."""

    def __init__(self, feature_extractor, sampling_rate: float):
        self.feature_extractor, self.sampling_rate = feature_extractor, sampling_rate

    def __call__(self, examples: list[dict]) -> dict[str, torch.Tensor]:
        images = self.feature_extractor([e["imu"] for e in examples], sampling_rate=self.sampling_rate)
        return {"pixel_values": images["pixel_values"], "labels": torch.tensor([int(e["label"]) for e in examples])}


def compute_metrics(prediction) -> dict[str, float]:
    predicted = prediction.predictions.argmax(-1)
    num_classes = prediction.predictions.shape[-1]
    return {
        "accuracy": float((predicted == prediction.label_ids).mean()),
        "macro_f1": macro_f1(prediction.label_ids, predicted, num_classes),
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="img2imu-efficientnet-lite0-acc-gyro", help="a hub_configs/ variant")
    parser.add_argument("--pretrained", default=None, help="offline weights of the variant, e.g. imagenet")
    parser.add_argument("--init_from", type=Path, default=None, help="an Img2Imu encoder folder (e.g. MoCo output)")
    parser.add_argument("--output_dir", type=Path, required=True)
    parser.add_argument("--shots", type=int, default=10, help="labelled windows per class")
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--freeze_backbone", action="store_true", help="linear evaluation")
    parser.add_argument("--epochs", type=float, default=50)
    parser.add_argument("--batch_size", type=int, default=4)
    parser.add_argument("--learning_rate", type=float, default=1e-3)
    parser.add_argument("--window_seconds", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--push_to_hub", action="store_true")
    parser.add_argument("--hub_model_id", default=None)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.output_dir.exists() and any(args.output_dir.iterdir()):
        raise FileExistsError(f"{args.output_dir} is not empty; choose a new folder (nothing was overwritten).")
    data = load_wrist_exercises(window_s=args.window_seconds)
    train_idx, test_idx = few_shot_split(data.labels, data.subjects, args.shots, args.fold, args.folds, args.seed)
    train = to_dataset(data.windows[train_idx], data.labels[train_idx], data.label_names)
    test = to_dataset(data.windows[test_idx], data.labels[test_idx], data.label_names)

    labels = {"num_labels": len(data.label_names), "id2label": dict(enumerate(data.label_names))}
    if args.init_from is not None:
        model = Img2ImuForImuClassification.from_pretrained(
            args.init_from, freeze_backbone=args.freeze_backbone, **labels
        )
    else:
        model = create_model(
            args.model,
            task="classification",
            pretrained=args.pretrained,
            freeze_backbone=args.freeze_backbone,
            **labels,
        )
    feature_extractor = create_feature_extractor(args.model, sampling_rate=int(data.sampling_rate_hz))

    training_args = TrainingArguments(
        output_dir=str(args.output_dir),
        num_train_epochs=args.epochs,
        per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=64,
        learning_rate=args.learning_rate,
        lr_scheduler_type="cosine",
        warmup_steps=0.1,  # a float below 1 is a fraction of the training steps
        optim="adamw_torch",
        weight_decay=0.0,
        save_strategy="no",
        eval_strategy="no",
        logging_steps=10,
        remove_unused_columns=False,
        report_to="none",
        seed=args.seed,
        data_seed=args.seed,
        dataloader_num_workers=0,
        push_to_hub=args.push_to_hub,
        hub_model_id=args.hub_model_id,
    )
    trainer = SafetensorsTrainer(  # like Trainer, but no pickled training_args.bin
        model=model,
        args=training_args,
        train_dataset=train,
        eval_dataset=test,
        data_collator=SpectrogramCollator(feature_extractor, data.sampling_rate_hz),
        processing_class=feature_extractor,
        compute_metrics=compute_metrics,
    )
    trainer.train()
    metrics = trainer.evaluate()
    predictions = trainer.predict(test)
    num_classes = len(data.label_names)
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (predictions.label_ids, predictions.predictions.argmax(-1)), 1)

    trainer.save_model()  # safetensors + config + preprocessor_config.json
    protocol = {
        "dataset": "seglearn load_watch (wrist, acc+gyro, 50 Hz)",
        "window_seconds": args.window_seconds,
        "shots_per_class": args.shots,
        "fold": args.fold,
        "folds": args.folds,
        "split": "by subject",
        "seed": args.seed,
        "linear_evaluation": args.freeze_backbone,
        "train_windows": len(train),
        "test_windows": len(test),
    }
    result = {"protocol": protocol, "metrics": metrics, "confusion_matrix": matrix.tolist(), "labels": data.label_names}
    (args.output_dir / "few_shot_results.json").write_text(json.dumps(result, indent=2))
    save_confusion_matrix(matrix, data.label_names, args.output_dir / "confusion_matrix.png")
    print(json.dumps({"protocol": protocol, "macro_f1": metrics["eval_macro_f1"]}, indent=2))
    if args.push_to_hub:
        trainer.push_to_hub()


if __name__ == "__main__":
    main()
