"""Fine-tune an Img2Imu or Multi^3Net model on a few labelled IMU windows with the transformers Trainer.

The few-shot protocol: fold ``--fold`` of ``--folds`` holds out a group of subjects (recordings when subjects are
unknown); ``--shots`` windows per class are drawn (seeded) from the other groups. ``--mode frozen`` trains the new head
only (linear evaluation), ``finetune`` everything. ``TrainingArguments`` come from
``hub_configs/training/finetune.json`` (or ``--training_config FILE``), each overridable on the command line. The work
is ``imu_foundation.finetuning.finetune``; the same command is ``imu-foundation finetune``.

    python training/finetune.py --model pretrained --dataset wrist_exercises --shots 10 --fold 0 \
        --output_dir runs/wrist-10shot-fold0
    python training/finetune.py --model img2imu-efficientnet-lite0-acc-gyro --pretrained_weights imagenet \
        --mode frozen --dataset basic_motions --output_dir runs/lite0-linear --push_to_hub --hub_model_id me/x
"""

from imu_foundation.finetuning import main

if __name__ == "__main__":
    main()
