"""Run with 2 processes (torch.distributed.run, gloo on CPU): Multi^3Net's contrastive terms over a global batch split
across the processes equal those of one process holding the whole batch, and DDP's averaged gradients equal its
gradients. Writes ``ok`` to the file named by argv[1] on success (rank 0)."""

import sys

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from imu_foundation import Multi3NetConfig, Multi3NetModel
from imu_foundation.factory import get_variant

config = Multi3NetConfig(**{**get_variant("multi3net-tiny")["config"], "reconstruction_loss_weight": 0.0})
torch.manual_seed(0)
model = Multi3NetModel(config).train()
generator = torch.Generator().manual_seed(1)
batch = {
    "sentence_embeds": torch.nn.functional.normalize(torch.randn(8, 32, generator=generator), dim=-1),
    "imu_values": torch.randn(8, 60, 12, generator=generator),
    "pose_values": torch.randn(8, 30, 148, generator=generator),
    "text_group_ids": torch.tensor([0, 1, 2, 3, 0, 5, 6, 7]),  # a duplicate caption across the two halves
}
single = model(**batch, return_loss=True)
single.loss.backward()
expected = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
model.zero_grad()

dist.init_process_group("gloo")  # after the single-process reference, which must not gather
rank, world = dist.get_rank(), dist.get_world_size()
ddp = DistributedDataParallel(model, find_unused_parameters=True)  # the reconstruction head is unused here
half = {key: value.chunk(world)[rank] for key, value in batch.items()}
local = ddp(**half, return_loss=True)
for term in ("text_imu_loss", "text_pose_loss", "imu_pose_loss"):
    torch.testing.assert_close(local[term], single[term], msg=f"{term} on rank {rank}")
local.loss.backward()
for name, p in model.named_parameters():
    if name in expected:
        torch.testing.assert_close(p.grad, expected[name], atol=1e-5, rtol=1e-4, msg=f"gradient of {name}")
dist.barrier()
if rank == 0:
    open(sys.argv[1], "w").write("ok")
dist.destroy_process_group()
