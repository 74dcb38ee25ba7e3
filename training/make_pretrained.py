"""Remake the checkpoint that ships with the package, ``imu_foundation/pretrained/multi3net-small``, in one command.

Builds the pre-training corpus when it is missing (20,000 ten-second windows of the generated motion library, eight
body sites, 20 Hz; about 7 minutes on 2 cores), pre-trains ``multi3net-small`` with the arguments of
``hub_configs/training/pretrain-multi3net-small.json`` (seed 0), then measures it (zero-shot on the real benchmarks,
retrieval on the held-out synthetic split) and writes the checkpoint and its card into the package:

    python training/make_pretrained.py                    # about 30 minutes on 2 CPU cores
    python training/make_pretrained.py --destination my-checkpoint --max_steps 2000   # any pretrain option

A finished run in ``--output_dir`` is shipped as it is; an interrupted one continues (``--resume``).
"""

import argparse
import json
import sys
from pathlib import Path

from imu_foundation import pretrained as shipped
from imu_foundation.pretraining import main as pretrain
from imu_foundation.pretraining import ship_pretrained
from imu_foundation.runs import RUN_FILE

REMAKE = "python training/make_pretrained.py"


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="corpora/pretrain-20k")
    parser.add_argument("--output_dir", default="runs/multi3net-small")
    parser.add_argument("--destination", default=str(Path(shipped.__file__).parent / shipped.DEFAULT))
    args, pretrain_options = parser.parse_known_args()
    status = Path(args.output_dir) / RUN_FILE
    state = json.loads(status.read_text()).get("status") if status.exists() else None
    if state != "complete":
        options = ["--corpus", args.corpus, "--corpus_windows", "20000", "--output_dir", args.output_dir]
        pretrain(options + pretrain_options + (["--resume"] if state else []), prog="make_pretrained.py")
    scores = ship_pretrained(args.output_dir, args.destination, remake=REMAKE, overwrite=True)
    print(json.dumps(scores, indent=2))
    print(f"shipped to {args.destination}", file=sys.stderr)


if __name__ == "__main__":
    run()
