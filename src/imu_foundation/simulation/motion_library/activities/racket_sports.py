"""Racket sports: the badminton overhead stroke (clear / smash)."""

from __future__ import annotations

from ..context import GeneratorContext
from ..curves import keyframes, soft_max_limit
from ..pose_builder import (
    PoseBuilder,
)
from ..registry import activity

# Overhead stroke keyframes (cycle fraction): ready 0-0.2, cocked 0.36, impact 0.47, follow-through 0.57,
# recovery 0.77. Channels: racket arm elevation, plane, external rotation, elbow flexion, pronation; trunk twist
# and flexion; knee flexion; elevation of the free arm (raised to track the shuttle, then pulled down). The stroke
# is rotation-heavy (humeral rotation and forearm pronation whip the racket) with a compact arm path: a full
# smash arc gave twice the wrist acceleration of real smartwatch badminton recordings (BasicMotions).
_SMASH_KNOTS = (0.0, 0.2, 0.36, 0.47, 0.57, 0.77)


_SMASH_KEYS = (
    (60, 40, 15, 80, 15, 0, 6, 15, 30),
    (62, 45, 25, 85, -10, -3, 5, 18, 50),
    (90, 65, 95, 95, -70, -12, 1, 25, 120),
    (115, 35, 5, 45, 60, 6, 6, 10, 70),
    (80, 10, -35, 60, 95, 14, 12, 22, 25),
    (62, 30, 0, 75, 30, 5, 8, 15, 25),
)


@activity(
    "overhead_racket_swing",
    cycle_hz=(0.4, 0.7),
    cycle="swing and recovery",
    captions=(
        "a person plays badminton, smashing overhead with the {hand} hand",
        "someone swings a racket over their head with the {hand} arm",
        "a person hits a tennis serve with the {hand} hand",
        "overhead racket smashes, {hand}-handed",
    ),
    one_handed=True,
    duration_s=(6.0, 14.0),
    verbs=(
        "plays badminton",
        "smashes overhead with a racket in the {hand} hand",
        "swings a racket over the head",
        "hits overhead shots with a badminton racket",
        "plays badminton, hitting overhead clears",
    ),
    nouns=(
        "badminton",
        "playing badminton",
        "badminton smashes",
        "overhead racket swings",
        "a badminton overhead stroke",
    ),
)
def overhead_racket_swing(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Badminton overhead stroke (clear / smash): ready, cock the racket behind the shoulder, strike high in front
    with fast internal rotation and pronation, follow through across the body, recover."""
    knots, keys = _SMASH_KNOTS, _SMASH_KEYS
    k = keyframes(ctx.fraction, knots, keys)
    a = ctx.amp
    elevation, plane, rot, elbow, pron, twist, flex, knee, free = (k[:, i] for i in range(9))
    body.arm_angles(
        "right", elevation * soft_max_limit(a, 170.0 / 165.0, 0.02), plane, elbow, rot * a, pron, wrist_flex_deg=-20.0
    )
    body.arm_angles("left", free, 30.0, 30.0, pronation_deg=40.0)
    body.spine(flex_deg=flex, twist_deg=twist * a)
    body.root(yaw_deg=0.5 * twist * a)
    body.head(flex_deg=-25.0 + 0.5 * flex, twist_deg=-0.7 * twist * a)
    for side in ("left", "right"):
        body.leg(side, 0.6 * knee, knee, 0.5 * knee, hip_abduct_deg=8.0)
    body.offset[:, 1] = -0.004 * (knee - 15.0)  # bending the knees lowers the body
