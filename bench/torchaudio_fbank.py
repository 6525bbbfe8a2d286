#!/usr/bin/python3
"""torchaudio's Kaldi fbank with CAV-MAE's arguments over windows of 16 kHz float32 samples.

Usage: /usr/bin/python3 bench/torchaudio_fbank.py SAMPLES.f32 WINDOW_SAMPLES [REFERENCE_OUT.f32]
Each window is handled as the CAV-MAE dataloader does (clip mean removed, fbank, pad/cut to 1024,
normalise). Prints one JSON line: windows, total milliseconds (1 thread, and torch's default count).
With REFERENCE_OUT, the first two windows' [1024, 128] features are written there for a check.
"""
import json
import sys
import time

import numpy as np
import torch
import torchaudio


def features(w: torch.Tensor) -> torch.Tensor:
    w = w - w.mean()
    fb = torchaudio.compliance.kaldi.fbank(
        w.unsqueeze(0), htk_compat=True, sample_frequency=16000, use_energy=False,
        window_type='hanning', num_mel_bins=128, dither=0.0, frame_shift=10)
    p = 1024 - fb.shape[0]
    fb = torch.nn.ZeroPad2d((0, 0, 0, p))(fb) if p > 0 else fb[:1024]
    return (fb + 5.081) / 4.4849


def main() -> None:
    path, n = sys.argv[1], int(sys.argv[2])
    x = torch.from_numpy(np.fromfile(path, dtype='<f4'))
    windows = [x[i:i + n] for i in range(0, x.numel(), n)]
    result = {'windows': len(windows), 'torch': torch.__version__, 'torchaudio': torchaudio.__version__}
    for threads in sorted({1, torch.get_num_threads()}):
        torch.set_num_threads(threads)
        features(windows[0])  # warm-up
        t0 = time.perf_counter()
        for w in windows:
            features(w)
        result[f'ms_{threads}_threads'] = (time.perf_counter() - t0) * 1000
    if len(sys.argv) > 3:
        torch.stack([features(w) for w in windows[:2]]).numpy().astype('<f4').tofile(sys.argv[3])
    print(json.dumps(result))


if __name__ == '__main__':
    main()
