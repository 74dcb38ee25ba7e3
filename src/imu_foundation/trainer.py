"""A transformers ``Trainer`` whose checkpoints hold no pickles, that logs a model's loss terms one by one.

``Trainer`` writes ``training_args.bin``, ``optimizer.pt``, ``scheduler.pt``, ``rng_state.pth`` and ``scaler.pt``
with ``torch.save`` (pickles: loading one can run code). :class:`SafetensorsTrainer` writes the same states as
safetensors with a JSON skeleton (:func:`save_state` / :func:`load_state`) and the arguments as
``training_args.json``, so a checkpoint folder holds safetensors and JSON only and can be shared or pushed.
Resuming reads these files (``trainer.train(resume_from_checkpoint=True)``). With ``push_to_hub`` it pushes once, at
the end (Trainer's intermediate pushes would carry a pickled ``training_args.bin``).

The exception: DeepSpeed, FSDP and XLA runs save their sharded optimizer states through their own code (pickles,
which transformers loads with ``weights_only=True``); the package never pushes those checkpoint folders.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from transformers import Trainer, TrainerCallback
from transformers.trainer import TRAINING_ARGS_NAME
from transformers.trainer_utils import HubStrategy
from transformers.utils import logging

logger = logging.get_logger(__name__)

TRAINING_ARGS_JSON = "training_args.json"
OPTIMIZER_FILE = "optimizer.safetensors"
SCHEDULER_FILE = "scheduler.safetensors"
SCALER_FILE = "scaler.safetensors"
TRAINING_CURVES = "training_curves.png"


# ----------------------------------------------------------------------------------------------------------------------
# Nested states (dicts, lists, tuples, numbers, tensors, arrays) as safetensors + a JSON skeleton
# ----------------------------------------------------------------------------------------------------------------------
def save_state(state: Any, path: str | Path) -> None:
    """Writes a nested state (an optimizer's, a scheduler's, random generators') without pickle.

    Tensors and NumPy arrays go into the safetensors file; everything else into a JSON skeleton in its metadata,
    with tuples, non-string dict keys and tensor references marked so that :func:`load_state` rebuilds it exactly.
    """
    tensors: dict[str, torch.Tensor] = {}

    def encode(value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            key = f"t{len(tensors)}"
            tensors[key] = value.detach().cpu().contiguous()
            return {"__tensor__": key}
        if isinstance(value, np.ndarray):
            key = f"t{len(tensors)}"
            tensors[key] = torch.from_numpy(np.ascontiguousarray(value))
            return {"__ndarray__": key}
        if isinstance(value, dict):
            if all(isinstance(k, str) for k in value):
                return {"__dict__": {k: encode(v) for k, v in value.items()}}
            return {"__items__": [[encode(k), encode(v)] for k, v in value.items()]}
        if isinstance(value, tuple):
            return {"__tuple__": [encode(v) for v in value]}
        if isinstance(value, list):
            return [encode(v) for v in value]
        if isinstance(value, np.generic):
            return value.item()
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise TypeError(f"cannot save a {type(value).__name__} without pickle: {value!r}")

    skeleton = json.dumps(encode(state))
    save_file(tensors, str(path), metadata={"state": skeleton})


def load_state(path: str | Path) -> Any:
    """Reads a state written by :func:`save_state` (nothing is unpickled)."""
    with safe_open(str(path), framework="pt") as file:
        skeleton = json.loads(file.metadata()["state"])
        tensors = {key: file.get_tensor(key) for key in file.keys()}  # noqa: SIM118 - safe_open has no __iter__

    def decode(value: Any) -> Any:
        if isinstance(value, list):
            return [decode(v) for v in value]
        if not isinstance(value, dict):
            return value
        ((kind, content),) = value.items()
        if kind == "__tensor__":
            return tensors[content]
        if kind == "__ndarray__":
            return tensors[content].numpy()
        if kind == "__dict__":
            return {k: decode(v) for k, v in content.items()}
        if kind == "__items__":
            return {decode(k): decode(v) for k, v in content}
        if kind == "__tuple__":
            return tuple(decode(v) for v in content)
        raise ValueError(f"{path}: unknown entry {kind!r} in the state skeleton.")

    return decode(skeleton)


def random_states() -> dict[str, Any]:
    """The states of Python's, NumPy's and torch's random generators (CPU and CUDA)."""
    # NumPy's global generator is legacy, but it is what libraries seeded by Trainer(seed=...) draw from.
    states = {"python": random.getstate(), "numpy": np.random.get_state(), "cpu": torch.random.get_rng_state()}  # noqa: NPY002
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.random.get_rng_state_all()
    return states


def set_random_states(states: dict[str, Any]) -> None:
    """Restores :func:`random_states`."""
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])  # noqa: NPY002
    torch.random.set_rng_state(states["cpu"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.random.set_rng_state_all(states["cuda"])


# ----------------------------------------------------------------------------------------------------------------------
# The trainer
# ----------------------------------------------------------------------------------------------------------------------
class SafetensorsTrainer(Trainer):
    """``Trainer`` whose checkpoints hold safetensors and JSON only, and that logs each ``*_loss`` field of the
    model's output (e.g. Multi^3Net's ``text_imu_loss``) next to the total ``loss``, averaged like it."""

    def __init__(self, *args, training_curves: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if self.args.push_to_hub and self.args.hub_strategy != HubStrategy.END:
            # Trainer's pushes during training copy a pickled training_args.bin next to the weights; push once, at
            # the end, from the folder save_model wrote (safetensors and JSON).
            logger.info("SafetensorsTrainer pushes to the Hub once, at the end of training (hub_strategy='end').")
            self.args.hub_strategy = HubStrategy.END
        self._loss_terms: dict[str, torch.Tensor] = {}
        self._loss_term_steps = 0
        if training_curves:
            self.add_callback(TrainingCurvesCallback())

    # -- loss terms -----------------------------------------------------------------------------------------------
    def compute_loss(self, model, inputs, return_outputs: bool = False, num_items_in_batch=None):
        loss, outputs = super().compute_loss(model, inputs, return_outputs=True, num_items_in_batch=num_items_in_batch)
        if model.training and isinstance(outputs, dict):
            for name, value in outputs.items():
                if name.endswith("_loss") and isinstance(value, torch.Tensor) and value.ndim == 0:
                    self._loss_terms[name] = self._loss_terms.get(name, 0.0) + value.detach().float()
            self._loss_term_steps += 1
        return (loss, outputs) if return_outputs else loss

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        if "loss" in logs and self._loss_terms:  # models without loss terms (classifiers) log the total only
            names = sorted(self._loss_terms)
            means = torch.stack([self._loss_terms[n] for n in names]) / self._loss_term_steps
            means = self.accelerator.reduce(means.to(self.args.device), reduction="mean")
            logs.update({name: round(float(v), 4) for name, v in zip(names, means)})
            self._loss_terms, self._loss_term_steps = {}, 0
        super().log(logs, start_time)

    # -- pickle-free files ----------------------------------------------------------------------------------------
    def _save(self, output_dir: str | None = None, state_dict=None) -> None:
        super()._save(output_dir, state_dict=state_dict)
        if self.args.should_save:
            folder = Path(output_dir or self.args.output_dir)
            (folder / TRAINING_ARGS_NAME).unlink(missing_ok=True)
            (folder / TRAINING_ARGS_JSON).write_text(self.args.to_json_string())

    def _own_format(self) -> bool:
        """Plain and DDP runs; DeepSpeed, FSDP and XLA keep their own optimizer formats."""
        return not (self.is_deepspeed_enabled or self.is_fsdp_enabled or self.is_fsdp_xla_enabled)

    def _save_optimizer_and_scheduler(self, output_dir: str) -> None:
        if not self._own_format():
            return super()._save_optimizer_and_scheduler(output_dir)
        if self.args.should_save:
            Path(output_dir).mkdir(parents=True, exist_ok=True)
            save_state(self.optimizer.state_dict(), Path(output_dir) / OPTIMIZER_FILE)
            save_state(self.lr_scheduler.state_dict(), Path(output_dir) / SCHEDULER_FILE)

    def _load_optimizer_and_scheduler(self, checkpoint: str | None) -> None:
        if checkpoint is None or not (Path(checkpoint) / OPTIMIZER_FILE).is_file():
            return super()._load_optimizer_and_scheduler(checkpoint)
        self.optimizer.load_state_dict(load_state(Path(checkpoint) / OPTIMIZER_FILE))
        self.lr_scheduler.load_state_dict(load_state(Path(checkpoint) / SCHEDULER_FILE))

    def _save_scaler(self, output_dir: str) -> None:
        scaler = getattr(self.accelerator, "scaler", None)
        if scaler is not None and self.args.should_save and self._own_format():
            save_state(scaler.state_dict(), Path(output_dir) / SCALER_FILE)
        elif scaler is not None:
            super()._save_scaler(output_dir)

    def _load_scaler(self, checkpoint: str | None) -> None:
        scaler = getattr(self.accelerator, "scaler", None)
        if checkpoint is not None and scaler is not None and (Path(checkpoint) / SCALER_FILE).is_file():
            scaler.load_state_dict(load_state(Path(checkpoint) / SCALER_FILE))
        else:
            super()._load_scaler(checkpoint)

    def _rng_file(self, folder: str) -> Path:
        name = (
            "rng_state.safetensors" if self.args.world_size <= 1 else f"rng_state_{self.args.process_index}.safetensors"
        )
        return Path(folder) / name

    def _save_rng_state(self, output_dir: str) -> None:
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        save_state(random_states(), self._rng_file(output_dir))

    def _load_rng_state(self, checkpoint: str | None) -> None:
        if checkpoint is not None and self._rng_file(checkpoint).is_file():
            set_random_states(load_state(self._rng_file(checkpoint)))
        else:
            super()._load_rng_state(checkpoint)


class TrainingCurvesCallback(TrainerCallback):
    """Draws the logged losses (total and terms, training and evaluation) to ``training_curves.png`` at the end."""

    def on_train_end(self, args, state, control, **kwargs):
        from .plotting import loss_series, save_training_curves

        if state.is_world_process_zero and loss_series(state.log_history):  # a very short run may have logged none
            save_training_curves(state.log_history, Path(args.output_dir) / TRAINING_CURVES)


__all__ = [
    "SafetensorsTrainer",
    "TrainingCurvesCallback",
    "load_state",
    "random_states",
    "save_state",
    "set_random_states",
]
