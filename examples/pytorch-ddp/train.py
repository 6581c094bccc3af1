"""Distributed data-parallel training of a small classifier on a generated data set.

Runs anywhere torch runs: alone (`python train.py`), under `torchrun`, or as a Kubeflow
PyTorchJob, where the Training Operator sets MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK.
Uses NCCL on GPUs and Gloo on CPUs. The data set (points on interleaved spirals) is made
from a fixed seed at start-up, so nothing is downloaded and every replica sees the same
data; DistributedSampler gives each replica its own shard.
"""

from __future__ import annotations

import argparse
import math
import os
import time

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler


def make_spirals(samples: int, classes: int, noise: float, seed: int) -> TensorDataset:
    """`classes` interleaved 2-D spirals, `samples` points in all, with Gaussian noise."""
    gen = torch.Generator().manual_seed(seed)
    per_class = samples // classes
    xs, ys = [], []
    for label in range(classes):
        radius = torch.linspace(0.05, 1.0, per_class)
        angle = (
            torch.linspace(0, 4 * math.pi, per_class)
            + 2 * math.pi * label / classes
            + noise * torch.randn(per_class, generator=gen)
        )
        xs.append(torch.stack([radius * torch.sin(angle), radius * torch.cos(angle)], dim=1))
        ys.append(torch.full((per_class,), label, dtype=torch.long))
    return TensorDataset(torch.cat(xs), torch.cat(ys))


def model_for(classes: int, hidden: int) -> nn.Module:
    return nn.Sequential(
        nn.Linear(2, hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Linear(hidden, classes),
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--samples", type=int, default=30000)
    parser.add_argument("--classes", type=int, default=3)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--noise", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--cpu", action="store_true", help="do not use a GPU even if one is present"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> float:
    args = parse_args(argv)
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    use_cuda = torch.cuda.is_available() and not args.cpu
    if distributed:
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    rank = dist.get_rank() if distributed else 0
    world = dist.get_world_size() if distributed else 1
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device(f"cuda:{local_rank}" if use_cuda else "cpu")
    if use_cuda:
        torch.cuda.set_device(device)
    torch.manual_seed(args.seed)

    data = make_spirals(args.samples, args.classes, args.noise, args.seed)
    train_size = int(0.9 * len(data))
    train, test = torch.utils.data.random_split(
        data,
        [train_size, len(data) - train_size],
        generator=torch.Generator().manual_seed(args.seed),
    )
    sampler = (
        DistributedSampler(train, num_replicas=world, rank=rank, shuffle=True)
        if distributed
        else None
    )
    loader = DataLoader(train, batch_size=args.batch_size, sampler=sampler, shuffle=sampler is None)

    model = model_for(args.classes, args.hidden).to(device)
    if distributed:
        model = DistributedDataParallel(model, device_ids=[local_rank] if use_cuda else None)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    if rank == 0:
        print(f"training on {world} replica(s), device {device}, {len(train)} samples", flush=True)

    for epoch in range(1, args.epochs + 1):
        if sampler is not None:
            sampler.set_epoch(epoch)
        model.train()
        started = time.monotonic()
        total = torch.zeros(2, device=device)  # loss sum, batches
        for batch, target in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(batch.to(device)), target.to(device))
            loss.backward()
            optimizer.step()
            total += torch.stack([loss.detach(), torch.ones((), device=device)])
        if distributed:
            dist.all_reduce(total)
        if rank == 0:
            print(
                f"epoch {epoch}: loss {total[0].item() / total[1].item():.4f} "
                f"({time.monotonic() - started:.2f} s)",
                flush=True,
            )

    accuracy = evaluate(model, test, device)
    if rank == 0:
        print(f"test accuracy: {accuracy:.3f}", flush=True)
    if distributed:
        dist.destroy_process_group()
    return accuracy


@torch.no_grad()
def evaluate(model: nn.Module, test: torch.utils.data.Dataset, device: torch.device) -> float:
    model.eval()
    correct = seen = 0
    for inputs, labels in DataLoader(test, batch_size=1024):
        predicted = model(inputs.to(device)).argmax(dim=1)
        correct += int((predicted == labels.to(device)).sum())
        seen += len(labels)
    return correct / max(seen, 1)


if __name__ == "__main__":
    main()
