"""Model cards of the checkpoints the package trains, built with ``huggingface_hub.ModelCardData``.

Every card says what the model is, the sensor layout it expects (sites, channels, units, rate, window, gravity), how it
was trained (data, command, seed, steps, time, hardware), its measured results with their protocol (also as
``model-index`` eval results), its limits, and a usage snippet that runs.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from .sensors import STANDARD_GRAVITY_MPS2

TAGS = ["imu", "human-activity-recognition", "time-series", "wearables", "accelerometer", "gyroscope"]


@dataclass
class CardResult:
    """One measured number for the card: ``value`` of ``metric`` on ``dataset``, with the protocol in words."""

    task: str  # e.g. "zero-shot-classification"
    dataset: str  # e.g. "BasicMotions (test split, 40 windows)"
    dataset_type: str  # e.g. "basic_motions"
    metric: str  # e.g. "accuracy"
    value: float
    protocol: str

    def eval_result(self) -> EvalResult:
        return EvalResult(
            task_type=self.task,
            dataset_type=self.dataset_type,
            dataset_name=self.dataset,
            metric_type=self.metric,
            metric_value=round(float(self.value), 4),
            metric_name=f"{self.metric} ({self.protocol})",
        )


@dataclass
class CardContent:
    """The parts of a card that differ between checkpoints."""

    title: str
    summary: str
    model_name: str
    training: str
    limitations: str
    usage: str
    license: str = "apache-2.0"
    base_model: str | None = None
    datasets: list[str] = field(default_factory=list)
    pipeline_tag: str | None = None
    results: list[CardResult] = field(default_factory=list)
    extra_tags: list[str] = field(default_factory=list)


def sensor_layout_table(feature_extractor) -> str:
    """The layout a checkpoint expects, from its feature extractor, as a markdown table."""
    seconds = feature_extractor.window_length / feature_extractor.sampling_rate
    rows = {
        "default channels": ", ".join(feature_extractor.channel_names),
        "other layouts": "any channel names `<site>_<sensor>_<axis>`; declare them (or a `DeviceLayout`) per call",
        "sampling rate": f"{feature_extractor.sampling_rate:g} Hz (other rates are resampled, band-limited)",
        "window": f"{feature_extractor.window_length} samples ({seconds:g} s), stride "
        f"{feature_extractor.window_stride}; shorter recordings with `pad_short=True`",
        "units": f"accelerometer {feature_extractor.acc_units}, gyroscope {feature_extractor.gyro_units} "
        "(declare yours: `acc_units='g'`, `gyro_units='deg/s'`; they are converted)",
        "gravity": "included (what accelerometers measure) or removed: declare `gravity=` per call",
    }
    return "| | |\n|---|---|\n" + "\n".join(f"| {key} | {value} |" for key, value in rows.items())


def build_model_card(content: CardContent, feature_extractor=None) -> ModelCard:
    """A ``ModelCard`` with metadata (license, base model, datasets, tags, pipeline, model-index) and its text."""
    data = ModelCardData(
        license=content.license,
        library_name="transformers",
        base_model=content.base_model,
        datasets=content.datasets or None,
        tags=TAGS + content.extra_tags,
        pipeline_tag=content.pipeline_tag,
        model_name=content.model_name,
        eval_results=[r.eval_result() for r in content.results] or None,
    )
    results = (
        "\n".join(f"| {r.dataset} | {r.metric} | {r.value:.3f} | {r.protocol} |" for r in content.results)
        or "| - | - | - | no evaluation recorded |"
    )
    layout = sensor_layout_table(feature_extractor) if feature_extractor is not None else "See the processor config."
    text = f"""
# {content.title}

{content.summary.strip()}

## Sensor layout it expects

{layout}

## Use

```python
{content.usage.strip()}
```

## Results

| data | metric | value | protocol |
|---|---|---|---|
{results}

## Training

{content.training.strip()}

## Limitations

{content.limitations.strip()}
"""
    return ModelCard(f"---\n{data.to_yaml()}\n---\n{text}")


def hardware() -> str:
    """The machine a run used, in words."""
    import torch

    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else f"CPU ({platform.processor() or 'x86-64'})"
    return f"{device}, {torch.get_num_threads()} torch threads, torch {torch.__version__}"


def pretrained_model_card(
    model,
    corpus_sizes: dict[str, int],
    args,
    training: dict[str, Any],
    train_runtime_s: float,
    results: Sequence[CardResult] = (),
    remake: str | None = None,
    feature_extractor=None,
) -> ModelCard:
    """The card of a pre-trained Multi^3Net.

    Args:
        corpus_sizes: windows per split of the corpus it was trained on.
        args: the run's ``PretrainingArguments``; ``training``: its ``TrainingArguments`` as a dict.
        results: measured numbers with their protocols (``ship_pretrained`` measures them).
        remake: the command that remakes the checkpoint.
    """
    config = model.config
    selection = "the last step"
    if args.select_on_basic_motions:
        selection = "the checkpoint with the best zero-shot accuracy on BasicMotions' 40 training windows"
    excluded = f" Left out: {args.exclude_activities}." if args.exclude_activities else ""
    variety = "the defaults" if args.sensor_variety.strip() == "{}" else f"`{args.sensor_variety}`"
    text = f"""
- **Data:** the synthetic corpus `{Path(args.corpus).name}` ({json.dumps(corpus_sizes)} windows): motions of the
  package's generated, captioned motion library (not motion capture, not AMASS), IMU simulated on the embedded
  SMPL-format body.{excluded}
- **Sensor variety:** {variety} (see `imu_foundation.data.augmentation.SensorVariety`).
- **Losses:** text-IMU {config.text_imu_loss_weight:g}, text-pose {config.text_pose_loss_weight:g}, IMU-pose
  {config.imu_pose_loss_weight:g} (InfoNCE), Pose2IMU {config.pose2imu_loss_weight:g}, reconstruction
  {config.reconstruction_loss_weight:g}.
- **Optimisation:** {training["max_steps"]} steps, batch {training["per_device_train_batch_size"]} per process,
  learning rate {training["learning_rate"]:g} ({training["lr_scheduler_type"]}), seed {training["seed"]}.
- **Time and hardware:** {train_runtime_s / 60:.1f} min of training on {hardware()}.
- **Model selection:** {selection}.
"""
    if remake:
        text += f"- **Remake it:** `{remake}`\n"
    content = CardContent(
        title="Multi^3Net (imu-foundation), pre-trained on simulated IMU",
        summary="A joint text-pose-IMU encoder: IMU windows and sentences in one embedding space, for zero-shot "
        "activity recognition, text-to-IMU retrieval and fine-tuning with few labels.",
        model_name="multi3net",
        training=text,
        limitations=LIMITATIONS_PRETRAINED,
        usage=USAGE_PRETRAINED,
        pipeline_tag="zero-shot-classification",
        results=list(results),
        extra_tags=["multi3net", "zero-shot", "text-imu"],
    )
    return build_model_card(content, feature_extractor)


LIMITATIONS_PRETRAINED = """
- Trained on generated motions of a motion library only (no motion capture): activities outside the library, and the
  way real people vary them, are known only through the text tower's sense of words. docs/results.md of the package
  measures it on real data against simple supervised baselines.
- The body is the package's embedded SMPL-format default, not a licensed SMPL model; the sensors are simulated
  (MEMS error model, mounting spread), not recorded.
- Zero-shot accuracy depends on how classes are worded; the results above use fixed class-name prompts.
"""


USAGE_PRETRAINED = """
import numpy as np
import torch
import imu_foundation
from transformers import AutoModel, AutoProcessor

path = imu_foundation.pretrained_path()
model, processor = AutoModel.from_pretrained(path).eval(), AutoProcessor.from_pretrained(path)
watch = np.zeros((500, 6), dtype=np.float32)  # 10 s at 50 Hz: acc x y z in g, gyro x y z in rad/s
watch[:, 2] = 1.0  # at rest, face up
names = [f"wrist_{sensor}_{axis}" for sensor in ("acc", "gyro") for axis in "xyz"]
with torch.no_grad():
    imu = model.get_imu_features(**processor(imu=watch, sampling_rate=50, channel_names=names, acc_units="g"))
    text = model.get_text_features(**processor(text=["a person standing", "a person running"]))
print((imu.pooler_output @ text.pooler_output.T).softmax(-1))  # (windows, texts)
"""


def finetuned_model_card(model, preprocessor, family: str, args, training_args, results: dict[str, Any]) -> ModelCard:
    """The card of a fine-tuned classifier: its protocol and test results, base model, layout and usage."""
    protocol = results["protocol"]
    words = (
        f"{protocol['shots_per_class']} windows per class, fold {protocol['fold']} of {protocol['folds']} "
        f"({protocol['held_out']} held out), {protocol['mode']}, seed {protocol['seed']}"
    )
    card_results = [
        CardResult(
            "time-series-classification", protocol["dataset"], protocol["dataset"], metric, results[metric], words
        )
        for metric in ("accuracy", "macro_f1")
    ]
    base = args.model if args.model != "pretrained" else "imu-foundation multi3net-small (shipped)"
    trained = "only the new head trained" if protocol["mode"] == "frozen" else "every weight trained"
    auto_class = "AutoModelForImageClassification" if family == "img2imu" else "AutoModelForSequenceClassification"
    training = f"""
- **Base model:** `{base}` ({family}); `{protocol["mode"]}`: {trained}.
- **Data:** `{protocol["dataset"]}`, {protocol["train_windows"]} training windows ({words}); tested on all
  {protocol["test_windows"]} windows of the held-out groups.
- **Optimisation:** {training_args.num_train_epochs:g} epochs, batch {training_args.per_device_train_batch_size},
  learning rate {training_args.learning_rate:g}, {training_args.lr_scheduler_type} schedule.
- **Hardware:** {hardware()}.
"""
    layout = protocol["layout"]
    call = (
        f"sampling_rate={layout['sampling_rate_hz']:g}"
        if family == "img2imu"
        else f"layout=DeviceLayout.from_dict({layout!r}), whole=True"
    )
    names = layout["channel_names"]
    up = next((i for i, name in enumerate(names) if name.endswith("_acc_z")), None)  # a sensor at rest, face up
    gravity = 1.0 if layout["acc_units"] == "g" else STANDARD_GRAVITY_MPS2
    at_rest = (
        f"windows[..., {up}] = {gravity:g}  # at rest, face up: 1 g on the accelerometer's z axis"
        if up is not None and layout.get("gravity", "include") == "include"
        else "# at rest (gravity removed, or no z accelerometer): zeros"
    )
    usage = f"""
import numpy as np
from transformers import AutoFeatureExtractor, {auto_class} as Auto
from imu_foundation import DeviceLayout

model = Auto.from_pretrained("PATH_OR_REPO_ID").eval()
preprocess = AutoFeatureExtractor.from_pretrained("PATH_OR_REPO_ID")
shape = (2, {int(round(layout["sampling_rate_hz"] * 5))}, {len(layout["channel_names"])})  # (N, T, C), like the data
windows = np.zeros(shape, dtype=np.float32)
{at_rest}
labels = model(**preprocess(list(windows), {call})).logits.argmax(-1)
print([model.config.id2label[int(k)] for k in labels])
"""
    content = CardContent(
        title=f"{family} fine-tuned on {protocol['dataset']} (imu-foundation)",
        summary=f"An activity classifier for {', '.join(results['labels'])}, fine-tuned with few labels.",
        model_name=f"{family}-{protocol['dataset']}",
        training=training,
        limitations="Trained on few labelled windows of one dataset: expect it to work on that device and placement.",
        usage=usage,
        base_model=args.model if "/" in args.model and not Path(args.model).exists() else None,
        pipeline_tag="image-classification" if family == "img2imu" else None,  # the Hub has no IMU task
        results=card_results,
        extra_tags=[family, "few-shot"],
    )
    return build_model_card(content, preprocessor if family == "multi3net" else None)


__all__ = [
    "CardContent",
    "CardResult",
    "TAGS",
    "build_model_card",
    "finetuned_model_card",
    "hardware",
    "pretrained_model_card",
]
