"""Shoulder internal rotation with a resistance band, the elbow at the side (IR of the seglearn watch exercises).

The band is anchored at elbow height on the side of the working arm. Elbow bent 90 degrees and held against the
side (often on a towel roll: slight abduction), the forearm starts turned out and is pulled in across the body
until the hand nearly touches the belly, then returns slowly. The motion is a rotation of the upper arm about
its own long axis: the wrist sweeps a horizontal arc, the elbow stays put. Range about 70-100 degrees (from 20-35
external to 35-80 internal rotation), 2-3 s per repetition.
"""

from __future__ import annotations

from ..context import GeneratorContext
from ..curves import rise
from ..pose_builder import PoseBuilder, hang_arms, stand
from ..registry import activity


@activity(
    "internal_rotation",
    cycle_hz=(0.3, 0.6),
    cycle="rotate in and back",
    captions=(
        "a person rotates the {hand} forearm inwards across the belly with the elbow at the side",
        "someone does internal rotation exercises with a resistance band in the {hand} hand",
        "shoulder internal rotation with a band, {hand} arm",
        "a person pulls a band in towards the stomach with the bent {hand} arm",
    ),
    one_handed=True,
    params={"range_deg": (70.0, 100.0), "start_deg": (20.0, 35.0)},
    verbs=(
        "rotates the {hand} forearm inwards with the elbow at the side",
        "does internal rotation with a band in the {hand} hand",
        "pulls a resistance band in towards the belly with the {hand} arm",
    ),
    nouns=(
        "shoulder internal rotation",
        "internal rotation",
        "band internal rotation",
        "internal rotation with a resistance band",
        "internal rotation of the shoulder",
    ),
    exercise=True,
    rests=True,
)
def internal_rotation(body: PoseBuilder, ctx: GeneratorContext) -> None:
    """Elbow at the side bent 90 degrees; the upper arm turns inwards, sweeping the hand to the belly and back."""
    rotation = ctx.params["start_deg"] - ctx.params["range_deg"] * ctx.amp * rise(ctx.phase)
    body.arm_angles("right", 12.0, 75.0, 90.0, external_rotation_deg=rotation, pronation_deg=10.0)
    hang_arms(body, ctx, sides=("left",))
    stand(body, ctx)
