"""IMU simulation from SMPL motion: body models, virtual sensors and a generated motion library.

from imu_foundation.simulation import load_body_model, simulate_imu, generate_motion

motion = generate_motion("walking", seed=0)
imu = simulate_imu(motion, load_body_model(), sites=["left_wrist"], sampling_rate_hz=50.0)
imu.acc  # (T, 1, 3) m/s^2, specific force in the sensor frame
"""

from .body_model import BodyModel, BodyModelFileError, load_body_model
from .embedded_body import generate_body_model_arrays, write_body_model
from .imu import (
    SimulatedImu,
    VirtualImu,
    angular_velocity,
    second_derivative,
    sensor_trajectories,
    simulate_imu,
    specific_force,
)
from .kinematics import SensorKinematics
from .motion import (
    POSE_REPRESENTATION_DIM,
    POSE_REPRESENTATION_NAMES,
    STANDARD_GRAVITY_MPS2,
    MotionSequence,
    pose_representation,
)
from .motion_io import (
    MotionFileError,
    read_amass_npz,
    read_humanml3d_captions,
    read_sentences,
    read_smplx_motion,
    read_smplx_params,
)
from .motion_library import ACTIVITIES, generate_motion, list_activities, sample_motions
from .resample import resample
from .sensor_errors import AxisErrors, ImuErrorModel
from .skeleton import SENSOR_SITE_NAMES, SMPL_JOINT_NAMES, SMPL_PARENTS, SMPL_SENSOR_SITES, SensorSite

__all__ = [
    "ACTIVITIES",
    "POSE_REPRESENTATION_DIM",
    "POSE_REPRESENTATION_NAMES",
    "SENSOR_SITE_NAMES",
    "SMPL_JOINT_NAMES",
    "SMPL_PARENTS",
    "SMPL_SENSOR_SITES",
    "STANDARD_GRAVITY_MPS2",
    "AxisErrors",
    "BodyModel",
    "BodyModelFileError",
    "ImuErrorModel",
    "MotionFileError",
    "MotionSequence",
    "SensorKinematics",
    "SensorSite",
    "SimulatedImu",
    "VirtualImu",
    "angular_velocity",
    "generate_body_model_arrays",
    "generate_motion",
    "list_activities",
    "load_body_model",
    "pose_representation",
    "read_amass_npz",
    "read_humanml3d_captions",
    "read_sentences",
    "read_smplx_motion",
    "read_smplx_params",
    "resample",
    "sample_motions",
    "second_derivative",
    "sensor_trajectories",
    "simulate_imu",
    "specific_force",
    "write_body_model",
]
