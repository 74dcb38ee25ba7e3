"""A generated motion library: parametric, captioned SMPL motions of everyday and exercise activities.

Real captioned motion capture (AMASS with HumanML3D / BABEL text) cannot be downloaded here, so this package stands
in for it: every activity is a small kinematic model of how people move in it, written with the clinical and
biomechanics literature in mind (gait joint-angle curves, cadences, running flight phases, exercise ranges of
motion), that produces an SMPL :class:`~imu_foundation.simulation.motion.MotionSequence` with text captions. The
sequences are meant to drive the IMU simulator: what matters is that a virtual wrist (or ankle, or pelvis) sensor
sees realistic cadences, magnitudes and gravity directions, not that the body mesh never slides or interpenetrates.

Usage::

    from imu_foundation.simulation.motion_library import generate_motion, list_activities, sample_motions

    motion = generate_motion("walking", seed=0)                      # random cadence, speed, body, heading, 4-12 s
    wave = generate_motion("waving", seed=3, handedness="left", cycle_hz=2.0, duration_s=6.0)
    for motion in sample_motions(100, seed=0):                       # a balanced, reproducible mix
        ...

Each call draws its parameters from ``numpy.random.default_rng`` seeded with ``(seed, activity)``, so the same
arguments always give bitwise identical tensors, and no global random state is touched. Everything the generator
chose is in ``motion.metadata`` (JSON-serialisable), the captions in ``motion.captions``.

Layout: :mod:`.pose_builder` (the pose DSL, arm inverse kinematics, shared postures), :mod:`.curves` (smooth time
curves), :mod:`.context` (what a generator is given), :mod:`.registry` (:class:`ActivitySpec`, the
:func:`activity` decorator), :mod:`.sampling` (parameter draws, captions, metadata) and :mod:`.activities`, one
small module per family of activities, each generator registered right above its definition.

To use real data instead, build the sequences with :meth:`MotionSequence.from_amass_npz` (AMASS ``.npz`` files, with
HumanML3D or BABEL captions passed as ``captions=[...]``) or :meth:`MotionSequence.from_smplx_params` (video pose
estimators); the simulator treats them exactly like these.

Conventions: SMPL's frame (y up, the body faces +z, its left is +x); rest pose = T-pose; every joint's local
rotation is relative to its parent. Generators work in the body's heading frame and always build the right-handed
variant of a motion; left-handed sequences are exact mirror images (x -> -x), and a random heading (yaw about y) is
applied last. ``transl`` is the root displacement from the standing rest position (y = 0 is standing upright, not
the floor). Limitations: no physics or contact solve (stance feet may slide a few centimetres), segment lengths for
the arm inverse kinematics are those of SMPL's mean shape whatever the betas, and there is no hand articulation.
"""

from . import activities  # noqa: F401 - registers the built-in activities
from .context import GeneratorContext
from .pose_builder import PoseBuilder
from .registry import ACTIVITIES, ActivitySpec, activity, list_activities, register_activity
from .sampling import generate_motion, sample_motions

__all__ = [
    "ACTIVITIES",
    "ActivitySpec",
    "GeneratorContext",
    "PoseBuilder",
    "activity",
    "generate_motion",
    "list_activities",
    "register_activity",
    "sample_motions",
]
