"""IMU corpora as inputs of the Multi^3Net pipelines: load a split, group its windows by device, run a pipeline.

A corpus is a ``save_to_disk`` folder, a Hub dataset id or a ``datasets.Dataset`` / ``DatasetDict`` in the schema of
:mod:`imu_foundation.data.schema`: one window per row, ``imu (T, C)`` with its device layout columns
(``channel_names``, ``sampling_rate_hz``, ``acc_units``, ``gyro_units``, ``gravity``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from datasets import Dataset, DatasetDict
from tqdm.auto import tqdm

from ..sensors import DeviceLayout

LAYOUT_COLUMNS = ("channel_names", "sampling_rate_hz", "acc_units", "gyro_units", "gravity")
# Light columns kept with search results and predictions (the IMU and pose arrays stay in the corpus).
METADATA_COLUMNS = ("activity", "label", "captions", "subject", "sequence_id", "window_index", "start_s")


@dataclass(frozen=True)
class CorpusSplit:
    """One split of a corpus and where it came from.

    Attributes:
        dataset: the windows.
        source: the folder (absolute path) or Hub id it was loaded from; ``None`` for an in-memory dataset.
        split: the split's name (``None`` for a plain ``Dataset``).
    """

    dataset: Dataset
    source: str | None = None
    split: str | None = None

    def describe(self) -> str:
        where = self.source or "an in-memory dataset"
        return f"{where}" + (f" [{self.split}]" if self.split else "")


def load_corpus_split(corpus: str | Path | Dataset | DatasetDict, split: str | None = None) -> CorpusSplit:
    """A split of a corpus: a ``save_to_disk`` folder, a Hub dataset id or a loaded ``Dataset`` / ``DatasetDict``.

    ``split=None`` takes ``"test"`` when there is one, else the only split.

    Raises:
        ValueError: no such folder or split, or the rows are not in the package's schema.
    """
    source = None
    if isinstance(corpus, (str, Path)):
        path = Path(corpus).expanduser()
        if path.exists():
            from datasets import load_from_disk

            corpus, source = load_from_disk(str(path)), str(path.resolve())
        elif _looks_like_hub_id(str(corpus)):
            from datasets import load_dataset

            corpus, source = load_dataset(str(corpus)), str(corpus)
        else:
            raise ValueError(f"No corpus folder {str(corpus)!r} (and it is not a Hub dataset id 'owner/name').")
    if isinstance(corpus, DatasetDict):
        names = list(corpus)
        if split is None:
            split = "test" if "test" in corpus else (names[0] if len(names) == 1 else None)
            if split is None:
                raise ValueError(f"The corpus has the splits {names}: pass split= to choose one.")
        if split not in corpus:
            raise ValueError(f"The corpus has no split {split!r}; it has {names}.")
        dataset = corpus[split]
    elif isinstance(corpus, Dataset):
        dataset = corpus
    else:
        raise ValueError(f"corpus must be a folder, a Hub id, a Dataset or a DatasetDict, got {type(corpus).__name__}.")
    missing = [column for column in ("imu", *LAYOUT_COLUMNS) if column not in dataset.column_names]
    if missing:
        raise ValueError(
            f"The corpus lacks the columns {missing} of the package's schema (imu_foundation.data.schema); it has "
            f"{dataset.column_names}."
        )
    if len(dataset) == 0:
        raise ValueError("The corpus split is empty.")
    return CorpusSplit(dataset, source, split)


def layout_groups(dataset: Dataset) -> list[tuple[DeviceLayout, np.ndarray]]:
    """The device layouts of a corpus, each with the ``(n,)`` rows recorded with it, in order of first appearance."""
    groups: dict[tuple, list[int]] = {}
    row = 0
    for batch in dataset.select_columns(list(LAYOUT_COLUMNS)).iter(batch_size=10_000):
        for values in zip(*(batch[column] for column in LAYOUT_COLUMNS)):
            key = (tuple(values[0]), *values[1:])
            groups.setdefault(key, []).append(row)
            row += 1
    layouts = []
    for key, rows in groups.items():
        fields = {"channel_names": key[0], **dict(zip(LAYOUT_COLUMNS[1:], key[1:]))}
        layouts.append((DeviceLayout.from_dict(fields), np.asarray(rows)))
    return layouts


def run_over_corpus(pipe, dataset: Dataset, *, batch_size: int = 32, desc: str = "windows", **call_kwargs) -> list:
    """``pipe``'s output for every row of ``dataset``, in row order, with a progress bar.

    Each device layout of the corpus is one pipeline call over its rows (streamed, ``batch_size`` windows per
    forward). ``call_kwargs`` go to every call (``candidate_labels``, ``pad_short``, ...).

    Raises:
        ValueError: a row the pipeline refuses, named by its position in ``dataset``.
    """
    outputs: list[Any] = [None] * len(dataset)
    with tqdm(total=len(dataset), desc=desc, unit="window") as progress:
        for layout, rows in layout_groups(dataset):
            windows = dataset.select(rows).select_columns(["imu"]).with_format("numpy")
            current = {"row": None}

            def recordings(rows=rows, windows=windows, current=current):
                for row, example in zip(rows, windows):
                    current["row"] = int(row)  # the pipeline preprocesses each row as soon as it takes it
                    yield example["imu"]

            try:
                for row, output in zip(rows, pipe(recordings(), layout=layout, batch_size=batch_size, **call_kwargs)):
                    outputs[row] = output
                    progress.update()
            except ValueError as error:
                raise ValueError(f"Row {current['row']} of the corpus: {error.__cause__ or error}") from error
    return outputs


def metadata_columns(dataset: Dataset) -> list[str]:
    """The light descriptive columns of :data:`METADATA_COLUMNS` that ``dataset`` has."""
    return [column for column in METADATA_COLUMNS if column in dataset.column_names]


def corpus_captions(dataset: Dataset) -> list[str]:
    """The distinct captions of a corpus in order of appearance; its activity names when it has no captions."""
    captions: dict[str, None] = {}
    if "captions" in dataset.column_names:
        for batch in dataset.select_columns(["captions"]).iter(batch_size=10_000):
            captions.update((caption, None) for row in batch["captions"] for caption in row if caption.strip())
    if not captions and "activity" in dataset.column_names:
        captions.update((activity, None) for activity in dataset["activity"] if activity.strip())
    if not captions:
        raise ValueError("The corpus has no captions and no activity names to search for.")
    return list(captions)


def reference_labels(dataset: Dataset, label_column: str | None = None) -> tuple[list[str], list[str]]:
    """The class name of every row and the class names in order: the ``label`` ClassLabel, else ``activity``.

    Raises:
        ValueError: no label column, or rows without a label.
    """
    column = label_column or ("label" if "label" in dataset.column_names else "activity")
    if column not in dataset.column_names:
        raise ValueError(f"The corpus has no {column!r} column to take the true classes from.")
    feature = dataset.features[column]
    values = dataset[column]
    if hasattr(feature, "names"):  # a ClassLabel
        return [feature.names[value] for value in values], list(feature.names)
    values = [str(value) for value in values]
    if any(not value for value in values):
        raise ValueError(f"Some rows have an empty {column!r}: they cannot be scored.")
    return values, sorted(set(values))


def _looks_like_hub_id(name: str) -> bool:
    parts = name.split("/")
    return len(parts) == 2 and all(parts) and not name.startswith((".", "~"))


__all__ = [
    "LAYOUT_COLUMNS",
    "METADATA_COLUMNS",
    "CorpusSplit",
    "corpus_captions",
    "layout_groups",
    "load_corpus_split",
    "metadata_columns",
    "reference_labels",
    "run_over_corpus",
]
