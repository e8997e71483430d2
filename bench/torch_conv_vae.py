"""PyTorch reference of `ae`'s conv VAE (experiments/configs/conv.py:vae), CPU, for
`python -m experiments.benchmark --network=conv`.

The same network as ae.models.networks with network=conv, channels (32, 64), hidden (), a
20-dimensional code, on 28x28x1 images:
  encoder  4x4 conv stride 2 (padding 1) to 32, ReLU, 4x4 conv stride 2 to 64, ReLU, flatten
           7x7x64, linear to (20 means, 20 log-variances)
  decoder  linear 20 -> 7x7x64, ReLU, then per width the sub-pixel form of a stride-2
           transposed convolution (a 3x3 convolution to 4x the channels and a pixel shuffle):
           to 14x14x32, ReLU, to 28x28x1 Bernoulli logits
Bernoulli on pixel / 255 (BCE with logits, summed over pixels) plus the analytic KL, Adam 1e-3,
shuffled in-memory batches, the last partial batch dropped. --compile wraps the train step in
torch.compile; --bf16 runs the forward pass under autocast(bfloat16), the loss in float32.

Prints the steady-state training examples/s (timed after --warmup-steps steps) and the last
epoch's mean loss; the last stdout line is one JSON object (the interface of
../shared/bench/torch_vae.py). Needs a Python with torch (and numpy); never imported by `ae`.
"""

import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


def read_images(data_dir: str) -> np.ndarray:
  """The training images of an MNIST-format IDX directory, [N, 1, 28, 28] uint8."""
  with gzip.open(os.path.join(data_dir, "train-images-idx3-ubyte.gz"), "rb") as f:
    raw = f.read()
  magic, n, rows, cols = struct.unpack(">IIII", raw[:16])
  if magic != 2051:
    raise SystemExit(f"{data_dir}: train-images-idx3-ubyte.gz is not an IDX image file.")
  return np.frombuffer(raw, np.uint8, offset=16).reshape(n, 1, rows, cols)


class ConvVAE(nn.Module):
  def __init__(self, latent: int = 20, size: int = 28):
    super().__init__()
    self.base = size // 4
    self.enc = nn.Sequential(nn.Conv2d(1, 32, 4, 2, 1), nn.ReLU(),
                             nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(), nn.Flatten())
    self.head = nn.Linear(64 * self.base ** 2, 2 * latent)
    self.fc = nn.Linear(latent, 64 * self.base ** 2)
    self.up = nn.Sequential(nn.Conv2d(64, 4 * 32, 3, padding=1), nn.PixelShuffle(2), nn.ReLU(),
                            nn.Conv2d(32, 4 * 1, 3, padding=1), nn.PixelShuffle(2))

  def forward(self, x):
    mean, logvar = self.head(self.enc(x)).chunk(2, dim=1)
    z = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar)
    h = F.relu(self.fc(z)).view(-1, 64, self.base, self.base)
    return self.up(h), mean, logvar


def loss_fn(logits, x, mean, logvar):
  logits, mean, logvar = logits.float(), mean.float(), logvar.float()
  nll = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
  return nll - 0.5 * torch.sum(1 + logvar - mean ** 2 - logvar.exp())


def main():
  p = argparse.ArgumentParser(description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("--epochs", type=int, default=1)
  p.add_argument("--batch-size", type=int, default=128)
  p.add_argument("--lr", type=float, default=1e-3)
  p.add_argument("--seed", type=int, default=0)
  p.add_argument("--warmup-steps", type=int, default=20)
  p.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
  p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
  p.add_argument("--compile", action="store_true")
  p.add_argument("--bf16", action="store_true")
  p.add_argument("--flush-denormal", action="store_true")
  args = p.parse_args()
  torch.set_num_threads(args.threads)
  torch.set_flush_denormal(args.flush_denormal)
  torch.manual_seed(args.seed)
  x_all = torch.from_numpy(read_images(args.data_dir).astype(np.float32) / 255.0)
  n, b = x_all.shape[0], args.batch_size
  steps = n // b
  if steps * args.epochs <= args.warmup_steps:
    raise SystemExit(f"--epochs {args.epochs} at --batch-size {b} gives no steps after the "
                     f"{args.warmup_steps} warm-up steps; raise --epochs.")
  model = ConvVAE(size=x_all.shape[-1])
  opt = torch.optim.Adam(model.parameters(), lr=args.lr)

  def train_step(xb):
    opt.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
      out = model(xb)
    loss = loss_fn(*out[:1], xb, *out[1:])
    loss.backward()
    opt.step()
    return loss.detach()

  step_fn = torch.compile(train_step) if args.compile else train_step
  gen = torch.Generator().manual_seed(args.seed)
  done, t0, last = 0, None, 0.0
  for _ in range(args.epochs):
    perm, total = torch.randperm(n, generator=gen), 0.0
    for i in range(steps):
      total += float(step_fn(x_all[perm[i * b:(i + 1) * b]]))
      done += 1
      if done == args.warmup_steps:
        t0 = time.perf_counter()
    last = total / (steps * b)
  timed = time.perf_counter() - t0
  print(json.dumps({"script": "torch_conv_vae", "torch": torch.__version__,
                    "threads": torch.get_num_threads(), "compile": args.compile,
                    "bf16": args.bf16, "batch_size": b, "epochs": args.epochs,
                    "timed_steps": done - args.warmup_steps, "timed_s": round(timed, 3),
                    "examples_per_s": round((done - args.warmup_steps) * b / timed, 1),
                    "last_epoch_loss": round(last, 4)}))


if __name__ == "__main__":
  main()
