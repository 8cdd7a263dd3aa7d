"""DistributedDataParallel under ``torchrun``: process group, device, model wrapping, reductions.

``torchrun --nproc_per_node N -m jettag.cli train ...`` sets RANK / WORLD_SIZE / LOCAL_RANK; with
``training.ddp: true`` every process joins a process group (gloo on CPU, nccl on CUDA), trains on
its slice of each global batch (``batch_size / WORLD_SIZE`` jets, see ``data.H5Batches``) and only
rank 0 writes outputs.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass
class DistInfo:
    enabled: bool = False
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup(ddp: bool, device: torch.device) -> DistInfo:
    """Join the process group if ``ddp`` and launched by torchrun; otherwise a single process."""
    if not ddp:
        return DistInfo()
    if "WORLD_SIZE" not in os.environ or "RANK" not in os.environ:
        print("jettag train: training.ddp is true but RANK/WORLD_SIZE are not set (not started by "
              "torchrun); training in a single process", file=sys.stderr)
        return DistInfo()
    info = DistInfo(True, int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]),
                    int(os.environ.get("LOCAL_RANK", 0)))
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend, rank=info.rank, world_size=info.world_size)
    return info


def device_for(info: DistInfo, device: torch.device) -> torch.device:
    """One GPU per process under DDP (LOCAL_RANK)."""
    if info.enabled and device.type == "cuda":
        torch.cuda.set_device(info.local_rank)
        return torch.device("cuda", info.local_rank)
    return device


def wrap(model: torch.nn.Module, info: DistInfo, device: torch.device) -> torch.nn.Module:
    if not info.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)


def broadcast_parameters(model: torch.nn.Module, info: DistInfo) -> None:
    """Make every rank start from rank 0's weights (DDP does this too; explicit for clarity)."""
    if info.enabled:
        for t in list(model.parameters()) + list(model.buffers()):
            dist.broadcast(t.data, src=0)


def all_reduce_sum(values: list[float], info: DistInfo, device: torch.device) -> list[float]:
    if not info.enabled:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.tolist()


def broadcast_flag(flag: bool, info: DistInfo, device: torch.device) -> bool:
    """Rank 0's decision (e.g. early stopping) for every rank."""
    if not info.enabled:
        return flag
    t = torch.tensor([1 if flag else 0], dtype=torch.int64, device=device)
    dist.broadcast(t, src=0)
    return bool(t.item())


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()


def cleanup(info: DistInfo) -> None:
    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()
