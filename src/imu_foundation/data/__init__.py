"""IMU data: real benchmarks that install offline, synthetic corpora, the shared schema and few-shot splits.

Modules load on first use (they import ``datasets`` and the simulator):

- :mod:`.schema`: the ``Features`` of every corpus, the card, publishing;
- :mod:`.synthetic_corpus`: motion + text through the IMU simulator into a ``DatasetDict``;
- :mod:`.real_benchmarks`: BasicMotions, seglearn's wrist exercises and your own CSV / NumPy data in that schema;
- :mod:`.few_shot`: few-shot folds without subject leakage.
"""

import importlib
from typing import Any

_LAZY = {
    "imu_features": "schema",
    "generator_params": "schema",
    "CorpusSettings": "synthetic_corpus",
    "LibrarySource": "synthetic_corpus",
    "AmassSource": "synthetic_corpus",
    "SmplxSentencesSource": "synthetic_corpus",
    "SyntheticCorpus": "synthetic_corpus",
    "build_synthetic_corpus": "synthetic_corpus",
    "LabelledWindows": "real_benchmarks",
    "RealBenchmark": "real_benchmarks",
    "load_basic_motions": "real_benchmarks",
    "load_wrist_exercise_benchmark": "real_benchmarks",
    "load_wrist_exercises": "real_benchmarks",
    "load_imu_csv": "real_benchmarks",
    "load_imu_numpy": "real_benchmarks",
    "FewShotFold": "few_shot",
    "few_shot_folds": "few_shot",
    "few_shot_datasets": "few_shot",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = list(_LAZY)
