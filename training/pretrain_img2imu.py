"""Sensor-aware MoCo pre-training of an Img2Imu encoder on an image corpus, with Accelerate.

IMG2IMU pre-trains on ImageNet-1k train images (labels unused) resized to 128 x 96. ImageNet cannot be downloaded
here: pass its folder (or any folder of photos) with ``--image_dir``. Without it the script runs on the real photos
that ship inside installed packages (scikit-image's sample images and 200 LFW faces, scikit-learn's two photos): a
tiny corpus, enough to check the whole pipeline end to end, not to learn a useful encoder.

With ``--corpus`` it pre-trains on spectrograms of simulated IMU instead (a corpus in the package's schema, such as
``imu-foundation build-corpus`` writes): each window becomes one simulated accelerometer + gyroscope device (one
site, mounting tilt, sensor errors, a 4-10 s crop; ``SensorVariety``) and that device's spectrogram image, the same
image the variant's feature extractor makes of a real recording. Start from ImageNet to keep what photos taught:

    accelerate launch training/pretrain_img2imu.py --model img2imu-efficientnet-lite0 --pretrained imagenet \\
        --image_dir /data/imagenet/train --epochs 40 --batch_size 256 --output_dir runs/img2imu-moco
    python training/pretrain_img2imu.py --model img2imu-efficientnet-lite0-acc-gyro --pretrained imagenet \\
        --corpus corpora/pretrain-20k --max_steps 320 --batch_size 64 --output_dir runs/img2imu-moco-simulated
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from PIL import Image
from tqdm.auto import tqdm

from imu_foundation import create_feature_extractor, create_model

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".JPEG"}


def packaged_photos() -> list[np.ndarray]:
    """Real photos shipped inside scikit-image and scikit-learn wheels, as (H, W, 3) uint8 arrays."""
    from skimage import data
    from sklearn.datasets import load_sample_images

    names = ["astronaut", "chelsea", "coffee", "rocket", "camera", "hubble_deep_field", "immunohistochemistry"]
    photos = [getattr(data, name)() for name in names]
    photos += [(face * 255).astype(np.uint8) for face in data.lfw_subset()]
    photos += list(load_sample_images().images)
    return [np.stack([p] * 3, axis=-1) if p.ndim == 2 else p[..., :3] for p in photos]


class ImageCorpus(torch.utils.data.Dataset):
    """Photos as normalised ``(3, height, width)`` tensors (resized, as IMG2IMU does, to 96 x 128)."""

    def __init__(self, image_dir: Path | None, height: int, width: int, mean, std):
        if image_dir is None:
            self.items = packaged_photos()
        else:
            self.items = sorted(p for p in image_dir.rglob("*") if p.suffix in IMAGE_SUFFIXES)
            if not self.items:
                raise FileNotFoundError(f"No images ({', '.join(sorted(IMAGE_SUFFIXES))}) under {image_dir}.")
        self.size = (width, height)
        self.mean, self.std = torch.tensor(mean)[:, None, None], torch.tensor(std)[:, None, None]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> torch.Tensor:
        item = self.items[index]
        image = Image.open(item) if isinstance(item, Path) else Image.fromarray(item)
        pixels = np.asarray(image.convert("RGB").resize(self.size, Image.BILINEAR), dtype=np.float32) / 255.0
        return (torch.from_numpy(pixels).permute(2, 0, 1) - self.mean) / self.std


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="img2imu-efficientnet-lite0", help="a hub_configs/ variant")
    parser.add_argument("--pretrained", default=None, help="offline initial weights of the variant, e.g. imagenet")
    parser.add_argument("--image_dir", type=Path, default=None, help="folder of images (default: packaged photos)")
    parser.add_argument("--corpus", default=None, help="simulated IMU corpus (folder or Hub id) instead of images")
    parser.add_argument("--output_dir", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--max_steps", type=int, default=None, help="stop after this many steps (default: epochs)")
    parser.add_argument("--batch_size", type=int, default=256)
    parser.add_argument("--learning_rate", type=float, default=1e-3)
    parser.add_argument("--queue_size", type=int, default=None, help="default: the variant's (4096)")
    parser.add_argument("--image_height", type=int, default=96)
    parser.add_argument("--image_width", type=int, default=128)
    parser.add_argument("--num_workers", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.output_dir.exists() and any(args.output_dir.iterdir()):
        raise FileExistsError(f"{args.output_dir} is not empty; choose a new folder (nothing was overwritten).")
    set_seed(args.seed)
    accelerator = Accelerator()
    overrides = {} if args.queue_size is None else {"queue_size": args.queue_size}
    model = create_model(args.model, task="contrastive", pretrained=args.pretrained, **overrides)
    if args.corpus is not None and args.image_dir is not None:
        raise ValueError("pass --corpus (simulated IMU) or --image_dir (photos), not both.")
    if args.corpus is not None:
        from imu_foundation.data.augmentation import SensorVariety
        from imu_foundation.data.collators import SimulatedDeviceSpectrograms
        from imu_foundation.pretraining import load_corpus

        corpus = load_corpus(args.corpus)["train"]
        collate = SimulatedDeviceSpectrograms(create_feature_extractor(args.model), SensorVariety(), seed=args.seed)
    else:
        corpus = ImageCorpus(
            args.image_dir, args.image_height, args.image_width, model.config.image_mean, model.config.image_std
        )
        collate = None
    loader = torch.utils.data.DataLoader(
        corpus,
        batch_size=args.batch_size,
        shuffle=True,
        drop_last=len(corpus) > args.batch_size,
        num_workers=args.num_workers,
        collate_fn=collate,
        generator=torch.Generator().manual_seed(args.seed),
    )
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=args.learning_rate)
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    augment_generator = torch.Generator(device=accelerator.device).manual_seed(args.seed)

    history = []
    total_steps = args.max_steps or args.epochs * len(loader)
    model.train()
    progress = tqdm(total=total_steps, desc="MoCo steps", disable=not accelerator.is_local_main_process)
    while len(history) < total_steps:
        for pixel_values in loader:
            loss = model(pixel_values, generator=augment_generator).loss
            optimizer.zero_grad()
            accelerator.backward(loss)
            optimizer.step()
            history.append(loss.item())
            progress.update()
            progress.set_postfix(loss=f"{loss.item():.3f}")
            if len(history) == total_steps:
                break

    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        unwrapped = accelerator.unwrap_model(model)
        unwrapped.save_pretrained(args.output_dir)  # the whole MoCo model, safetensors
        unwrapped.img2imu.save_pretrained(args.output_dir / "encoder")  # the encoder alone, for fine-tuning
        create_feature_extractor(args.model).save_pretrained(args.output_dir / "encoder")  # its spectrogram images
        (args.output_dir / "pretraining_log.json").write_text(
            json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "examples": len(corpus), "loss": history})
        )
        print(f"Saved the MoCo model to {args.output_dir} and its encoder to {args.output_dir / 'encoder'}")


if __name__ == "__main__":
    main()
