"""A transformers ``Trainer`` that writes nothing with pickle.

``Trainer`` saves its ``TrainingArguments`` as ``training_args.bin`` with ``torch.save`` (a pickle) next to every
checkpoint it saves or pushes. Loading such a file can run code, and the package's rule is safetensors and JSON only,
so this subclass writes ``training_args.json`` instead and leaves no ``.bin`` behind.
"""

from __future__ import annotations

from pathlib import Path

from transformers import Trainer
from transformers.trainer import TRAINING_ARGS_NAME

TRAINING_ARGS_JSON = "training_args.json"


class SafetensorsTrainer(Trainer):
    """``Trainer`` whose checkpoints hold safetensors weights and JSON training arguments, nothing pickled."""

    def _save(self, output_dir: str | None = None, state_dict=None) -> None:
        super()._save(output_dir, state_dict=state_dict)
        if self.args.should_save:
            self._replace_pickled_args(Path(output_dir or self.args.output_dir))

    def _replace_pickled_args(self, folder: Path) -> None:
        pickled = folder / TRAINING_ARGS_NAME
        if pickled.is_file():
            pickled.unlink()
        (folder / TRAINING_ARGS_JSON).write_text(self.args.to_json_string())
