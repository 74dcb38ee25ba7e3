"""The few-shot study: every method, on real IMU benchmarks, under one protocol; scores, tables and timings.

Protocol (:class:`StudyProtocol`): for each dataset, each seed and each number of shots, :func:`few_shot_folds`
holds out ``folds`` disjoint groups in turn (subjects when the dataset has them, else recordings), draws ``shots``
training windows per class from the other groups, and scores every window of the held-out groups: macro-F1 and
accuracy. Every method sees the same folds and the same shots, so its scores are paired with the others'. The windows
keep their dataset's rate and length (no resampling: all windows of a dataset share both, and every method accepts
any length it can convolve); :class:`~imu_foundation.evaluation.baselines.FewShotMethod` brings them to SI units.

Methods come from a registry: a name -> a factory ``(dataset_name, layout, seed) -> FewShotMethod``. A new method
(a fine-tuned pre-trained model, say) joins the study with::

    from imu_foundation.evaluation.few_shot_study import register_method

    register_method("img2imu_finetuned", lambda dataset, layout, seed: MyMethod(seed=seed), "Img2Imu, fine-tuned")

in a module that ``benchmarks/fewshot.py --import-methods my_module`` imports. The factory is called once per run
(fold): a method object is fitted once. A method is a ``FewShotMethod`` or any object with the same ``fit`` and
``predict`` (:class:`FewShotEstimator`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from tqdm.auto import tqdm

from ..data.few_shot import FewShotFold, few_shot_folds
from ..data.real_benchmarks import LabelledWindows, load_basic_motions, load_wrist_exercises
from ..sensors import DeviceLayout
from .baselines import ConvNetFromScratch, HandCraftedLogisticRegression, MiniRocketRidge
from .embedding_probe import StatisticsPlusEmbedding
from .few_shot import macro_f1


@runtime_checkable
class FewShotEstimator(Protocol):
    """What the study needs of a method: a :class:`~imu_foundation.evaluation.baselines.FewShotMethod` is one, and
    so is any object with these two methods (``finetuning.FewShotClassifier``, say)."""

    def fit(self, windows: np.ndarray, labels: np.ndarray, layout: DeviceLayout) -> Any:
        """Trains on ``(n, T, C)`` windows with ``(n,)`` integer labels in ``[0, K)``, recorded with ``layout``."""

    def predict(self, windows: np.ndarray) -> np.ndarray:
        """``(m,)`` integer class predictions of ``(m, T, C)`` windows."""


MethodFactory = Callable[[str, DeviceLayout, int], FewShotEstimator]


@dataclass(frozen=True)
class MethodEntry:
    """A registered method: its factory and the one-line description the tables print."""

    factory: MethodFactory
    description: str
    checkpoint: str | None = None  # a CHECKPOINT_RECIPES name the method starts from, if any


METHODS: dict[str, MethodEntry] = {}


def register_method(
    name: str, factory: MethodFactory, description: str, *, checkpoint: str | None = None, replace: bool = False
) -> None:
    """Adds ``name`` to the study's methods. ``factory(dataset_name, layout, seed)`` returns an unfitted method;
    ``checkpoint`` names the unshipped checkpoint (:data:`CHECKPOINT_RECIPES`) it starts from, if any (a
    :func:`fine_tuned` factory says so itself)."""
    if not name or not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"method names are letters, digits, '_' and '-', got {name!r}.")
    if name in METHODS and not replace:
        raise ValueError(f"method {name!r} is already registered; pass replace=True to replace it.")
    METHODS[name] = MethodEntry(factory, description, checkpoint or getattr(factory, "checkpoint", None))


register_method(
    "hand_crafted_lr",
    lambda dataset, layout, seed: HandCraftedLogisticRegression(seed=seed),
    "hand-crafted statistics + logistic regression",
)
register_method(
    "minirocket_ridge",
    lambda dataset, layout, seed: MiniRocketRidge(seed=seed),
    "MiniRocket + ridge classifier",
)
register_method(
    "cnn_scratch",
    lambda dataset, layout, seed: ConvNetFromScratch(seed=seed),
    "1D CNN (FCN) from random init",
)


# Checkpoints some methods start from that the package does not ship (each is minutes to an hour of CPU pre-training):
# name -> the command that makes it. ``benchmarks/fewshot.py --checkpoint NAME=FOLDER`` says where one is.
CHECKPOINT_RECIPES: dict[str, str] = {
    "img2imu_moco_simulated": (
        "python training/pretrain_img2imu.py --model img2imu-efficientnet-lite0-acc-gyro --pretrained imagenet "
        "--corpus corpora/pretrain-20k --max_steps 320 --batch_size 64 --output_dir runs/img2imu-moco-simulated "
        "(the checkpoint is runs/img2imu-moco-simulated/encoder)"
    ),
    "multi3net_img2imu": (
        "imu-foundation pretrain --corpus corpora/pretrain-20k --model multi3net-img2imu --training_config "
        "hub_configs/training/pretrain-multi3net-img2imu.json --select_on_basic_motions false "
        "--output_dir runs/multi3net-img2imu"
    ),
}
CHECKPOINTS: dict[str, str] = {}  # name -> folder, from set_checkpoint


def set_checkpoint(name: str, folder: str) -> None:
    """Says where checkpoint ``name`` (a key of :data:`CHECKPOINT_RECIPES`) is: a model folder."""
    if name not in CHECKPOINT_RECIPES:
        raise ValueError(f"unknown checkpoint {name!r}; the study's checkpoints are {sorted(CHECKPOINT_RECIPES)}.")
    if not (Path(folder) / "config.json").is_file():
        raise FileNotFoundError(f"checkpoint {name!r}: {folder} is not a model folder (no config.json).")
    CHECKPOINTS[name] = str(folder)


def checkpoint_folder(name: str) -> str:
    """The folder of checkpoint ``name``, or a ``FileNotFoundError`` saying how to make it and pass it."""
    if name not in CHECKPOINTS:
        raise FileNotFoundError(
            f"this method starts from the checkpoint {name!r}, which the package does not ship. Make it with: "
            f"{CHECKPOINT_RECIPES[name]}; then pass --checkpoint {name}=FOLDER to benchmarks/fewshot.py."
        )
    return CHECKPOINTS[name]


def fine_tuned(
    model: str,
    mode: str,
    pretrained_weights: str | None = None,
    *,
    training: dict[str, Any] | None = None,
    config_overrides: dict[str, Any] | None = None,
    encoder_learning_rate: float | None = None,
) -> MethodFactory:
    """A factory of :class:`~imu_foundation.finetuning.FewShotClassifier` (a new head on ``model``, trained with the
    ``Trainer`` on the shots; ``mode`` ``"frozen"`` trains the head only). ``model``: ``"pretrained"`` (the shipped
    checkpoint), a ``hub_configs/`` variant, or a name in :data:`CHECKPOINT_RECIPES`; a missing checkpoint stops the
    study before any training. ``training`` changes the classifier's ``TrainingArguments`` defaults;
    ``config_overrides`` and ``encoder_learning_rate`` are :class:`~imu_foundation.finetuning.FewShotClassifier`'s."""

    def factory(dataset: str, layout: DeviceLayout, seed: int) -> FewShotEstimator:
        from ..finetuning import FewShotClassifier
        from ..pretrained import pretrained_path

        if model == "pretrained":
            source = str(pretrained_path())
        elif model in CHECKPOINT_RECIPES:
            source = checkpoint_folder(model)
        else:
            source = model
        return FewShotClassifier(
            model=source,
            mode=mode,
            pretrained_weights=pretrained_weights,
            training=training,
            config_overrides=config_overrides,
            encoder_learning_rate=encoder_learning_rate,
            seed=seed,
        )

    factory.checkpoint = model if model in CHECKPOINT_RECIPES else None
    return factory


register_method(
    "multi3net_frozen",
    fine_tuned("pretrained", "frozen"),
    "Multi^3Net pre-trained on simulated IMU (shipped), encoder frozen, new head",
)
register_method(
    "multi3net_finetuned",
    fine_tuned("pretrained", "finetune"),
    "Multi^3Net pre-trained on simulated IMU (shipped), fine-tuned",
)
register_method(
    "multi3net_scratch",
    fine_tuned("multi3net-small", "finetune"),
    "Multi^3Net architecture from random init (what pre-training adds)",
)
register_method(
    "statistics_plus_multi3net",
    lambda dataset, layout, seed: StatisticsPlusEmbedding("pretrained", seed=seed),
    "hand-crafted statistics + shipped Multi^3Net embedding (frozen), logistic regression",
)
IMG2IMU_VARIANT = "img2imu-efficientnet-lite0-acc-gyro"
# Pre-trained convolutional encoders fine-tune at a tenth of the new head's step (declared before any fine-tuned
# Img2Imu score was seen; the other settings are FewShotClassifier's defaults).
CONVNET_ENCODER_LEARNING_RATE = 1e-4
MID_LEVEL = {"feature_stage": 4}  # EfficientNet-Lite0's stage 4 (80 channels, 1/16 resolution)
register_method(
    "img2imu_imagenet_frozen",
    fine_tuned(IMG2IMU_VARIANT, "frozen", "imagenet"),
    "Img2Imu: ImageNet EfficientNet-Lite0 on spectrograms, frozen, new head",
)
register_method(
    "img2imu_imagenet_midlevel",
    fine_tuned(IMG2IMU_VARIANT, "frozen", "imagenet", config_overrides=MID_LEVEL),
    "Img2Imu: ImageNet EfficientNet-Lite0, frozen, head on mid-level (stage 4) features",
)
register_method(
    "img2imu_imagenet_finetuned",
    fine_tuned(IMG2IMU_VARIANT, "finetune", "imagenet", encoder_learning_rate=CONVNET_ENCODER_LEARNING_RATE),
    "Img2Imu: ImageNet EfficientNet-Lite0, fully fine-tuned",
)
register_method(
    "img2imu_moco_midlevel",
    fine_tuned("img2imu_moco_simulated", "frozen", config_overrides=MID_LEVEL),
    "Img2Imu: ImageNet + sensor-aware MoCo on simulated spectrograms, frozen, head on stage 4",
)
register_method(
    "img2imu_moco_finetuned",
    fine_tuned("img2imu_moco_simulated", "finetune", encoder_learning_rate=CONVNET_ENCODER_LEARNING_RATE),
    "Img2Imu: ImageNet + sensor-aware MoCo on simulated spectrograms, fully fine-tuned",
)
register_method(
    "multi3net_img2imu_frozen",
    fine_tuned("multi3net_img2imu", "frozen"),
    "Multi^3Net with the Img2Imu tower (ImageNet init, aligned with text on simulated IMU), frozen, new head",
)
register_method(
    "multi3net_img2imu_finetuned",
    fine_tuned("multi3net_img2imu", "finetune", encoder_learning_rate=CONVNET_ENCODER_LEARNING_RATE),
    "Multi^3Net with the Img2Imu tower (ImageNet init, aligned with text on simulated IMU), fine-tuned",
)

# The real benchmarks of the study: name -> loader of all its windows (every split pooled).
DATASETS: dict[str, Callable[[], LabelledWindows]] = {
    # 80 whole ten-second recordings at 10 Hz; no subject ids, so folds hold out recordings.
    "basic_motions": lambda: load_basic_motions().windows(),
    # 5 s windows at 50 Hz, half overlapping, of 10 subjects; folds hold out subjects.
    "wrist_exercises": lambda: load_wrist_exercises(window_s=5.0, overlap=0.5),
}


GROUP_NOUNS = {"subject": "subject", "sequence_id": "recording"}  # what a fold holds out, in words


@dataclass(frozen=True)
class StudyProtocol:
    """Which runs the study makes: every ``shots`` x ``seeds`` x ``folds`` (fold ``k`` of seed ``s`` is
    ``few_shot_folds(..., folds=folds, seed=s)[k]``), for every method."""

    shots: tuple[int, ...] = (1, 5, 10)
    folds: int = 5
    seeds: tuple[int, ...] = (0, 1, 2)

    def __post_init__(self):
        if not self.shots or min(self.shots) < 1 or len(set(self.shots)) != len(self.shots):
            raise ValueError(f"shots must be distinct positive integers, got {self.shots}.")
        if self.folds < 2:
            raise ValueError(f"folds must be at least 2, got {self.folds}.")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds must be distinct, got {self.seeds}.")


@dataclass
class StudyResult:
    """What a study produced. ``runs``: one flat record per (dataset, method, shots, seed, fold)."""

    protocol: StudyProtocol
    datasets: dict[str, dict[str, Any]]
    methods: dict[str, str]
    runs: list[dict[str, Any]]

    def summary(self) -> list[dict[str, Any]]:
        """Mean and standard deviation over the (seed, fold) runs of each (dataset, method, shots), and the total
        seconds each method spent fitting and predicting."""
        rows = []
        for dataset in self.datasets:
            for method in self.methods:
                for shots in self.protocol.shots:
                    runs = [r for r in self.runs if (r["dataset"], r["method"], r["shots"]) == (dataset, method, shots)]
                    if not runs:
                        continue
                    f1, accuracy = (np.array([r[key] for r in runs]) for key in ("macro_f1", "accuracy"))
                    rows.append(
                        {
                            "dataset": dataset,
                            "method": method,
                            "shots": shots,
                            "runs": len(runs),
                            "macro_f1_mean": float(f1.mean()),
                            "macro_f1_std": float(f1.std()),
                            "accuracy_mean": float(accuracy.mean()),
                            "accuracy_std": float(accuracy.std()),
                            "seconds": float(sum(r["fit_s"] + r["predict_s"] for r in runs)),
                        }
                    )
        return rows

    def to_json(self) -> dict[str, Any]:
        """The protocol, the datasets, the methods, every run and the summary, JSON-ready."""
        return {
            "protocol": {
                **dataclasses.asdict(self.protocol),
                "metric": "macro-F1 over the classes present in each fold's held-out windows; also accuracy",
                "folds_by": "subject when every window has one, else source recording (few_shot_folds)",
            },
            "datasets": self.datasets,
            "methods": self.methods,
            "runs": self.runs,
            "summary": self.summary(),
        }


def run_seed(base_seed: int, shots: int, fold: int) -> int:
    """The seed a method gets in a run: derived from the protocol seed, the shots and the fold."""
    return int(np.random.SeedSequence([base_seed, shots, fold]).generate_state(1)[0] % 2**31)


def available_methods() -> list[str]:
    """The registered methods whose checkpoint is known (or that need none): the study's default."""
    return [name for name, entry in METHODS.items() if entry.checkpoint is None or entry.checkpoint in CHECKPOINTS]


def check_methods(names: Iterable[str]) -> list[str]:
    """The method names, checked against the registry (``ValueError`` naming the unknown ones)."""
    names = list(names)
    unknown = [name for name in names if name not in METHODS]
    if unknown or not names:
        raise ValueError(f"unknown methods {unknown or names}; registered: {sorted(METHODS)}.")
    return names


def check_datasets(names: Iterable[str]) -> list[str]:
    """The dataset names, checked against :data:`DATASETS`."""
    names = list(names)
    unknown = [name for name in names if name not in DATASETS]
    if unknown or not names:
        raise ValueError(f"unknown datasets {unknown or names}; known: {sorted(DATASETS)}.")
    return names


def _plan(data: LabelledWindows, protocol: StudyProtocol, dataset: str) -> list[tuple[int, int, FewShotFold]]:
    """Every (seed, shots, fold) of a dataset, drawn before anything trains so that impossible shots fail first."""
    plan = []
    for seed in protocol.seeds:
        for shots in protocol.shots:
            try:
                folds = few_shot_folds(
                    data.labels,
                    shots=shots,
                    folds=protocol.folds,
                    seed=seed,
                    subjects=data.subjects,
                    sequence_ids=data.sequence_ids,
                )
            except ValueError as error:
                raise ValueError(f"dataset {dataset!r}, {shots} shots, seed {seed}: {error}") from error
            plan += [(seed, shots, fold) for fold in folds]
    return plan


def describe_dataset(data: LabelledWindows, group_by: str) -> dict[str, Any]:
    """What the JSON records of a dataset: size, window, classes, how the folds group windows, the layout."""
    groups = data.subjects if group_by == "subject" else data.sequence_ids
    return {
        "num_windows": len(data),
        "window_samples": int(data.windows.shape[1]),
        "window_s": data.windows.shape[1] / data.sampling_rate_hz,
        "num_classes": len(data.label_names),
        "label_names": list(data.label_names),
        "class_counts": np.bincount(data.labels, minlength=len(data.label_names)).tolist(),
        "folds_by": group_by,
        "num_groups": len(np.unique(groups)),
        "layout": data.layout.to_dict(),
    }


def run_study(
    datasets: Mapping[str, LabelledWindows],
    methods: Sequence[str],
    protocol: StudyProtocol = StudyProtocol(),
    progress: bool = True,
) -> StudyResult:
    """Runs every registered method in ``methods`` on every dataset under ``protocol``.

    Args:
        datasets: name -> its windows (all pooled; the folds decide training and test).
        methods: names from :data:`METHODS`.
        protocol: shots, folds and seeds.
        progress: show a tqdm progress bar over the runs.
    Raises:
        ValueError: an unknown method, or more shots than some fold's training groups hold for some class (before
            anything trains).
        ImportError: a method whose optional dependency is missing (raised when it is first built, before the loop).
    """
    methods = check_methods(methods)
    plans, described = {}, {}
    for name, data in datasets.items():
        plans[name] = _plan(data, protocol, name)
        described[name] = describe_dataset(data, plans[name][0][2].group_by)
        for method in methods:  # build each method once up front: a missing optional dependency fails here
            built = METHODS[method].factory(name, data.layout, 0)
            if not isinstance(built, FewShotEstimator):
                raise ValueError(
                    f"method {method!r}: its factory returned a {type(built).__name__}, not an object "
                    "with fit(windows, labels, layout) and predict(windows)."
                )
    runs = []
    total = sum(len(plan) for plan in plans.values()) * len(methods)
    with tqdm(total=total, desc="few-shot runs", unit="run", disable=not progress) as bar:
        for name, data in datasets.items():
            for seed, shots, fold in plans[name]:
                test_labels = data.labels[fold.test]
                groups = data.subjects if fold.group_by == "subject" else data.sequence_ids
                for method in methods:
                    bar.set_postfix_str(f"{name} {method} {shots}-shot")
                    estimator = METHODS[method].factory(name, data.layout, run_seed(seed, shots, fold.fold))
                    started = time.perf_counter()
                    estimator.fit(data.windows[fold.train], data.labels[fold.train], data.layout)
                    fitted = time.perf_counter()
                    predicted = _checked_predictions(estimator.predict(data.windows[fold.test]), fold, data, method)
                    done = time.perf_counter()
                    runs.append(
                        {
                            "dataset": name,
                            "method": method,
                            "shots": shots,
                            "seed": seed,
                            "fold": fold.fold,
                            "macro_f1": macro_f1(test_labels, predicted, len(data.label_names)),
                            "accuracy": float(np.mean(predicted == test_labels)),
                            "num_train": len(fold.train),
                            "num_test": len(fold.test),
                            "held_out": list(fold.held_out),
                            "train_groups": sorted(set(groups[fold.train].tolist())),
                            "fit_s": fitted - started,
                            "predict_s": done - fitted,
                        }
                    )
                    bar.update()
    return StudyResult(protocol, described, {m: METHODS[m].description for m in methods}, runs)


def _checked_predictions(predicted: Any, fold: FewShotFold, data: LabelledWindows, method: str) -> np.ndarray:
    """A method's test predictions as ``(m,)`` class indices, or a ``ValueError`` naming what is wrong."""
    predicted = np.asarray(predicted)
    if predicted.shape != (len(fold.test),) or not np.issubdtype(predicted.dtype, np.integer):
        raise ValueError(
            f"method {method!r} predicted {predicted.dtype} {predicted.shape} for {len(fold.test)} windows; "
            "predict must return one integer class per window."
        )
    if len(predicted) and (predicted.min() < 0 or predicted.max() >= len(data.label_names)):
        raise ValueError(f"method {method!r} predicted classes outside [0, {len(data.label_names)}).")
    return predicted


def markdown_table(result: StudyResult, metric: str = "macro_f1") -> str:
    """Per dataset, a markdown table: one row per method, one column per shots setting (mean ± std over runs), and
    the method's fit + predict seconds summed over all its runs on the dataset."""
    if metric not in ("macro_f1", "accuracy"):
        raise ValueError(f"metric must be 'macro_f1' or 'accuracy', got {metric!r}.")
    summary = {(r["dataset"], r["method"], r["shots"]): r for r in result.summary()}
    protocol = result.protocol
    label = {"macro_f1": "macro-F1", "accuracy": "accuracy"}[metric]
    lines = []
    for dataset, info in result.datasets.items():
        runs = len(protocol.seeds) * protocol.folds
        lines += [
            f"**{dataset}** ({info['num_windows']} windows of {info['window_s']:g} s at "
            f"{info['layout']['sampling_rate_hz']:g} Hz, {info['num_classes']} classes; {label}, mean ± std over "
            f"{runs} runs = {len(protocol.seeds)} seeds x {protocol.folds} folds by "
            f"{GROUP_NOUNS[info['folds_by']]}; "
            f"chance about {1 / info['num_classes']:.2f})",
            "",
            "| method | " + " | ".join(f"{s} shot{'s' if s > 1 else ''}" for s in protocol.shots) + " | time (s) |",
            "|---|" + "---:|" * (len(protocol.shots) + 1),
        ]
        for method, description in result.methods.items():
            cells = []
            for shots in protocol.shots:
                row = summary.get((dataset, method, shots))
                cells.append(f"{row[metric + '_mean']:.3f} ± {row[metric + '_std']:.3f}" if row else "")
            seconds = sum(summary[(dataset, method, s)]["seconds"] for s in protocol.shots)
            lines.append(f"| {description} | " + " | ".join(cells) + f" | {seconds:.0f} |")
        lines.append("")
    return "\n".join(lines)


def plot_curves(result: StudyResult, metric: str = "macro_f1") -> dict[str, dict[str, list[tuple[int, float, float]]]]:
    """``{dataset: {method description: [(shots, mean, std), ...]}}``, what
    :func:`~imu_foundation.plotting.save_few_shot_plot` draws."""
    curves: dict[str, dict[str, list[tuple[int, float, float]]]] = {}
    for row in result.summary():
        by_method = curves.setdefault(row["dataset"], {})
        by_method.setdefault(result.methods[row["method"]], []).append(
            (row["shots"], row[metric + "_mean"], row[metric + "_std"])
        )
    return curves


__all__ = [
    "CHECKPOINTS",
    "CHECKPOINT_RECIPES",
    "DATASETS",
    "METHODS",
    "FewShotEstimator",
    "MethodEntry",
    "MethodFactory",
    "StudyProtocol",
    "StudyResult",
    "available_methods",
    "check_datasets",
    "check_methods",
    "checkpoint_folder",
    "describe_dataset",
    "markdown_table",
    "plot_curves",
    "register_method",
    "run_seed",
    "run_study",
    "set_checkpoint",
]
