"""Class-name prompts of the real benchmarks, and zero-shot scoring with them.

The prompts are fixed before any test number is looked at: each class's name in plain words (the benchmarks' own
labels, with abbreviations written out), put into every template of :data:`TEMPLATES`; a class's text embedding is
the renormalised mean of its templates' embeddings (CLIP's prompt ensemble). Nothing here is tuned on test labels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

TEMPLATES: tuple[str, ...] = ("{}", "a person {}", "someone is {}", "a person who is {}")
# Class names as gerund phrases ("a person {}" reads naturally), keyed by each benchmark's labels.
CLASS_TEXTS: dict[str, dict[str, str]] = {
    "basic_motions": {
        "badminton": "playing badminton",
        "running": "running",
        "standing": "standing",
        "walking": "walking",
    },
    "wrist_exercises": {
        "PEN": "doing a pendulum exercise",
        "ABD": "doing shoulder abduction",
        "FEL": "doing forward elevation of the arm",
        "IR": "doing internal rotation of the shoulder",
        "ER": "doing external rotation of the shoulder",
        "TRAP": "doing a trapezius exercise",
        "ROW": "doing a rowing exercise",
    },
}


@torch.no_grad()
def class_text_embeddings(
    model, tokenizer, class_texts: Sequence[str], templates: Sequence[str] = TEMPLATES
) -> torch.Tensor:
    """``(K, D)`` normalised text embeddings of ``K`` classes, each the mean over ``templates`` (renormalised)."""
    prompts = [template.format(text) for text in class_texts for template in templates]
    tokens = tokenizer(prompts, padding=True, truncation=True, max_length=256, return_tensors="pt")
    names = ("input_ids", "attention_mask", "token_type_ids")
    tokens = {k: v.to(model.device) for k, v in tokens.items() if k in names}
    embeds = model.get_text_features(**tokens).pooler_output.view(len(class_texts), len(templates), -1)
    return torch.nn.functional.normalize(embeds.mean(dim=1), dim=-1)


@torch.no_grad()
def window_embeddings(model, processor, windows: np.ndarray, layout, batch_size: int = 64) -> torch.Tensor:
    """``(N, D)`` normalised IMU embeddings of ``(N, T, C)`` windows recorded with ``layout``, each window whole
    (resampled to the model's rate, no re-windowing)."""
    extractor = processor.feature_extractor if hasattr(processor, "feature_extractor") else processor
    chunks = []
    for start in range(0, len(windows), batch_size):
        inputs = extractor(list(windows[start : start + batch_size]), layout=layout, whole=True)
        chunks.append(
            model.get_imu_features(
                imu_values=inputs["imu_values"].to(model.device),
                imu_channel_ids=inputs["imu_channel_ids"].to(model.device),
            ).pooler_output
        )
    return torch.cat(chunks)


def zero_shot_predictions(model, processor, data, benchmark: str) -> np.ndarray:
    """Predicted class indices ``(N,)`` of :class:`LabelledWindows` ``data`` from ``benchmark``'s class prompts."""
    texts = [CLASS_TEXTS[benchmark][name] for name in data.label_names]
    was_training = model.training
    model.eval()
    try:
        classes = class_text_embeddings(model, processor.tokenizer, texts)
        windows = window_embeddings(model, processor, data.windows, data.layout)
    finally:
        model.train(was_training)
    return (windows @ classes.T).argmax(dim=1).cpu().numpy()


def zero_shot_accuracy(model, processor, data, benchmark: str) -> float:
    """Accuracy of :func:`zero_shot_predictions` on ``data``."""
    return float((zero_shot_predictions(model, processor, data, benchmark) == data.labels).mean())


__all__ = [
    "CLASS_TEXTS",
    "TEMPLATES",
    "class_text_embeddings",
    "window_embeddings",
    "zero_shot_accuracy",
    "zero_shot_predictions",
]
