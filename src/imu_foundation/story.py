"""The whole story on the embedded defaults, in one call: what ``imu-foundation demo`` runs.

1. :func:`load_shipped_model`: the pre-trained Multi^3Net that ships with the package, offline, on a CPU;
2. :func:`zero_shot_step`: real BasicMotions and seglearn wrist windows classified from class names alone (no labels),
   against chance; confusion matrices;
3. :func:`retrieval_step`: a small corpus simulated from the motion library (seeds the checkpoint was not trained on),
   a FAISS index of its windows, text queries, and how often the hits are the activity asked for;
4. :func:`fine_tune_step`: 10 labels per class of the real wrist exercises, the shipped model fine-tuned with the
   ``Trainer`` against hand-crafted statistics + logistic regression on the same split;
5. :func:`publish_step`: the fine-tuned checkpoint and the corpus pushed to a Hub-compatible server on loopback and
   loaded back by repo id, outputs compared.

Every step prints what it measured; ``story.json`` holds it all, next to the pictures. The numbers of the full
protocols (several folds and seeds) are in docs/results.md; a demo runs one fold of each.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

STORY_FILES = {
    "summary": "story.json",
    "zero_shot_basic_motions": "zero_shot_basic_motions_test.png",
    "zero_shot_wrist": "zero_shot_wrist_exercises.png",
    "embeddings": "embeddings_real_and_simulated.png",
    "corpus": "corpus",
    "finetuned": "finetuned",
    "hub": "hub",
}
QUERIES = ("a person running", "someone doing jumping jacks", "a person brushing their teeth", "someone typing")


@dataclass
class StorySettings:
    """What the demo runs. ``corpus_windows``: size of the simulated retrieval corpus (left wrist, 10 s windows);
    ``shots`` / ``fold`` / ``folds``: the few-shot split of the wrist exercises (subjects held out); ``publish``:
    run step 5."""

    corpus_windows: int = 240
    shots: int = 10
    fold: int = 0
    folds: int = 5
    seed: int = 0
    publish: bool = True


def run_story(
    output_dir: str | Path, settings: StorySettings | None = None, overwrite: bool = False, report: Callable = print
) -> dict:
    """Runs the five steps into ``output_dir``; returns the summary. An earlier story there is replaced only with
    ``overwrite`` (its files and the folders the package wrote; nothing else in ``output_dir`` is touched)."""
    from .outputs import refuse_to_overwrite

    settings = settings or StorySettings()
    output = Path(output_dir)
    if overwrite:
        clear_story(output)
    refuse_to_overwrite(output, STORY_FILES.values())
    output.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {"settings": asdict(settings)}
    started = time.perf_counter()

    def step(name: str, title: str, work: Callable[[], dict]) -> dict:
        report(f"\n== {title}")
        began = time.perf_counter()
        summary[name] = work() | {"seconds": round(time.perf_counter() - began, 1)}
        return summary[name]

    model, processor = load_shipped_model(report)
    step(
        "zero_shot",
        "2. zero-shot on real IMU, from class names only",
        lambda: zero_shot_step(model, processor, output, report),
    )
    step(
        "retrieval",
        "3. text-to-IMU retrieval over a simulated corpus",
        lambda: retrieval_step(model, processor, output, settings, report),
    )
    step(
        "fine_tuning",
        "4. few-shot fine-tuning on real wrist exercises",
        lambda: fine_tune_step(output, settings, report),
    )
    if settings.publish:
        step("publishing", "5. publish to a Hub on loopback and load back", lambda: publish_step(output, report))
    summary["seconds"] = round(time.perf_counter() - started, 1)
    (output / STORY_FILES["summary"]).write_text(json.dumps(summary, indent=2, default=str) + "\n")
    report(f"\nall steps in {summary['seconds']:.0f} s; results and pictures in {output}/")
    return summary


def clear_story(output: Path) -> None:
    """Removes an earlier story's results from ``output``: its files, and its folders if the package wrote them."""
    import shutil

    from .outputs import written_by_package
    from .runs import RUN_FILE

    paths = [output / name for name in STORY_FILES.values()]
    for path in paths:  # every check before any removal
        if path.is_dir() and not (written_by_package(path) or (path / RUN_FILE).is_file()):
            raise FileExistsError(f"{path} was not written by imu-foundation; move it or choose another folder.")
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def load_shipped_model(report: Callable = print):
    """Step 1: the shipped checkpoint with ``AutoModel`` / ``AutoProcessor``."""
    from transformers import AutoModel, AutoProcessor

    from .pretrained import pretrained_path

    path = pretrained_path()
    report(f"== 1. the shipped pre-trained Multi^3Net: {path}")
    model, processor = AutoModel.from_pretrained(path).eval(), AutoProcessor.from_pretrained(path)
    trained = sum(p.numel() for n, p in model.named_parameters() if not n.startswith("text_model."))
    report(f"   {trained / 1e6:.1f} M trained parameters (+ the frozen MiniLM text tower); card: {path / 'README.md'}")
    return model, processor


def zero_shot_step(model, processor, output: Path, report: Callable = print) -> dict:
    """Step 2: zero-shot accuracy and macro-F1 with class-name prompts; a confusion matrix per dataset."""
    from .evaluation.few_shot import classification_scores
    from .evaluation.zero_shot_benchmarks import benchmark_windows, zero_shot_predictions
    from .plotting import save_confusion_matrix

    results = {}
    for name, (benchmark, data) in benchmark_windows().items():
        if name == "basic_motions_all":
            continue  # the test split is the number; all 80 are in docs/results.md
        predicted = zero_shot_predictions(model, processor, data, benchmark)
        scores = classification_scores(data.labels, predicted, len(data.label_names))
        chance = 1 / len(data.label_names)
        title = (
            f"{name}, zero-shot ({len(data.labels)} windows): macro-F1 {scores['macro_f1']:.2f}, chance {chance:.2f}"
        )
        save_confusion_matrix(
            np.asarray(scores["confusion_matrix"]), data.label_names, output / f"zero_shot_{name}.png", title
        )
        results[name] = {"accuracy": scores["accuracy"], "macro_f1": scores["macro_f1"], "chance": chance}
        report(
            f"   {name:<20} {len(data.labels):>5} windows  accuracy {scores['accuracy']:.3f}  "
            f"macro-F1 {scores['macro_f1']:.3f}  (chance {chance:.3f})  -> zero_shot_{name}.png"
        )
    return results


def retrieval_step(model, processor, output: Path, settings: StorySettings, report: Callable = print) -> dict:
    """Step 3: simulate a small corpus, index its windows with FAISS, search it by text."""
    from .data.synthetic_corpus import CorpusSettings, LibrarySource, build_synthetic_corpus
    from .evaluation.retrieval import build_imu_index, search_text
    from .pipelines import load_pipeline

    extractor = processor.feature_extractor
    corpus_settings = CorpusSettings(
        sites=("left_wrist",),
        sampling_rate_hz=float(extractor.sampling_rate),
        window_s=10.0,
        overlap=0.0,
        pose_rate_hz=float(model.config.pose_config.fps),
        error_model="consumer_mems",
    )
    seed = 10_000 + settings.seed  # motions the checkpoint never saw (it was trained on seed 0's corpus)
    corpus = build_synthetic_corpus(
        LibrarySource(), corpus_settings, seed=seed, num_windows=settings.corpus_windows, split_fractions={"train": 1.0}
    )
    corpus.save_to_disk(output / STORY_FILES["corpus"])
    windows = corpus.dataset["train"]
    report(f"   simulated {len(windows)} windows of {len(set(windows['activity']))} activities (left wrist, 10 s)")
    embedder = load_pipeline(
        "imu-feature-extraction", model=model, tokenizer=processor.tokenizer, feature_extractor=extractor
    )
    index = build_imu_index(windows, embedder, kind="exact")
    hits = search_text(index, list(QUERIES), embedder, k=5)
    activities = np.asarray(windows["activity"])
    results = {"windows": len(windows), "queries": {}}
    for query, found in zip(QUERIES, hits):
        top = [str(activities[hit.row]) for hit in found]
        results["queries"][query] = top
        report(f"   {query!r:<34} top 5: {', '.join(top)}")
    results.update(_activity_recall(index, windows, embedder))
    report(
        f"   every activity as a query ('a person {{activity}}'): the top hit is that activity for "
        f"{results['activity_top1']:.0%} of {results['activities']} activities (chance {results['chance']:.0%})"
    )
    _embedding_map(model, processor, index, windows, output / STORY_FILES["embeddings"])
    report(f"   real and simulated windows in one embedding map -> {STORY_FILES['embeddings']}")
    return results


def _activity_recall(index, windows, embedder) -> dict:
    """How often the best window for "a person <activity in words>" is of that activity."""
    from .evaluation.retrieval import search_text

    names = sorted(set(windows["activity"]))
    queries = [f"a person {name.replace('_', ' ')}" for name in names]
    activities = np.asarray(windows["activity"])
    first = [activities[hits[0].row] for hits in search_text(index, queries, embedder, k=1)]
    counts = {name: int(np.sum(activities == name)) for name in names}
    chance = float(np.mean([counts[name] / len(activities) for name in names]))
    return {
        "activities": len(names),
        "activity_top1": float(np.mean([a == n for a, n in zip(first, names)])),
        "chance": chance,
    }


def _embedding_map(model, processor, index, windows, path: Path) -> None:
    """Real BasicMotions and wrist windows and the simulated corpus, in one PCA map of the IMU embedding space."""
    import torch

    from .data.real_benchmarks import load_basic_motions, load_wrist_exercises
    from .plotting import save_embedding_plot

    groups = {"simulated (library)": index.embeddings}
    rng = np.random.default_rng(0)
    for name, data in (
        ("BasicMotions (real)", load_basic_motions().windows()),
        ("wrist exercises (real)", load_wrist_exercises()),
    ):
        chosen = rng.choice(len(data.windows), size=min(200, len(data.windows)), replace=False)
        inputs = processor.feature_extractor(list(data.windows[chosen]), layout=data.layout, whole=True)
        with torch.no_grad():
            groups[name] = model.get_imu_features(**inputs).pooler_output.numpy()
    labels = np.concatenate([np.full(len(e), k) for k, e in enumerate(groups.values())])
    embeddings = np.concatenate([e / np.linalg.norm(e, axis=1, keepdims=True) for e in groups.values()])
    save_embedding_plot(embeddings, labels, list(groups), path, title="IMU embeddings of real and simulated windows")


def fine_tune_step(output: Path, settings: StorySettings, report: Callable = print) -> dict:
    """Step 4: fine-tune the shipped model on ``shots`` windows per class (subjects of one fold held out), and the
    hand-crafted baseline on the same windows; both scored on every held-out window."""
    from transformers import TrainingArguments

    from .evaluation.baselines import HandCraftedLogisticRegression
    from .evaluation.few_shot import classification_scores
    from .factory import training_config
    from .finetuning import FineTuningArguments, few_shot_split, finetune, load_labelled_windows

    folder = output / STORY_FILES["finetuned"]
    args = FineTuningArguments(
        model="pretrained", dataset="wrist_exercises", shots=settings.shots, fold=settings.fold, folds=settings.folds
    )
    quiet = {"save_strategy": "no", "logging_steps": 50, "disable_tqdm": True, "seed": settings.seed}
    defaults = training_config("finetune") | quiet
    results = finetune(args, TrainingArguments(output_dir=str(folder), **defaults))
    data = load_labelled_windows("wrist_exercises")
    train, test = few_shot_split(data, settings.shots, settings.fold, settings.folds, settings.seed)
    baseline = HandCraftedLogisticRegression(seed=settings.seed).fit(
        data.windows[train], data.labels[train], data.layout
    )
    hand = classification_scores(data.labels[test], baseline.predict(data.windows[test]), len(data.label_names))
    held_out = f"fold {settings.fold} of {settings.folds} (subjects held out)"
    protocol = f"{settings.shots} windows/class, {held_out}, {len(test)} test windows"
    report(f"   {protocol}")
    report(f"   Multi^3Net fine-tuned:   macro-F1 {results['macro_f1']:.3f}  accuracy {results['accuracy']:.3f}")
    report(f"   hand-crafted + logistic: macro-F1 {hand['macro_f1']:.3f}  accuracy {hand['accuracy']:.3f}")
    better = "beats" if results["macro_f1"] > hand["macro_f1"] else "does not beat"
    report(f"   on this fold the pre-trained model {better} the hand-crafted baseline; 15-run figures: docs/results.md")
    report(f"   checkpoint, card, confusion matrix and training curves -> {STORY_FILES['finetuned']}/")
    return {
        "protocol": protocol,
        "multi3net_finetuned": {k: results[k] for k in ("accuracy", "macro_f1")},
        "hand_crafted_lr": {k: hand[k] for k in ("accuracy", "macro_f1")},
    }


def publish_step(output: Path, report: Callable = print) -> dict:
    """Step 5: push the fine-tuned checkpoint and the corpus to a loopback Hub, load them back by repo id."""
    from .outputs import MARKER
    from .publishing import hub_round_trip

    hub = output / STORY_FILES["hub"]
    hub.mkdir()
    (hub / MARKER).write_text(json.dumps({"written_by": "imu_foundation", "what": "loopback Hub of the demo"}))
    result = hub_round_trip(
        output / STORY_FILES["finetuned"], output / STORY_FILES["corpus"], output / STORY_FILES["hub"]
    )
    report(f"   Hub on loopback: {result['endpoint']} (the same code pushes to huggingface.co with a token)")
    report(f"   pushed {result['model_repo']} ({len(result['model_files'])} files, card and remote code included)")
    report(f"   pushed {result['corpus_repo']} ({result['rows_compared']} rows, parquet, dataset card)")
    report(
        f"   loaded back by repo id ({result['model_class']}, load_dataset): outputs on {result['windows_compared']} "
        f"windows differ by at most {result['max_abs_difference']:g}; every row equal: {result['equal']}"
    )
    return result


__all__ = ["QUERIES", "STORY_FILES", "StorySettings", "run_story"]
