"""Registers the package's models with the transformers Auto classes (run once, on import of imu_foundation).

Two mechanisms, both needed:
- ``AutoConfig.register`` / ``AutoModel.register``: ``AutoModel.from_pretrained(folder)`` works wherever
  ``imu_foundation`` is imported.
- ``register_for_auto_class``: ``save_pretrained`` writes ``auto_map`` and copies the model's source files next to the
  weights, so the folder also loads with ``trust_remote_code=True`` where the package is not installed.

The Multi^3Net pipelines (``zero-shot-imu-classification``, ``imu-feature-extraction``) go into transformers'
``PIPELINE_REGISTRY``; saved Multi^3Net checkpoints also record them (``custom_pipelines``, see
``Multi3NetConfig.custom_pipelines``) for ``trust_remote_code=True`` loading.
"""

from transformers import (
    AutoConfig,
    AutoFeatureExtractor,
    AutoModel,
    AutoModelForImageClassification,
    AutoModelForSequenceClassification,
    AutoProcessor,
)
from transformers.pipelines import PIPELINE_REGISTRY

from .models.img2imu import (
    Img2ImuConfig,
    Img2ImuForImuClassification,
    Img2ImuModel,
    ImuSpectrogramFeatureExtractor,
)
from .models.multi3net import (
    Multi3NetConfig,
    Multi3NetFeatureExtractor,
    Multi3NetForImuClassification,
    Multi3NetModel,
    Multi3NetProcessor,
)
from .models.multi3net.pipeline_multi3net import PIPELINES as MULTI3NET_PIPELINES


def register_auto_classes() -> None:
    AutoConfig.register(Img2ImuConfig.model_type, Img2ImuConfig, exist_ok=True)
    AutoModel.register(Img2ImuConfig, Img2ImuModel, exist_ok=True)
    AutoModelForImageClassification.register(Img2ImuConfig, Img2ImuForImuClassification, exist_ok=True)
    AutoFeatureExtractor.register(Img2ImuConfig, ImuSpectrogramFeatureExtractor, exist_ok=True)

    Img2ImuConfig.register_for_auto_class()
    Img2ImuModel.register_for_auto_class("AutoModel")
    Img2ImuForImuClassification.register_for_auto_class("AutoModelForImageClassification")
    ImuSpectrogramFeatureExtractor.register_for_auto_class("AutoFeatureExtractor")

    # Multi^3Net. No transformers Auto class exists for time-series classification; an IMU window is a sequence,
    # so the classifier goes under AutoModelForSequenceClassification.
    AutoConfig.register(Multi3NetConfig.model_type, Multi3NetConfig, exist_ok=True)
    AutoModel.register(Multi3NetConfig, Multi3NetModel, exist_ok=True)
    AutoModelForSequenceClassification.register(Multi3NetConfig, Multi3NetForImuClassification, exist_ok=True)
    AutoFeatureExtractor.register(Multi3NetConfig, Multi3NetFeatureExtractor, exist_ok=True)
    AutoProcessor.register(Multi3NetConfig, Multi3NetProcessor, exist_ok=True)

    Multi3NetConfig.register_for_auto_class()
    Multi3NetModel.register_for_auto_class("AutoModel")
    Multi3NetForImuClassification.register_for_auto_class("AutoModelForSequenceClassification")
    Multi3NetFeatureExtractor.register_for_auto_class("AutoFeatureExtractor")
    Multi3NetProcessor.register_for_auto_class("AutoProcessor")

    for task, pipeline_class in MULTI3NET_PIPELINES.items():
        if PIPELINE_REGISTRY.supported_tasks.get(task, {}).get("impl") is not pipeline_class:
            PIPELINE_REGISTRY.register_pipeline(
                task, pipeline_class=pipeline_class, pt_model=AutoModel, type="multimodal"
            )
