"""Small inputs for the zero-shot and retrieval tests: plausible wrist recordings, a tiny random Multi^3Net saved
with its processor, and a tiny labelled corpus in the package's schema."""

import math
from pathlib import Path

import numpy as np
import torch
from datasets import Dataset, DatasetDict

from imu_foundation import create_model, create_processor
from imu_foundation.data.schema import empty_pose, imu_features
from imu_foundation.models.multi3net import DEFAULT_CHANNEL_NAMES

LOGIT_SCALE = 40.0  # not the initial 1 / 0.07, so that code ignoring the model's scale fails
CLASSES = ["walking", "running", "sitting still"]


def recording(seconds: float, rate: float = 50.0, seed: int = 0) -> np.ndarray:
    """A plausible two-wrist recording ``(T, 12)``: acc in g (gravity on z plus motion), gyro in rad/s."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * rate)))[:, None] / rate
    frequency = rng.uniform(0.5, 3.0, size=(1, 12))
    signal = 0.3 * np.sin(2 * np.pi * frequency * t + rng.uniform(0, 2 * np.pi, size=(1, 12)))
    signal += 0.05 * rng.standard_normal(signal.shape) + np.tile([0, 0, 1, 0, 0, 0], 2)
    return signal.astype(np.float32)


def save_tiny_multi3net(folder: Path) -> Path:
    """A seeded random ``multi3net-tiny`` with its processor, written by ``save_pretrained``."""
    torch.manual_seed(0)
    model = create_model("multi3net-tiny").eval()
    with torch.no_grad():
        model.logit_scale_text_imu.fill_(math.log(LOGIT_SCALE))
    model.save_pretrained(folder)
    create_processor("multi3net-tiny").save_pretrained(folder)
    return folder


def tiny_corpus(windows_per_class: int = 3, seconds: float = 2.4) -> DatasetDict:
    """A labelled corpus in the schema: ``windows_per_class`` windows of each class, 50 Hz, acc in g."""
    rows = []
    for label, name in enumerate(CLASSES):
        for i in range(windows_per_class):
            rows.append(
                {
                    "imu": recording(seconds, seed=10 * label + i),
                    "channel_names": list(DEFAULT_CHANNEL_NAMES),
                    "sensor_sites": ["left_wrist", "right_wrist"],
                    "sampling_rate_hz": 50.0,
                    "acc_units": "g",
                    "gyro_units": "rad/s",
                    "gravity": "include",
                    "pose": empty_pose(),
                    "pose_rate_hz": 0.0,
                    "captions": [f"a person is {name}", f"someone {name} ({i})"],
                    "activity": name,
                    "subject": f"s{i}",
                    "sequence_id": f"{name}-{i}",
                    "window_index": 0,
                    "start_s": 0.0,
                    "generator": "{}",
                    "label": label,
                }
            )
    features = imu_features(len(DEFAULT_CHANNEL_NAMES), CLASSES)
    return DatasetDict({"test": Dataset.from_list(rows, features=features)})
