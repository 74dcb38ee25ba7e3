"""Real IMU data that installs offline from the package registry, and windowing helpers."""

from .real import WristExerciseWindows, load_wrist_exercises, sliding_windows

__all__ = ["WristExerciseWindows", "load_wrist_exercises", "sliding_windows"]
