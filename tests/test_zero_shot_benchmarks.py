"""The declared zero-shot and retrieval protocols a pre-trained Multi^3Net is measured by."""

import numpy as np
import pytest
from transformers import AutoModel, AutoProcessor
from zero_shot_helpers import save_tiny_multi3net, tiny_corpus

from imu_foundation.data.real_benchmarks import load_basic_motions
from imu_foundation.evaluation.class_prompts import CLASS_TEXTS, zero_shot_scores
from imu_foundation.evaluation.zero_shot_benchmarks import PROMPT_SETS, synthetic_retrieval, zero_shot_on_benchmarks


@pytest.fixture(scope="module")
def model_and_processor(tmp_path_factory):
    folder = save_tiny_multi3net(tmp_path_factory.mktemp("multi3net"))
    return AutoModel.from_pretrained(folder), AutoProcessor.from_pretrained(folder)


@pytest.mark.parametrize("prompts", PROMPT_SETS)
def test_benchmarks_report_every_dataset_and_the_splits_agree(model_and_processor, prompts):
    model, processor = model_and_processor
    results = zero_shot_on_benchmarks(model, processor, prompts=prompts)
    datasets = ("basic_motions_test", "basic_motions_all", "wrist_exercises")
    assert set(results) == {f"{name}_{metric}" for name in datasets for metric in ("accuracy", "macro_f1")}
    assert all(0.0 <= value <= 1.0 for value in results.values())
    if prompts == "class names":
        # all 80 windows = the 40 test windows + the 40 training windows, under the same prompts
        train = load_basic_motions().windows(["train"])
        scores = zero_shot_scores(model, processor, train, class_texts=CLASS_TEXTS["basic_motions"])
        train_accuracy = float(np.mean(scores.argmax(axis=1) == train.labels))
        expected = (results["basic_motions_test_accuracy"] + train_accuracy) / 2
        assert results["basic_motions_all_accuracy"] == pytest.approx(expected)


def test_unknown_prompt_set_and_ambiguous_prompts_are_refused(model_and_processor):
    model, processor = model_and_processor
    with pytest.raises(ValueError, match="prompts must be one of"):
        zero_shot_on_benchmarks(model, processor, prompts="emoji")
    data = load_basic_motions().windows(["test"])
    with pytest.raises(ValueError, match="one of them"):
        zero_shot_scores(model, processor, data)
    with pytest.raises(ValueError, match="one of them"):
        zero_shot_scores(model, processor, data, benchmark="basic_motions", class_texts=CLASS_TEXTS["basic_motions"])


def test_synthetic_retrieval_levels_and_subsampling(model_and_processor):
    model, processor = model_and_processor
    split = tiny_corpus()["test"]  # 9 windows, 3 per activity
    results = synthetic_retrieval(model, processor, split)
    for direction in ("text_to_imu", "imu_to_text"):
        assert results[f"instance_{direction}_recall@10"] == 1.0  # 9 candidates: the match is always in the top 10
        for k in (1, 5, 10):
            # any window of the activity is a hit at the activity level, so it can only be easier
            assert results[f"activity_{direction}_recall@{k}"] >= results[f"instance_{direction}_recall@{k}"]
        assert 0.0 < results[f"instance_{direction}_mrr"] <= 1.0
    subsampled = synthetic_retrieval(model, processor, split, max_windows=2, seed=1)
    # with 2 windows the match is first or second: MRR is 1 or 1/2 per query
    assert subsampled["instance_text_to_imu_recall@5"] == 1.0
    assert subsampled["instance_text_to_imu_mrr"] in (0.5, 0.75, 1.0)
    assert synthetic_retrieval(model, processor, split, max_windows=2, seed=1) == subsampled
