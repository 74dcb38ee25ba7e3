"""Pre-train Multi^3Net on a synthetic IMU corpus with the transformers Trainer.

The model comes from a ``hub_configs/`` variant and the ``TrainingArguments`` from
``hub_configs/training/pretrain-multi3net-small.json`` (or ``--training_config FILE``); every field of either can be
overridden on the command line. The work is ``imu_foundation.pretraining.pretrain``; the same command is
``imu-foundation pretrain``.

    python training/pretrain_multi3net.py --corpus corpora/library-20k --corpus_windows 20000 \
        --output_dir runs/multi3net-small      # builds the corpus first when the folder does not exist

    # several processes (CPU: DDP over gloo; GPUs: one per process); interrupted runs continue with --resume
    accelerate launch --multi_gpu --num_processes 2 training/pretrain_multi3net.py --corpus ... --output_dir ...
    torchrun --nproc_per_node 2 training/pretrain_multi3net.py --corpus ... --output_dir ... --resume
"""

from imu_foundation.pretraining import main

if __name__ == "__main__":
    main()
