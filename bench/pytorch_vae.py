#!/usr/bin/python3
"""PyTorch reference for latent's MNIST VAEs (DESIGN.md section 4: the performance peer).

Two models, each the shape of latent's model of the same name at its defaults:
  --model vae       the canonical PyTorch MNIST VAE recipe: 784-400-20 with ReLU, two heads (mu,
                    logvar), a 20-400-784 decoder with a sigmoid output, loss = binary
                    cross-entropy summed over pixels and batch + KL divergence to N(0, I).
  --model conv-vae  latent's conv-vae (models/ae/conv_net.h, models/vae/conv_vae.cc): Conv 1->32
                    and Conv 32->64 (kernel 4, stride 2, padding 1, ReLU after each) to 64x7x7,
                    linear heads to a 20-dimensional code, a decoder Linear 20->64*7*7 + ReLU,
                    ConvTranspose 64->32 + ReLU and ConvTranspose 32->1 (kernel 4, stride 2,
                    padding 1) giving logits; loss = BCE with logits summed + KL.
Both train with Adam, lr 1e-3, batch 128.

Three modes:
  --mode step   times one training step (zero_grad, forward, loss, backward, Adam step) and
                prints `step_ms <median>` last, the same contract as `latent bench step`, so
                bench/compare_step.sh can read both the same way.
  --mode iwae   times the importance-weighted estimate of log p(x) (Burda et al. 2015) with
                --samples samples on the first --images binarized test images, computed as
                `latent bench iwae` does (groups of 100 images, --chunk samples per image decoded
                in one call, under no_grad), and prints `iwae_s <seconds>` last.
  --mode train  trains for --epochs on the full train set and prints per-epoch train and test
                loss per image: a reference curve for latent's own `train` command.

Run it with /usr/bin/python3 (Debian's torch); the pyenv `python3` on PATH has no torch.
"""
import argparse
import gzip
import math
import os
import statistics
import struct
import sys
import time

import numpy as np


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mode", choices=["step", "iwae", "train"], default="step")
    p.add_argument("--model", choices=["vae", "conv-vae"], default="vae")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--threads", type=int, default=2, help="intra-op CPU threads")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--steps", type=int, default=200, help="timed steps (step mode)")
    p.add_argument("--warmup", type=int, default=20, help="untimed steps first (step mode)")
    p.add_argument("--images", type=int, default=1000, help="test images scored (iwae mode)")
    p.add_argument("--samples", type=int, default=5000,
                   help="importance samples per image (iwae mode)")
    p.add_argument("--chunk", type=int, default=500,
                   help="importance samples decoded per image in one call (iwae mode)")
    p.add_argument("--epochs", type=int, default=10, help="epochs (train mode)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data", default="data/mnist", help="directory with the MNIST IDX files")
    args = p.parse_args()
    for name in ("images", "samples", "chunk"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be at least 1, found {getattr(args, name)}")
    return args


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

    def decode_logits(self, z):
        return self.fc4(F.relu(self.fc3(z)))

    def decode(self, z):
        return torch.sigmoid(self.decode_logits(z))

    def forward(self, x):
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar


class ConvVAE(nn.Module):
    """latent's conv-vae at its defaults (channels 32, code 20) on 28x28 images."""

    def __init__(self, height=28, width=28, channels=32, latent=20):
        super().__init__()
        self.height, self.width, self.channels = height, width, channels
        # A kernel-4, stride-2, padding-1 convolution halves an even size (28 -> 14 -> 7), and its
        # transpose doubles it back without output padding.
        self.conv1 = nn.Conv2d(1, channels, 4, stride=2, padding=1)
        self.conv2 = nn.Conv2d(channels, 2 * channels, 4, stride=2, padding=1)
        features = 2 * channels * (height // 4) * (width // 4)
        self.fc_mu = nn.Linear(features, latent)
        self.fc_logvar = nn.Linear(features, latent)
        self.fc = nn.Linear(latent, features)
        self.deconv1 = nn.ConvTranspose2d(2 * channels, channels, 4, stride=2, padding=1)
        self.deconv2 = nn.ConvTranspose2d(channels, 1, 4, stride=2, padding=1)

    def encode(self, x):
        image = x.view(x.shape[0], 1, self.height, self.width)
        h = F.relu(self.conv2(F.relu(self.conv1(image)))).flatten(1)
        return self.fc_mu(h), self.fc_logvar(h)

    def decode_logits(self, z):
        h = F.relu(self.fc(z)).view(z.shape[0], 2 * self.channels, self.height // 4,
                                    self.width // 4)
        return self.deconv2(F.relu(self.deconv1(h))).view(z.shape[0], -1)

    def forward(self, x):
        # Logits, not probabilities: the loss is BCE with logits, as latent's.
        mu, logvar = self.encode(x)
        std = torch.exp(0.5 * logvar)
        return self.decode_logits(mu + std * torch.randn_like(std)), mu, logvar


def kl_divergence(mu, logvar):
    """KL(q(z|x) || N(0, I)) in closed form, summed over the batch."""
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def vae_loss(recon, x, mu, logvar):
    """Negative ELBO summed over the batch: BCE reconstruction + KL(q(z|x) || N(0, I))."""
    bce = F.binary_cross_entropy(recon, x, reduction="sum")
    return bce + kl_divergence(mu, logvar)


def logits_vae_loss(logits, x, mu, logvar):
    """The same negative ELBO from the decoder's logits (conv-vae's output)."""
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    return bce + kl_divergence(mu, logvar)


# --model: the module and the loss of its forward's output.
MODELS = {"vae": (VAE, vae_loss), "conv-vae": (ConvVAE, logits_vae_loss)}


def make_model(device):
    """The --model network on `device`, its loss, and its parameter count (for the record)."""
    module, loss_fn = MODELS[ARGS.model]
    model = module().to(device)
    return model, loss_fn, sum(p.numel() for p in model.parameters())


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


def train_step(model, loss_fn, opt, x):
    opt.zero_grad()
    recon, mu, logvar = model(x)
    loss = loss_fn(recon, x, mu, logvar)
    loss.backward()
    opt.step()
    return loss


# ---------------------------------------------------------------------------------------------
# Modes.


def first_test_images(n):
    """The first n test images and where they came from; random pixels when the data is missing
    (the timings do not depend on the pixel values, but BCE needs them in [0, 1])."""
    try:
        return load_images(ARGS.data, "t10k")[:n], f"{ARGS.data} t10k"
    except OSError:
        return torch.rand(n, 784), "random pixels (no data)"


def mode_step(device):
    # The first batch of the test set, as `latent bench step` uses.
    x, source = first_test_images(ARGS.batch_size)
    if x.shape[0] < ARGS.batch_size:  # fewer test images than the batch: tile them
        x = x.repeat((ARGS.batch_size + x.shape[0] - 1) // x.shape[0], 1)[:ARGS.batch_size]
    x = x.to(device).contiguous()  # preloaded: the timed loop does no host-to-device copies

    model, loss_fn, params = make_model(device)
    opt, adam_kind = make_adam(model.parameters(), device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    for _ in range(ARGS.warmup):
        train_step(model, loss_fn, opt, x)
    sync()
    times_ms = []
    for _ in range(ARGS.steps):
        # Synchronize on both sides so each sample covers exactly one step's queued GPU work.
        sync()
        start = time.perf_counter()
        train_step(model, loss_fn, opt, x)
        sync()
        times_ms.append((time.perf_counter() - start) * 1e3)

    median = statistics.median(times_ms)
    print(f"pytorch {torch.__version__}, device {device}, threads {torch.get_num_threads()}, "
          f"adam {adam_kind}, batch {x.shape[0]}, data {source}")
    if device.type == "cpu":
        print(f"blas {blas_library()}")
    print(f"pytorch {ARGS.model} ({params} parameters) step: median {median:.3f} ms "
          f"(min {min(times_ms):.3f}, max {max(times_ms):.3f}) over {ARGS.steps} steps after "
          f"{ARGS.warmup} warm-up")
    print(f"step_ms {median:.4f}")


# Images per call of the estimate, as latent's kIwaeGroup (tools/eval/iwae.h): a decoder call
# holds IWAE_GROUP * chunk rows, which bounds memory for any number of images.
IWAE_GROUP = 100


def iwae_log_likelihoods(model, x, k, chunk):
    """log p(x) per row of binary x (B, 784), from k importance samples, as latent computes it.

    log w_i = log p(x|z_i) + log p(z_i) - log q(z_i|x), z_i = mu + sigma eps_i; the log 2 pi terms
    of p and q cancel, and (z - mu) / sigma is eps itself, so
    log w_i = -BCE(logits_i, x) - |z_i|^2 / 2 + |eps_i|^2 / 2 + sum(logvar) / 2.
    The chunks' weights are folded into a running log-sum-exp, so memory stays bounded by one
    chunk whatever k is.
    """
    mu, logvar = model.encode(x)
    sigma = torch.exp(0.5 * logvar)
    acc = torch.full((x.shape[0],), -float("inf"), device=x.device)
    for i0 in range(0, k, chunk):
        m = min(chunk, k - i0)
        eps = torch.randn(m, *mu.shape, device=x.device)  # (m, B, latent): sample-major rows
        z = mu + sigma * eps
        logits = model.decode_logits(z.view(-1, z.shape[-1])).view(m, *x.shape)
        nll = F.binary_cross_entropy_with_logits(logits, x.expand(m, *x.shape),
                                                 reduction="none").sum(-1)  # (m, B)
        log_w = 0.5 * (eps.square().sum(-1) - z.square().sum(-1)) - nll
        acc = torch.logsumexp(torch.cat([acc.unsqueeze(0), log_w]), dim=0)
    return acc - math.log(k) + 0.5 * logvar.sum(-1)


def mode_iwae(device):
    # The first test images binarized (as `latent eval` scores a binarized run; latent draws its
    # own pixels, which changes the numbers but not the work).
    grey, source = first_test_images(ARGS.images)
    if grey.shape[0] < ARGS.images:
        sys.exit(f"pytorch_vae.py: --images {ARGS.images}: {ARGS.data} holds only "
                 f"{grey.shape[0]} test images")
    x = torch.bernoulli(grey).to(device).contiguous()
    model, _, params = make_model(device)
    model.eval()
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    sync()
    start = time.perf_counter()
    with torch.no_grad():
        log_px = torch.cat([iwae_log_likelihoods(model, x[i:i + IWAE_GROUP], ARGS.samples,
                                                 ARGS.chunk)
                            for i in range(0, x.shape[0], IWAE_GROUP)])
    sync()
    seconds = time.perf_counter() - start
    print(f"pytorch {torch.__version__}, device {device}, threads {torch.get_num_threads()}, "
          f"data {source} (binarized)")
    if device.type == "cpu":
        print(f"blas {blas_library()}")
    print(f"pytorch {ARGS.model} ({params} parameters) iwae: {x.shape[0]} images, "
          f"k {ARGS.samples} in chunks of {min(ARGS.chunk, ARGS.samples)}: "
          f"mean nll {-log_px.mean().item():.3f} nats")
    print(f"images_per_s {x.shape[0] / seconds:.3f}")
    print(f"iwae_s {seconds:.4f}")


def mode_train(device):
    train_x = load_images(ARGS.data, "train").to(device)
    test_x = load_images(ARGS.data, "t10k").to(device)
    model, loss_fn, _ = make_model(device)
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
            total += train_step(model, loss_fn, opt, train_x[order[i:i + bs]]).item()
        train_loss = total / train_x.shape[0]

        # Test loss as the example computes it: summed loss over the test set / number of images.
        # The example's reparameterize samples z in eval mode too, so this does as well.
        model.eval()
        test_total = 0.0
        with torch.no_grad():
            for i in range(0, test_x.shape[0], bs):
                x = test_x[i:i + bs]
                recon, mu, logvar = model(x)
                test_total += loss_fn(recon, x, mu, logvar).item()
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
    elif ARGS.mode == "iwae":
        mode_iwae(device)
    else:
        mode_train(device)


if __name__ == "__main__":
    main()
