#!/usr/bin/python3
"""Golden fixtures for the TypeScript CAV-MAE preprocessing (native-models/preprocess).

Run with Debian's Python, which has torch 1.13 / torchaudio 0.13 / PIL 9.4 / torchvision 0.14:
    /usr/bin/python3 scripts/goldens/make_fbank_goldens.py
Needs ffmpeg (resampling the speech recording) and espeak-ng (the speech itself; skipped if absent).

Audio (tests/fixtures/fbank/):
  <name>.s16          input, 16 kHz mono int16 little-endian; the float input is s16 / 32768, the
                      same scale torchaudio.load gives, so no float32 rounding is lost in storage
  <name>.raw.f32      torchaudio fbank output [n_frames, 128] float32, after clip-mean removal
  <name>.norm.f32     [1024, 128] float32, padded/cut and normalised as the CAV-MAE dataloader does
                      (only for some signals, to keep the fixtures small)
  manifest.json       names, sample counts, frame counts
Images (tests/fixtures/image/):
  <name>.png          input image
  <name>.f32          [3, 224, 224] float32 from PIL → Resize(224, BILINEAR) → CenterCrop(224) →
                      ToTensor → Normalize(ImageNet)
  manifest.json
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torchaudio
from PIL import Image
from torchvision import transforms

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
FBANK_DIR = os.path.join(ROOT, 'tests', 'fixtures', 'fbank')
IMAGE_DIR = os.path.join(ROOT, 'tests', 'fixtures', 'image')
SR = 16000
TARGET = 1024
MEAN, STD = -5.081, 4.4849


def official_fbank(wave: np.ndarray) -> torch.Tensor:
    """CAV-MAE dataloader._wav2fbank for one mono clip (no mixup), returning the raw log-mel."""
    w = torch.from_numpy(wave.astype(np.float32)).unsqueeze(0)
    w = w - w.mean()
    return torchaudio.compliance.kaldi.fbank(
        w, htk_compat=True, sample_frequency=SR, use_energy=False,
        window_type='hanning', num_mel_bins=128, dither=0.0, frame_shift=10)


def model_input(fbank: torch.Tensor) -> torch.Tensor:
    n = fbank.shape[0]
    p = TARGET - n
    if p > 0:
        fbank = torch.nn.ZeroPad2d((0, 0, 0, p))(fbank)
    elif p < 0:
        fbank = fbank[0:TARGET, :]
    return (fbank - MEAN) / STD


def to_s16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 32768.0), -32768, 32767).astype('<i2')


def speech_samples() -> np.ndarray | None:
    espeak = shutil.which('espeak-ng')
    if espeak is None:
        print('espeak-ng not found: skipping the speech golden', file=sys.stderr)
        return None
    with tempfile.TemporaryDirectory() as tmp:
        wav = os.path.join(tmp, 'speech.wav')
        subprocess.run([espeak, '-w', wav, 'The quick brown fox jumps over the lazy dog, twice.'], check=True)
        raw = subprocess.run(['ffmpeg', '-nostdin', '-v', 'error', '-i', wav, '-ac', '1', '-ar', str(SR),
                              '-f', 's16le', 'pipe:1'], check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype='<i2').astype(np.float32) / 32768.0


def make_audio() -> None:
    os.makedirs(FBANK_DIR, exist_ok=True)
    rng = np.random.default_rng(1234)
    t = lambda sec: np.arange(int(round(sec * SR))) / SR  # noqa: E731
    signals: list[tuple[str, np.ndarray, bool]] = []
    signals.append(('silence', np.zeros(SR), False))
    tt = t(1.5)
    signals.append(('tones', 0.4 * np.sin(2 * np.pi * 440 * tt) + 0.2 * np.sin(2 * np.pi * 3000 * tt) + 0.05, True))
    signals.append(('clipped_noise', np.clip(rng.normal(0, 0.8, SR), -1.0, 32767 / 32768), False))
    tt = t(2.0)
    f0, f1 = 20.0, 8000.0
    phase = 2 * np.pi * (f0 * tt + (f1 - f0) / (2 * 2.0) * tt ** 2)
    signals.append(('chirp', 0.5 * np.sin(phase), False))
    tt = t(0.3)
    signals.append(('short_0p3s', 0.3 * np.sin(2 * np.pi * 1000 * tt) + 0.01 * rng.normal(size=tt.size), True))
    tt = t(12.0)
    env = 0.5 + 0.5 * np.sin(2 * np.pi * 0.25 * tt)
    signals.append(('long_12s', env * 0.3 * np.sin(2 * np.pi * 220 * tt) + 0.02 * rng.normal(size=tt.size), True))
    tt = t(10.0)
    bursts = (np.floor(tt * 2) % 2 == 0) * 0.2 * rng.normal(size=tt.size)
    signals.append(('ten_seconds', bursts + 0.1 * np.sin(2 * np.pi * 660 * tt) * np.exp(-(tt % 1.0) * 3), True))
    speech = speech_samples()
    if speech is not None:
        signals.append(('speech', speech, True))

    manifest = []
    for name, x, with_norm in signals:
        s16 = to_s16(np.asarray(x, dtype=np.float64))
        s16.tofile(os.path.join(FBANK_DIR, f'{name}.s16'))
        wave = s16.astype(np.float32) / 32768.0
        fb = official_fbank(wave)
        fb.numpy().astype('<f4').tofile(os.path.join(FBANK_DIR, f'{name}.raw.f32'))
        if with_norm:
            model_input(fb).numpy().astype('<f4').tofile(os.path.join(FBANK_DIR, f'{name}.norm.f32'))
        manifest.append({'name': name, 'samples': int(s16.size), 'frames': int(fb.shape[0]), 'norm': with_norm})
        print(f'fbank {name}: {s16.size} samples, {fb.shape[0]} frames')
    with open(os.path.join(FBANK_DIR, 'manifest.json'), 'w') as f:
        json.dump({'sampleRate': SR, 'bins': 128, 'targetFrames': TARGET,
                   'torch': torch.__version__, 'torchaudio': torchaudio.__version__, 'signals': manifest}, f, indent=2)


def make_images() -> None:
    os.makedirs(IMAGE_DIR, exist_ok=True)
    rng = np.random.default_rng(5678)
    images: list[tuple[str, np.ndarray]] = []
    # Red left half, blue right half, with a soft vertical gradient so resampling has work to do.
    a = np.zeros((360, 640, 3), dtype=np.uint8)
    a[:, :320, 0] = 230
    a[:, 320:, 2] = 230
    a[:, :, 1] = np.linspace(0, 80, 360, dtype=np.float64)[:, None].astype(np.uint8)
    images.append(('red_blue_640x360', a))
    # Portrait "photo": smooth gradients plus noise and a few hard edges.
    yy, xx = np.mgrid[0:640, 0:360].astype(np.float64)
    p = np.stack([xx / 360 * 255, yy / 640 * 255, 128 + 100 * np.sin(xx / 17) * np.cos(yy / 23)], axis=-1)
    p += rng.normal(0, 20, p.shape)
    p[200:260, 100:300] = [250, 250, 10]
    images.append(('portrait_360x640', np.clip(np.round(p), 0, 255).astype(np.uint8)))
    # Tiny image: upscaling (80 → 224) where the filter support is not widened.
    images.append(('tiny_100x80', rng.integers(0, 256, (80, 100, 3), dtype=np.uint8)))
    # Short side already 224: torchvision skips the resize, the crop offset is round(88.5) = 88.
    images.append(('noresize_401x224', rng.integers(0, 256, (224, 401, 3), dtype=np.uint8)))

    pipeline = transforms.Compose([
        transforms.Resize(224, interpolation=transforms.InterpolationMode.BILINEAR),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        transforms.Normalize(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)),
    ])
    manifest = []
    for name, arr in images:
        path = os.path.join(IMAGE_DIR, f'{name}.png')
        Image.fromarray(arr, 'RGB').save(path)
        img = Image.open(path).convert('RGB')
        tensor = pipeline(img)
        assert tuple(tensor.shape) == (3, 224, 224)
        tensor.numpy().astype('<f4').tofile(os.path.join(IMAGE_DIR, f'{name}.f32'))
        manifest.append({'name': name, 'width': arr.shape[1], 'height': arr.shape[0]})
        print(f'image {name}: {arr.shape[1]}x{arr.shape[0]}')
    with open(os.path.join(IMAGE_DIR, 'manifest.json'), 'w') as f:
        import PIL
        import torchvision
        json.dump({'pil': PIL.__version__, 'torchvision': torchvision.__version__, 'images': manifest}, f, indent=2)


if __name__ == '__main__':
    make_audio()
    make_images()
