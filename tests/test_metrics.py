"""The evaluate metric modules shipped with the package: hand-computed values, offline loading, one macro-F1
implementation, and publishing a metric to a (loopback) Hub as a metric repo."""

import textwrap

import evaluate
import numpy as np
import pytest

from imu_foundation.evaluation import macro_f1
from imu_foundation.evaluation.metrics import list_metrics, load_metric, metric_path
from imu_foundation.evaluation.metrics.accuracy.accuracy import accuracy_score
from imu_foundation.evaluation.metrics.macro_f1.macro_f1 import macro_f1_score


def test_the_package_ships_its_metrics_as_evaluate_modules():
    assert list_metrics() == ["accuracy", "macro_f1", "retrieval"]
    for name in list_metrics():
        module = load_metric(name)
        assert isinstance(module, evaluate.Metric) and module.name == name
        assert (metric_path(name) / "README.md").read_text().startswith("---\ntitle:")
    with pytest.raises(ValueError, match="Unknown metric 'f1'"):
        load_metric("f1")


def test_accuracy_and_macro_f1_equal_hand_computed_values():
    truth = [0, 0, 1, 1, 1, 2]
    predicted = [0, 1, 1, 1, 0, 2]
    # class 0: TP 1, FP 1, FN 1 -> 1/2; class 1: TP 2, FP 1, FN 1 -> 2/3; class 2: TP 1 -> 1.
    combined = evaluate.combine([load_metric("accuracy"), load_metric("macro_f1")])
    scores = combined.compute(predictions=predicted, references=truth)
    assert scores["accuracy"] == pytest.approx(4 / 6)
    assert scores["macro_f1"] == pytest.approx((1 / 2 + 2 / 3 + 1) / 3)
    names = ["walk", "walk", "run", "run", "run", "sit"]
    guessed = ["walk", "run", "run", "run", "walk", "sit"]
    assert load_metric("macro_f1").compute(predictions=guessed, references=names)["macro_f1"] == pytest.approx(
        scores["macro_f1"]
    )
    # A predicted class absent from the references costs recall of the true class but is not averaged itself.
    assert load_metric("macro_f1").compute(predictions=[0, 3], references=[0, 1])["macro_f1"] == pytest.approx(0.5)
    assert macro_f1(np.array(truth), np.array(predicted), 3) == pytest.approx(scores["macro_f1"])


def test_metric_input_errors_are_clear():
    with pytest.raises(ValueError, match="no examples"):
        accuracy_score([], [])
    with pytest.raises(ValueError, match="both be class names or both class indices"):
        macro_f1_score(["walk"], [0])
    with pytest.raises(ValueError, match="both be class names or both class indices"):
        accuracy_score(["0", "1"], [0, 1])  # would otherwise count no match at all
    with pytest.raises(ValueError, match=r"outside \[0, 3\)"):
        macro_f1(np.array([0, 3]), np.array([0, 1]), 3)
    with pytest.raises(ValueError, match="imu_labels"):
        load_metric("retrieval").compute(predictions=[[1.0]], references=["walk"])
    with pytest.raises(ValueError, match="IMU window 1 has no relevant item"):
        load_metric("retrieval").compute(predictions=[[1.0, 0.0]], references=["walk"], imu_labels=["walk", "run"])


def test_retrieval_recall_and_mrr_equal_hand_computed_values():
    # Rows: three texts labelled a, b, a; columns: three windows labelled a, b, b.
    similarity = np.array(
        [
            [0.1, 0.9, 0.3],  # text a: window 0 (a) ranks 3rd -> rank 3
            [0.2, 0.5, 0.5],  # text b: windows 1 and 2 (b) tie for 1st -> rank 1
            [0.8, 0.1, 0.4],  # text a: window 0 first -> rank 1
        ]
    )
    text_labels, imu_labels = ["a", "b", "a"], ["a", "b", "b"]
    scores = load_metric("retrieval").compute(
        predictions=similarity, references=text_labels, imu_labels=imu_labels, k=[1, 2]
    )
    assert scores["text_to_imu_recall@1"] == pytest.approx(2 / 3)
    assert scores["text_to_imu_recall@2"] == pytest.approx(2 / 3)
    assert scores["text_to_imu_mrr"] == pytest.approx((1 / 3 + 1 + 1) / 3)
    # Windows as queries: window 0 (a) -> texts a at 0.1 and 0.8: best 0.8, beaten by none -> 1.
    # window 1 (b) -> text b at 0.5, text 0 (a) has 0.9 -> rank 2; window 2 (b) -> 0.5 vs 0.3, 0.4 -> rank 1.
    assert scores["imu_to_text_recall@1"] == pytest.approx(2 / 3)
    assert scores["imu_to_text_recall@2"] == pytest.approx(1.0)
    assert scores["imu_to_text_mrr"] == pytest.approx((1 + 1 / 2 + 1) / 3)
    # Ties with irrelevant items count against the query: a constant matrix does not score well.
    flat = load_metric("retrieval").compute(
        predictions=np.zeros((2, 4)), references=[0, 1], imu_labels=[0, 1, 1, 1], k=[1]
    )
    assert flat["text_to_imu_mrr"] == pytest.approx((1 / 4 + 1 / 2) / 2)


PUSH_METRIC = textwrap.dedent(
    """
    from huggingface_hub import HfApi
    from imu_foundation.evaluation.metrics import push_metric_to_hub
    push_metric_to_hub("macro_f1", "test-user/imu-macro-f1")
    print(sorted(HfApi().list_repo_files("test-user/imu-macro-f1", repo_type="space")))
    """
)
LOAD_PUSHED_METRIC = textwrap.dedent(
    """
    import evaluate
    module = evaluate.load("test-user/imu-macro-f1")
    print(module.compute(predictions=[0, 1, 1, 2], references=[0, 1, 2, 2]))
    """
)


def test_a_metric_pushed_to_the_hub_loads_with_evaluate(local_hub, tmp_path):
    pushed = local_hub.run_client(PUSH_METRIC, home=tmp_path / "publisher")
    assert "['.gitattributes', 'README.md', 'app.py', 'imu-macro-f1.py']" in pushed.stdout
    loaded = local_hub.run_client(LOAD_PUSHED_METRIC, home=tmp_path / "user")
    assert "{'macro_f1': 0.7777777777777777}" in loaded.stdout
