"""Pre-training Multi^3Net on a synthetic corpus with the transformers ``Trainer`` (on one CPU, one GPU, or many
processes under ``accelerate launch`` / ``torchrun``).

    from imu_foundation.pretraining import PretrainingArguments, pretrain
    pretrain(PretrainingArguments(corpus="corpora/library-20k", model="multi3net-small"),
             TrainingArguments(output_dir="runs/small", max_steps=3000, ...))

What happens, in order:

1. the run folder is checked (:mod:`imu_foundation.runs`: new, ``--resume`` or ``--overwrite``) and the launch too;
2. the corpus is read (a ``save_to_disk`` folder or a Hub id) and the model built from a ``hub_configs/`` variant,
   seeded before anything random happens, with the frozen all-MiniLM-L6-v2 text tower;
3. every caption of the corpus is embedded once by the frozen text tower (:class:`SentenceEmbeddingCache`);
4. :class:`~imu_foundation.data.collators.Multi3NetPretrainingCollator` varies each window into one device's
   recording (:class:`~imu_foundation.data.augmentation.SensorVariety`) and normalises it as the processor does;
5. ``SafetensorsTrainer`` trains, logging each loss term, checkpointing without pickles; the synthetic validation
   split gives the evaluation loss, and (when ``select_on_basic_motions``) zero-shot accuracy on BasicMotions'
   40 *training* windows picks the checkpoint kept at the end: the one model-selection rule, fixed in advance;
6. the model, its processor and a model card are saved; the run is marked complete.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .data.augmentation import SensorVariety
from .trainer import SafetensorsTrainer

DEFAULT_VARIANT = "multi3net-small"
# The corpus the shipped checkpoint is pre-trained on: every site a device is usually worn at (watches, phones in
# trouser pockets or on a belt, chest straps, ankle bands), at the model's rate, in windows of the longest crop.
CORPUS_SITES = (
    "left_wrist", "right_wrist", "left_thigh", "right_thigh", "pelvis", "chest", "left_ankle", "right_ankle",
)  # fmt: skip


@dataclass
class PretrainingArguments:
    """What to pre-train on and what to pre-train (the ``TrainingArguments`` say how).

    Attributes:
        corpus: a corpus in the package's schema: a ``save_to_disk`` folder or a Hub dataset id.
        corpus_windows: when ``corpus`` is a folder that does not exist, build the package's pre-training corpus
            there first (:func:`build_pretraining_corpus`), with this many windows.
        model: a ``hub_configs/`` Multi^3Net variant, or a folder of a model to continue from.
        config_overrides: JSON object of config fields to change, e.g. ``'{"reconstruction_loss_weight": 0}'``.
        train_split / eval_split: the corpus splits (``eval_split`` may be absent from the corpus).
        max_eval_windows: evaluate on at most this many windows of ``eval_split`` (seeded choice).
        exclude_activities: comma-separated activities left out of every split (the novel-activity study: the
            model never sees them, then is asked about them zero-shot).
        sensor_variety: JSON object of :class:`SensorVariety` fields; ``"none"`` trains on clean windows of all sites.
        select_on_basic_motions: at each evaluation, score zero-shot accuracy on BasicMotions' 40 training windows
            (class-name prompts) and keep the best checkpoint at the end.
        resume: continue the interrupted run in ``output_dir`` from its last checkpoint.
        overwrite: start over in an ``output_dir`` an earlier run of the package wrote.
    """

    corpus: str = field(metadata={"help": "save_to_disk folder or Hub dataset id of a corpus in the package schema"})
    corpus_windows: int | None = field(
        default=None, metadata={"help": "build the package's pre-training corpus of this size if --corpus is missing"}
    )
    model: str = field(default=DEFAULT_VARIANT, metadata={"help": "hub_configs variant, or a model folder"})
    config_overrides: str = field(default="{}", metadata={"help": "JSON of config fields to change"})
    train_split: str = "train"
    eval_split: str = "validation"
    max_eval_windows: int = 512
    exclude_activities: str = field(default="", metadata={"help": "comma-separated activities left out of training"})
    sensor_variety: str = field(default="{}", metadata={"help": "JSON of SensorVariety fields, or 'none'"})
    select_on_basic_motions: bool = field(
        default=True, metadata={"help": "keep the checkpoint with the best zero-shot accuracy on BasicMotions' train"}
    )
    resume: bool = field(default=False, metadata={"help": "continue the interrupted run in output_dir"})
    overwrite: bool = field(default=False, metadata={"help": "start over in an output_dir of the package"})

    def variety(self) -> SensorVariety | None:
        if self.sensor_variety.strip().lower() == "none":
            return None
        fields = json.loads(self.sensor_variety)
        return SensorVariety(**{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()})


def build_pretraining_corpus(
    path: str | Path,
    num_windows: int,
    pose_rate_hz: float,
    seed: int = 0,
    num_proc: int = 1,
    overwrite: bool = False,
):
    """Builds the package's pre-training corpus at ``path``: generated library motions (activity transitions, rests,
    varied captions), IMU simulated at :data:`CORPUS_SITES` on the embedded body, 20 Hz, 10 s windows half
    overlapping, pose at ``pose_rate_hz``; 95 % train, 5 % validation, split by motion. An existing ``path`` is
    refused before any work (replaced with ``overwrite`` only if the package wrote it)."""
    from .data.synthetic_corpus import CorpusSettings, LibrarySource, build_synthetic_corpus
    from .outputs import check_replaceable

    check_replaceable(path, overwrite)

    settings = CorpusSettings(
        sites=CORPUS_SITES, sampling_rate_hz=20.0, window_s=10.0, overlap=0.5, pose_rate_hz=pose_rate_hz
    )
    corpus = build_synthetic_corpus(
        LibrarySource(),
        settings,
        seed=seed,
        num_windows=num_windows,
        split_fractions={"train": 0.95, "validation": 0.05},
        num_proc=num_proc,
    )
    return corpus.save_to_disk(path, overwrite=overwrite)


def pose_fps_of(model: str) -> float:
    """The pose tower's frame rate of a ``hub_configs/`` variant, the rate its pre-training corpus stores pose at
    (10 fps for a model folder, whose corpus the user chooses)."""
    from .factory import get_variant, list_models

    if model not in list_models():
        return 10.0
    return float(get_variant(model)["config"].get("pose_config", {}).get("fps", 10.0))


def load_corpus(source: str):
    """A corpus (``DatasetDict``) from a ``save_to_disk`` folder or a Hub id, in NumPy format."""
    import datasets

    if Path(source).is_dir():
        corpus = datasets.load_from_disk(source)
    elif Path(source).exists():
        raise ValueError(f"{source} is not a corpus folder (datasets.load_from_disk reads folders).")
    else:
        try:
            corpus = datasets.load_dataset(source)
        except Exception as error:  # offline, no such repo, a mistyped local folder: all read as "not found"
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise FileNotFoundError(
                f"{source} is neither a corpus folder here nor a Hub dataset that could be loaded ({reason})."
            ) from error
    if not isinstance(corpus, datasets.DatasetDict):
        corpus = datasets.DatasetDict({"train": corpus})
    return corpus.with_format("numpy")


def without_activities(corpus, activities: str):
    """``corpus`` without the windows of the comma-separated ``activities`` (each must occur in it)."""
    excluded = {name.strip() for name in activities.split(",") if name.strip()}
    if not excluded:
        return corpus
    present = {str(a) for split in corpus.values() for a in split.unique("activity")}
    unknown = sorted(excluded - present)
    if unknown:
        raise ValueError(f"--exclude_activities names {unknown}, which the corpus does not hold: {sorted(present)}.")
    return corpus.filter(lambda activity: str(activity) not in excluded, input_columns="activity")


def build_model_and_processor(model: str, overrides: dict[str, Any]):
    """A Multi^3Net model with every offline initialisation its variant lists (the MiniLM text tower; ImageNet
    weights for an Img2Imu IMU tower), and its processor."""
    from .factory import create_model, create_processor, get_variant, list_models
    from .models.multi3net import Multi3NetModel, Multi3NetProcessor

    if model in list_models():
        pretrained = get_variant(model).get("pretrained", [])
        return create_model(model, pretrained=pretrained, **overrides), create_processor(model)
    if not Path(model).is_dir():
        raise ValueError(
            f"--model {model!r} is neither a hub_configs variant ({', '.join(list_models())}) nor a folder."
        )
    return Multi3NetModel.from_pretrained(model, **overrides), Multi3NetProcessor.from_pretrained(model)


def caption_embeddings(model, tokenizer, corpus, splits: list[str]):
    """A :class:`SentenceEmbeddingCache` of every caption in ``splits``, from the model's frozen text tower."""
    from .models.multi3net import SentenceEmbeddingCache

    captions = sorted({caption for split in splits for row in corpus[split]["captions"] for caption in row})
    cache = SentenceEmbeddingCache(encoder_name=model.config.text_tower_source or "text_model")
    cache.encode(captions, lambda batch: model.encode_sentences(batch, tokenizer), batch_size=256)
    return cache


def pretrain(args: PretrainingArguments, training_args) -> dict[str, Any]:
    """Pre-trains a Multi^3Net model (see the module docstring); returns the final metrics."""
    from transformers import set_seed

    from .data.collators import Multi3NetPretrainingCollator
    from .model_cards import pretrained_model_card
    from .runs import check_launch, finish_run, inspect_run_folder, join_processes, leave_processes, start_run

    training_args = join_processes(training_args)
    check_launch(training_args.world_size)
    folder = inspect_run_folder(training_args.output_dir, args.resume, args.overwrite)
    if args.corpus_windows and not Path(args.corpus).exists():
        from .utils import available_cpus

        pose_fps = pose_fps_of(args.model)
        with training_args.main_process_first(desc="building the pre-training corpus"):
            if training_args.process_index == 0:
                build_pretraining_corpus(
                    args.corpus, args.corpus_windows, pose_fps, training_args.seed, num_proc=available_cpus()
                )
    corpus = without_activities(load_corpus(args.corpus), args.exclude_activities)
    if args.train_split not in corpus:
        raise ValueError(f"the corpus has no split {args.train_split!r}; it has {list(corpus)}.")
    set_seed(training_args.seed)  # before the model exists: its initial weights depend on the seed
    model, processor = build_model_and_processor(args.model, json.loads(args.config_overrides))
    eval_dataset = None
    if args.eval_split in corpus:
        eval_dataset = corpus[args.eval_split]
        if len(eval_dataset) > args.max_eval_windows:
            eval_dataset = eval_dataset.shuffle(seed=training_args.seed).select(range(args.max_eval_windows))
    splits = [args.train_split] + ([args.eval_split] if eval_dataset is not None else [])
    cache = caption_embeddings(model, processor.tokenizer, corpus, splits)
    pose_fps = model.config.pose_config.fps if corpus[args.train_split][0]["pose"].shape[0] else None
    extractor, seed = processor.feature_extractor, training_args.seed
    collator = Multi3NetPretrainingCollator(extractor, cache, variety=args.variety(), pose_fps=pose_fps, seed=seed)
    eval_collator = Multi3NetPretrainingCollator(extractor, cache, variety=None, pose_fps=pose_fps, seed=seed)
    start_run(folder, {"task": "pretraining", "arguments": asdict(args)}, training_args.should_save)

    if args.select_on_basic_motions:
        training_args.metric_for_best_model = "basic_motions_train_accuracy"
        training_args.greater_is_better = True
        training_args.load_best_model_at_end = True
    trainer = Multi3NetPretrainer(
        model=model,
        args=training_args,
        train_dataset=corpus[args.train_split],
        eval_dataset=eval_dataset,
        data_collator=collator,
        processing_class=processor,
        select_on_basic_motions=args.select_on_basic_motions,
    )
    if eval_dataset is not None:
        trainer.get_eval_dataloader = _with_collator(trainer.get_eval_dataloader, trainer, eval_collator)
    train_result = trainer.train(resume_from_checkpoint=folder.resume_from)
    metrics = {**train_result.metrics, **(trainer.evaluate() if eval_dataset is not None else {})}
    trainer.save_model()
    if training_args.should_save:
        sizes = {split: len(data) for split, data in corpus.items()}
        training = json.loads(training_args.to_json_string())
        card = pretrained_model_card(
            model, sizes, args, training, metrics.get("train_runtime", 0.0), feature_extractor=extractor
        )
        card.save(Path(training_args.output_dir) / "README.md")
    finish_run(training_args.output_dir, metrics, training_args.should_save)
    leave_processes()
    return metrics


def _with_collator(get_loader, trainer, collator):
    """``Trainer.get_eval_dataloader`` with another collator (evaluation uses clean, whole windows)."""

    def get_eval_dataloader(eval_dataset=None):
        original, trainer.data_collator = trainer.data_collator, collator
        try:
            return get_loader(eval_dataset)
        finally:
            trainer.data_collator = original

    return get_eval_dataloader


ZERO_SHOT_PROTOCOL = "zero-shot, no labels; class-name prompts in 4 templates; each window whole"
RETRIEVAL_PROTOCOL = "first caption of each of {n} held-out windows against those windows (left wrist)"


def measured_results(model, processor, validation, max_windows: int = 512) -> tuple[dict[str, float], list]:
    """What a pre-trained model does without labels (``evaluation.zero_shot_benchmarks``), as scores and as
    :class:`~.model_cards.CardResult` rows."""
    from .evaluation.zero_shot_benchmarks import synthetic_retrieval, zero_shot_on_benchmarks
    from .model_cards import CardResult

    scores = zero_shot_on_benchmarks(model, processor, "class names")
    rows = []
    for key, name, kind in (
        ("basic_motions_test", "BasicMotions, official test split (40 windows)", "basic_motions"),
        ("basic_motions_all", "BasicMotions, all 80 windows", "basic_motions"),
        ("wrist_exercises", "seglearn wrist exercises (1,737 windows, 10 subjects)", "wrist_exercises"),
    ):
        for metric in ("accuracy", "macro_f1"):
            value = scores[f"{key}_{metric}"]
            rows.append(CardResult("zero-shot-classification", name, kind, metric, value, ZERO_SHOT_PROTOCOL))
    if validation is not None and len(validation):
        retrieval = synthetic_retrieval(model, processor, validation, max_windows=max_windows)
        scores.update({f"retrieval_{key}": value for key, value in retrieval.items()})
        protocol = RETRIEVAL_PROTOCOL.format(n=min(len(validation), max_windows))
        for key in (
            "activity_text_to_imu_recall@1",
            "instance_text_to_imu_recall@1",
            "instance_text_to_imu_recall@10",
            "instance_imu_to_text_mrr",
        ):
            value = retrieval[key]
            task, dataset = "text-to-imu-retrieval", "held-out synthetic split"
            rows.append(CardResult(task, dataset, "synthetic", key, value, protocol))
    return scores, rows


def ship_pretrained(run_dir: str | Path, destination: str | Path, remake: str | None = None, overwrite: bool = False):
    """Writes a finished pre-training run's model into ``destination`` as a checkpoint to ship: config, safetensors,
    processor and a card with the results measured here (:func:`measured_results`) and the ``remake`` command.
    Only the weights that were trained are written (the frozen text tower loads from its own package); the
    model's Python files are left out (``push_to_hub`` adds them for ``trust_remote_code``). Returns the scores."""
    from .model_cards import pretrained_model_card
    from .models.multi3net import Multi3NetModel, Multi3NetProcessor
    from .outputs import building_folder
    from .runs import RUN_FILE
    from .trainer import TRAINING_ARGS_JSON

    run_dir = Path(run_dir)
    record_file = run_dir / RUN_FILE
    if not record_file.is_file():
        raise FileNotFoundError(f"{run_dir} holds no pre-training run ({RUN_FILE} is missing).")
    record = json.loads(record_file.read_text())
    if record.get("task") != "pretraining" or record.get("status") != "complete":
        raise ValueError(f"{run_dir} is not a finished pre-training run: {record.get('task')}, {record.get('status')}.")
    args = PretrainingArguments(**record["arguments"])
    training = json.loads((run_dir / TRAINING_ARGS_JSON).read_text())
    model, processor = Multi3NetModel.from_pretrained(run_dir).eval(), Multi3NetProcessor.from_pretrained(run_dir)
    corpus = without_activities(load_corpus(args.corpus), args.exclude_activities)
    validation = corpus[args.eval_split] if args.eval_split in corpus else None
    scores, rows = measured_results(model, processor, validation)
    sizes = {split: len(data) for split, data in corpus.items()}
    runtime = record.get("results", {}).get("train_runtime", 0.0)
    card = pretrained_model_card(model, sizes, args, training, runtime, rows, remake, processor.feature_extractor)
    with building_folder(destination, "a shipped checkpoint", overwrite=overwrite) as folder:
        model.save_pretrained(folder)
        processor.save_pretrained(folder)
        for code in folder.glob("*.py"):  # written just now by save_pretrained, into the package's own folder
            code.unlink()
        card.save(folder / "README.md")
        (folder / "results.json").write_text(json.dumps({"scores": scores, "run": record}, indent=2) + "\n")
    return scores


class Multi3NetPretrainer(SafetensorsTrainer):
    """The pre-training ``Trainer``: evaluation adds ``eval_basic_motions_train_accuracy`` when asked, zero-shot
    accuracy on the 40 windows of BasicMotions' *training* split with the package's class-name prompts. Only these
    labels ever choose a checkpoint; BasicMotions' test split is never looked at during pre-training."""

    def __init__(self, *args, select_on_basic_motions: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.selection_windows = None
        if select_on_basic_motions:
            from .data.real_benchmarks import load_basic_motions

            self.selection_windows = load_basic_motions().windows(["train"])

    def evaluate(self, *args, metric_key_prefix: str = "eval", **kwargs) -> dict[str, float]:
        metrics = super().evaluate(*args, metric_key_prefix=metric_key_prefix, **kwargs)
        if self.selection_windows is not None:
            from .evaluation.class_prompts import zero_shot_accuracy

            accuracy = zero_shot_accuracy(self.model, self.processing_class, self.selection_windows, "basic_motions")
            extra = {f"{metric_key_prefix}_basic_motions_train_accuracy": accuracy}
            metrics.update(extra)
            self.log(extra)
        return metrics


def main(argv: list[str] | None = None, prog: str | None = None) -> dict[str, Any]:
    """The command line of :func:`pretrain` (``imu-foundation pretrain``, ``training/pretrain_multi3net.py``)."""
    import sys

    from .factory import parse_training_arguments

    args, training_args = parse_training_arguments(
        PretrainingArguments, sys.argv[1:] if argv is None else argv, "pretrain-multi3net-small", prog=prog
    )
    metrics = pretrain(args, training_args)
    if training_args.should_save:
        print(json.dumps(metrics, indent=2, default=str))
    return metrics


__all__ = [
    "DEFAULT_VARIANT",
    "PretrainingArguments",
    "build_model_and_processor",
    "build_pretraining_corpus",
    "load_corpus",
    "main",
    "measured_results",
    "pose_fps_of",
    "pretrain",
    "ship_pretrained",
    "without_activities",
]
