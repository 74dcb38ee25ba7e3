"""Multi^3Net pipelines: zero-shot IMU classification and IMU embeddings, as transformers ``Pipeline`` classes.

    >>> from transformers import pipeline
    >>> classifier = pipeline("zero-shot-imu-classification", model="path/to/multi3net")
    >>> classifier(window, candidate_labels=["walking", "running", "sitting"], sampling_rate=50,
    ...            channel_names=["wrist_acc_x", "wrist_acc_y", "wrist_acc_z"], acc_units="g")
    [{'label': 'walking', 'score': 0.91}, {'label': 'running', 'score': 0.07}, {'label': 'sitting', 'score': 0.02}]
    >>> embedder = pipeline("imu-feature-extraction", model="path/to/multi3net")
    >>> embedder(window, sampling_rate=50, channel_names=[...]).shape  # a unit vector
    (256,)

Inputs: one ``(T, C)`` recording, a ``(B, T, C)`` array or a list of ``(T, C)`` recordings (lengths may differ),
described by ``sampling_rate`` (Hz), ``channel_names``, ``acc_units``, ``gyro_units`` and ``gravity``, or by one
``layout=DeviceLayout(...)``. The feature extractor converts units, resamples to the model's rate and cuts model
windows (``window_length`` samples every ``window_stride``). An input that spans several windows is one example:
its embedding is the mean of its windows' embeddings, renormalised. ``return_timestamps=True`` gives one result per
window instead, with its start and end in seconds from the start of the input (``window_stride_s`` sets the step).
``whole=True`` takes each input as one window as long as it is (windows already cut, e.g. a benchmark's).

Windows are the pipeline's chunks, so ``batch_size`` batches windows across inputs. Zero-shot scores are
``softmax(logit_scale * cos(imu, text))`` over the candidate labels, with the model's learned ``text_imu`` scale; the
labels' text embeddings are computed once per call.

Where ``imu_foundation`` is imported, both tasks are registered with transformers. Saved Multi^3Net checkpoints
record them in ``config.json`` (``custom_pipelines``) and carry this file, so ``pipeline(task, model=folder,
trust_remote_code=True)`` also works where the package is not installed. For that this module imports only NumPy,
torch, transformers and its sibling ``sensors.py``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from transformers.pipelines.base import ChunkPipeline

from .sensors import SITES, DeviceLayout, num_resampled_samples, split_channel_name

# Class names in HAR datasets are mostly gerunds ("walking", "climbing stairs"), and captions of the training corpora
# read "someone is walking"; write noun labels as activities ("playing badminton") or pass another template.
DEFAULT_HYPOTHESIS_TEMPLATE = "a person is {}."
TEXT_BATCH_SIZE = 256  # sentences per text-tower forward
MAX_TEXT_TOKENS = 256  # all-MiniLM-L6-v2's limit in sentence-transformers


class Multi3NetPipeline(ChunkPipeline):
    """Shared by the Multi^3Net pipelines: input checks, one chunk per model window, IMU and text embeddings."""

    _load_processor = False
    _load_image_processor = False
    _load_feature_extractor = True
    _load_tokenizer = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _check_dual_encoder(self.model)
        self.model.eval()

    # ------------------------------------------------------------------------------------------------------------
    # Embeddings
    # ------------------------------------------------------------------------------------------------------------
    @torch.no_grad()
    def embed_text(self, texts: Sequence[str], templates: Sequence[str] = ("{}",)) -> torch.Tensor:
        """Unit text embeddings ``(K, projection_dim)`` (float32, CPU) of ``texts`` in the joint space.

        Each text is written into every template (``template.format(text)``); with several templates the normalised
        embeddings of one text are averaged and renormalised (CLIP's prompt ensembles).
        """
        texts = _check_texts(texts, "texts")
        templates = _check_templates(templates)
        sentences = [template.format(text) for template in templates for text in texts]
        chunks = []
        for start in range(0, len(sentences), TEXT_BATCH_SIZE):
            tokens = self.tokenizer(
                sentences[start : start + TEXT_BATCH_SIZE],
                padding=True,
                truncation=True,
                max_length=min(MAX_TEXT_TOKENS, self.tokenizer.model_max_length),
                return_tensors="pt",
            ).to(self.device)
            chunks.append(self.model.get_text_features(**tokens).pooler_output.float().cpu())
        embeds = torch.cat(chunks).view(len(templates), len(texts), -1)
        return embeds[0] if len(templates) == 1 else F.normalize(embeds.mean(dim=0), dim=-1)

    # ------------------------------------------------------------------------------------------------------------
    # Pipeline steps
    # ------------------------------------------------------------------------------------------------------------
    def __call__(self, inputs, **kwargs):
        """See the module docstring; ``inputs`` is a recording, a batch, a list or an iterable of recordings."""
        return super().__call__(_numbered_recordings(inputs), **kwargs)

    def _sanitize_parameters(
        self,
        sampling_rate: float | None = None,
        channel_names: Sequence[str] | None = None,
        acc_units: str | None = None,
        gyro_units: str | None = None,
        gravity: str | None = None,
        layout: DeviceLayout | dict | None = None,
        pad_short: bool | None = None,
        whole: bool | None = None,
        window_stride_s: float | None = None,
        return_timestamps: bool | None = None,
    ):
        preprocess: dict[str, Any] = {}
        fields = (sampling_rate, channel_names, acc_units, gyro_units, gravity)
        if layout is not None or any(value is not None for value in fields):
            preprocess["layout"] = self._input_layout(layout, *fields)
        if pad_short is not None:
            preprocess["pad_short"] = bool(pad_short)
        if whole is not None:
            preprocess["whole"] = bool(whole)
        if window_stride_s is not None:
            preprocess["extractor"] = self._extractor_with_stride(window_stride_s)
        postprocess: dict[str, Any] = {}
        if return_timestamps is not None:
            postprocess["return_timestamps"] = bool(return_timestamps)
        return preprocess, {}, postprocess

    def preprocess(
        self, numbered, layout: DeviceLayout | None = None, pad_short: bool = False, whole: bool = False, extractor=None
    ):
        index, recording = numbered
        if layout is None:
            raise ValueError(
                f"Describe the IMU input: pass sampling_rate= (Hz) and channel_names= (and acc_units=, gyro_units=, "
                f"gravity= when they differ from m/s^2, rad/s and 'include'), or layout=DeviceLayout(...). The model "
                f"works at {self.feature_extractor.sampling_rate:g} Hz on {self.feature_extractor.channel_names}."
            )
        extractor = extractor or self.feature_extractor
        what = "The IMU input" if index is None else f"Recording {index}"
        if np.ndim(recording) != 2:
            raise ValueError(f"{what} must be one (T, C) array (channels last), got shape {np.shape(recording)}.")
        try:
            windows = extractor(recording, layout=layout, pad_short=pad_short, whole=whole, return_tensors="pt")
        except ValueError as error:
            raise ValueError(f"{what}: {error}" if index is not None else str(error)) from error
        values, channel_ids = windows["imu_values"], windows["imu_channel_ids"]
        rate, num_samples = extractor.sampling_rate, np.shape(recording)[0]
        window_s = extractor.window_length / rate
        if whole or num_resampled_samples(num_samples, layout.sampling_rate_hz, rate) < extractor.window_length:
            window_s = num_samples / layout.sampling_rate_hz  # repeated to fill one window (pad_short): its duration
        for k in range(len(values)):
            start_s = k * extractor.window_stride / rate
            yield {
                "imu_values": values[k : k + 1],
                "imu_channel_ids": channel_ids[None],
                "start_s": start_s,
                "end_s": start_s + window_s,
                "is_last": k == len(values) - 1,
            }

    def _forward(self, model_inputs: dict[str, Any]) -> dict[str, Any]:
        values = model_inputs["imu_values"].to(self.model.dtype)
        embeds = self.model.get_imu_features(imu_values=values, imu_channel_ids=model_inputs["imu_channel_ids"])
        return {
            "imu_embeds": embeds.pooler_output.float(),
            "start_s": model_inputs["start_s"],
            "end_s": model_inputs["end_s"],
            "is_last": model_inputs["is_last"],
        }

    @staticmethod
    def _gather(windows: list[dict[str, Any]]) -> tuple[torch.Tensor, list[float], list[float]]:
        """The window outputs of one input -> ``(N, D)`` unit embeddings and their start / end times (s)."""
        embeds = torch.cat([window["imu_embeds"].reshape(1, -1) for window in windows])
        return embeds, [_scalar(w["start_s"]) for w in windows], [_scalar(w["end_s"]) for w in windows]

    @staticmethod
    def _pool(embeds: torch.Tensor) -> torch.Tensor:
        """``(N, D)`` window embeddings of one input -> its ``(D,)`` embedding: the mean, renormalised."""
        return F.normalize(embeds.mean(dim=0), dim=-1)

    # ------------------------------------------------------------------------------------------------------------
    # Call parameters
    # ------------------------------------------------------------------------------------------------------------
    def _input_layout(self, layout, sampling_rate, channel_names, acc_units, gyro_units, gravity) -> DeviceLayout:
        """The call's :class:`DeviceLayout`, checked once: units, rate and channel names the model can read."""
        if isinstance(channel_names, str):
            raise ValueError(f"channel_names must be a list of names, not one string ({channel_names!r}).")
        layout = self.feature_extractor.input_layout(
            layout, sampling_rate, channel_names, acc_units, gyro_units, gravity
        )
        for name in layout.channel_names:
            parts = split_channel_name(name)
            if parts is None:
                raise ValueError(
                    f"Channel name {name!r} does not follow '<site>_<sensor>_<axis>' (sensor acc, gyro or mag; axis x, "
                    f"y or z), e.g. 'left_wrist_acc_x'; got {list(layout.channel_names)}."
                )
            if parts[0] not in SITES:
                raise ValueError(
                    f"Channel {name!r}: the model knows no site {parts[0]!r}. Sites: {', '.join(SITES)} "
                    "('unknown' when the placement is not known)."
                )
        return layout

    def _extractor_with_stride(self, window_stride_s: float):
        """A copy of the feature extractor whose windows start every ``window_stride_s`` seconds (nearest sample)."""
        number = isinstance(window_stride_s, (int, float, np.integer, np.floating)) and not isinstance(
            window_stride_s, bool
        )
        if not number or not math.isfinite(window_stride_s) or window_stride_s <= 0:
            raise ValueError(f"window_stride_s must be a positive number of seconds, got {window_stride_s!r}.")
        extractor = copy.copy(self.feature_extractor)
        extractor.window_stride = max(1, round(window_stride_s * extractor.sampling_rate))
        return extractor


class ZeroShotImuClassificationPipeline(Multi3NetPipeline):
    """Zero-shot classification of IMU recordings against free-text labels (task ``"zero-shot-imu-classification"``).

    Call: ``classifier(inputs, candidate_labels=[...], hypothesis_template=..., sampling_rate=..., channel_names=...,
    acc_units=..., gyro_units=..., gravity=... | layout=..., return_timestamps=False, window_stride_s=None,
    pad_short=False, whole=False, batch_size=1)``.

    Args:
        candidate_labels: the classes, as free text (a list of unique, non-empty strings).
        hypothesis_template: a string with ``{}`` where the label goes (default ``"a person is {}."``), ``"{}"`` when
            the labels are already sentences, or a list of templates, whose embeddings are averaged per label.
        return_timestamps: one result per model window, ``{"start_s", "end_s", "labels"}``, instead of one per input.
    Returns:
        Per input, a list of ``{"label", "score"}`` sorted by score (the scores sum to 1); with ``return_timestamps``
        a list of windows, each ``{"start_s": float, "end_s": float, "labels": [{"label", "score"}, ...]}``. A list
        or batch of inputs gives a list of those.
    """

    def __call__(self, inputs, candidate_labels: Sequence[str] | None = None, hypothesis_template=None, **kwargs):
        labels = _check_texts(candidate_labels, "candidate_labels")
        if len(set(labels)) != len(labels):
            repeated = sorted({label for label in labels if labels.count(label) > 1})
            raise ValueError(f"candidate_labels must be unique, got {repeated} more than once.")
        templates = DEFAULT_HYPOTHESIS_TEMPLATE if hypothesis_template is None else hypothesis_template
        label_embeds = self.embed_text(labels, templates)  # once per call, not per window
        return super().__call__(inputs, candidate_labels=labels, label_embeds=label_embeds, **kwargs)

    def _sanitize_parameters(self, candidate_labels=None, label_embeds=None, **kwargs):
        preprocess, forward, postprocess = super()._sanitize_parameters(**kwargs)
        if candidate_labels is not None:
            postprocess["candidate_labels"] = candidate_labels
            postprocess["label_embeds"] = label_embeds
        return preprocess, forward, postprocess

    def postprocess(self, windows, candidate_labels=None, label_embeds=None, return_timestamps: bool = False):
        embeds, starts, ends = self._gather(windows)
        scale = self.model.logit_scales()["text_imu"].detach().float().cpu()
        if not return_timestamps:
            return _ranked(candidate_labels, (scale * self._pool(embeds) @ label_embeds.T).softmax(dim=-1))
        probabilities = (scale * embeds @ label_embeds.T).softmax(dim=-1)
        return [
            {"start_s": start, "end_s": end, "labels": _ranked(candidate_labels, row)}
            for start, end, row in zip(starts, ends, probabilities)
        ]


class ImuFeatureExtractionPipeline(Multi3NetPipeline):
    """Unit IMU embeddings in the joint text-IMU space (task ``"imu-feature-extraction"``).

    Call: ``embedder(inputs, sampling_rate=..., channel_names=..., ... | layout=..., return_timestamps=False,
    window_stride_s=None, pad_short=False, whole=False, batch_size=1)``.

    Returns:
        Per input, a float32 ``(projection_dim,)`` unit vector (the mean of its windows' embeddings, renormalised);
        with ``return_timestamps``, ``{"embeddings": (N, projection_dim), "start_s": (N,), "end_s": (N,)}`` for its
        ``N`` windows. A list or batch of inputs gives a list of those. :meth:`embed_text` embeds text in the same
        space (for text-to-IMU search).
    """

    def postprocess(self, windows, return_timestamps: bool = False):
        embeds, starts, ends = self._gather(windows)
        if not return_timestamps:
            return self._pool(embeds).numpy()
        return {"embeddings": embeds.numpy(), "start_s": np.asarray(starts), "end_s": np.asarray(ends)}


# ----------------------------------------------------------------------------------------------------------------------
# What transformers records in saved checkpoints
# ----------------------------------------------------------------------------------------------------------------------
PIPELINES: dict[str, type[Multi3NetPipeline]] = {
    "zero-shot-imu-classification": ZeroShotImuClassificationPipeline,
    "imu-feature-extraction": ImuFeatureExtractionPipeline,
}
# The checkpoint architecture these pipelines need: the dual encoder (a classifier checkpoint has no text tower).
DUAL_ENCODER = "Multi3NetModel"


def custom_pipelines_record() -> dict[str, dict[str, Any]]:
    """``config.json``'s ``custom_pipelines``: per task the class in this file and the Auto class of its model."""
    module = __name__.rsplit(".", 1)[-1]
    return {
        task: {"impl": f"{module}.{cls.__name__}", "pt": ["AutoModel"], "type": "multimodal"}
        for task, cls in PIPELINES.items()
    }


def registered_in_this_interpreter(task: str, record: dict[str, Any]) -> bool:
    """Whether transformers' registry already serves ``task`` with the recorded class (``imu_foundation`` imported)."""
    from transformers.pipelines import PIPELINE_REGISTRY

    impl = PIPELINE_REGISTRY.supported_tasks.get(task, {}).get("impl")
    return impl is not None and impl.__name__ == record["impl"].rsplit(".", 1)[-1]


# ----------------------------------------------------------------------------------------------------------------------
# Checks and small helpers
# ----------------------------------------------------------------------------------------------------------------------
def _check_dual_encoder(model) -> None:
    architectures = getattr(model.config, "architectures", None) or []
    if not hasattr(model, "get_text_features") or (architectures and DUAL_ENCODER not in architectures):
        raise ValueError(
            f"These pipelines need a {DUAL_ENCODER} checkpoint (text and IMU towers with their projections); got "
            f"{type(model).__name__} from a checkpoint of {architectures or 'unknown architecture'}."
        )


def _check_texts(texts, what: str) -> list[str]:
    if texts is None:
        raise ValueError(f"Pass {what}=[...]: the classes as free text, e.g. ['walking', 'running', 'sitting'].")
    if isinstance(texts, str):
        raise ValueError(f"{what} must be a list of strings, not one string ({texts!r}).")
    texts = list(texts)
    if not texts:
        raise ValueError(f"{what} is empty: pass at least one label.")
    bad = [text for text in texts if not isinstance(text, str) or not text.strip()]
    if bad:
        raise ValueError(f"{what} must be non-empty strings, got {bad[:5]}.")
    return texts


def _check_templates(templates) -> list[str]:
    templates = [templates] if isinstance(templates, str) else list(templates or [])
    if not templates:
        raise ValueError("hypothesis_template is empty: pass a template such as 'a person is {}.' or a list of them.")
    for template in templates:
        if not isinstance(template, str) or template.count("{}") != 1:
            raise ValueError(
                f"hypothesis_template {template!r} must be a string with one '{{}}' where the label goes, e.g. "
                "'a person is {}.'; pass '{}' when the labels are already sentences."
            )
        try:
            template.format("label")
        except (IndexError, KeyError, ValueError) as error:
            raise ValueError(f"hypothesis_template {template!r} is not a valid format string: {error}.") from error
    return templates


def _numbered_recordings(inputs) -> Any:
    """The pipeline's inputs as ``(index, recording)`` pairs (``index`` names a recording in errors; None alone)."""
    if isinstance(inputs, (np.ndarray, torch.Tensor)):
        if inputs.ndim == 3:
            if inputs.shape[0] == 0:
                raise ValueError(f"The IMU input is empty (shape {tuple(inputs.shape)}).")
            return [(i, recording) for i, recording in enumerate(inputs)]
        return (None, inputs)
    if isinstance(inputs, (list, tuple)):
        if not inputs:
            raise ValueError("The IMU input is empty: pass a (T, C) recording, a (B, T, C) batch or a list of them.")
        if not isinstance(inputs[0], (np.ndarray, torch.Tensor)):
            raise ValueError(
                "A list input must hold (T, C) arrays (NumPy or torch); wrap one recording given as nested lists in "
                "np.asarray."
            )
        return [(i, recording) for i, recording in enumerate(inputs)]
    if isinstance(inputs, Iterable):
        return ((i, recording) for i, recording in enumerate(inputs))
    raise ValueError(
        f"IMU input must be an array, a list or an iterable of (T, C) arrays, got {type(inputs).__name__}."
    )


def _ranked(labels: Sequence[str], probabilities: torch.Tensor) -> list[dict[str, Any]]:
    scores = probabilities.tolist()
    return [{"label": label, "score": score} for score, label in sorted(zip(scores, labels), key=lambda x: -x[0])]


def _scalar(value) -> float:
    """A window time: a float, or a one-element list after batching."""
    return float(value[0] if isinstance(value, (list, tuple)) else value)


__all__ = [
    "DEFAULT_HYPOTHESIS_TEMPLATE",
    "ImuFeatureExtractionPipeline",
    "Multi3NetPipeline",
    "PIPELINES",
    "ZeroShotImuClassificationPipeline",
    "custom_pipelines_record",
    "registered_in_this_interpreter",
]
