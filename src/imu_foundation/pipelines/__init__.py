"""transformers pipelines of the package's models, registered with ``transformers.pipeline`` on import.

- ``"zero-shot-imu-classification"`` (:class:`ZeroShotImuClassificationPipeline`): IMU recordings against free-text
  labels with a Multi^3Net dual encoder;
- ``"imu-feature-extraction"`` (:class:`ImuFeatureExtractionPipeline`): unit IMU embeddings in the joint text-IMU
  space.

    >>> from transformers import pipeline
    >>> classifier = pipeline("zero-shot-imu-classification", model=folder)

The classes live in the model folder (``models/multi3net/pipeline_multi3net.py``), not here: saved checkpoints carry
that file as remote code next to ``sensors.py``, which it imports, so ``pipeline(..., trust_remote_code=True)`` loads
them where this package is not installed. This module is their public address inside the package, with
:func:`load_pipeline`, which defaults to the pre-trained checkpoint shipped with the package.
"""

from __future__ import annotations

from pathlib import Path

from ..models.multi3net.pipeline_multi3net import (
    DEFAULT_HYPOTHESIS_TEMPLATE,
    PIPELINES,
    ImuFeatureExtractionPipeline,
    Multi3NetPipeline,
    ZeroShotImuClassificationPipeline,
)


def default_model() -> str:
    """The folder of the pre-trained Multi^3Net checkpoint shipped with the package (``pretrained_path()``).

    Raises:
        ValueError: no checkpoint ships with this installation.
    """
    from .. import pretrained_path

    try:
        return str(pretrained_path())
    except FileNotFoundError as error:
        raise ValueError(
            f"No pre-trained Multi^3Net checkpoint ships with this installation ({error}): pass model= (a folder "
            "written by save_pretrained, or a Hub id)."
        ) from error


def load_pipeline(
    task: str, model: str | Path | None = None, device: str | int | None = None, **kwargs
) -> Multi3NetPipeline:
    """``transformers.pipeline(task, model=...)`` for a Multi^3Net task; ``model=None`` takes :func:`default_model`.

    Args:
        task: ``"zero-shot-imu-classification"`` or ``"imu-feature-extraction"``.
        model: a checkpoint folder or Hub id (with its tokenizer and feature extractor), or a loaded model (then
            pass ``tokenizer=`` and ``feature_extractor=`` too).
        device: ``"cpu"``, ``"cuda"``, a GPU index, ... (default: transformers' choice).
        kwargs: passed to ``transformers.pipeline``.
    """
    from transformers import pipeline

    if task not in PIPELINES:
        raise ValueError(f"task must be one of {sorted(PIPELINES)}, got {task!r}.")
    if model is None or isinstance(model, str | Path):
        model = str(model) if model is not None else default_model()
    return pipeline(task, model=model, device=device, **kwargs)


__all__ = [
    "DEFAULT_HYPOTHESIS_TEMPLATE",
    "ImuFeatureExtractionPipeline",
    "Multi3NetPipeline",
    "ZeroShotImuClassificationPipeline",
    "default_model",
    "load_pipeline",
]
