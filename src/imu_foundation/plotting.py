"""Pictures of spectrogram images and embeddings.

Figures are drawn on matplotlib's Agg canvas directly (``matplotlib.figure.Figure``, no pyplot): no display is
needed and the global backend of an interactive session is left alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D


def _denormalise(pixel_values: torch.Tensor | np.ndarray, image_mean, image_std) -> np.ndarray:
    """``(B, 3, H, W)`` normalised images -> ``(B, H, W, 3)`` float in [0, 1] (clipped, for display only)."""
    images = np.asarray(pixel_values, dtype=np.float32)
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"pixel_values must have shape (B, 3, H, W), got {images.shape}.")
    mean = np.asarray(image_mean, dtype=np.float32)[None, :, None, None]
    std = np.asarray(image_std, dtype=np.float32)[None, :, None, None]
    return np.clip(images * std + mean, 0.0, 1.0).transpose(0, 2, 3, 1)


def _label_axes(
    axis: Axes,
    height: int,
    width: int,
    tile_names: Sequence[str],
    window_seconds: float | None,
    max_frequency_hz: float | None,
) -> None:
    """Ticks for stacked tiles: frequency (low at the bottom of each tile) on y, time on x, tile names."""
    tile_height = height / len(tile_names)
    top, middle, bottom = (
        (f"{max_frequency_hz:g} Hz", f"{max_frequency_hz / 2:g}", "0") if max_frequency_hz else ("high", "", "low")
    )
    ticks, labels = [-0.5], [top]  # a tile's top row touches the next tile's bottom: label the very top only once
    for g, name in enumerate(tile_names):
        ticks += [(g + 0.5) * tile_height - 0.5, (g + 1) * tile_height - 0.5]
        labels += [middle, bottom]
        axis.text(2, g * tile_height + 2, name, color="white", fontsize=8, va="top", weight="bold")
        if g:
            axis.axhline(g * tile_height - 0.5, color="white", linewidth=0.8)
    axis.set_yticks(ticks, labels, fontsize=7)
    axis.set_ylabel("frequency", fontsize=8)
    if window_seconds:
        axis.set_xticks([0, width - 1], ["0", f"{window_seconds:g} s"], fontsize=7)
        axis.set_xlabel("time", fontsize=8)
    else:
        axis.set_xlabel("time (columns)", fontsize=8)


def save_spectrogram_preview(
    pixel_values: torch.Tensor | np.ndarray,
    titles: Sequence[str],
    path: str | Path,
    image_mean: Sequence[float],
    image_std: Sequence[float],
    tile_names: Sequence[str] = ("acc", "gyro"),
    window_seconds: float | None = None,
    max_frequency_hz: float | None = None,
    columns: int = 4,
) -> Path:
    """Saves a grid PNG of spectrogram images.

    Args:
        pixel_values: ``(B, 3, G*H, W)`` normalised images from :class:`ImuSpectrogramFeatureExtractor`
            (x, y, z axes as R, G, B; G sensor tiles stacked top to bottom, low frequencies at each tile's bottom).
        titles: one title per image.
        path: the PNG to write (parent folders are created).
        image_mean, image_std: the normalisation to undo (the extractor's ``image_mean`` / ``image_std``).
        tile_names: name of each stacked tile, top to bottom (``("acc",)`` for accelerometer-only images).
        window_seconds: duration of a window, to label the time axis in seconds.
        max_frequency_hz: top frequency of a tile (the Nyquist rate), to label the frequency axis in Hz.
        columns: images per row.
    Returns:
        ``Path(path)``.
    """
    images = _denormalise(pixel_values, image_mean, image_std)
    if len(titles) != len(images):
        raise ValueError(f"Got {len(titles)} titles for {len(images)} images.")
    height, width = images.shape[1:3]
    tiles = list(tile_names)
    if not tiles or height % len(tiles):
        raise ValueError(f"Images of height {height} cannot hold {len(tiles)} tiles of equal height {tiles}.")
    columns = max(1, min(columns, len(images)))
    rows = -(-len(images) // columns)
    figure = _figure(2.4 * columns, 1.6 * (1 + len(tiles)) * rows)
    axes = figure.subplots(rows, columns, squeeze=False)
    for axis in axes.flat[len(images) :]:
        axis.axis("off")
    for axis, image, title in zip(axes.flat, images, titles):
        axis.imshow(image, interpolation="nearest", aspect="auto")
        axis.set_title(title, fontsize=9)
        _label_axes(axis, height, width, tiles, window_seconds, max_frequency_hz)
    figure.suptitle("IMG2IMU spectrogram images (x, y, z axes as R, G, B)", fontsize=10)
    figure.tight_layout()
    return _save(figure, path)


def pca_2d(embeddings: torch.Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Projects ``(N, D)`` features on their first two principal components.

    Returns:
        ``(N, 2)`` coordinates and the ``(2,)`` fraction of the total variance each component explains.
    """
    features = np.asarray(embeddings, dtype=np.float64)
    centred = features - features.mean(axis=0, keepdims=True)
    _, singular, components = np.linalg.svd(centred, full_matrices=False)
    explained = singular**2 / max(float((singular**2).sum()), np.finfo(np.float64).tiny)
    return centred @ components[:2].T, explained[:2]


def save_embedding_plot(
    embeddings: torch.Tensor | np.ndarray,
    labels: Sequence[int] | np.ndarray,
    label_names: Sequence[str],
    path: str | Path,
    title: str = "Embeddings, first two principal components",
) -> Path:
    """Saves a 2-D PCA scatter PNG of ``(N, D)`` embeddings, one colour per class of ``labels`` ``(N,)``."""
    coords, explained = pca_2d(embeddings)
    labels = np.asarray(labels)
    if labels.shape != (coords.shape[0],):
        raise ValueError(f"labels must have shape ({coords.shape[0]},), got {labels.shape}.")
    figure = _figure(6.0, 5.0)
    axis = figure.subplots()
    colours = matplotlib.colormaps["tab10"]
    for label, name in enumerate(label_names):
        members = labels == label
        if members.any():
            axis.scatter(*coords[members].T, s=8, alpha=0.7, color=colours(label % 10), label=name)
    axis.set_xlabel(f"PC 1 ({explained[0]:.0%} of variance)")
    axis.set_ylabel(f"PC 2 ({explained[1]:.0%} of variance)" if len(explained) > 1 else "PC 2")
    axis.set_title(title, fontsize=10)
    axis.legend(fontsize=8, markerscale=2, frameon=False)
    figure.tight_layout()
    return _save(figure, path)


def save_confusion_matrix(
    matrix: np.ndarray, label_names: Sequence[str], path: str | Path, title: str = "Confusion matrix"
) -> Path:
    """Saves a PNG of a ``(K, K)`` confusion matrix (rows: true class, columns: predicted), counts and row shares."""
    matrix = np.asarray(matrix)
    if matrix.shape != (len(label_names), len(label_names)):
        raise ValueError(f"matrix must have shape ({len(label_names)}, {len(label_names)}), got {matrix.shape}.")
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    figure = _figure(1.0 + 0.7 * len(label_names), 0.8 + 0.6 * len(label_names))
    axis = figure.subplots()
    axis.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for (row, col), count in np.ndenumerate(matrix):
        axis.text(
            col,
            row,
            str(count),
            ha="center",
            va="center",
            fontsize=8,
            color="white" if shares[row, col] > 0.5 else "black",
        )
    ticks = range(len(label_names))
    axis.set_xticks(ticks, label_names, rotation=45, ha="right", fontsize=8)
    axis.set_yticks(ticks, label_names, fontsize=8)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title(title, fontsize=10)
    figure.tight_layout()
    return _save(figure, path)


def save_imu_plot(
    acc: torch.Tensor | np.ndarray,
    gyro: torch.Tensor | np.ndarray,
    sampling_rate_hz: float,
    sensor_names: Sequence[str],
    path: str | Path,
    acc_units: str = "m/s^2",
    title: str = "",
) -> Path:
    """Saves a PNG of IMU readings: one row per sensor, accelerometer left, gyroscope right, x/y/z in colour.

    Args:
        acc / gyro: ``(T, S, 3)`` readings (``acc_units``; rad/s).
        sampling_rate_hz: sample rate, for the time axis.
        sensor_names: the ``S`` sensor names.
    """
    acc, gyro = np.asarray(acc, dtype=np.float64), np.asarray(gyro, dtype=np.float64)
    if acc.ndim != 3 or acc.shape[-1] != 3 or acc.shape != gyro.shape or acc.shape[1] != len(sensor_names):
        raise ValueError(f"acc and gyro must both be (T, S={len(sensor_names)}, 3), got {acc.shape} and {gyro.shape}.")
    time_s = np.arange(acc.shape[0]) / sampling_rate_hz
    figure = _figure(11.0, 1.0 + 2.2 * len(sensor_names))
    axes = np.atleast_2d(figure.subplots(len(sensor_names), 2, sharex=True, squeeze=False))
    for row, name in enumerate(sensor_names):
        for column, (values, unit, kind) in enumerate(((acc, acc_units, "acc"), (gyro, "rad/s", "gyro"))):
            axis = axes[row, column]
            for k, (axis_name, colour) in enumerate(zip("xyz", ("tab:red", "tab:green", "tab:blue"))):
                axis.plot(time_s, values[:, row, k], color=colour, linewidth=1.0, label=axis_name)
            axis.set_ylabel(f"{name} {kind} ({unit})", fontsize=8)
            axis.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8, ncol=3, frameon=False)
    for axis in axes[-1]:
        axis.set_xlabel("time (s)")
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return _save(figure, path)


def save_training_curves(log_history: Sequence[dict], path: str | Path, title: str = "Training") -> Path:
    """Saves a PNG of the losses a ``Trainer`` logged (its ``state.log_history``) against the step: the total
    training loss, each ``*_loss`` term, and every evaluation loss."""
    series: dict[str, tuple[list[int], list[float]]] = {}
    for entry in log_history:
        for name, value in entry.items():
            is_loss = name == "loss" or (name.endswith("_loss") and not name.startswith("train_"))  # not summaries
            if is_loss and isinstance(value, (int, float)) and "step" in entry:
                steps, values = series.setdefault(name, ([], []))
                steps.append(entry["step"])
                values.append(float(value))
    if not series:
        raise ValueError("the log history holds no loss to plot.")
    figure = _figure(7.5, 4.5)
    axis = figure.subplots()
    for name, (steps, values) in sorted(series.items(), key=lambda item: item[0] != "loss"):
        style = {"linewidth": 2.0, "color": "black"} if name == "loss" else {"linewidth": 1.0}
        if name.startswith("eval_"):
            style["linestyle"] = "--"
        axis.plot(steps, values, marker="o" if len(steps) < 20 else None, markersize=3, label=name, **style)
    axis.set_xlabel("step")
    axis.set_ylabel("loss")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8, frameon=False)
    axis.set_title(title, fontsize=10)
    figure.tight_layout()
    return _save(figure, path)


def save_few_shot_plot(
    curves: Mapping[str, Mapping[str, Sequence[tuple[int, float, float]]]],
    path: str | Path,
    chance: Mapping[str, float] | None = None,
    metric: str = "macro-F1",
    title: str = "Few-shot classification against labelled windows per class",
) -> Path:
    """Saves a PNG of a score against the number of shots: one panel per dataset, one line per method, error bars.

    Args:
        curves: ``{dataset: {method: [(shots, mean, std), ...]}}`` (the study's ``plot_curves``).
        path: the PNG to write (parent folders are created).
        chance: per dataset, the chance level to draw as a dotted line (``1 / classes``).
        metric: the score's name, for the y axis (it is drawn on [0, 1]).
    """
    if not curves or not all(curves.values()):
        raise ValueError("curves must hold at least one dataset, each with at least one method.")
    methods = list(dict.fromkeys(method for by_method in curves.values() for method in by_method))
    figure = _figure(4.6 * len(curves), 4.4)
    axes = figure.subplots(1, len(curves), squeeze=False)[0]
    colours = matplotlib.colormaps["tab10"]
    for axis, (dataset, by_method) in zip(axes, curves.items()):
        all_shots = set()
        for method, points in by_method.items():
            index = methods.index(method)
            shots, mean, std = (np.asarray(column, dtype=np.float64) for column in zip(*sorted(points)))
            all_shots.update(shots.astype(int).tolist())
            dodge = 1.04 ** (index - (len(methods) - 1) / 2)  # side by side on the log axis: bars stay readable
            axis.errorbar(shots * dodge, mean, yerr=std, marker="o", markersize=4, capsize=3, color=colours(index % 10))
        if chance and dataset in chance:
            axis.axhline(chance[dataset], color="grey", linestyle=":", linewidth=1.0)
            axis.text(min(all_shots), chance[dataset] + 0.01, "chance", color="grey", fontsize=7, va="bottom")
        axis.set_xscale("log")
        axis.set_xticks(sorted(all_shots), [str(s) for s in sorted(all_shots)])
        axis.minorticks_off()
        axis.set_ylim(0.0, 1.02)
        axis.set_xlabel("labelled windows per class (shots)")
        axis.set_ylabel(metric)
        axis.set_title(dataset, fontsize=10)
        axis.grid(alpha=0.3)
    handles = [Line2D([], [], color=colours(i % 10), marker="o") for i in range(len(methods))]
    figure.legend(handles, methods, loc="lower center", ncol=min(len(methods), 3), fontsize=8, frameon=False)
    figure.suptitle(title, fontsize=10)
    figure.tight_layout(rect=(0, 0.06 * (1 + (len(methods) - 1) // 3), 1, 1))
    return _save(figure, path)


def _figure(width_inches: float, height_inches: float) -> Figure:
    figure = Figure(figsize=(width_inches, height_inches))
    FigureCanvasAgg(figure)
    return figure


def _save(figure: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    return path


__all__ = [
    "pca_2d",
    "save_confusion_matrix",
    "save_embedding_plot",
    "save_few_shot_plot",
    "save_imu_plot",
    "save_spectrogram_preview",
    "save_training_curves",
]
