"""Class-name prompts of the real benchmarks, and zero-shot scoring of their windows with them.

The prompts are fixed before any test number is looked at: each class's name in plain words (the benchmarks' own
labels, abbreviations written out), put into every template of :data:`TEMPLATES`; a class's text embedding is the
renormalised mean over its templates (the zero-shot pipeline's prompt ensemble). Nothing here is tuned on test labels.
"""

from __future__ import annotations

import numpy as np

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


def zero_shot_scores(
    model,
    processor,
    data,
    benchmark: str | None = None,
    class_texts: dict[str, str] | None = None,
    templates: tuple[str, ...] = TEMPLATES,
    batch_size: int = 64,
) -> np.ndarray:
    """``(N, K)`` zero-shot probabilities of :class:`LabelledWindows` ``data`` over its classes (in the order of
    ``data.label_names``), each window whole: with ``benchmark``'s class prompts (:data:`CLASS_TEXTS`), or
    ``class_texts`` (label -> text), written into ``templates``."""
    from ..pipelines import ZeroShotImuClassificationPipeline

    if (benchmark is None) == (class_texts is None):
        raise ValueError("pass benchmark= (its class prompts) or class_texts=, one of them.")
    class_texts = CLASS_TEXTS[benchmark] if class_texts is None else class_texts
    texts = [class_texts[name] for name in data.label_names]
    was_training = model.training
    classifier = ZeroShotImuClassificationPipeline(
        model=model, tokenizer=processor.tokenizer, feature_extractor=processor.feature_extractor
    )
    try:
        results = classifier(
            list(data.windows), candidate_labels=texts, hypothesis_template=list(templates), layout=data.layout,
            whole=True, batch_size=batch_size,
        )  # fmt: skip
    finally:
        model.train(was_training)
    index = {text: k for k, text in enumerate(texts)}
    scores = np.zeros((len(results), len(texts)))
    for row, ranked in enumerate(results):
        for entry in ranked:
            scores[row, index[entry["label"]]] = entry["score"]
    return scores


def zero_shot_predictions(model, processor, data, benchmark: str) -> np.ndarray:
    """Predicted class indices ``(N,)`` of :func:`zero_shot_scores`."""
    return zero_shot_scores(model, processor, data, benchmark).argmax(axis=1)


def zero_shot_accuracy(model, processor, data, benchmark: str) -> float:
    """Accuracy of :func:`zero_shot_predictions` on ``data``."""
    return float((zero_shot_predictions(model, processor, data, benchmark) == data.labels).mean())


__all__ = ["CLASS_TEXTS", "TEMPLATES", "zero_shot_accuracy", "zero_shot_predictions", "zero_shot_scores"]
