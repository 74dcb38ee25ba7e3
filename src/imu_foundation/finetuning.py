"""Fine-tuning either model family on labelled IMU windows with the transformers ``Trainer``.

One entry point for both families and every mode:

- Img2Imu (spectrogram images, a vision backbone) and Multi^3Net (the IMU tower of the joint encoder), from the
  package's shipped checkpoint (``model="pretrained"``), a folder, a Hub id, or a ``hub_configs/`` variant with offline
  weights (``pretrained_weights="imagenet"``);
- ``mode="finetune"`` trains everything, ``"frozen"`` trains the new head only (linear evaluation: the encoder runs
  frozen, in eval mode).

The data is any labelled corpus in the package's schema (``label`` a ClassLabel): a built-in benchmark
(``"wrist_exercises"``, ``"basic_motions"``), a ``save_to_disk`` folder or a Hub id. The few-shot protocol draws
``shots`` training windows per class from the groups (subjects, else recordings) outside fold ``fold``'s held-out
groups, and tests on every window of the held-out groups (:func:`imu_foundation.data.few_shot.few_shot_folds`).

:class:`FewShotClassifier` is the same thing as an object with ``fit`` / ``predict`` (the few-shot study uses it);
:func:`finetune` is the command: run folder, training with checkpoints, metrics, a confusion matrix, a model card and
``push_to_hub``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .data.real_benchmarks import LabelledWindows
from .sensors import DeviceLayout

MODES = ("finetune", "frozen")
BUILT_IN_DATASETS = ("wrist_exercises", "basic_motions")


@dataclass
class FineTuningArguments:
    """What to fine-tune, on what, under which protocol (the ``TrainingArguments`` say how).

    Attributes:
        model: ``"pretrained"`` (the package's shipped Multi^3Net), a model folder or Hub id, or a ``hub_configs/``
            variant.
        pretrained_weights: offline weights of a variant (``"imagenet"`` for EfficientNet-Lite0).
        mode: ``"finetune"`` (everything trains) or ``"frozen"`` (the head only).
        dataset: ``"wrist_exercises"``, ``"basic_motions"``, a ``save_to_disk`` folder or a Hub dataset id.
        shots: training windows per class; fold / folds: which held-out group of how many.
        config_overrides: JSON object of classifier config fields to change (``'{"feature_stage": 4}'``: an
            Img2Imu head on mid-level features).
        encoder_learning_rate: with ``mode="finetune"``, the encoder's step size (the head keeps ``learning_rate``).
        resume / overwrite: what to do with an earlier run in ``output_dir``.
    """

    model: str = field(default="pretrained", metadata={"help": "'pretrained', a folder, a Hub id or a variant"})
    pretrained_weights: str | None = field(default=None, metadata={"help": "offline weights of a variant"})
    mode: str = field(default="finetune", metadata={"help": "finetune (everything trains) or frozen (head only)"})
    dataset: str = field(default="wrist_exercises", metadata={"help": "built-in benchmark, folder or Hub id"})
    shots: int = 10
    fold: int = 0
    folds: int = 5
    config_overrides: str = field(default="{}", metadata={"help": "JSON of classifier config fields to change"})
    encoder_learning_rate: float | None = field(
        default=None, metadata={"help": "the encoder's step size when fine-tuning (default: learning_rate)"}
    )
    resume: bool = False
    overwrite: bool = False

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}.")
        check_encoder_learning_rate(self.encoder_learning_rate, self.mode)
        if not isinstance(json.loads(self.config_overrides), dict):
            raise ValueError(f"config_overrides must be a JSON object, got {self.config_overrides!r}.")
        if self.shots < 1 or not 0 <= self.fold < self.folds:
            raise ValueError(f"shots must be >= 1 and fold in [0, folds), got {self.shots}, {self.fold}/{self.folds}.")


def check_encoder_learning_rate(encoder_learning_rate: float | None, mode: str) -> None:
    if encoder_learning_rate is not None and (mode != "finetune" or not encoder_learning_rate > 0):
        raise ValueError("encoder_learning_rate is a positive step size for mode='finetune' only.")


def encoder_and_head_optimizer(model, training_args, encoder_learning_rate: float | None):
    """AdamW with the new head (``classifier.*``) at ``training_args.learning_rate`` and everything else that trains
    at ``encoder_learning_rate`` (a pre-trained encoder fine-tunes with a smaller step than a new head needs); ``None``
    without an encoder step size: the ``Trainer`` builds its own optimizer."""
    if encoder_learning_rate is None:
        return None
    named = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    head = [p for name, p in named if name.startswith("classifier.")]
    encoder = [p for name, p in named if not name.startswith("classifier.")]
    groups = [{"params": head, "lr": training_args.learning_rate}, {"params": encoder, "lr": encoder_learning_rate}]
    return torch.optim.AdamW(groups, lr=training_args.learning_rate, weight_decay=training_args.weight_decay)


# ----------------------------------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------------------------------
def load_labelled_windows(dataset: str) -> LabelledWindows:
    """All windows of a labelled corpus (every split pooled: the folds decide what is trained and tested on)."""
    from .data.real_benchmarks import RealBenchmark, load_basic_motions, load_wrist_exercise_benchmark

    if dataset == "wrist_exercises":
        return load_wrist_exercise_benchmark().windows()
    if dataset == "basic_motions":
        return load_basic_motions().windows()
    import datasets

    corpus = datasets.load_from_disk(dataset) if Path(dataset).is_dir() else datasets.load_dataset(dataset)
    if not isinstance(corpus, datasets.DatasetDict):
        corpus = datasets.DatasetDict({"train": corpus})
    first = next(iter(corpus.values()))
    if "label" not in first.features:
        raise ValueError(f"{dataset} has no 'label' column: fine-tuning needs labelled windows.")
    config = {**DeviceLayout.from_dict(first[0]).to_dict(), "window_s": 1.0}
    return RealBenchmark(corpus, config).windows()


def few_shot_split(data: LabelledWindows, shots: int, fold: int, folds: int, seed: int) -> tuple[np.ndarray, ...]:
    """Training indices (``shots`` per class) and test indices (the held-out groups) of fold ``fold``."""
    from .data.few_shot import few_shot_folds

    chosen = few_shot_folds(
        data.labels, shots=shots, folds=folds, seed=seed, subjects=data.subjects, sequence_ids=data.sequence_ids
    )[fold]
    return chosen.train, chosen.test


class WindowCollator:
    """``{"imu": (T, C), "label": int}`` rows -> the classifier's inputs, through its own preprocessing."""

    def __init__(self, preprocessor, layout: DeviceLayout, family: str):
        self.preprocessor, self.layout, self.family = preprocessor, layout, family

    def __call__(self, rows: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        windows = [np.asarray(row["imu"], dtype=np.float32) for row in rows]
        inputs = self.inputs(windows)
        if "label" in rows[0]:
            inputs["labels"] = torch.tensor([int(row["label"]) for row in rows])
        return inputs

    def inputs(self, windows: list[np.ndarray]) -> dict[str, torch.Tensor]:
        if self.family == "img2imu":
            images = self.preprocessor(windows, sampling_rate=self.layout.sampling_rate_hz)
            return {"pixel_values": images["pixel_values"]}
        features = self.preprocessor(windows, layout=self.layout, whole=True)
        return {"imu_values": features["imu_values"], "imu_channel_ids": features["imu_channel_ids"]}


# ----------------------------------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------------------------------
def resolve_model(model: str) -> str:
    """``"pretrained"`` -> the shipped checkpoint's folder; anything else unchanged."""
    if model == "pretrained":
        from .pretrained import pretrained_path

        return str(pretrained_path())
    return model


def build_classifier(
    model: str,
    label_names: list[str],
    mode: str,
    pretrained_weights: str | None = None,
    config_overrides: dict[str, Any] | None = None,
):
    """A classification model with a new head for ``label_names``, its preprocessor, and its family.
    ``config_overrides``: config fields to change (``{"feature_stage": 4}`` for an Img2Imu head on mid-level
    features)."""
    from transformers import AutoConfig, AutoFeatureExtractor

    from .factory import create_feature_extractor, create_model, get_variant, list_models
    from .models.img2imu import Img2ImuForImuClassification
    from .models.multi3net import Multi3NetForImuClassification

    labels = {"num_labels": len(label_names), "id2label": dict(enumerate(label_names))}
    labels["label2id"] = {name: index for index, name in enumerate(label_names)}
    labels.update(config_overrides or {})
    source = resolve_model(model)
    if source in list_models():
        family = "multi3net" if get_variant(source).get("model_type") == "multi3net" else "img2imu"
        freeze = {"freeze_encoder" if family == "multi3net" else "freeze_backbone": mode == "frozen"}
        classifier = create_model(source, task="classification", pretrained=pretrained_weights, **labels, **freeze)
        return classifier, create_feature_extractor(source), family
    if pretrained_weights is not None:
        raise ValueError("pretrained_weights is for hub_configs variants; a model folder brings its own weights.")
    family = AutoConfig.from_pretrained(source).model_type
    if family == "img2imu":
        classifier = Img2ImuForImuClassification.from_pretrained(
            source, freeze_backbone=mode == "frozen", ignore_mismatched_sizes=True, **labels
        )
        return classifier, AutoFeatureExtractor.from_pretrained(source), family
    if family == "multi3net":
        classifier = Multi3NetForImuClassification.from_pretrained(
            source, freeze_encoder=mode == "frozen", ignore_mismatched_sizes=True, **labels
        )
        return classifier, AutoFeatureExtractor.from_pretrained(source), family
    raise ValueError(f"{source} holds a {family!r} model; fine-tuning takes img2imu or multi3net models.")


class FewShotClassifier:
    """A classifier fine-tuned with the ``Trainer`` on a few labelled windows: ``fit`` then ``predict``.

    Args:
        model / mode / pretrained_weights: as in :class:`FineTuningArguments`.
        config_overrides: config fields of the classifier to change (see :func:`build_classifier`).
        encoder_learning_rate: with ``mode="finetune"``, the encoder's step size; the new head keeps the training
            ``learning_rate`` (a pre-trained network fine-tunes with a smaller step than a new head needs).
            ``None``: one step size for all.
        training: ``TrainingArguments`` fields (epochs, batch size, learning rate, ...); ``output_dir`` defaults
            to a temporary folder, with no checkpoints (the study fits many small models).
        seed: seeds the head's initialisation, the data order and dropout.
    """

    defaults: dict[str, Any] = {
        "num_train_epochs": 30,
        "per_device_train_batch_size": 8,
        "per_device_eval_batch_size": 64,
        "learning_rate": 1e-3,
        "lr_scheduler_type": "cosine",
        "warmup_steps": 0.1,
        "weight_decay": 0.01,
        "logging_strategy": "no",
        "save_strategy": "no",
        "report_to": "none",
        "remove_unused_columns": False,
        "dataloader_num_workers": 0,
        "disable_tqdm": True,
    }

    def __init__(
        self,
        model: str = "pretrained",
        mode: str = "finetune",
        pretrained_weights: str | None = None,
        training: dict[str, Any] | None = None,
        seed: int = 0,
        config_overrides: dict[str, Any] | None = None,
        encoder_learning_rate: float | None = None,
    ):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}.")
        check_encoder_learning_rate(encoder_learning_rate, mode)
        self.model_source, self.mode, self.pretrained_weights = model, mode, pretrained_weights
        self.config_overrides = dict(config_overrides or {})
        self.encoder_learning_rate = encoder_learning_rate
        self.training, self.seed = {**self.defaults, **(training or {})}, seed
        self.model = self.collator = self.trainer = None

    def fit(self, windows: np.ndarray, labels: np.ndarray, layout: DeviceLayout, label_names: list[str] | None = None):
        """Fine-tunes on ``(n, T, C)`` windows with ``(n,)`` integer labels, recorded with ``layout``."""
        import tempfile

        from transformers import TrainingArguments, set_seed

        from .trainer import SafetensorsTrainer

        label_names = label_names or [str(k) for k in range(int(labels.max()) + 1)]
        set_seed(self.seed)  # before the head exists: its initial weights depend on the seed
        self.model, preprocessor, family = build_classifier(
            self.model_source, label_names, self.mode, self.pretrained_weights, self.config_overrides
        )
        self.collator = WindowCollator(preprocessor, layout, family)
        training = dict(self.training)
        output_dir = training.pop("output_dir", None)
        # Without an output_dir nothing is saved: the Trainer gets a scratch folder, removed after training.
        scratch = tempfile.TemporaryDirectory(prefix="imu-foundation-fewshot-") if output_dir is None else None
        args = TrainingArguments(output_dir=output_dir or scratch.name, seed=self.seed, data_seed=self.seed, **training)
        rows = [{"imu": w, "label": int(y)} for w, y in zip(windows, labels)]
        self.trainer = SafetensorsTrainer(
            model=self.model,
            args=args,
            train_dataset=rows,
            data_collator=self.collator,
            training_curves=False,
            optimizers=(encoder_and_head_optimizer(self.model, args, self.encoder_learning_rate), None),
        )
        try:
            self.trainer.train()
        finally:
            if scratch is not None:
                scratch.cleanup()
        return self

    @torch.no_grad()
    def predict_logits(self, windows: np.ndarray, batch_size: int = 64) -> torch.Tensor:
        """``(m, K)`` logits of ``(m, T, C)`` windows."""
        if self.model is None:
            raise ValueError("call fit before predict.")
        self.model.eval()
        chunks = []
        for start in range(0, len(windows), batch_size):
            inputs = self.collator.inputs(list(windows[start : start + batch_size]))
            chunks.append(self.model(**{k: v.to(self.model.device) for k, v in inputs.items()}).logits.float().cpu())
        return torch.cat(chunks)

    def predict(self, windows: np.ndarray) -> np.ndarray:
        """``(m,)`` predicted class indices."""
        return self.predict_logits(windows).argmax(dim=1).numpy()


# ----------------------------------------------------------------------------------------------------------------------
# The command
# ----------------------------------------------------------------------------------------------------------------------
def finetune(args: FineTuningArguments, training_args) -> dict[str, Any]:
    """Fine-tunes on one fold of the few-shot protocol and writes the run's results (see the module docstring)."""
    from transformers import set_seed

    from .evaluation.few_shot import classification_scores
    from .plotting import save_confusion_matrix
    from .runs import check_launch, finish_run, inspect_run_folder, join_processes, leave_processes, start_run
    from .trainer import SafetensorsTrainer

    training_args = join_processes(training_args)
    check_launch(training_args.world_size)
    folder = inspect_run_folder(training_args.output_dir, args.resume, args.overwrite)
    data = load_labelled_windows(args.dataset)
    train, test = few_shot_split(data, args.shots, args.fold, args.folds, training_args.seed)
    set_seed(training_args.seed)  # before the head exists
    model, preprocessor, family = build_classifier(
        args.model, data.label_names, args.mode, args.pretrained_weights, json.loads(args.config_overrides)
    )
    collator = WindowCollator(preprocessor, data.layout, family)
    rows = lambda index: [{"imu": data.windows[i], "label": int(data.labels[i])} for i in index]  # noqa: E731
    protocol = {
        "dataset": args.dataset,
        "layout": data.layout.to_dict(),
        "shots_per_class": args.shots,
        "fold": args.fold,
        "folds": args.folds,
        "held_out": "subjects" if all(data.subjects) else "recordings",
        "seed": training_args.seed,
        "mode": args.mode,
        "train_windows": int(len(train)),
        "test_windows": int(len(test)),
    }
    start_run(
        folder, {"task": "fine-tuning", "arguments": asdict(args), "protocol": protocol}, training_args.should_save
    )
    trainer = SafetensorsTrainer(
        model=model,
        args=training_args,
        train_dataset=rows(train),
        data_collator=collator,
        processing_class=preprocessor,
        optimizers=(encoder_and_head_optimizer(model, training_args, args.encoder_learning_rate), None),
    )
    trainer.train(resume_from_checkpoint=folder.resume_from)
    prediction = trainer.predict(rows(test))
    predicted = prediction.predictions.argmax(-1)
    scores = classification_scores(prediction.label_ids, predicted, len(data.label_names))
    trainer.save_model()
    results = {"protocol": protocol, "labels": data.label_names, **scores}
    if training_args.should_save:
        output = Path(training_args.output_dir)
        (output / "few_shot_results.json").write_text(json.dumps(results, indent=2))
        title = (
            f"{args.dataset}, {args.shots} shots/class, fold {args.fold}/{args.folds} ({protocol['held_out']} held "
            f"out), {args.mode}: macro-F1 {scores['macro_f1']:.3f}"
        )
        matrix = np.asarray(scores["confusion_matrix"])
        save_confusion_matrix(matrix, data.label_names, output / "confusion_matrix.png", title=title)
        from .model_cards import finetuned_model_card

        finetuned_model_card(model, preprocessor, family, args, training_args, results).save(output / "README.md")
    finish_run(training_args.output_dir, {k: v for k, v in scores.items() if k != "confusion_matrix"})
    if training_args.push_to_hub and training_args.should_save:
        from .publishing import push_checkpoint

        # The folder as saved, with the card written above (Trainer.push_to_hub would write its own over it).
        repo_id = training_args.hub_model_id or Path(training_args.output_dir).name
        push_checkpoint(
            training_args.output_dir,
            repo_id,
            private=bool(training_args.hub_private_repo),
            token=training_args.hub_token,
        )
    leave_processes()
    return results


def main(argv: list[str] | None = None, prog: str | None = None) -> dict[str, Any]:
    """The command line of :func:`finetune` (``imu-foundation finetune``, ``training/finetune.py``)."""
    import sys

    from .factory import parse_training_arguments

    args, training_args = parse_training_arguments(
        FineTuningArguments, sys.argv[1:] if argv is None else argv, "finetune", prog=prog
    )
    results = finetune(args, training_args)
    if training_args.should_save:
        summary = {key: results[key] for key in ("accuracy", "macro_f1")}
        print(json.dumps({"protocol": results["protocol"], **summary}, indent=2))
    return results


__all__ = [
    "BUILT_IN_DATASETS",
    "FewShotClassifier",
    "FineTuningArguments",
    "WindowCollator",
    "build_classifier",
    "encoder_and_head_optimizer",
    "few_shot_split",
    "finetune",
    "load_labelled_windows",
    "main",
]
