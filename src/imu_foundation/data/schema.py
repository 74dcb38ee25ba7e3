"""One schema for every IMU corpus the package builds: simulated (text + pose + IMU) and real benchmarks.

Every example is one window of a multichannel IMU recording::

    imu               Array2D((None, C), float32)  samples x channels, C fixed per corpus
    channel_names     List(string)                 C names "<site>_<sensor>_<axis>", e.g. "left_wrist_acc_x"
    sensor_sites      List(string)                 the sites, in channel order (each has 6 channels: acc xyz, gyro xyz)
    sampling_rate_hz  float64                      of ``imu``
    acc_units         string                       "m/s^2" or "g"
    gyro_units        string                       "rad/s" or "deg/s"
    gravity           string                       "include" (accelerometer reading, +1 g up at rest) or "remove"
    pose              Array2D((None, 148), float32) pose features over the same time span (0 rows for real data)
    pose_rate_hz      float64                      frame rate of ``pose`` (0.0 when there is no pose)
    captions          List(string)                 text descriptions of the window ([] when none)
    activity          string                       activity label ("" when unknown)
    subject           string                       subject id ("" when unknown)
    sequence_id       string                       the source recording / motion; splits never share one
    window_index      int32                        position of the window in its sequence
    start_s           float64                      start time of the window in its sequence (s)
    generator         string                       JSON of every parameter that produced the example

Real benchmarks add ``label``, a ``ClassLabel`` over their classes. ``generator`` is a JSON string rather than
``datasets.Json`` so that it reads the same in every ``datasets`` version and in any parquet reader, and survives
``with_format("numpy")``; :func:`generator_params` decodes it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from datasets import Array2D, ClassLabel, DatasetDict, Features, List, Value
from huggingface_hub import DatasetCard, DatasetCardData

from ..simulation.motion import POSE_REPRESENTATION_DIM, STANDARD_GRAVITY_MPS2

SCHEMA_VERSION = "1.0"
ACC_UNITS = ("m/s^2", "g")
GYRO_UNITS = ("rad/s", "deg/s")
GRAVITY_MODES = ("include", "remove")
SENSOR_KINDS = ("acc", "gyro")
AXES = ("x", "y", "z")
CHANNELS_PER_SITE = len(SENSOR_KINDS) * len(AXES)
# The simulator's spelling of acceleration units -> the schema's.
SIMULATOR_ACC_UNITS = {"m/s^2": "mps2", "g": "g"}


def imu_features(num_channels: int, label_names: Sequence[str] | None = None) -> Features:
    """The corpus ``Features`` for ``num_channels`` IMU channels; with ``label_names``, plus a ``label`` ClassLabel."""
    if num_channels < 1:
        raise ValueError(f"num_channels must be >= 1, got {num_channels}.")
    features = {
        "imu": Array2D(shape=(None, num_channels), dtype="float32"),
        "channel_names": List(Value("string")),
        "sensor_sites": List(Value("string")),
        "sampling_rate_hz": Value("float64"),
        "acc_units": Value("string"),
        "gyro_units": Value("string"),
        "gravity": Value("string"),
        "pose": Array2D(shape=(None, POSE_REPRESENTATION_DIM), dtype="float32"),
        "pose_rate_hz": Value("float64"),
        "captions": List(Value("string")),
        "activity": Value("string"),
        "subject": Value("string"),
        "sequence_id": Value("string"),
        "window_index": Value("int32"),
        "start_s": Value("float64"),
        "generator": Value("string"),
    }
    if label_names is not None:
        features["label"] = ClassLabel(names=list(label_names))
    return Features(features)


def channel_names(sites: Sequence[str]) -> list[str]:
    """``["<site>_acc_x", ..., "<site>_gyro_z"]`` per site: the simulator's order (acc xyz then gyro xyz)."""
    return [f"{site}_{kind}_{axis}" for site in sites for kind in SENSOR_KINDS for axis in AXES]


def check_channel_names(names: Sequence[str]) -> list[str]:
    """Checks names follow ``<site>_<acc|gyro>_<x|y|z>``, six per site in the standard order; returns the sites.

    Raises:
        ValueError: naming the first channel that does not fit and showing the expected layout.
    """
    names = list(names)
    if not names or len(names) % CHANNELS_PER_SITE:
        raise ValueError(
            f"expected 6 channels per sensor site (acc x y z, gyro x y z), got {len(names)} channels: {names}."
        )
    sites = []
    for start in range(0, len(names), CHANNELS_PER_SITE):
        site = names[start].rsplit("_", 2)[0]
        expected = channel_names([site])
        if names[start : start + CHANNELS_PER_SITE] != expected:
            raise ValueError(
                f"channels {names[start : start + CHANNELS_PER_SITE]} do not follow the layout "
                f"'<site>_<acc|gyro>_<x|y|z>' in the order {expected}."
            )
        sites.append(site)
    return sites


def check_units(acc_units: str, gyro_units: str, gravity: str) -> None:
    """Raises ``ValueError`` for a unit or gravity mode outside the schema's vocabulary."""
    if acc_units not in ACC_UNITS:
        raise ValueError(f"acc_units must be one of {ACC_UNITS}, got {acc_units!r}.")
    if gyro_units not in GYRO_UNITS:
        raise ValueError(f"gyro_units must be one of {GYRO_UNITS}, got {gyro_units!r}.")
    if gravity not in GRAVITY_MODES:
        raise ValueError(f"gravity must be one of {GRAVITY_MODES}, got {gravity!r}.")


def convert_units(imu: np.ndarray, names: Sequence[str], acc_from: str, acc_to: str, gyro_from: str, gyro_to: str):
    """``(T, C)`` readings converted between the schema's units, channel by channel (a new float32 array)."""
    check_units(acc_from, gyro_from, "include")
    check_units(acc_to, gyro_to, "include")
    scale = np.ones(len(names), dtype=np.float64)
    acc = np.array(["_acc_" in name for name in names])
    if acc_from != acc_to:
        scale[acc] = 1.0 / STANDARD_GRAVITY_MPS2 if acc_to == "g" else STANDARD_GRAVITY_MPS2
    if gyro_from != gyro_to:
        scale[~acc] = 180.0 / math.pi if gyro_to == "deg/s" else math.pi / 180.0
    return (np.asarray(imu, dtype=np.float64) * scale).astype(np.float32)


def to_json(params: dict[str, Any]) -> str:
    """Canonical JSON (sorted keys, no spaces, NumPy scalars/arrays as plain numbers) for the ``generator`` column."""
    return json.dumps(params, sort_keys=True, separators=(",", ":"), default=_plain, allow_nan=False)


def generator_params(example: dict[str, Any]) -> dict[str, Any]:
    """The decoded ``generator`` JSON of an example (a row of a corpus)."""
    return json.loads(example["generator"])


def empty_pose() -> np.ndarray:
    """``(0, 148)`` float32: the ``pose`` of an example that has no pose."""
    return np.zeros((0, POSE_REPRESENTATION_DIM), dtype=np.float32)


# ----------------------------------------------------------------------------------------------------------------------
# Publishing: to disk and to the Hub, always with the card
# ----------------------------------------------------------------------------------------------------------------------
class CorpusPublisher:
    """Mixin for built corpora: ``self.dataset`` (a ``DatasetDict``), ``self.config`` and ``self.card()``."""

    dataset: DatasetDict
    config: dict[str, Any]

    def card(self, repo_id: str | None = None) -> DatasetCard:  # pragma: no cover - every corpus overrides it
        """The card; ``repo_id`` goes into its loading example."""
        raise NotImplementedError

    def save_to_disk(self, path: str | Path, num_proc: int | None = None) -> Path:
        """``DatasetDict.save_to_disk`` plus ``README.md`` (the card) and ``generation_config.json`` in ``path``.

        Reload with ``datasets.load_from_disk(path)``.
        """
        path = Path(path)
        self.dataset.save_to_disk(str(path), num_proc=num_proc)
        self.card().save(path / "README.md")
        (path / "generation_config.json").write_text(to_json(self.config) + "\n")
        return path

    def push_to_hub(
        self, repo_id: str, *, private: bool | None = None, token: str | None = None, max_shard_size: str = "500MB"
    ) -> str:
        """Publishes the splits as parquet and the card as ``README.md``; returns the repo URL.

        The card is committed first, so that ``datasets`` merges its ``dataset_info`` / ``configs`` metadata into it
        rather than writing a bare card. Load it back with ``datasets.load_dataset(repo_id)``.
        """
        from huggingface_hub import HfApi

        api = HfApi(token=token)
        url = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        self.card(repo_id).push_to_hub(repo_id, token=token, commit_message="Dataset card")
        self.dataset.push_to_hub(repo_id, private=private, token=token, max_shard_size=max_shard_size)
        return str(url)


def card_from_parts(card_data: DatasetCardData, text: str) -> DatasetCard:
    """A ``DatasetCard`` from its YAML metadata and markdown body."""
    return DatasetCard(f"---\n{card_data.to_yaml()}\n---\n\n{text.strip()}\n")


def size_category(num_examples: int) -> str:
    """The Hub's ``size_categories`` tag for a number of examples."""
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if num_examples < limit:
            return name
    return "1M<n<10M"


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "tolist"):  # torch tensors
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


__all__ = [
    "ACC_UNITS",
    "CHANNELS_PER_SITE",
    "GRAVITY_MODES",
    "GYRO_UNITS",
    "SCHEMA_VERSION",
    "channel_names",
    "check_channel_names",
    "CorpusPublisher",
    "card_from_parts",
    "check_units",
    "convert_units",
    "empty_pose",
    "generator_params",
    "imu_features",
    "size_category",
    "to_json",
]
