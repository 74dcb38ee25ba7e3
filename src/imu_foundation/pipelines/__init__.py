"""transformers pipelines of the package's models, registered with ``transformers.pipeline`` on import.

- ``"zero-shot-imu-classification"`` (:class:`ZeroShotImuClassificationPipeline`): IMU recordings against free-text
  labels with a Multi^3Net dual encoder;
- ``"imu-feature-extraction"`` (:class:`ImuFeatureExtractionPipeline`): unit IMU embeddings in the joint text-IMU
  space.

    >>> from transformers import pipeline
    >>> classifier = pipeline("zero-shot-imu-classification", model=folder)

The classes live in the model folder (``models/multi3net/pipeline_multi3net.py``), not here: saved checkpoints carry
that file as remote code next to ``sensors.py``, which it imports, so ``pipeline(..., trust_remote_code=True)`` loads
them where this package is not installed. This module is their public address inside the package.
"""

from ..models.multi3net.pipeline_multi3net import (
    DEFAULT_HYPOTHESIS_TEMPLATE,
    ImuFeatureExtractionPipeline,
    ZeroShotImuClassificationPipeline,
)

__all__ = ["DEFAULT_HYPOTHESIS_TEMPLATE", "ImuFeatureExtractionPipeline", "ZeroShotImuClassificationPipeline"]
