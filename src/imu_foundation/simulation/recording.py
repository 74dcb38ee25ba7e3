"""Simulated readings on disk: one safetensors file (acc, gyro, pose features, with their metadata) and a plot."""

from __future__ import annotations

import json
from pathlib import Path

from safetensors.torch import save_file

from .imu import SimulatedImu
from .motion import MotionSequence, pose_representation

SIMULATION_FILES = {"readings": "imu.safetensors", "plot": "imu.png"}


def save_simulation(imu: SimulatedImu, motion: MotionSequence, folder: str | Path, overwrite: bool = False) -> dict:
    """Writes ``imu.safetensors`` (``acc``/``gyro`` ``(T, S, 3)``, ``pose`` ``(F, 148)``; units, rate, gravity,
    captions and every generation parameter in the metadata) and ``imu.png`` into ``folder``.

    Returns ``{"readings": path, "plot": path}``. Raises ``FileExistsError`` rather than replace a file unless
    ``overwrite``.
    """
    from ..outputs import refuse_to_overwrite
    from ..plotting import save_imu_plot

    folder = Path(folder)
    paths = {key: folder / name for key, name in SIMULATION_FILES.items()}
    if not overwrite:
        refuse_to_overwrite(folder, SIMULATION_FILES.values())
    metadata = {
        "sensor_names": json.dumps(imu.sensor_names),
        "channel_names": json.dumps(imu.channel_names),
        "sampling_rate_hz": str(imu.sampling_rate_hz),
        "acc_units": imu.acc_units,
        "gyro_units": "rad/s",
        "gravity": imu.gravity,
        "captions": json.dumps(motion.captions),
        "activity": motion.activity or "",
        "sequence_id": motion.sequence_id,
        "motion_fps": str(motion.fps),
        "generator": json.dumps(motion.metadata),
        "simulation": json.dumps(imu.metadata),
    }
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {"acc": imu.acc.contiguous(), "gyro": imu.gyro.contiguous(), "pose": pose_representation(motion)}
    save_file(tensors, str(paths["readings"]), metadata=metadata)
    title = f"{motion.activity or motion.sequence_id}: " + (motion.captions[0] if motion.captions else "")
    save_imu_plot(imu.acc, imu.gyro, imu.sampling_rate_hz, imu.sensor_names, paths["plot"], imu.acc_units, title)
    return paths


__all__ = ["SIMULATION_FILES", "save_simulation"]
