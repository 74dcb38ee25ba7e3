"""Real smartwatch shoulder-exercise recordings (seglearn's watch data) against simulated ones from the library.

python docs/figures/compare_seglearn_watch.py

Prints, per exercise, the signal spread and the dominant frequency of the real and the simulated recordings as a
Markdown table (the one in docs/motion_library.md). seglearn's ``load_watch`` holds 140 recordings of 20
repetitions of seven shoulder physiotherapy exercises (Burns et al. 2018), 6 axes at 50 Hz from a watch on the
exercising wrist: accelerometer with gravity (g) and gyroscope (rad/s). Each exercise is simulated 10 times for
20 s on the right wrist at 50 Hz, gravity included, in g.
"""

from __future__ import annotations

import numpy as np
from seglearn.datasets import load_watch

from imu_foundation.simulation import generate_motion, load_body_model, simulate_imu

RATE_HZ = 50.0
EXERCISE_TO_ACTIVITY = {
    "PEN": "pendulum",
    "ABD": "shoulder_abduction",
    "FEL": "shoulder_flexion",
    "IR": "internal_rotation",
    "ER": "external_rotation",
    "TRAP": "lower_trapezius_row",
    "ROW": "bent_over_row",
}
SIMULATED_PER_EXERCISE = 10


def statistics(recording: np.ndarray) -> tuple[float, float, float]:
    """Total standard deviation ``sqrt(sum over axes of var)`` of acc and gyro, and the gyro's peak frequency.

    Summed over the axes because the watch's axes and the simulated sensor's axes are not the same.
    """
    gyro = recording[:, 3:] - recording[:, 3:].mean(axis=0)
    spectrum = (np.abs(np.fft.rfft(gyro * np.hanning(len(gyro))[:, None], n=8 * len(gyro), axis=0)) ** 2).sum(1)
    freqs = np.fft.rfftfreq(8 * len(gyro), 1 / RATE_HZ)
    spectrum[freqs < 0.1] = 0
    acc_std = float(np.sqrt(recording[:, :3].var(axis=0).sum()))
    return acc_std, float(np.sqrt(gyro.var(axis=0).sum())), float(freqs[np.argmax(spectrum)])


def main() -> None:
    data = load_watch()
    labels = np.asarray(data["y"])
    body = load_body_model()
    print("| exercise | activity | acc std real (g) | acc std sim | gyro std real (rad/s) | gyro std sim | "
          "peak freq real (Hz) | peak freq sim |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for index, exercise in enumerate(data["y_labels"]):
        activity = EXERCISE_TO_ACTIVITY[exercise]
        real = np.array([statistics(data["X"][i]) for i in np.flatnonzero(labels == index)])
        simulated = []
        for seed in range(SIMULATED_PER_EXERCISE):
            motion = generate_motion(activity, seed, duration_s=20.0, handedness="right")
            imu = simulate_imu(motion, body, ["right_wrist"], sampling_rate_hz=RATE_HZ, acc_units="g")
            simulated.append(statistics(imu.channels().double().numpy()))
        sim = np.array(simulated)
        print(
            f"| {exercise} | {activity} | {real[:, 0].mean():.2f} | {sim[:, 0].mean():.2f} | {real[:, 1].mean():.2f} "
            f"| {sim[:, 1].mean():.2f} | {np.median(real[:, 2]):.2f} | {np.median(sim[:, 2]):.2f} |"
        )


if __name__ == "__main__":
    main()
