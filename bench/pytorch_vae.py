#!/usr/bin/python3
"""PyTorch reference for latent's MNIST VAE (DESIGN.md section 4: the performance peer).

The model and loss follow the canonical PyTorch MNIST VAE recipe: 784-400-20 with ReLU, two
heads (mu, logvar), a 20-400-784 decoder with a sigmoid output, loss = binary cross-entropy
summed over pixels and batch + KL divergence to N(0, I), Adam with lr 1e-3, batch 128.

Two modes:
  --mode step   times one training step (zero_grad, forward, loss, backward, Adam step) and
                prints `step_ms <median>` last, the same contract as `latent bench step`, so
                bench/compare_step.sh can read both the same way.
  --mode train  trains for --epochs on the full train set and prints per-epoch train and test
                loss per image: a reference curve for latent's own `train` command.

Run it with /usr/bin/python3 (Debian's torch); the pyenv `python3` on PATH has no torch.
"""
import argparse
import gzip
import os
import statistics
import struct
import sys
import time

import numpy as np


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mode", choices=["step", "train"], default="step")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--threads", type=int, default=2, help="intra-op CPU threads")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--steps", type=int, default=200, help="timed steps (step mode)")
    p.add_argument("--warmup", type=int, default=20, help="untimed steps first (step mode)")
    p.add_argument("--epochs", type=int, default=10, help="epochs (train mode)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data", default="data/mnist", help="directory with the MNIST IDX files")
    return p.parse_args()


ARGS = parse_args()

# Pin the thread pools before torch is imported: torch.set_num_threads sets OpenMP's count, but a
# BLAS with its own pthread pool (Debian's torch calls the system libblas.so.3) reads these only at
# load time. Without this, a "2 thread" run could use every core and the ratio would be unfair.
# --threads wins over any value inherited from the environment: the flag is what the caller meant.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import torch  # noqa: E402  (imported after the environment above is set)
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402


# ---------------------------------------------------------------------------------------------
# Data: MNIST IDX files parsed directly, so the benchmark needs neither torchvision nor network.


def read_idx(path):
    """Returns the array stored in an IDX file (plain or .gz)."""
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path += ".gz"
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    # Header: two zero bytes, a type code (0x08 = unsigned byte), the number of dimensions, then
    # one big-endian uint32 per dimension.
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: expected {dims}, found {data.size} bytes")
    return data.reshape(dims)


def load_images(data_dir, split):
    """Images of `split` ("train" or "t10k") as float32 [N, 784] in [0, 1] (ToTensor's /255)."""
    images = read_idx(os.path.join(data_dir, f"{split}-images-idx3-ubyte"))
    return torch.from_numpy(images.reshape(images.shape[0], -1).astype(np.float32) / 255.0)


# ---------------------------------------------------------------------------------------------
# Model and loss.


class VAE(nn.Module):
    def __init__(self, features=784, hidden=400, latent=20):
        super().__init__()
        self.fc1 = nn.Linear(features, hidden)  # encoder
        self.fc21 = nn.Linear(hidden, latent)  # mu head
        self.fc22 = nn.Linear(hidden, latent)  # logvar head
        self.fc3 = nn.Linear(latent, hidden)  # decoder
        self.fc4 = nn.Linear(hidden, features)

    def encode(self, x):
        h = F.relu(self.fc1(x))
        return self.fc21(h), self.fc22(h)

    def reparameterize(self, mu, logvar):
        # z = mu + sigma * eps keeps the sample differentiable in mu and logvar.
        std = torch.exp(0.5 * logvar)
        return mu + std * torch.randn_like(std)

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def forward(self, x):
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar


def vae_loss(recon, x, mu, logvar):
    """Negative ELBO summed over the batch: BCE reconstruction + KL(q(z|x) || N(0, I))."""
    bce = F.binary_cross_entropy(recon, x, reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def blas_library():
    """The BLAS shared library this process loaded, for the record.

    CPU step times depend on it almost entirely: Debian's torch calls the system libblas.so.3,
    which is the slow netlib reference BLAS unless an optimized one (OpenBLAS, BLIS) provides that
    alternative or comes first on LD_LIBRARY_PATH.
    """
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
    except OSError:
        return "unknown"
    names = sorted(os.path.realpath(p) for p in paths)
    return ", ".join(names) if names else "none found (statically linked or MKL)"


def make_adam(params, device):
    """Adam(lr=1e-3), using the fastest implementation the installed torch has on the device.

    On CUDA the per-parameter loop launches several kernels per tensor; the fused (or at least the
    foreach) variant is what a fair peer would use. On the CPU, torch's default is kept.
    """
    if device.type == "cuda":
        try:
            return torch.optim.Adam(params, lr=1e-3, fused=True), "fused"
        except (TypeError, RuntimeError, ValueError):
            # Older torch: no `fused` argument, or fused not supported for these tensors.
            return torch.optim.Adam(params, lr=1e-3, foreach=True), "foreach"
    return torch.optim.Adam(params, lr=1e-3), "default"


def train_step(model, opt, x):
    opt.zero_grad()
    recon, mu, logvar = model(x)
    loss = vae_loss(recon, x, mu, logvar)
    loss.backward()
    opt.step()
    return loss


# ---------------------------------------------------------------------------------------------
# Modes.


def mode_step(device):
    # The first batch of the test set, as `latent bench step` uses; random pixels if the data is
    # missing (the step time does not depend on the pixel values, but BCE needs them in [0, 1]).
    try:
        x = load_images(ARGS.data, "t10k")[:ARGS.batch_size]
        source = f"{ARGS.data} t10k"
    except OSError:
        x = torch.rand(ARGS.batch_size, 784)
        source = "random pixels (no data)"
    if x.shape[0] < ARGS.batch_size:  # fewer test images than the batch: tile them
        x = x.repeat((ARGS.batch_size + x.shape[0] - 1) // x.shape[0], 1)[:ARGS.batch_size]
    x = x.to(device).contiguous()  # preloaded: the timed loop does no host-to-device copies

    model = VAE().to(device)
    opt, adam_kind = make_adam(model.parameters(), device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    for _ in range(ARGS.warmup):
        train_step(model, opt, x)
    sync()
    times_ms = []
    for _ in range(ARGS.steps):
        # Synchronize on both sides so each sample covers exactly one step's queued GPU work.
        sync()
        start = time.perf_counter()
        train_step(model, opt, x)
        sync()
        times_ms.append((time.perf_counter() - start) * 1e3)

    median = statistics.median(times_ms)
    print(f"pytorch {torch.__version__}, device {device}, threads {torch.get_num_threads()}, "
          f"adam {adam_kind}, batch {x.shape[0]}, data {source}")
    if device.type == "cpu":
        print(f"blas {blas_library()}")
    print(f"pytorch vae step: median {median:.3f} ms (min {min(times_ms):.3f}, "
          f"max {max(times_ms):.3f}) over {ARGS.steps} steps after {ARGS.warmup} warm-up")
    print(f"step_ms {median:.4f}")


def mode_train(device):
    train_x = load_images(ARGS.data, "train").to(device)
    test_x = load_images(ARGS.data, "t10k").to(device)
    model = VAE().to(device)
    opt, adam_kind = make_adam(model.parameters(), device)
    # A seeded generator for the shuffle, so two runs see the same batch order.
    gen = torch.Generator().manual_seed(ARGS.seed)
    bs = ARGS.batch_size
    print(f"pytorch {torch.__version__}, device {device}, threads {torch.get_num_threads()}, "
          f"adam {adam_kind}, batch {bs}, train {train_x.shape[0]}, test {test_x.shape[0]}")
    if device.type == "cpu":
        print(f"blas {blas_library()}")

    for epoch in range(1, ARGS.epochs + 1):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(train_x.shape[0], generator=gen).to(device)
        total = 0.0
        # The last partial batch is kept, as a DataLoader without drop_last does.
        for i in range(0, train_x.shape[0], bs):
            total += train_step(model, opt, train_x[order[i:i + bs]]).item()
        train_loss = total / train_x.shape[0]

        # Test loss as the example computes it: summed loss over the test set / number of images.
        # The example's reparameterize samples z in eval mode too, so this does as well.
        model.eval()
        test_total = 0.0
        with torch.no_grad():
            for i in range(0, test_x.shape[0], bs):
                x = test_x[i:i + bs]
                recon, mu, logvar = model(x)
                test_total += vae_loss(recon, x, mu, logvar).item()
        test_loss = test_total / test_x.shape[0]
        if device.type == "cuda":
            torch.cuda.synchronize()
        print(f"epoch {epoch} train_loss {train_loss:.4f} test_loss {test_loss:.4f} "
              f"time {time.perf_counter() - start:.2f}s", flush=True)


def main():
    if ARGS.device == "cuda" and not torch.cuda.is_available():
        sys.exit(f"pytorch_vae.py: --device cuda but this torch ({torch.__version__}) has no "
                 "usable CUDA device")
    torch.set_num_threads(ARGS.threads)
    torch.manual_seed(ARGS.seed)
    device = torch.device(ARGS.device)
    if ARGS.mode == "step":
        mode_step(device)
    else:
        mode_train(device)


if __name__ == "__main__":
    main()
