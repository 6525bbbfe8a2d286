#!/usr/bin/env python3
"""Golden-file generator for the CAV-MAE Sync converter tests.

Runs the OFFICIAL CAV-MAE Sync code (edsonroteia/cav-mae-sync, commit 21d15c2):
the model `src/models/cav_mae_sync.py` (class `CAVMAE`, exported as
`CAVMAESync`) and the retrieval audio path of `src/dataloader_sync.py`
(`AudiosetDataset.__getitem__` in 'retrieval' mode: `_wav2fbank`,
`map_frame_to_spectrogram`, `(fbank - mean) / std`). The models are small and
every state-dict tensor is randomised. It writes the checkpoints, the shared
audio inputs and the reference outputs (.npy) that the TypeScript side is
tested against, under tests/fixtures/sync/.

The official code is NOT part of this repository. Export it first:

    mkdir -p /tmp/sync-official
    git -C <cav-mae-sync clone> archive 21d15c2 src | tar -x -C /tmp/sync-official

then run (Debian's Python with torch 1.13 / torchaudio 0.13; timm is NOT
needed, the timm 0.4.5 shim of make_cavmae_goldens.py is installed in-process;
torchvision is shimmed only when it is absent, because the retrieval path
never uses it here):

    /usr/bin/python3 scripts/goldens/make_sync_goldens.py --official /tmp/sync-official/src

Options: --out DIR (default tests/fixtures/sync), --only NAME (one variant),
--full-size OUTDIR [--skip-small] (a full-size random release-layout
checkpoint plus goldens for 3 audio cases and 1 image, written outside the
repo; --full-embed-dim / --full-heads shrink it for a smoke run).

Audio case (S, K): samples [round(16000 S), round(16000 S) + 160000) of
inputs/clip.wav (fewer at the end of the file) are written to a 16-bit 16 kHz
wav, which the official dataset loads; the case's input is its frame K
(rows `map_frame_to_spectrogram(K, 16, 1024, 416)` of the padded fbank,
normalised with mean -5.081 and std 4.4849).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import csv
import hashlib
import io
import json
import math
import os
import shutil
import sys
import tempfile
import types
import wave
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_cavmae_goldens import (  # noqa: E402  (shared helpers of the CAV-MAE generator)
    folder_size, install_timm_shim, quiet, save_npy, sha256, strip_module,
    randomise_ as cavmae_randomise_,
)

OFFICIAL_REPO = "edsonroteia/cav-mae-sync"
OFFICIAL_COMMIT = "21d15c2"
OFFICIAL_FILES = ["models/cav_mae_sync.py", "models/pos_embed.py", "dataloader_sync.py"]

SAMPLE_RATE = 16000
CLIP_SECONDS = 20.0
SEGMENT_SAMPLES = 160000  # 10 s per retrieval window
CLIP_SEED = 20250611

# The audio configuration retrieval.py passes to dataloader_sync.AudiosetDataset
# (target_length 416 for total_frame 16; 'num_samples' left out = all).
AUDIO_CONF = {"num_mel_bins": 128, "target_length": 416, "freqm": 0, "timem": 0, "mixup": 0,
              "dataset": "vggsound", "mode": "retrieval", "mean": -5.081, "std": 4.4849,
              "noise": False, "im_res": 224, "frame_use": 5, "total_frame": 16}
AUDIO_LENGTH = AUDIO_CONF["target_length"]
TOTAL_FRAME = AUDIO_CONF["total_frame"]
AUDIO_PATCHES = (128 // 16) * (AUDIO_LENGTH // 16)  # 8 x 26 = 208
VISUAL_PATCHES = 14 * 14

# (start seconds, frame index). Cases 0 and 1 give the same rows 0-415 (clamped at the start).
CASES = [(0.0, 0), (0.0, 3), (0.0, 8), (0.0, 15), (2.5, 5), (3.03125, 12), (13.7, 8), (13.7, 15), (10.0, 1)]
TOKEN_CASES = [2, 3]  # audio_tokens.npy holds these cases (0 and 1 are the same input)
VISUAL_ITEMS = [0, 1]  # of tests/fixtures/cavmae/inputs/visual.npy
FULL_CASES = [2, 4, 7]  # plain, fractional start, tail window with padding
FULL_VISUAL_ITEMS = [0]

# Small variants, all cls_token=True, audio_length=416, total_frame=16, 224 px, patch 16.
VARIANTS = [
    # The released model's layout: 11 + 1 blocks, 8 registers per modality, no contrastive heads.
    dict(name="sync-d32-r8", embed_dim=32, num_heads=1, msd=11, registers=8, contrastive_heads=False,
         seed=2101),
    # 2 heads, 4 registers, contrastive heads (2 plain-norm blocks per modality after the joint block).
    dict(name="sync-d32-h2-r4-ch", embed_dim=32, num_heads=2, msd=11, registers=4, contrastive_heads=True,
         seed=2102),
    # 10 + 2 blocks: the official forward_feat applies only the LAST joint block.
    dict(name="sync-d32-10x2", embed_dim=32, num_heads=1, msd=10, registers=8, contrastive_heads=False,
         seed=2103),
]
TINY_DECODER = dict(decoder_embed_dim=16, decoder_depth=1, decoder_num_heads=1)
FULL_DECODER = dict(decoder_embed_dim=512, decoder_depth=8, decoder_num_heads=16)


# --------------------------------------------------------------------------
# official code
# --------------------------------------------------------------------------
def install_torchvision_shim() -> bool:
    """dataloader_sync.py imports torchvision.transforms for its image pipeline, which the
    audio-only use here never runs. Shim it only when torchvision is absent. Returns True if shimmed."""
    try:
        import torchvision.transforms  # noqa: F401
        return False
    except ImportError:
        pass

    class _Unused:
        def __init__(self, *args, **kwargs):
            self.args, self.kwargs = args, kwargs

        def __call__(self, *args, **kwargs):
            raise RuntimeError("torchvision shim: the image pipeline must not run in the golden generator")

    tv = types.ModuleType("torchvision")
    tr = types.ModuleType("torchvision.transforms")
    for name in ("Compose", "RandomResizedCrop", "RandomHorizontalFlip", "ToTensor", "Normalize",
                 "Resize", "CenterCrop"):
        setattr(tr, name, type(name, (_Unused,), {}))
    tv.transforms = tr
    tv.__version__ = "absent-shim"
    sys.modules.update({"torchvision": tv, "torchvision.transforms": tr})
    return True


def import_official(official_src: str):
    """Import the official model class and dataset class from an exported src/ folder."""
    path = os.path.abspath(official_src)
    for rel in OFFICIAL_FILES:
        if not os.path.isfile(os.path.join(path, rel)):
            sys.exit(f"--official {official_src}: no {rel} there (export src/ of {OFFICIAL_REPO} {OFFICIAL_COMMIT})")
    install_timm_shim()
    shimmed_tv = install_torchvision_shim()
    if "float" not in np.__dict__:  # np.float alias (removed in NumPy 1.24), in case pos_embed.py needs it
        np.float = float  # type: ignore[attr-defined]
    sys.path.insert(0, path)
    from models.cav_mae_sync import CAVMAE as CAVMAESync  # noqa: E402
    from models.pos_embed import get_1d_sincos_pos_embed_from_grid  # noqa: E402
    import dataloader_sync  # noqa: E402
    sources = OrderedDict((rel, sha256(os.path.join(path, rel))) for rel in OFFICIAL_FILES)
    return CAVMAESync, dataloader_sync, get_1d_sincos_pos_embed_from_grid, sources, shimmed_tv


# --------------------------------------------------------------------------
# audio: synthetic clip, per-case official inputs
# --------------------------------------------------------------------------
def synth_clip(seed: int) -> np.ndarray:
    """20 s of deterministic synthetic sound (int16): tones, chirps, noise bursts, a harmonic
    complex, a quiet stretch and clicks over a low noise floor and a low rumble, plus a small DC offset."""
    sr = SAMPLE_RATE
    n = int(CLIP_SECONDS * sr)
    t = np.arange(n, dtype=np.float64) / sr
    rng = np.random.default_rng(seed)
    x = np.zeros(n, dtype=np.float64)

    def span(a: float, b: float) -> slice:
        return slice(int(round(a * sr)), int(round(b * sr)))

    def env(m: int, ramp: int = 160) -> np.ndarray:
        e = np.ones(m)
        r = min(ramp, m // 2)
        w = 0.5 - 0.5 * np.cos(np.pi * np.arange(r) / r)
        e[:r] *= w
        e[m - r:] *= w[::-1]
        return e

    # noise floor (about -50 dBFS), never digital silence
    x += 0.003 * rng.standard_normal(n)
    # low rumble (white noise through two one-pole low-passes at 150 Hz, peak 0.05, slow swell): without it,
    # pre-emphasis leaves the lowest mel bands of the quiet parts near the log floor (ln eps), where
    # float32 rounding differences between fbank implementations are largest
    rumble = rng.standard_normal(n)
    pole = math.exp(-2 * math.pi * 150 / sr)
    for _ in range(2):
        state = 0.0
        for i in range(n):
            state = (1 - pole) * rumble[i] + pole * state
            rumble[i] = state
    x += 0.05 * rumble / np.abs(rumble).max() * (0.8 + 0.2 * np.sin(2 * np.pi * t / 7.0))
    # 0-2 s: stepped tones, 0.25 s each
    for i, f in enumerate([220, 440, 660, 880, 1320, 1760, 2640, 3520]):
        s = span(0.25 * i, 0.25 * (i + 1))
        m = s.stop - s.start
        x[s] += 0.2 * env(m) * np.sin(2 * np.pi * f * t[s])
    # 2-5 s: linear chirp 150 -> 7000 Hz
    s = span(2.0, 5.0)
    tt = t[s] - 2.0
    x[s] += 0.15 * env(len(tt)) * np.sin(2 * np.pi * (150 * tt + 0.5 * (7000 - 150) / 3.0 * tt ** 2))
    # 5-8 s: 80 ms noise bursts at irregular times, each with its own spectral tilt
    for k, start in enumerate(np.cumsum(0.25 + 0.25 * rng.random(12)) + 5.0):
        if start + 0.08 > 8.0:
            break
        s = span(start, start + 0.08)
        m = s.stop - s.start
        burst = rng.standard_normal(m)
        a = 0.9 if k % 2 == 0 else -0.6  # one-pole: low-pass-ish or high-pass-ish
        for j in range(1, m):
            burst[j] += a * burst[j - 1]
        burst /= np.abs(burst).max()
        x[s] += 0.25 * env(m, 32) * burst
    # 8-11 s: harmonic complex, f0 150 Hz with 5 Hz vibrato, amplitude rising, 4 Hz tremolo
    s = span(8.0, 11.0)
    tt = t[s] - 8.0
    phase = 2 * np.pi * (150 * tt - 10.0 / (2 * np.pi * 5) * np.cos(2 * np.pi * 5 * tt))
    sig = sum(np.sin(h * phase) / h for h in range(1, 13))
    x[s] += 0.08 * env(len(tt)) * (0.3 + 0.7 * tt / 3.0) * (0.75 + 0.25 * np.sin(2 * np.pi * 4 * tt)) * sig
    # 11-13 s: quiet, one decaying 3 kHz ping at 12 s
    s = span(12.0, 12.6)
    tt = t[s] - 12.0
    x[s] += 0.2 * np.exp(-tt / 0.08) * np.sin(2 * np.pi * 3000 * tt)
    # 13-17 s: exponential chirp down 6000 -> 100 Hz, clicks every 0.5 s
    s = span(13.0, 17.0)
    tt = t[s] - 13.0
    k_exp = math.log(100 / 6000) / 4.0
    x[s] += 0.15 * env(len(tt)) * np.sin(2 * np.pi * 6000 * (np.exp(k_exp * tt) - 1) / k_exp)
    for c in np.arange(13.25, 17.0, 0.5):
        i0 = int(round(c * sr))
        x[i0:i0 + 24] += 0.4 * np.exp(-np.arange(24) / 6.0) * (1 if int(c * 2) % 2 else -1)
    # 17-20 s: alternating two-tone chords every 0.4 s over fading pink-ish noise
    chords = [(330, 495), (523, 784), (262, 1047), (440, 554)]
    for i, c0 in enumerate(np.arange(17.0, 20.0, 0.4)):
        s = span(c0, min(c0 + 0.4, 20.0))
        m = s.stop - s.start
        f1, f2 = chords[i % len(chords)]
        x[s] += 0.12 * env(m) * (np.sin(2 * np.pi * f1 * t[s]) + np.sin(2 * np.pi * f2 * t[s]))
    s = span(17.0, 20.0)
    pink = np.cumsum(rng.standard_normal(s.stop - s.start))
    pink -= np.convolve(pink, np.ones(401) / 401, mode="same")
    x[s] += 0.02 * (pink / np.abs(pink).max()) * np.linspace(1.0, 0.0, s.stop - s.start)
    # small DC offset: each window removes its own mean
    x += 0.01
    assert np.abs(x).max() < 0.9
    return np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)


def write_wav(path: str, samples: np.ndarray) -> None:
    """16 kHz mono 16-bit PCM."""
    assert samples.dtype == np.int16 and samples.ndim == 1
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(samples.astype("<i2").tobytes())


def read_wav(path: str) -> np.ndarray:
    with wave.open(path, "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, SAMPLE_RATE)
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.int16)


def segment_bounds(start_s: float, total: int) -> tuple:
    a = int(round(SAMPLE_RATE * start_s))
    return a, min(a + SEGMENT_SAMPLES, total)


def official_audio_inputs(ds_mod, clip: np.ndarray, cases: list, tmp: str) -> tuple:
    """The official retrieval-mode audio input of every case, via dataloader_sync.AudiosetDataset
    built as retrieval.py builds it, and cross-checked against direct calls of the official
    _wav2fbank / map_frame_to_spectrogram. Returns (float32 [cases, 416, 128], per-case details)."""
    import torchaudio

    starts = sorted({s for s, _ in cases})
    entries = []
    for i, s in enumerate(starts):
        a, b = segment_bounds(s, len(clip))
        wav = os.path.join(tmp, f"segment_{i}.wav")
        write_wav(wav, clip[a:b])
        # torchaudio.load gives exactly the file's samples / 32768
        w, sr = torchaudio.load(wav)
        assert sr == SAMPLE_RATE and w.shape == (1, b - a)
        assert torch.equal(w[0], torch.from_numpy(clip[a:b].astype(np.float32) / 32768.0)), s
        entries.append({"wav": wav, "labels": "m0", "video_id": f"segment_{i}",
                        "video_path": os.path.join(tmp, "no-frames")})
    data_json = os.path.join(tmp, "data.json")
    with open(data_json, "w") as f:
        json.dump({"data": entries}, f)
    label_csv = os.path.join(tmp, "labels.csv")
    with open(label_csv, "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["index", "mid", "display_name"])
        wr.writerow(["0", "m0", "label"])

    with quiet():
        ds = ds_mod.AudiosetDataset(data_json, audio_conf=dict(AUDIO_CONF), label_csv=label_csv)
    per_start = {}
    for i, s in enumerate(starts):
        log = io.StringIO()
        with contextlib.redirect_stdout(log):
            fbanks, _images, _labels, vid, frames = ds[i]
        # the image loads fail (there are no frames) and fall back to zeros; the audio must not fail
        assert "rror" not in log.getvalue(), log.getvalue()
        assert fbanks.shape == (TOTAL_FRAME, AUDIO_LENGTH, 128) and fbanks.dtype == torch.float32
        assert vid == f"segment_{i}" and frames.tolist() == list(range(TOTAL_FRAME))
        per_start[s] = fbanks
    assert ds.failed_image_loadings == TOTAL_FRAME * len(starts)

    pad_value = ((torch.zeros(1) - AUDIO_CONF["mean"]) / AUDIO_CONF["std"]).item()
    out = np.zeros((len(cases), AUDIO_LENGTH, 128), dtype=np.float32)
    details = []
    for c, (s, k) in enumerate(cases):
        a, b = segment_bounds(s, len(clip))
        seg = per_start[s][k]
        # cross-check with direct calls of the official methods (what __getitem__ does per frame)
        fb = ds._wav2fbank(entries[starts.index(s)]["wav"])
        lo, hi = ds.map_frame_to_spectrogram(k, TOTAL_FRAME, fb.shape[0], AUDIO_LENGTH)
        direct = (fb[lo:hi, :] - AUDIO_CONF["mean"]) / AUDIO_CONF["std"]
        assert torch.equal(direct, seg), (s, k)
        n_frames = 1 + (b - a - 400) // 160
        pad_rows = max(0, hi - max(lo, n_frames))
        if pad_rows:
            assert bool((seg[AUDIO_LENGTH - pad_rows:] == pad_value).all()), (s, k)
            assert not bool((seg[AUDIO_LENGTH - pad_rows - 1] == pad_value).all()), (s, k)
        out[c] = seg.numpy()
        details.append(OrderedDict(start=s, frame=k, sample_start=a, samples=b - a,
                                   fbank_frames=n_frames, rows=[lo, hi], padding_rows=pad_rows))
    return out, details, pad_value


# --------------------------------------------------------------------------
# model
# --------------------------------------------------------------------------
def build(cls, v: dict, decoder: dict) -> nn.Module:
    torch.manual_seed(v["seed"])  # construction draws randn (register/cls tokens); all overwritten below
    with quiet():
        model = cls(img_size=224, audio_length=AUDIO_LENGTH, patch_size=16, embed_dim=v["embed_dim"],
                    num_heads=v["num_heads"], modality_specific_depth=v["msd"],
                    num_register_tokens=v["registers"], cls_token=True, total_frame=TOTAL_FRAME,
                    contrastive_heads=v["contrastive_heads"], **decoder)
    return model.eval()


def randomise_(model: nn.Module, seed: int) -> None:
    """make_cavmae_goldens.py's randomisation (sin-cos position tables kept, tr_pos=False), with the
    CLS and register tokens drawn as randn (std 1), the official constructor's scale for registers."""
    cavmae_randomise_(model, seed, random_pos=False,
                      token_std={"cls_token_a": 1.0, "cls_token_v": 1.0, "register_tokens": 1.0})


def check_pos_tables(model: nn.Module, sincos_1d) -> None:
    """Document the audio token order: token n = 26 f + t (f = mel band 0..7, t = time 0..25);
    channels [0, D/2) encode t, [D/2, D) encode f (official get_1d_sincos_pos_embed_from_grid)."""
    d = model.pos_embed_a.shape[-1]
    f_idx, t_idx = np.divmod(np.arange(AUDIO_PATCHES), AUDIO_PATCHES // 8)
    ref = np.concatenate([sincos_1d(d // 2, t_idx.astype(np.float32)),
                          sincos_1d(d // 2, f_idx.astype(np.float32))], axis=1)
    assert np.array_equal(model.pos_embed_a.detach()[0].numpy(), ref.astype(np.float32))


def run_goldens(model: nn.Module, audio: torch.Tensor, visual: torch.Tensor, token_cases: list,
                visual_items: int) -> "OrderedDict[str, torch.Tensor]":
    """One official forward_feat call. forward_feat expands both CLS/register tokens to the audio
    batch size, so the visual batch is the images repeated to the number of audio cases."""
    n = audio.shape[0]
    vis = visual[[i % visual_items for i in range(n)]]
    with torch.no_grad():
        ca, cv, cls_a, cls_v = model.forward_feat(audio, vis)
    assert ca.shape == (n, AUDIO_PATCHES, ca.shape[-1]) and cv.shape == (n, VISUAL_PATCHES, ca.shape[-1])
    for i in range(visual_items, n):  # the same image in another batch row
        assert torch.allclose(cv[i], cv[i % visual_items], atol=1e-5), i
    out = OrderedDict()
    out["audio_cls"] = F.normalize(cls_a, dim=-1)
    out["audio_tokens"] = ca[token_cases]
    out["visual_cls"] = F.normalize(cls_v[:visual_items], dim=-1)
    out["visual_tokens"] = cv[:visual_items]
    return out


class _Chain(nn.Module):
    """The joint blocks applied one after another (what a naive port would do)."""

    def __init__(self, blocks: nn.ModuleList):
        super().__init__()
        self.blocks = blocks

    def forward(self, x, modality=None):
        for blk in self.blocks:
            x = blk(x, modality)
        return x


def maxdiff(a: "OrderedDict[str, torch.Tensor]", b: "OrderedDict[str, torch.Tensor]") -> dict:
    return {k: float((a[k] - b[k]).abs().max()) for k in a}


def sensitivity(model: nn.Module, v: dict, audio: torch.Tensor, visual: torch.Tensor, gold, token_cases,
                visual_items: int, pad_value: float) -> "OrderedDict[str, dict]":
    """max |Δ| of each golden under a plausible porting mistake, made with edits of the official
    model (weights or attributes) so that the official forward_feat still does the computing."""
    res = OrderedDict()

    def run(m, a=audio):
        return run_goldens(m, a, visual, token_cases, visual_items)

    m = copy.deepcopy(model)
    m.num_register_tokens = 0
    res["no_register_tokens"] = maxdiff(gold, run(m))

    m = copy.deepcopy(model)
    with torch.no_grad():
        r = v["registers"]
        m.register_tokens.copy_(torch.cat([model.register_tokens[r:], model.register_tokens[:r]]))
    res["audio_visual_registers_swapped"] = maxdiff(gold, run(m))

    m = copy.deepcopy(model)
    with torch.no_grad():
        m.norm_a.load_state_dict(model.norm.state_dict())
        m.norm_v.load_state_dict(model.norm.state_dict())
    res["norm_instead_of_norm_a_v"] = maxdiff(gold, run(m))

    m = copy.deepcopy(model)
    with torch.no_grad():
        for blk in m.blocks_u:
            blk.norm1_a.load_state_dict(blk.norm1.state_dict())
            blk.norm2_a.load_state_dict(blk.norm2.state_dict())
            blk.norm1_v.load_state_dict(blk.norm1.state_dict())
            blk.norm2_v.load_state_dict(blk.norm2.state_dict())
    res["joint_block_norm1_norm2_instead_of_a_v"] = maxdiff(gold, run(m))

    m = copy.deepcopy(model)
    for mod in m.modules():
        if isinstance(mod, nn.LayerNorm):
            mod.eps = 1e-6
    res["layernorm_eps_1e-6"] = maxdiff(gold, run(m))

    bad = audio.clone()
    bad[bad == pad_value] = 0.0
    res["padding_rows_0_instead_of_1.13291"] = maxdiff(gold, run(model, bad))

    if v["contrastive_heads"]:
        m = copy.deepcopy(model)
        m.contrastive_heads = False
        res["contrastive_heads_skipped"] = maxdiff(gold, run(m))
        m = copy.deepcopy(model)
        with torch.no_grad():
            for blk in list(m.constrative_head_audio) + list(m.constrative_head_visual):
                blk.norm1.load_state_dict(blk.norm1_a.state_dict())
                blk.norm2.load_state_dict(blk.norm2_a.state_dict())
        res["contrastive_heads_norm1_a_instead_of_norm1"] = maxdiff(gold, run(m))

    if len(model.blocks_u) > 1:
        m = copy.deepcopy(model)
        m.blocks_u = nn.ModuleList([_Chain(m.blocks_u)])
        res["joint_blocks_applied_in_sequence"] = maxdiff(gold, run(m))
    return res


# --------------------------------------------------------------------------
# one variant
# --------------------------------------------------------------------------
def make_variant(cls, sincos_1d, v: dict, decoder: dict, out_dir: str, audio_np: np.ndarray,
                 visual_np: np.ndarray, token_cases: list, inputs: dict, provenance: dict,
                 pad_value: float, with_sensitivity: bool = True) -> dict:
    os.makedirs(out_dir, exist_ok=True)
    model = build(cls, v, decoder)
    check_pos_tables(model, sincos_1d)
    randomise_(model, v["seed"])

    saved = torch.nn.DataParallel(model).state_dict()  # keys "module.*", like the released file
    saved = OrderedDict((k, t.detach().clone()) for k, t in saved.items())
    ckpt = os.path.join(out_dir, "checkpoint.pth")
    torch.save(saved, ckpt)

    audio = torch.from_numpy(audio_np)
    visual = torch.from_numpy(visual_np)
    nvis = visual.shape[0]
    gold = run_goldens(model, audio, visual, token_cases, nvis)

    # --- self-check: reload the file into a fresh official model and recompute ---
    loaded = torch.load(ckpt, map_location="cpu")
    assert list(loaded.keys()) == list(saved.keys())
    fresh = build(cls, v, decoder)
    fresh.load_state_dict(strip_module(loaded), strict=True)
    again = run_goldens(fresh, audio, visual, token_cases, nvis)
    for k in gold:
        assert torch.equal(gold[k], again[k]), f"{v['name']}: {k} differs after reload"

    # --- quirks, checked on the official code ---
    quirks = OrderedDict()
    # forward_feat squeezes the CLS row: a batch of one gives [D], not [1, D]
    with torch.no_grad():
        one = fresh.forward_feat(audio[token_cases[:1]], visual[:1])
    quirks["cls_shape_batch_1"] = list(one[2].shape)
    assert list(one[2].shape) == [v["embed_dim"]] and list(one[0].shape) == [1, AUDIO_PATCHES, v["embed_dim"]]
    assert torch.allclose(F.normalize(one[2], dim=-1), gold["audio_cls"][token_cases[0]], atol=1e-5)
    if len(model.blocks_u) > 1:
        # only the last joint block is applied (to the modality-specific output)
        last = copy.deepcopy(model)
        last.blocks_u = nn.ModuleList([last.blocks_u[-1]])
        got = run_goldens(last, audio, visual, token_cases, nvis)
        for k in gold:
            assert torch.equal(gold[k], got[k]), f"{v['name']}: last-joint-block quirk does not hold for {k}"
        quirks["joint_blocks_applied"] = f"only blocks_u.{len(model.blocks_u) - 1} (the last)"

    files = OrderedDict()
    files["checkpoint"] = {"path": "checkpoint.pth", "format": "torch-zip", "bytes": os.path.getsize(ckpt),
                           "sha256": sha256(ckpt)}
    for k, t in gold.items():
        p = os.path.join(out_dir, f"{k}.npy")
        shape = save_npy(p, t)
        files[k] = {"path": f"{k}.npy", "shape": shape, "sha256": sha256(p)}
    files["audio_tokens"]["cases"] = token_cases
    files["visual_cls"]["items"] = files["visual_tokens"]["items"] = list(range(nvis))

    keys = list(saved.keys())
    dec_keys = [k for k in keys if k.startswith("module.decoder_") or k == "module.mask_token"]
    meta = OrderedDict(
        variant=v["name"], model="CAVMAESync (cav_mae_sync.CAVMAE)",
        config=OrderedDict(embed_dim=v["embed_dim"], num_heads=v["num_heads"], modality_specific_depth=v["msd"],
                           joint_depth=12 - v["msd"], num_register_tokens=v["registers"], cls_token=True,
                           contrastive_heads=v["contrastive_heads"], keep_register_tokens=False,
                           audio_length=AUDIO_LENGTH, total_frame=TOTAL_FRAME, img_size=224, patch_size=16,
                           audio_grid=[8, AUDIO_LENGTH // 16], visual_grid=[14, 14], layernorm_eps=1e-5,
                           decoder=OrderedDict(embed_dim=decoder["decoder_embed_dim"],
                                               depth=decoder["decoder_depth"],
                                               num_heads=decoder["decoder_num_heads"])),
        dtype="float32", key_prefix="module.", num_keys=len(keys), num_encoder_keys=len(keys) - len(dec_keys),
        num_decoder_keys=len(dec_keys), num_values=int(sum(t.numel() for t in saved.values())),
        pos_embed="sincos", inputs=inputs, files=files,
        outputs=OrderedDict(
            audio_cls="F.normalize(cls_a) with cls_a = norm_a(ca[:, 0]) of forward_feat, one row per case",
            audio_tokens="forward_feat's ca = norm_a(ca[:, 1:]) (CLS dropped, registers already dropped)",
            visual_cls="F.normalize(cls_v), cls_v = norm_v(cv[:, 0])",
            visual_tokens="forward_feat's cv = norm_v(cv[:, 1:])"),
        quirks=quirks, seed=v["seed"],
        stats={k: {"absmax": float(t.abs().max()), "std": float(t.std())} for k, t in gold.items()},
        **provenance,
    )
    if with_sensitivity:
        meta["sensitivity_max_abs_diff"] = sensitivity(model, v, audio, visual, gold, token_cases, nvis, pad_value)
    with open(os.path.join(out_dir, "golden.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    return meta


def write_inputs(out: str, clip: np.ndarray, cases: list, audio: np.ndarray, details: list,
                 pad_value: float, visual_ref: dict) -> None:
    inp = os.path.join(out, "inputs")
    os.makedirs(inp, exist_ok=True)
    write_wav(os.path.join(inp, "clip.wav"), clip)
    assert np.array_equal(read_wav(os.path.join(inp, "clip.wav")), clip)
    with open(os.path.join(inp, "cases.json"), "w") as f:
        json.dump([{"start": s, "frame": k} for s, k in cases], f, indent=2)
        f.write("\n")
    save_npy(os.path.join(inp, "audio_inputs.npy"), audio)
    meta = OrderedDict(
        clip=OrderedDict(path="clip.wav", sample_rate=SAMPLE_RATE, channels=1, bits=16,
                         samples=int(len(clip)), seconds=len(clip) / SAMPLE_RATE,
                         sha256=sha256(os.path.join(inp, "clip.wav")), seed=CLIP_SEED),
        audio_inputs=OrderedDict(path="audio_inputs.npy", shape=list(audio.shape),
                                 sha256=sha256(os.path.join(inp, "audio_inputs.npy"))),
        procedure=("case (S, K): samples [round(16000 S), round(16000 S) + 160000) of clip.wav (fewer at the end), "
                   "written as a 16-bit 16 kHz wav; official AudiosetDataset.__getitem__ in 'retrieval' mode "
                   "(torchaudio.load, minus the segment's own mean, kaldi fbank, zero-pad/cut to 1024 rows, "
                   "rows map_frame_to_spectrogram(K, 16, 1024, 416), (x + 5.081) / 4.4849)"),
        audio_conf=AUDIO_CONF, padding_value=pad_value, cases=details, visual=visual_ref,
    )
    with open(os.path.join(inp, "inputs.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")


def main() -> None:
    repo_root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--official", required=True, help="path of the exported official cav-mae-sync src/ folder")
    ap.add_argument("--out", default=os.path.join(repo_root, "tests", "fixtures", "sync"))
    ap.add_argument("--visual", default=os.path.join(repo_root, "tests", "fixtures", "cavmae", "inputs", "visual.npy"),
                    help="the shared [2,3,224,224] image inputs of the CAV-MAE fixtures")
    ap.add_argument("--only", action="append", help="variant name(s) to (re)generate; default all")
    ap.add_argument("--full-size", metavar="OUTDIR", help="also (or only, with --skip-small) write a full-size model")
    ap.add_argument("--full-embed-dim", type=int, default=768)
    ap.add_argument("--full-heads", type=int, default=12)
    ap.add_argument("--skip-small", action="store_true", help="do not write the small fixtures")
    args = ap.parse_args()

    torch.set_grad_enabled(False)
    import torchaudio

    cls, ds_mod, sincos_1d, sources, shimmed_tv = import_official(args.official)
    provenance = OrderedDict(
        torch_version=torch.__version__, torchaudio_version=torchaudio.__version__, numpy_version=np.__version__,
        official_repo=OFFICIAL_REPO, official_commit=OFFICIAL_COMMIT, official_sha256=sources,
        torchvision="shim (absent, unused)" if shimmed_tv else sys.modules["torchvision"].__version__,
        generator="scripts/goldens/make_sync_goldens.py",
    )
    visual_all = np.load(args.visual)
    assert visual_all.dtype == np.float32 and visual_all.shape == (2, 3, 224, 224), visual_all.shape
    visual_sha = sha256(args.visual)

    clip = synth_clip(CLIP_SEED)
    tmp = tempfile.mkdtemp(prefix="sync-goldens-")
    try:
        audio, details, pad_value = official_audio_inputs(ds_mod, clip, CASES, tmp)
    finally:
        shutil.rmtree(tmp)
    assert np.array_equal(audio[0], audio[1]), "cases 0 and 1 must give the same input (rows 0-415)"
    assert not np.array_equal(audio[0], audio[8])  # (10.0, 1): the same rows of another window

    if not args.skip_small:
        # relative to inputs/ and to each variant folder (both one level below --out)
        vis_rel = os.path.relpath(os.path.abspath(args.visual), os.path.abspath(os.path.join(args.out, "inputs")))
        vis_rel = vis_rel.replace(os.sep, "/")
        visual_ref = OrderedDict(path=vis_rel, items=VISUAL_ITEMS, sha256=visual_sha)
        write_inputs(args.out, clip, CASES, audio, details, pad_value, visual_ref)
        inputs = OrderedDict(clip="../inputs/clip.wav", cases="../inputs/cases.json",
                             audio="../inputs/audio_inputs.npy", visual=vis_rel,
                             visual_items=VISUAL_ITEMS, visual_sha256=visual_sha)
        names = [v["name"] for v in VARIANTS]
        for n in args.only or []:
            if n not in names:
                sys.exit(f"unknown variant {n}; known: {', '.join(names)}")
        for v in VARIANTS:
            if args.only and v["name"] not in args.only:
                continue
            meta = make_variant(cls, sincos_1d, v, TINY_DECODER, os.path.join(args.out, v["name"]), audio,
                                visual_all[VISUAL_ITEMS], TOKEN_CASES, inputs, provenance, pad_value)
            print(f"{v['name']}: {meta['num_keys']} keys ({meta['num_encoder_keys']} encoder), "
                  f"{meta['num_values']} values, {folder_size(os.path.join(args.out, v['name']))} bytes")
        print(f"total {args.out}: {folder_size(args.out)} bytes")

    if args.full_size:
        d, h = args.full_embed_dim, args.full_heads
        name = "sync-full" if (d, h) == (768, 12) else f"sync-d{d}-h{h}-r8"
        v = dict(name=name, embed_dim=d, num_heads=h, msd=11, registers=8, contrastive_heads=False, seed=7816)
        full_cases = [CASES[i] for i in FULL_CASES]
        full_audio = audio[FULL_CASES]
        full_details = [details[i] for i in FULL_CASES]
        vis_path = os.path.join(args.full_size, "inputs", "visual.npy")
        os.makedirs(os.path.dirname(vis_path), exist_ok=True)
        save_npy(vis_path, visual_all[FULL_VISUAL_ITEMS])
        write_inputs(args.full_size, clip, full_cases, full_audio, full_details, pad_value,
                     OrderedDict(path="visual.npy", items=[0], sha256=sha256(vis_path),
                                 source=f"tests/fixtures/cavmae/inputs/visual.npy items {FULL_VISUAL_ITEMS}"))
        inputs = OrderedDict(clip="../inputs/clip.wav", cases="../inputs/cases.json",
                             audio="../inputs/audio_inputs.npy", visual="../inputs/visual.npy", visual_items=[0],
                             visual_sha256=sha256(vis_path))
        meta = make_variant(cls, sincos_1d, v, FULL_DECODER, os.path.join(args.full_size, name), full_audio,
                            visual_all[FULL_VISUAL_ITEMS], list(range(len(FULL_CASES))), inputs, provenance,
                            pad_value, with_sensitivity=False)
        print(f"{name}: {meta['num_keys']} keys ({meta['num_encoder_keys']} encoder), {meta['num_values']} values, "
              f"checkpoint {meta['files']['checkpoint']['bytes']} bytes -> {os.path.join(args.full_size, name)}")


if __name__ == "__main__":
    main()
