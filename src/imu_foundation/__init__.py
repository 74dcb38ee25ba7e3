"""imu-foundation: foundation models for IMU sensing on the Hugging Face stack.

Importing the package registers its models with the transformers Auto classes (``AutoModel.from_pretrained`` then
loads its checkpoints). Names load on first use, so ``import imu_foundation`` and ``imu-foundation --help`` stay fast:
torch and transformers are imported when a model, a processor or the registration needs them.
"""

import importlib
import importlib.abc
import importlib.util
import sys
from typing import Any

__version__ = "0.1.0"

# name -> submodule that defines it
_EXPORTS = {
    "register_auto_classes": "auto_registration",
    "create_feature_extractor": "factory",
    "create_model": "factory",
    "create_processor": "factory",
    "list_models": "factory",
    "DeviceLayout": "sensors",
    "pretrained_path": "pretrained",
    "list_pretrained": "pretrained",
    **dict.fromkeys(
        (
            "Hue",
            "Img2ImuConfig",
            "Img2ImuContrastiveOutput",
            "Img2ImuForContrastivePretraining",
            "Img2ImuForImuClassification",
            "Img2ImuModel",
            "ImuSpectrogramFeatureExtractor",
            "Jitter",
            "PermuteX",
            "SensorAwareAugmentation",
            "TranslateX",
        ),
        "models.img2imu",
    ),
    **dict.fromkeys(
        (
            "Multi3NetConfig",
            "Multi3NetFeatureExtractor",
            "Multi3NetForImuClassification",
            "Multi3NetImuConfig",
            "Multi3NetModel",
            "Multi3NetOutput",
            "Multi3NetPoseConfig",
            "Multi3NetProcessor",
            "SentenceEmbeddingCache",
        ),
        "models.multi3net",
    ),
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


class _RegisterAfterTransformers(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Registers the package's models right after ``transformers`` is imported, wherever that import happens."""

    def find_spec(self, name, path=None, target=None):
        if name != "transformers":
            return None
        sys.meta_path.remove(self)  # one shot; also keeps find_spec below from finding this finder again
        spec = importlib.util.find_spec(name)
        self._loader = spec.loader
        spec.loader = self
        return spec

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        from .auto_registration import register_auto_classes

        register_auto_classes()


if "transformers" in sys.modules:
    from .auto_registration import register_auto_classes

    register_auto_classes()
elif not any(isinstance(finder, _RegisterAfterTransformers) for finder in sys.meta_path):
    sys.meta_path.insert(0, _RegisterAfterTransformers())

__all__ = sorted(_EXPORTS)
