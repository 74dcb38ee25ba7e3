"""What a pre-trained Multi^3Net does without labels: zero-shot classification of the real benchmarks and retrieval on
a held-out synthetic split, under fixed, declared protocols.

Zero-shot (no label of the real data is used):

- BasicMotions: its 40 test windows (the official split; only its 40 training windows ever choose a checkpoint during
  pre-training) and all 80 for reference; seglearn's wrist exercises: all 1,737 five-second windows of 10 subjects;
- each window whole, resampled to the model's rate, declared with its dataset's layout (units, rate, gravity);
- prompts: ``"class names"``, each class's name in words in the four templates of :data:`class_prompts.TEMPLATES`
  (the default), and ``"label strings"``, the datasets' labels as they are ("badminton", "PEN"), UniMTS's protocol.

Retrieval on a corpus split the model was not trained on (split by motion): one caption per window (its first) against
every window; ``instance`` counts a hit only for the window the caption describes, ``activity`` for any window of the
same activity. Recall@1/5/10 and MRR, text-to-IMU and IMU-to-text.
"""

from __future__ import annotations

from typing import Any

import numpy as np

PROMPT_SETS = ("class names", "label strings")


def benchmark_windows() -> dict[str, tuple[str, Any]]:
    """The protocol's datasets: name -> (benchmark of its class prompts, :class:`LabelledWindows`)."""
    from ..data.real_benchmarks import load_basic_motions, load_wrist_exercises

    basic_motions = load_basic_motions()
    return {
        "basic_motions_test": ("basic_motions", basic_motions.windows(["test"])),
        "basic_motions_all": ("basic_motions", basic_motions.windows()),
        "wrist_exercises": ("wrist_exercises", load_wrist_exercises()),
    }


def zero_shot_predictions(model, processor, data, benchmark: str, prompts: str = "class names") -> np.ndarray:
    """``(N,)`` predicted class indices of ``data`` (a benchmark's :class:`LabelledWindows`) with ``prompts``."""
    from .class_prompts import CLASS_TEXTS, zero_shot_scores

    if prompts not in PROMPT_SETS:
        raise ValueError(f"prompts must be one of {PROMPT_SETS}, got {prompts!r}.")
    if prompts == "class names":
        scores = zero_shot_scores(model, processor, data, class_texts=CLASS_TEXTS[benchmark])
    else:
        as_given = {label: label for label in data.label_names}
        scores = zero_shot_scores(model, processor, data, class_texts=as_given, templates=("{}",))
    return scores.argmax(axis=1)


def zero_shot_on_benchmarks(model, processor, prompts: str = "class names") -> dict[str, float]:
    """Accuracy and macro-F1 of zero-shot classification on BasicMotions (test, all) and the wrist exercises."""
    from .metrics import load_metric

    if prompts not in PROMPT_SETS:
        raise ValueError(f"prompts must be one of {PROMPT_SETS}, got {prompts!r}.")
    accuracy, macro_f1 = load_metric("accuracy"), load_metric("macro_f1")
    results = {}
    for name, (benchmark, data) in benchmark_windows().items():
        predicted = zero_shot_predictions(model, processor, data, benchmark, prompts)
        results[f"{name}_accuracy"] = accuracy.compute(predictions=predicted, references=data.labels)["accuracy"]
        results[f"{name}_macro_f1"] = macro_f1.compute(predictions=predicted, references=data.labels)["macro_f1"]
    return results


def synthetic_retrieval(model, processor, corpus_split, max_windows: int = 512, seed: int = 0) -> dict[str, float]:
    """Recall@k and MRR, both ways, of a corpus split's first captions against its windows (see the module
    docstring), on at most ``max_windows`` windows (a seeded choice), each window's clean wrist channels."""
    import torch

    from ..sensors import DeviceLayout
    from .retrieval import retrieval_metrics

    if len(corpus_split) > max_windows:
        corpus_split = corpus_split.shuffle(seed=seed).select(range(max_windows))
    rows = corpus_split.with_format("numpy")
    site = "left_wrist" if "left_wrist" in rows[0]["sensor_sites"] else rows[0]["sensor_sites"][0]
    layout = DeviceLayout.from_dict(rows[0])
    columns = [i for i, name in enumerate(layout.channel_names) if name.startswith(f"{site}_")]
    windows = np.stack([np.asarray(row["imu"])[:, columns] for row in rows])
    wrist = layout.replace(channel_names=tuple(layout.channel_names[i] for i in columns))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            inputs = processor.feature_extractor(list(windows), layout=wrist, whole=True)
            imu = model.get_imu_features(**inputs).pooler_output.numpy()
            captions = [str(row["captions"][0]) for row in rows]
            tokens = processor.tokenizer(captions, padding=True, truncation=True, return_tensors="pt")
            text = model.get_text_features(**tokens).pooler_output.numpy()
    finally:
        model.train(was_training)
    activities = [str(row["activity"]) for row in rows]
    results: dict[str, Any] = {}
    for level, labels in (("instance", list(range(len(rows)))), ("activity", activities)):
        for key, value in retrieval_metrics(text, labels, imu, labels).items():
            results[f"{level}_{key}"] = value
    return results


def chance_levels() -> dict[str, float]:
    """Accuracy of uniform guessing on each benchmark: one over its number of classes."""
    from .class_prompts import CLASS_TEXTS

    return {name: 1.0 / len(classes) for name, classes in CLASS_TEXTS.items()}


def evaluate_checkpoint(
    model: str, corpus: str | None = None, prompts: str = "class names", split: str = "validation"
) -> dict[str, float]:
    """The job of ``imu-foundation evaluate``: :func:`zero_shot_on_benchmarks` of a Multi^3Net checkpoint (a folder
    or Hub id) and, given a ``corpus`` (folder or Hub id), :func:`synthetic_retrieval` on its ``split``, as
    ``retrieval_*`` scores."""
    from ..models.multi3net import Multi3NetModel, Multi3NetProcessor
    from ..pretraining import load_corpus

    if prompts not in PROMPT_SETS:  # before anything is loaded
        raise ValueError(f"prompts must be one of {PROMPT_SETS}, got {prompts!r}.")
    held_out = None
    if corpus is not None:
        splits = load_corpus(corpus)
        if split not in splits:
            raise ValueError(f"the corpus {corpus} has no split {split!r}; it has {list(splits)}.")
        held_out = splits[split]
    try:
        network, processor = Multi3NetModel.from_pretrained(model).eval(), Multi3NetProcessor.from_pretrained(model)
    except OSError as error:  # transformers' word for a folder or Hub id without a checkpoint
        reason = str(error).strip().splitlines()[0]
        raise FileNotFoundError(f"no Multi^3Net checkpoint at {model}: {reason}") from error
    scores = zero_shot_on_benchmarks(network, processor, prompts)
    if held_out is not None:
        retrieval = synthetic_retrieval(network, processor, held_out)
        scores.update({f"retrieval_{key}": value for key, value in retrieval.items()})
    return scores


def results_table(scores: dict[str, float]) -> str:
    """The zero-shot scores of :func:`zero_shot_on_benchmarks` with the chance level of each benchmark, and any
    ``retrieval_*`` scores, as aligned text."""
    chance = chance_levels()
    lines = [f"{'zero-shot':<22} {'accuracy':>9} {'macro-F1':>9} {'chance':>9}"]
    for name, benchmark in (
        ("basic_motions_test", "basic_motions"),
        ("basic_motions_all", "basic_motions"),
        ("wrist_exercises", "wrist_exercises"),
    ):
        accuracy, macro_f1 = scores[f"{name}_accuracy"], scores[f"{name}_macro_f1"]
        lines.append(f"{name:<22} {accuracy:>9.3f} {macro_f1:>9.3f} {chance[benchmark]:>9.3f}")
    retrieval = {key.removeprefix("retrieval_"): value for key, value in scores.items() if key.startswith("retrieval_")}
    if retrieval:
        lines.append("retrieval")
        lines.extend(f"  {key:<34} {value:.3f}" for key, value in retrieval.items())
    return "\n".join(lines)


__all__ = [
    "PROMPT_SETS",
    "benchmark_windows",
    "chance_levels",
    "evaluate_checkpoint",
    "results_table",
    "synthetic_retrieval",
    "zero_shot_on_benchmarks",
    "zero_shot_predictions",
]
