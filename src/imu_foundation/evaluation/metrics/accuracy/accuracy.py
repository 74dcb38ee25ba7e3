"""Accuracy, the fraction of predictions equal to their references: an ``evaluate`` metric module that loads offline.

    >>> accuracy = evaluate.load("path/to/metrics/accuracy")  # or imu_foundation.evaluation.load_metric("accuracy")
    >>> accuracy.compute(predictions=[0, 1, 1, 2], references=[0, 1, 2, 2])
    {'accuracy': 0.75}

Unlike the Hub's ``accuracy`` it needs no download and takes class names as well as indices.
"""

import datasets
import evaluate
import numpy as np

_DESCRIPTION = """
Accuracy: the fraction of examples whose predicted class equals the reference class.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `int` or `str`): predicted class of each example.
    references (`list` of `int` or `str`): true class of each example, of the same type.
Returns:
    accuracy (`float`): in [0, 1].
Examples:
    >>> accuracy = evaluate.load("accuracy")
    >>> accuracy.compute(predictions=["walk", "run"], references=["walk", "walk"])
    {'accuracy': 0.5}
"""

_CITATION = ""


# The input checks repeat macro_f1.py's on purpose: each metric folder is a self-contained evaluate module
# (loaded by path, pushable to the Hub alone), so it cannot import from the package.
def accuracy_score(references, predictions) -> float:
    """The fraction of ``predictions`` ``(N,)`` equal to ``references`` ``(N,)``."""
    references, predictions = np.asarray(references), np.asarray(predictions)
    if references.ndim != 1 or references.shape != predictions.shape:
        raise ValueError(
            f"references and predictions must be 1-D of one length, got {references.shape} and {predictions.shape}."
        )
    if len(references) == 0:
        raise ValueError("accuracy of no examples is undefined: pass at least one prediction.")
    if (references.dtype.kind in "US") != (predictions.dtype.kind in "US"):
        raise ValueError(
            f"references ({references.dtype}) and predictions ({predictions.dtype}) must both be class "
            "names or both class indices."
        )
    return float(np.mean(references == predictions))


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Accuracy(evaluate.Metric):
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
        return {"accuracy": accuracy_score(references, predictions)}
