"""Boxing: a jab-cross combination from a guard."""

from __future__ import annotations

import torch

from ..context import GeneratorContext
from ..curves import DTYPE, bump, soft_max_limit
from ..pose_builder import (
    PoseBuilder,
)
from ..registry import activity


@activity(
    "punching",
    cycle_hz=(0.7, 1.3),
    cycle="jab-cross combination",
    captions=(
        "a person throws punches",
        "someone is boxing, alternating jabs and crosses",
        "a person punches the air with both fists {speed_word}",
        "shadow boxing",
    ),
    params={"reach_m": (0.44, 0.5)},
    verbs=(
        "throws punches",
        "punches the air",
        "is shadow boxing",
        "boxes, alternating jabs and crosses",
        "throws jab-cross combinations",
    ),
    nouns=("punching", "boxing", "shadow boxing", "jab-cross combinations"),
)
def punching(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Boxing combination: left jab then right cross from a guard, the trunk turning into each punch."""
    guard, reach = torch.tensor([-0.05, 0.05, 0.20], dtype=DTYPE), ctx.params["reach_m"]
    strike = torch.tensor([-0.13, 0.03, reach], dtype=DTYPE)
    # Each punch goes out and back in about a fifth of the cycle (~0.2 s).
    pulses = {"left": bump(ctx.phase, 0.25, 4.5), "right": bump(ctx.phase, 0.75, 4.5)}
    for side, pulse in pulses.items():
        extend = (pulse * soft_max_limit(ctx.amp, 1.0, 0.03))[:, None]
        body.arm_reach(
            side, guard + extend * (strike - guard), (0.4, -1.0, -0.2), pronation_deg=10.0 + 75.0 * extend[:, 0]
        )
    twist = 18.0 * (pulses["right"] - pulses["left"])  # the chest turns left to throw the right hand
    body.spine(flex_deg=6.0, twist_deg=twist)
    body.head(twist_deg=-0.6 * twist)
    for side in ("left", "right"):
        body.leg(side, 12.0, 20.0, 10.0, hip_abduct_deg=6.0)
    body.root(pitch_deg=5.0, yaw_deg=0.3 * twist)
    body.offset[:, 1] = -0.03
