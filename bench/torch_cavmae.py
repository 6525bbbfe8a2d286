"""The same CAV-MAE encoder forward in PyTorch, for `npm run bench`'s baseline.

Written from ../shared/cavmae-spec.md (not the official code, which needs timm): pre-norm ViT
blocks, fused qkv, exact GELU, LayerNorm eps 1e-5, 11 modality blocks + 1 joint block, mean-pool,
L2 normalise. Random weights: timing does not depend on values. Prints one JSON line.
usage: python3 torch_cavmae.py THREADS RUNS
"""
import json
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

D, H, MLP, DEPTH = 768, 12, 3072, 11


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.qkv, self.proj = nn.Linear(D, 3 * D), nn.Linear(D, D)
        self.fc1, self.fc2 = nn.Linear(D, MLP), nn.Linear(MLP, D)

    def forward(self, x):
        b, n, _ = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(b, n, 3, H, D // H).permute(2, 0, 3, 1, 4)
        a = ((q @ k.transpose(-2, -1)) * (D // H) ** -0.5).softmax(-1)
        x = x + self.proj((a @ v).transpose(1, 2).reshape(b, n, D))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class Encoder(nn.Module):
    def __init__(self, chans, tokens):
        super().__init__()
        self.patch = nn.Conv2d(chans, D, 16, 16)
        self.pos = nn.Parameter(torch.randn(1, tokens, D) * 0.02)
        self.blocks = nn.ModuleList([Block() for _ in range(DEPTH + 1)])
        self.norm = nn.LayerNorm(D)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2) + self.pos
        for blk in self.blocks:
            x = blk(x)
        return F.normalize(self.norm(x).mean(1), dim=-1)


def peak_rss_mib():
    """VmHWM of this process image (getrusage's maxrss survives fork+exec and would report the parent's)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(model, x, runs):
    with torch.inference_mode():
        model(x)
        wall = []
        c0 = time.process_time()
        for _ in range(runs):
            t = time.perf_counter()
            model(x)
            wall.append((time.perf_counter() - t) * 1000)
        cpu = (time.process_time() - c0) * 1000 / runs
    wall.sort()
    return {"medianMs": wall[len(wall) // 2], "bestMs": wall[0], "cpuMsPerRun": cpu}


def main():
    threads, runs = int(sys.argv[1]), int(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    audio = Encoder(1, 512).eval()
    visual = Encoder(3, 196).eval()
    result = {
        "threads": threads,
        "torch": torch.__version__,
        "audio": measure(audio, torch.randn(1, 1, 128, 1024), runs),
        "visual": measure(visual, torch.randn(1, 3, 224, 224), runs),
        "peakRssMiB": peak_rss_mib(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
