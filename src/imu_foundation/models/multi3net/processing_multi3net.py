"""Multi^3Net processor: the caption tokenizer and the IMU feature extractor in one object (``AutoProcessor``)."""

from __future__ import annotations

from collections.abc import Sequence

from transformers.feature_extraction_utils import BatchFeature
from transformers.processing_utils import ProcessorMixin


class Multi3NetProcessor(ProcessorMixin):
    r"""Bundles a BERT tokenizer (all-MiniLM-L6-v2's vocabulary) and a :class:`Multi3NetFeatureExtractor`.

    ``processor(text=captions, imu=recordings, sampling_rate=hz)`` returns the inputs of :class:`Multi3NetModel`:
    ``input_ids``, ``attention_mask`` (and ``token_type_ids``) for the text and ``imu_values``, ``imu_channel_ids``
    for the IMU. With both, each recording must give exactly one window (one caption per window).

    Args:
        feature_extractor: the IMU preprocessing (units, resampling, windowing, normalisation).
        tokenizer: the text tower's tokenizer.
        max_length: token limit of a caption (256, sentence-transformers' limit for all-MiniLM-L6-v2).
    """

    def __init__(self, feature_extractor, tokenizer, max_length: int = 256):
        super().__init__(feature_extractor, tokenizer)
        self.max_length = max_length

    def __call__(
        self,
        text: str | Sequence[str] | None = None,
        imu=None,
        sampling_rate: float | None = None,
        channel_names: Sequence[str] | None = None,
        acc_units: str | None = None,
        gyro_units: str | None = None,
        gravity: str | None = None,
        layout=None,
        pad_short: bool = False,
        whole: bool = False,
        return_tensors: str | None = "pt",
        **kwargs,
    ) -> BatchFeature:
        """
        Args:
            text: a caption or a list of captions.
            imu: IMU recording(s), see :meth:`Multi3NetFeatureExtractor.__call__`: ``sampling_rate`` (Hz) is
                required with it; ``channel_names`` / ``acc_units`` / ``gyro_units`` / ``gravity`` describe the
                input, or ``layout`` (a ``DeviceLayout``) does; ``pad_short`` repeats short recordings to a window,
                ``whole`` keeps each recording as one window.
            return_tensors: ``"pt"`` or ``"np"``.
            kwargs: passed to the tokenizer (e.g. ``padding="max_length"``).
        """
        if text is None and imu is None:
            raise ValueError("Multi3NetProcessor needs text=, imu= or both.")
        data: dict = {}
        if text is not None:
            captions = [text] if isinstance(text, str) else list(text)
            if not captions or not all(isinstance(c, str) for c in captions):
                raise ValueError("text must be a caption string or a non-empty list of caption strings.")
            options = {"padding": True, "truncation": True, "max_length": self.max_length, **kwargs}
            data.update(self.tokenizer(captions, return_tensors=return_tensors, **options))
        if imu is not None:
            features = self.feature_extractor(
                imu,
                sampling_rate=sampling_rate,
                channel_names=channel_names,
                acc_units=acc_units,
                gyro_units=gyro_units,
                gravity=gravity,
                layout=layout,
                pad_short=pad_short,
                whole=whole,
                return_tensors=return_tensors,
            )
            if text is not None and len(features["imu_values"]) != len(captions):
                raise ValueError(
                    f"{len(captions)} captions but the IMU input gives {len(features['imu_values'])} windows of "
                    f"{self.feature_extractor.window_length} samples at {self.feature_extractor.sampling_rate} Hz; "
                    "pass one window-length recording per caption."
                )
            data.update(features)
        return BatchFeature(data, tensor_type=return_tensors)

    @property
    def model_input_names(self) -> list[str]:
        return list(dict.fromkeys(self.tokenizer.model_input_names + self.feature_extractor.model_input_names))


__all__ = ["Multi3NetProcessor"]
