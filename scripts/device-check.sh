#!/usr/bin/env bash
# Accelerator check for fp16 graphs: CUDA vs CPU parity and throughput on a random full-size
# CAV-MAE (scripts/device-check.ts prints one line per figure). Needs an NVIDIA GPU and
# onnxruntime-node's CUDA provider files; `--cpu-only` runs the CPU part anywhere, `--small` uses a
# small random checkpoint. Exit status: 0 OK, 1 parity below 0.9999, 2 no CUDA provider.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | sed 's/^/gpu /'
else
  echo "gpu none (nvidia-smi not found)"
fi
exec node_modules/.bin/node scripts/device-check.ts "$@"
