"""Cross-modal retrieval scores, Recall@k and MRR in both directions: an ``evaluate`` metric module (offline).

    >>> retrieval = evaluate.load("path/to/metrics/retrieval")  # or imu_foundation.evaluation.load_metric(...)
    >>> retrieval.compute(predictions=similarity, references=text_labels, imu_labels=imu_labels, k=[1, 5])
    {'text_to_imu_recall@1': ..., 'text_to_imu_recall@5': ..., 'text_to_imu_mrr': ...,
     'imu_to_text_recall@1': ..., 'imu_to_text_recall@5': ..., 'imu_to_text_mrr': ...}

The similarity matrix has one row per text (caption or label prompt) and one column per IMU window. Relevance is
"same label": a window is relevant to a text when their labels are equal, so a caption shared by several windows has
several relevant windows and a window has as many relevant texts as there are texts with its label. Pass caption
strings as labels for caption-level retrieval, or activity names for class-level retrieval.

This file is also the package's one implementation (:func:`retrieval_scores`). It needs only NumPy, ``datasets`` and
``evaluate``, so the folder can be pushed to the Hub as a metric repo as it is.
"""

import datasets
import evaluate
import numpy as np

_DESCRIPTION = """
Recall@k and mean reciprocal rank (MRR) of text-to-IMU and IMU-to-text retrieval from one similarity matrix.

For each query (a text, searching the IMU windows; or a window, searching the texts) the items are ranked by
similarity. The rank of a query is that of its best-ranked relevant item (relevant: same label), counting ties with
irrelevant items against it: rank = 1 + the number of irrelevant items at least as similar. Recall@k is the fraction
of queries whose rank is at most k (at least one relevant item in the top k); MRR is the mean of 1 / rank. Every
query must have at least one relevant item.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `list` of `float`): the similarity matrix, one row per text, one column per IMU window.
    references (`list` of `int` or `str`): the label of each text (row).
    imu_labels (`list` of `int` or `str`): the label of each IMU window (column), of the same type.
    k (`list` of `int`, defaults to `[1, 5, 10]`): the cut-offs of Recall@k.
Returns:
    text_to_imu_recall@{k}, text_to_imu_mrr, imu_to_text_recall@{k}, imu_to_text_mrr (`float`): in [0, 1].
Examples:
    >>> retrieval = evaluate.load("retrieval")
    >>> retrieval.compute(predictions=[[0.9, 0.1], [0.2, 0.8]], references=["walk", "run"],
    ...                   imu_labels=["walk", "run"], k=[1])
    {'text_to_imu_recall@1': 1.0, 'text_to_imu_mrr': 1.0, 'imu_to_text_recall@1': 1.0, 'imu_to_text_mrr': 1.0}
"""

_CITATION = ""
DEFAULT_K = (1, 5, 10)


def retrieval_scores(similarity, text_labels, imu_labels, k=DEFAULT_K) -> dict[str, float]:
    """Recall@k and MRR, text-to-IMU and IMU-to-text, of a ``(num_texts, num_windows)`` similarity matrix."""
    similarity = np.asarray(similarity, dtype=np.float64)
    text_labels, imu_labels = np.asarray(text_labels), np.asarray(imu_labels)
    if similarity.ndim != 2 or similarity.shape != (len(text_labels), len(imu_labels)) or similarity.size == 0:
        raise ValueError(
            f"similarity must be (num_texts, num_windows) = ({len(text_labels)}, {len(imu_labels)}), got "
            f"{similarity.shape}."
        )
    if not np.isfinite(similarity).all():
        raise ValueError("similarity contains NaN or inf.")
    if (text_labels.dtype.kind in "US") != (imu_labels.dtype.kind in "US"):
        raise ValueError("text and IMU labels must both be strings or both be integers.")
    cutoffs = [int(c) for c in np.atleast_1d(k)]
    if not cutoffs or min(cutoffs) < 1:
        raise ValueError(f"k must be positive cut-offs, got {k!r}.")
    relevant = text_labels[:, None] == imu_labels[None, :]
    scores = {}
    for direction, matrix, mask in (("text_to_imu", similarity, relevant), ("imu_to_text", similarity.T, relevant.T)):
        ranks = _first_relevant_rank(matrix, mask, direction)
        for cutoff in cutoffs:
            scores[f"{direction}_recall@{cutoff}"] = float(np.mean(ranks <= cutoff))
        scores[f"{direction}_mrr"] = float(np.mean(1.0 / ranks))
    return scores


def _first_relevant_rank(similarity: np.ndarray, relevant: np.ndarray, direction: str) -> np.ndarray:
    """``(Q,)`` rank of each query's best relevant item; ties with irrelevant items count against it."""
    lonely = np.flatnonzero(~relevant.any(axis=1))
    if len(lonely):
        query = "text" if direction == "text_to_imu" else "IMU window"
        raise ValueError(f"{query} {lonely[0]} has no relevant item (no item with its label): rank undefined.")
    best = np.where(relevant, similarity, -np.inf).max(axis=1)
    return 1 + ((similarity >= best[:, None]) & ~relevant).sum(axis=1)


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Retrieval(evaluate.Metric):
    def _info(self):
        similarities = datasets.List(datasets.Value("float64"))
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=[
                datasets.Features({"predictions": similarities, "references": datasets.Value("int64")}),
                datasets.Features({"predictions": similarities, "references": datasets.Value("string")}),
            ],
        )

    def _compute(self, predictions, references, imu_labels=None, k=DEFAULT_K):
        if imu_labels is None:
            raise ValueError("Pass imu_labels=[...]: the label of each IMU window (column of the similarity matrix).")
        return retrieval_scores(predictions, references, imu_labels, k)
