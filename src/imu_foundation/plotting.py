"""Pictures of spectrogram images, embeddings, IMU readings, training curves, zero-shot timelines and retrieval
results.

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

from .sensors import split_channel_name


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


def loss_series(log_history: Sequence[dict]) -> dict[str, tuple[list[int], list[float]]]:
    """``{name: (steps, values)}`` of the losses a ``Trainer`` logged: ``loss``, each ``*_loss`` term and every
    evaluation loss (not the ``train_*`` summaries)."""
    series: dict[str, tuple[list[int], list[float]]] = {}
    for entry in log_history:
        for name, value in entry.items():
            is_loss = name == "loss" or (name.endswith("_loss") and not name.startswith("train_"))
            if is_loss and isinstance(value, (int, float)) and "step" in entry:
                steps, values = series.setdefault(name, ([], []))
                steps.append(entry["step"])
                values.append(float(value))
    return series


def save_training_curves(log_history: Sequence[dict], path: str | Path, title: str = "Training") -> Path:
    """Saves a PNG of :func:`loss_series` of a ``Trainer``'s ``state.log_history`` against the step."""
    series = loss_series(log_history)
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
    columns = 3 if max(len(m) for m in methods) <= 40 else 2 if max(len(m) for m in methods) <= 70 else 1
    rows = -(-len(methods) // columns)  # legend rows under the panels
    figure = _figure(max(4.6 * len(curves), 9.0 if columns < 3 else 0.0), 4.0 + 0.22 * rows)
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
    figure.legend(handles, methods, loc="lower center", ncol=min(len(methods), columns), fontsize=8, frameon=False)
    figure.suptitle(title, fontsize=10)
    figure.tight_layout(rect=(0, 0.055 * rows * 4.4 / (4.0 + 0.22 * rows), 1, 1))
    return _save(figure, path)


def save_label_timeline(
    start_s: Sequence[float] | np.ndarray,
    end_s: Sequence[float] | np.ndarray,
    scores: np.ndarray,
    labels: Sequence[str],
    path: str | Path,
    title: str = "Zero-shot labels over time",
) -> Path:
    """Saves a PNG of a recording's zero-shot scores window by window.

    Top: each label's score at the centre of each window. Bottom: the best label of each window as a coloured span
    (each window owns the time up to half way to its neighbours), darker for a higher score.

    Args:
        start_s, end_s: ``(N,)`` window start and end times (s).
        scores: ``(N, K)`` probabilities of the ``K`` ``labels``.
    """
    start_s, end_s, scores = np.asarray(start_s, float), np.asarray(end_s, float), np.asarray(scores, float)
    if scores.ndim != 2 or scores.shape != (len(start_s), len(labels)) or start_s.shape != end_s.shape:
        raise ValueError(
            f"scores must be (N, K) = ({len(start_s)}, {len(labels)}) with N start and end times, got {scores.shape}."
        )
    centres = (start_s + end_s) / 2
    edges = np.concatenate([[start_s[0]], (centres[1:] + centres[:-1]) / 2, [end_s[-1]]])
    colours = _label_colours(len(labels))
    figure = _figure(10.0, 4.5)
    top, bottom = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    for k, label in enumerate(labels):
        top.plot(centres, scores[:, k], marker="o", markersize=3, linewidth=1.2, color=colours[k], label=label)
    top.set_ylim(0, 1)
    top.set_ylabel("score")
    top.grid(alpha=0.3)
    top.legend(fontsize=8, ncol=min(4, len(labels)), frameon=False, loc="upper right")
    best = scores.argmax(axis=1)
    for left, right, k, score in zip(edges[:-1], edges[1:], best, scores.max(axis=1)):
        bottom.axvspan(left, right, color=colours[k], alpha=0.25 + 0.75 * float(score), linewidth=0)
    bottom.set_yticks([])
    bottom.set_ylabel("best", fontsize=8)
    bottom.set_xlabel("time (s)")
    bottom.set_xlim(edges[0], edges[-1])
    top.set_title(title, fontsize=10)
    figure.tight_layout()
    return _save(figure, path)


def save_similarity_heatmap(
    similarity: np.ndarray,
    texts: Sequence[str],
    path: str | Path,
    window_start_s: Sequence[float] | np.ndarray | None = None,
    title: str = "Cosine similarity, texts x IMU windows",
) -> Path:
    """Saves a PNG heatmap of a ``(K, N)`` text-by-window similarity matrix (rows: ``texts``; columns: windows,
    labelled by their start time in seconds when ``window_start_s (N,)`` is given)."""
    similarity = np.asarray(similarity, dtype=float)
    if similarity.ndim != 2 or similarity.shape[0] != len(texts):
        raise ValueError(f"similarity must be (K={len(texts)}, N), got {similarity.shape}.")
    figure = _figure(min(14.0, 4.0 + 0.12 * similarity.shape[1]), 1.5 + 0.35 * len(texts))
    axis = figure.subplots()
    image = axis.imshow(similarity, aspect="auto", cmap="viridis", interpolation="nearest")
    axis.set_yticks(range(len(texts)), texts, fontsize=8)
    if window_start_s is not None:
        ticks = np.unique(np.linspace(0, similarity.shape[1] - 1, min(12, similarity.shape[1])).astype(int))
        axis.set_xticks(ticks, [f"{np.asarray(window_start_s)[t]:g}" for t in ticks], fontsize=8)
        axis.set_xlabel("window start (s)")
    else:
        axis.set_xlabel("window")
    figure.colorbar(image, ax=axis, label="cosine similarity")
    axis.set_title(title, fontsize=10)
    figure.tight_layout()
    return _save(figure, path)


def save_retrieved_windows(
    windows: Sequence[np.ndarray],
    channel_names: Sequence[Sequence[str]],
    sampling_rate_hz: Sequence[float],
    titles: Sequence[str],
    path: str | Path,
    title: str = "",
) -> Path:
    """Saves a PNG of retrieved IMU windows, one row each: accelerometer channels left, gyroscope channels right.

    Args:
        windows: ``(T, C)`` readings of each window, in their own units.
        channel_names: the ``C`` channel names of each window; sampling_rate_hz: its rate.
        titles: one line per window (rank, score, activity, ...).
    """
    if not len(windows) == len(channel_names) == len(sampling_rate_hz) == len(titles) or not len(windows):
        raise ValueError("windows, channel_names, sampling_rate_hz and titles must be non-empty and of one length.")
    figure = _figure(11.0, 0.8 + 1.9 * len(windows))
    axes = figure.subplots(len(windows), 2, squeeze=False)
    colours = {"x": "tab:red", "y": "tab:green", "z": "tab:blue"}
    for row, (window, names, rate, text) in enumerate(zip(windows, channel_names, sampling_rate_hz, titles)):
        window = np.asarray(window, dtype=float)
        time_s = np.arange(len(window)) / rate
        for column, sensor in enumerate(("acc", "gyro")):
            axis = axes[row, column]
            for index, name in enumerate(names):
                parts = split_channel_name(name)
                if parts is not None and parts[1] == sensor:
                    style = "--" if parts[0].startswith("right") else "-"  # two-sided sites: right dashed
                    axis.plot(time_s, window[:, index], style, color=colours[parts[2]], linewidth=0.9, label=name)
            axis.set_ylabel(sensor, fontsize=8)
            axis.tick_params(labelsize=7)
            axis.grid(alpha=0.3)
        axes[row, 0].set_title(text, fontsize=8, loc="left")
    for axis in axes[-1]:
        axis.set_xlabel("time (s)")
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return _save(figure, path)


def _label_colours(count: int) -> list:
    palette = matplotlib.colormaps["tab10" if count <= 10 else "tab20"]
    return [palette(k % palette.N) for k in range(count)]


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
    "save_label_timeline",
    "save_retrieved_windows",
    "save_similarity_heatmap",
    "save_spectrogram_preview",
    "save_training_curves",
    "loss_series",
]
