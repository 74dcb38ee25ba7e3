"""Macro-F1 over the classes present in the references: an ``evaluate`` metric module that loads offline.

    >>> import evaluate
    >>> macro_f1 = evaluate.load("path/to/metrics/macro_f1")  # or imu_foundation.evaluation.load_metric("macro_f1")
    >>> macro_f1.compute(predictions=[0, 1, 1, 2], references=[0, 1, 2, 2])
    {'macro_f1': 0.7777777777777777}

This file is also the package's one implementation of the score (:func:`macro_f1_score`, which
``imu_foundation.evaluation.few_shot.macro_f1`` calls). It needs only NumPy, ``datasets`` and ``evaluate``, so the
folder can be pushed to the Hub as a metric repo as it is.
"""

import datasets
import evaluate
import numpy as np

_DESCRIPTION = """
Macro-F1: the unweighted mean, over the classes that occur in the references, of each class's F1 score
2 TP / (2 TP + FP + FN). A class that is predicted but never occurs in the references is not averaged; its
predictions still count as errors (false negatives of the true classes). This is the score of activity-recognition
papers (IMG2IMU, UniMTS, Multi^3Net) on imbalanced classes.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `int` or `str`): predicted class of each example.
    references (`list` of `int` or `str`): true class of each example, of the same type.
Returns:
    macro_f1 (`float`): in [0, 1].
Examples:
    >>> macro_f1 = evaluate.load("macro_f1")
    >>> macro_f1.compute(predictions=["walk", "run", "run"], references=["walk", "run", "walk"])
    {'macro_f1': 0.6666666666666666}
"""

_CITATION = ""


# The input checks repeat accuracy.py's on purpose: each metric folder is a self-contained evaluate module
# (loaded by path, pushable to the Hub alone), so it cannot import from the package.
def macro_f1_score(references, predictions) -> float:
    """Unweighted mean over the classes present in ``references`` ``(N,)`` of the per-class F1 of ``predictions``."""
    references, predictions = np.asarray(references), np.asarray(predictions)
    if references.ndim != 1 or references.shape != predictions.shape:
        raise ValueError(
            f"references and predictions must be 1-D of one length, got {references.shape} and {predictions.shape}."
        )
    if len(references) == 0:
        raise ValueError("macro-F1 of no examples is undefined: pass at least one prediction.")
    if (references.dtype.kind in "US") != (predictions.dtype.kind in "US"):
        raise ValueError(
            f"references ({references.dtype}) and predictions ({predictions.dtype}) must both be class "
            "names or both class indices."
        )
    classes, codes = np.unique(np.concatenate([references, predictions]), return_inverse=True)
    truth, predicted = codes[: len(references)], codes[len(references) :]
    confusion = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(confusion, (truth, predicted), 1)
    true_positive = np.diag(confusion).astype(np.float64)
    denominator = confusion.sum(axis=0) + confusion.sum(axis=1)  # 2 TP + FP + FN
    f1 = np.divide(2 * true_positive, denominator, out=np.zeros(len(classes)), where=denominator > 0)
    return float(f1[np.unique(truth)].mean())


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class MacroF1(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=[
                datasets.Features({"predictions": datasets.Value("int64"), "references": datasets.Value("int64")}),
                datasets.Features({"predictions": datasets.Value("string"), "references": datasets.Value("string")}),
            ],
        )

    def _compute(self, predictions, references):
        return {"macro_f1": macro_f1_score(references, predictions)}
