"""The activity registry: what each activity is (cadence, ranges, captions, parameters) and its generator.

An activity is one small function decorated with :func:`activity`, which registers it in :data:`ACTIVITIES`::

    @activity("waving", cycle_hz=(1.2, 2.5), cycle="wave (out and back)", captions=("a person waves",))
    def waving(body: PoseBuilder, ctx: GeneratorContext) -> None:
        ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .context import GeneratorContext
from .pose_builder import PoseBuilder

Generator = Callable[[PoseBuilder, GeneratorContext], None]


@dataclass(frozen=True)
class ActivitySpec:
    """One activity of the library.

    Attributes:
        name: registry key.
        generator: ``(PoseBuilder, GeneratorContext) -> None``; builds the right-handed variant.
        cycle_hz: default range of the cycle frequency (Hz), drawn uniformly.
        cycle: what one cycle is (e.g. "gait cycle (two steps)").
        amplitude: default range of the amplitude factor.
        duration_s: default range of the duration (s).
        captions: caption templates; fields ``{hand}``, ``{other_hand}``, ``{speed_word}``, ``{speed_adj}``,
            ``{posture}`` and any generator parameter.
        one_handed: whether one hand does the activity (captions then name it).
        postures: possible postures (the first is the default when ``posture`` is not drawn).
        params: extra generator parameters, each a ``(low, high)`` range drawn uniformly or a tuple of choices.
        speed_words: adverbs for the slow, middle and fast third of ``cycle_hz``.
        verbs: third-person verb phrases ("walks briskly", "does squats") for composed captions and transitions;
            the same fields as ``captions``.
        nouns: what people call the activity ("walking", "shoulder internal rotation"), for short captions.
        speed_verbs: extra verb phrases for the slow, middle and fast third of ``cycle_hz`` ("jogs" when slow).
        describe: what composed captions may describe: ``"speed"`` and ``"intensity"`` (the amplitude's third);
            none for still activities.
        intensity_words: phrases for a small and a large ``amplitude`` (default: "gently" / "vigorously", ...;
            locomotion says "with short steps" / "with long strides").
        exercise: an exercise done in sets ("a person doing squats" reads well).
        rests: repetitions may be separated by rests in the start pose (phase 0), see :mod:`.variety`.
        repetitions: what one repetition is called in the plural ("strokes", "sips"), for rest phrases.
    """

    name: str
    generator: Generator
    cycle_hz: tuple[float, float]
    cycle: str
    captions: tuple[str, ...]
    amplitude: tuple[float, float] = (0.85, 1.15)
    duration_s: tuple[float, float] = (4.0, 12.0)
    one_handed: bool = False
    postures: tuple[str, ...] = ("standing",)
    params: dict[str, tuple[float, float] | tuple[str, ...]] = field(default_factory=dict)
    speed_words: tuple[str, str, str] = ("slowly", "at a steady pace", "quickly")
    verbs: tuple[str, ...] = ()
    nouns: tuple[str, ...] = ()
    speed_verbs: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] | None = None
    describe: tuple[str, ...] = ("speed", "intensity")
    intensity_words: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    exercise: bool = False
    rests: bool = False
    repetitions: str = "repetitions"


ACTIVITIES: dict[str, ActivitySpec] = {}


def register_activity(spec: ActivitySpec) -> ActivitySpec:
    """Adds (or replaces) an activity in :data:`ACTIVITIES`; returns it."""
    if len(spec.captions) < 1:
        raise ValueError(f"activity {spec.name!r} needs at least one caption template")
    if spec.exercise and not spec.nouns:
        raise ValueError(f"exercise {spec.name!r} needs nouns ('a person doing <noun>')")
    unknown = sorted(set(spec.describe) - {"speed", "intensity"})
    if unknown:
        raise ValueError(f"activity {spec.name!r}: describe may hold 'speed' and 'intensity', not {unknown}")
    ACTIVITIES[spec.name] = spec
    return spec


def list_activities() -> list[str]:
    """Names of the registered activities, sorted."""
    return sorted(ACTIVITIES)


def activity(name: str, **fields: Any) -> Callable[[Generator], Generator]:
    """Decorator registering the function below as the generator of activity ``name``.

    ``fields`` are the other :class:`ActivitySpec` fields (``cycle_hz``, ``cycle`` and ``captions`` are required).
    Returns the function unchanged.
    """

    def register(generator: Generator) -> Generator:
        register_activity(ActivitySpec(name, generator, **fields))
        return generator

    return register


def get_activity(name: str) -> ActivitySpec:
    """The spec of ``name``; a ``ValueError`` listing the known activities if there is none."""
    if name not in ACTIVITIES:
        raise ValueError(f"Unknown activity {name!r}; known activities: {', '.join(list_activities())}.")
    return ACTIVITIES[name]
