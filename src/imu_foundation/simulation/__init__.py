"""IMU simulation from SMPL motion: body models, virtual sensors and a generated motion library.

from imu_foundation.simulation import load_body_model, simulate_imu, generate_motion

motion = generate_motion("walking", seed=0)
imu = simulate_imu(motion, load_body_model(), sites=["left_wrist"], sampling_rate_hz=50.0)
imu.acc  # (T, 1, 3) m/s^2, specific force in the sensor frame
"""

from .body_model import BodyModel, load_body_model
from .body_model_files import BodyModelFileError, PickledBodyModelError, check_body_model_path, convert_body_model
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
from .recording import SIMULATION_FILES, save_simulation
from .sensor_errors import AxisErrors, ImuErrorModel
from .skeleton import SENSOR_SITE_NAMES, SMPL_JOINT_NAMES, SMPL_PARENTS, SMPL_SENSOR_SITES, SensorSite

__all__ = [
    "ACTIVITIES",
    "POSE_REPRESENTATION_DIM",
    "POSE_REPRESENTATION_NAMES",
    "SENSOR_SITE_NAMES",
    "SIMULATION_FILES",
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
    "PickledBodyModelError",
    "SensorKinematics",
    "SensorSite",
    "SimulatedImu",
    "VirtualImu",
    "angular_velocity",
    "check_body_model_path",
    "convert_body_model",
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
    "sample_motions",
    "save_simulation",
    "second_derivative",
    "sensor_trajectories",
    "simulate_imu",
    "specific_force",
    "write_body_model",
]
