"""One schema for every IMU corpus the package builds: simulated (text + pose + IMU) and real benchmarks.

Every example is one window of a multichannel IMU recording::

    imu               Array2D((None, C), float32)  samples x channels, C fixed per corpus
    channel_names     List(string)                 C names "<site>_<sensor>_<axis>", e.g. "left_wrist_acc_x"
    sensor_sites      List(string)                 the sites, in order of appearance in channel_names
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

The channel, rate, unit and gravity columns are a :class:`~imu_foundation.sensors.DeviceLayout`
(:func:`example_layout`). Real benchmarks add ``label``, a ``ClassLabel`` over their classes. ``generator`` is a JSON
string rather than ``datasets.Json`` so that it reads the same in every ``datasets`` version and in any parquet
reader, and survives ``with_format("numpy")``; :func:`generator_params` decodes it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from datasets import Array2D, ClassLabel, DatasetDict, Features, List, Value
from huggingface_hub import DatasetCard, DatasetCardData

from ..outputs import building_folder
from ..sensors import DeviceLayout, split_channel_name
from ..simulation.motion import POSE_REPRESENTATION_DIM

SCHEMA_VERSION = "1.0"


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


def check_channel_names(names: Sequence[str]) -> list[str]:
    """Checks every name follows ``<site>_<acc|gyro|mag>_<x|y|z>`` (unique); returns the sites in order of appearance.

    Raises:
        ValueError: naming the first channel that does not fit.
    """
    names = list(names)
    if not names:
        raise ValueError("a corpus needs at least one channel name.")
    for name in names:
        if split_channel_name(name) is None:
            raise ValueError(
                f"channel name {name!r} does not follow '<site>_<sensor>_<axis>' (sensor acc, gyro or mag; axis x, "
                f"y or z), e.g. 'wrist_acc_x'; got {names}."
            )
    return DeviceLayout(tuple(names)).sites


def example_layout(example: dict[str, Any]) -> DeviceLayout:
    """The :class:`DeviceLayout` of a corpus row (its channel names, rate, units and gravity mode)."""
    return DeviceLayout.from_dict(example)


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

    def save_to_disk(self, path: str | Path, num_proc: int | None = None, overwrite: bool = False) -> Path:
        """``DatasetDict.save_to_disk`` plus ``README.md`` (the card) and ``generation_config.json`` in ``path``.

        The folder is written beside ``path`` and moved into place when complete; an existing ``path`` is replaced
        only with ``overwrite`` and only if the package wrote it (see :mod:`imu_foundation.outputs`). Reload with
        ``datasets.load_from_disk(path)``.
        """
        with building_folder(path, type(self).__name__, overwrite) as partial:
            self.write_to(partial, num_proc)
        return Path(path)

    def write_to(self, folder: str | Path, num_proc: int | None = None) -> None:
        """Writes the splits, the card and the parameters into the existing ``folder``."""
        folder = Path(folder)
        self.dataset.save_to_disk(str(folder), num_proc=num_proc)
        self.card().save(folder / "README.md")
        (folder / "generation_config.json").write_text(to_json(self.config) + "\n")

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


SCHEMA_TABLE = """| column | type | meaning |
|---|---|---|
| imu | Array2D (None, C) float32 | samples x channels |
| channel_names | list of string | `<site>_<sensor>_<axis>`, e.g. `wrist_acc_x` |
| sensor_sites | list of string | the sites, in order of appearance |
| sampling_rate_hz | float64 | of `imu` |
| acc_units / gyro_units | string | `m/s^2` or `g` / `rad/s` or `deg/s` |
| gravity | string | `include` (specific force) or `remove` (linear acceleration) |
| pose | Array2D (None, 148) float32 | pose features of the same span (0 rows for real data) |
| pose_rate_hz | float64 | of `pose` (0 without pose) |
| captions | list of string | text covering the window ([] for real data) |
| activity | string | activity, "" if unknown |
| subject | string | subject id, "" if unknown |
| sequence_id | string | source recording; no recording has windows in two splits |
| window_index / start_s | int32 / float64 | position in the recording |
| generator | string (JSON) | every parameter behind the example |"""


def corpus_card(
    card_data: DatasetCardData,
    title: str,
    intro: str,
    sections: dict[str, str],
    config: dict[str, Any],
    dataset: DatasetDict,
    repo_id: str | None = None,
) -> DatasetCard:
    """The card of every corpus the package builds: title and intro, the splits, how to load it, the given
    ``sections`` (heading -> markdown), the schema and the parameters that made it.

    ``card_data`` gets the Hub's ``size_categories`` from the number of windows.
    """
    card_data.size_categories = [size_category(sum(len(split) for split in dataset.values()))]
    rows = []
    for name, split in dataset.items():
        subjects = len(set(split["subject"]) - {""})
        rows.append(f"| {name} | {len(split):,} | {len(set(split['sequence_id'])):,} | {subjects or '-'} |")
    body = "\n\n".join(f"## {heading}\n\n{text.strip()}" for heading, text in sections.items())
    text = f"""
# {title}

{intro.strip()}

| split | windows | recordings | subjects |
|---|---|---|---|
{chr(10).join(rows)}

## Use

```python
from datasets import load_dataset
corpus = load_dataset("{repo_id or "PATH_OR_REPO_ID"}").with_format("numpy")
window = corpus["{next(iter(dataset))}"][0]
window["imu"].shape, window["channel_names"], window["activity"]
```

{body}

## Schema

{SCHEMA_TABLE}

## Parameters

```json
{to_json(config)}
```
"""
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
    "SCHEMA_VERSION",
    "check_channel_names",
    "CorpusPublisher",
    "corpus_card",
    "empty_pose",
    "example_layout",
    "generator_params",
    "imu_features",
    "size_category",
    "to_json",
]
