"""Captions: how people would describe a generated motion, in many words.

A text encoder learns to put a motion next to its captions, so the captions should read like what a person
writes for that motion ("a person jogs slowly", "someone does internal rotation with a band in the left hand",
"badminton") and should not be one fixed sentence per activity. Each motion gets three different captions, drawn
(seeded) from:

* the activity's own templates (``ActivitySpec.captions``, with fields such as ``{hand}`` and ``{speed_word}``);
* sentences composed from a subject ("a person", "someone", ...), one of the activity's verb phrases
  (``ActivitySpec.verbs``; for some activities they depend on the speed: jogging when slow) and modifiers that
  say what this motion is like: its speed, the hand, how large the movements are, whether the person rests
  between repetitions, speeds up or slows down, sits or stands;
* short labels (``ActivitySpec.nouns``, "shoulder internal rotation", "jumping jacks"), alone or with a modifier,
  and for exercises "a person doing ...".

Modifiers only say what is true of the motion: the speed words follow where ``cycle_hz`` falls in the activity's
range, the intensity words where ``amplitude`` falls in its range, the rest and tempo words the drawn
:class:`~.variety.Variety`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

SUBJECTS = ("a person", "someone", "the person", "a man", "a woman")
SPEED_PHRASES = {
    "slow": ("slowly", "at a slow pace", "at an easy pace", "unhurriedly", "at a relaxed pace"),
    "moderate": ("at a steady pace", "at a moderate pace", "at a normal pace", "steadily", "at an even pace"),
    "fast": ("quickly", "fast", "at a fast pace", "rapidly", "at a quick pace"),
}
INTENSITY_PHRASES = {
    "low": ("gently", "with small movements", "with a small range of motion", "with little effort"),
    "high": ("vigorously", "with big movements", "through a full range of motion", "energetically"),
}
HAND_PHRASES = ("with the {hand} arm", "using the {hand} arm", "with their {hand} hand", "with the {hand} hand")
REST_PHRASES = (
    "pausing between {reps}",
    "with short rests between {reps}",
    "resting briefly between {reps}",
    "taking a break between {reps}",
    "with pauses in between",
)
TEMPO_PHRASES = {
    "faster": ("speeding up", "getting faster", "gradually speeding up", "picking up the pace"),
    "slower": ("slowing down", "getting slower", "gradually slowing down", "easing off the pace"),
}
POSTURE_PHRASES = {
    "sitting": ("while sitting", "while seated", "sitting on a chair"),
    "standing": ("while standing", "standing up"),
}
DOING_FORMS = ("{subject} doing {noun}", "{subject} is doing {noun}", "{subject} performs {noun}")
TRANSITION_FORMS = ("{subject} {first}, then {second}", "{subject} {first} and then {second}",
                    "{subject} {first}, and after that {second}")  # fmt: skip
TEMPO_DRIFT_WORTH_SAYING = 0.07  # a drift of the cadence over the sequence that a person would notice
CAPTIONS_PER_MOTION = 3


def third(value: float, low: float, high: float) -> int:
    """0, 1 or 2: the third of ``[low, high]`` that ``value`` falls in."""
    if high <= low:
        return 1
    return 0 if value < low + (high - low) / 3 else 1 if value < low + 2 * (high - low) / 3 else 2


def caption_fields(spec: Any, drawn: dict[str, Any], params: dict[str, Any], posture: str) -> dict[str, Any]:
    """The fields templates can use, and what the modifiers describe."""
    speed = third(float(drawn["cycle_hz"]), *spec.cycle_hz)
    intensity = third(float(drawn["amplitude"]), *spec.amplitude)
    hand = drawn["handedness"]
    return {
        **params,
        "hand": hand,
        "other_hand": "left" if hand == "right" else "right",
        "speed_word": spec.speed_words[speed],
        "speed_adj": ("slow", "moderate", "fast")[speed],
        "intensity": ("low", "moderate", "high")[intensity],
        "posture": posture,
        "activity": spec.name,
    }


def draw_captions(spec: Any, rng: np.random.Generator, fields: dict[str, Any], variety: Any) -> list[str]:
    """``CAPTIONS_PER_MOTION`` different captions: a template, a composed sentence, and a template or a label."""
    template = lambda: _choice(rng, spec.captions)  # noqa: E731
    sentence = (lambda: _sentence(spec, rng, fields, variety)) if spec.verbs else template
    label = (lambda: _label(spec, rng, fields, variety)) if spec.nouns else template
    makers = [template, sentence, lambda: template() if rng.random() < 0.4 else label()]
    captions: list[str] = []
    for make in makers:
        for _ in range(20):  # another draw when it repeats one already chosen
            caption = _tidy(make().format(**fields))
            if caption not in captions:
                captions.append(caption)
                break
    return captions


def transition_captions(
    first: Any, second: Any, rng: np.random.Generator, fields: dict[str, Any], second_fields: dict[str, Any]
) -> list[str]:
    """Captions of a motion that changes from ``first`` to ``second`` activity: both, in order."""
    captions: list[str] = []
    for _ in range(40):
        subject = _choice(rng, SUBJECTS)
        first_verb = _verb(first, rng, fields, progressive=False).format(**fields)
        second_verb = _switch(second, rng, fields, second_fields).format(**second_fields)
        form = _choice(rng, TRANSITION_FORMS)
        caption = _tidy(form.format(subject=subject, first=first_verb, second=second_verb))
        if caption not in captions:
            captions.append(caption)
        if len(captions) == CAPTIONS_PER_MOTION:
            break
    return captions


# ---------------------------------------------------------------------------------------------------- pieces


def _choice(rng: np.random.Generator, options: tuple[str, ...] | list[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _verb(spec: Any, rng: np.random.Generator, fields: dict[str, Any], progressive: bool = True) -> str:
    """A verb phrase, from the speed-specific ones for activities that have them (jogging when slow).

    ``progressive=False`` leaves out "is walking" forms, which read badly after "then".
    """
    speed = {"slow": 0, "moderate": 1, "fast": 2}[fields["speed_adj"]]
    options = list(spec.verbs)
    if spec.speed_verbs is not None:
        options += list(spec.speed_verbs[speed]) * 2  # twice as likely: they say more
    if not progressive:
        options = [verb for verb in options if not verb.startswith("is ")] or options
    return _choice(rng, options)


def _modifiers(spec: Any, rng: np.random.Generator, fields: dict[str, Any], variety: Any, verb: str) -> list[str]:
    """Up to two phrases that describe this motion (plus the hand, always, if not yet named), in a natural order."""
    speed, intensity = fields["speed_adj"], fields["intensity"]
    candidates = []
    if "speed" in spec.describe:
        candidates.append(_choice(rng, SPEED_PHRASES[speed]))
    if "intensity" in spec.describe and intensity != "moderate":
        low, high = spec.intensity_words or (INTENSITY_PHRASES["low"], INTENSITY_PHRASES["high"])
        candidates.append(_choice(rng, low if intensity == "low" else high))
    if variety.rest_fraction > 0:
        candidates.append(_choice(rng, REST_PHRASES).replace("{reps}", spec.repetitions))
    if "speed" in spec.describe and abs(variety.tempo_drift) >= TEMPO_DRIFT_WORTH_SAYING:
        candidates.append(_choice(rng, TEMPO_PHRASES["faster" if variety.tempo_drift > 0 else "slower"]))
    if len(spec.postures) > 1:
        candidates.append(_choice(rng, POSTURE_PHRASES[fields["posture"]]))
    count = min(len(candidates), int(rng.choice([0, 1, 1, 2, 2])))
    chosen = sorted(rng.choice(len(candidates), size=count, replace=False).tolist()) if count else []
    mods = [candidates[i] for i in chosen]
    if spec.one_handed and "{hand}" not in verb:
        mods.insert(0, _choice(rng, HAND_PHRASES))
    return mods


def _adverbial(phrase: str) -> bool:
    """Whether ``phrase`` can follow the verb directly ("walks slowly", "with the left arm"); others need a comma
    ("..., pausing between repetitions")."""
    return any(phrase in options for options in (*SPEED_PHRASES.values(), *INTENSITY_PHRASES.values(), HAND_PHRASES))


def _sentence(spec: Any, rng: np.random.Generator, fields: dict[str, Any], variety: Any) -> str:
    """ "a person jogs slowly, speeding up": subject, verb phrase, modifiers."""
    if spec.exercise and rng.random() < 0.35:
        verb = _choice(rng, DOING_FORMS).format(subject="{subject}", noun=_choice(rng, spec.nouns))
        head = verb.replace("{subject}", _choice(rng, SUBJECTS))
        mods = _modifiers(spec, rng, fields, variety, verb)
    else:
        verb = _verb(spec, rng, fields)
        head = f"{_choice(rng, SUBJECTS)} {verb}"
        mods = _modifiers(spec, rng, fields, variety, verb)
    return _join(head, mods)


def _label(spec: Any, rng: np.random.Generator, fields: dict[str, Any], variety: Any) -> str:
    """A short label ("jumping jacks"), with at most one modifier ("internal rotation with the left arm")."""
    noun = _choice(rng, spec.nouns)
    mods = _modifiers(spec, rng, fields, variety, noun)
    return _join(noun, mods[:1])


def _join(head: str, mods: list[str]) -> str:
    """The head and its modifiers: the first directly after the verb when it can, the others after commas. A head
    that already names the hand ("... with the left arm") takes every modifier after a comma."""
    if not mods:
        return head
    first, rest = mods[0], mods[1:]
    direct = _adverbial(first) and "{hand}" not in head
    return f"{head}{' ' if direct else ', '}{first}" + "".join(f", {mod}" for mod in rest)


def _switch(second: Any, rng: np.random.Generator, first_fields: dict[str, Any], fields: dict[str, Any]) -> str:
    """How the second activity starts after the first: stopping to stand, sitting down, standing up, ..."""
    first_sits, second_sits = first_fields["posture"] == "sitting", fields["posture"] == "sitting"
    if second.name == "standing":
        if first_sits:
            return _choice(rng, ("stands up", "gets up from the chair", "stands up from the chair"))
        return _choice(rng, ("stops and stands still", "comes to a stop and stands", "stands still"))
    if second.name == "sitting":
        return _choice(rng, ("sits down", "sits down on a chair", "takes a seat"))
    verb = _verb(second, rng, fields, progressive=False)
    if first_sits and not second_sits:
        return f"stands up and {verb}"
    if second_sits and not first_sits:
        return f"sits down and {verb}"
    if first_fields["activity"] in ("walking", "running", "climbing_stairs"):
        return _choice(rng, (f"stops and {verb}", verb))
    return verb


def _tidy(caption: str) -> str:
    return " ".join(caption.split())
