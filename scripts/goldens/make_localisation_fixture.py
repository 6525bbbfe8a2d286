#!/usr/bin/env python3
"""A crafted CAV-MAE checkpoint whose localisation maps are known in advance.

Starts from the committed random fixture `tests/fixtures/cavmae/pre-d32-11x1/checkpoint.pth`
(official key layout, `module.` prefix, D=32, 11+1 blocks) and edits it so that a token is a
plain function of its patch:

* every block (blocks_a, blocks_v and the joint blocks_u) is the identity: attn.proj and mlp.fc2
  weight and bias are 0, so both residual branches add exactly 0;
* modality_a / modality_v are 0; norm_a / norm_v have weight 1 and bias 0;
* visual patch embedding: dim 0 = s * (mean R - mean B) over the patch (ImageNet-normalised
  input, so pure red gives +4.05 and pure blue -4.76), dim 1 = -dim 0, every other dim 0;
* audio patch embedding: dim 0 = s * (mean of the patch - c), dim 1 = -dim 0, every other dim 0,
  c halfway between the normalised fbank level of digital silence and that of loud white noise
  in the quietest band (band 0, where pre-emphasis removes most of the energy).

With s = 100 the sin-cos position tables (|value| <= 1) barely move a token's direction, so after
norm_a / norm_v every token points along +(1, -1) ("red" or "loud") or -(1, -1) ("blue" or
"silent"), and every map cell is a cosine of about +1 or -1. Loud sound is red.

Padding: a 10-s clip has 998 fbank frames; the 26 padding rows are +1.133 after normalisation,
above c, so the padding tokens (time column 63, and column 62, which is 6 frames of sound and 10
of padding) read as LOUD. No choice of c avoids it: band 0 of loud noise stays below +1.133.

The script checks, on the official model (YuanGongND/cav-mae 68fe8c2, exported as for
make_cavmae_goldens.py) reloaded from the written file, that synthetic inputs give the expected
maps. Fbanks come from torchaudio.compliance.kaldi.fbank with the official arguments (spec §1):
Debian's python3-torchaudio.

    /usr/bin/python3 scripts/goldens/make_localisation_fixture.py --official /tmp/cavmae-official/src
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_cavmae_goldens as cg  # noqa: E402

SCALE = 100.0
SOURCE_VARIANT = "pre-d32-11x1"
SR = 16000
FBANK_MEAN, FBANK_STD = -5.081, 4.4849
NOISE_SEED = 20250101
AUDIO_GRID = (8, 64)
VISUAL_GRID = (14, 14)
# Columns holding only real frames of a 10-s clip (998 frames): column t covers frames [16t, 16t+16).
REAL_COLUMNS = 998 // 16  # 62: columns 0..61


def fbank_input(wave: np.ndarray) -> np.ndarray:
    """The official audio input [1024, 128] of a 16-kHz waveform (spec §1: clip mean removed, kaldi
    fbank with the official arguments, zero rows padded to 1024, (x + 5.081) / 4.4849)."""
    import torchaudio  # only here: the rest of the script needs no torchaudio

    w = torch.from_numpy(wave.astype(np.float32))[None, :]
    w = w - w.mean()
    fb = torchaudio.compliance.kaldi.fbank(w, htk_compat=True, sample_frequency=SR, use_energy=False,
                                           window_type="hanning", num_mel_bins=128, dither=0.0, frame_shift=10)
    fb = F.pad(fb, (0, 0, 0, 1024 - fb.shape[0]))
    return ((fb - FBANK_MEAN) / FBANK_STD).numpy()


def patch_means(x: np.ndarray) -> np.ndarray:
    """[1024, 128] input -> [8, 64] mean of each 16x16 patch, (band, time) as the model reads them."""
    return x.T.reshape(8, 16, 64, 16).mean(axis=(1, 3))


def white(rng, seconds: float, amplitude: float) -> np.ndarray:
    return rng.uniform(-amplitude, amplitude, int(seconds * SR))


def brickwall(wave: np.ndarray, hz: float) -> np.ndarray:
    spec = np.fft.rfft(wave)
    spec[np.fft.rfftfreq(len(wave), 1 / SR) >= hz] = 0
    return np.fft.irfft(spec, len(wave))


def imagenet(rgb: np.ndarray) -> np.ndarray:
    """[224, 224, 3] in [0, 1] -> [3, 224, 224] ImageNet-normalised."""
    return ((rgb - cg.IMAGENET_MEAN) / cg.IMAGENET_STD).transpose(2, 0, 1).astype(np.float32)


def edit(sd: "OrderedDict[str, torch.Tensor]", d: int, c: float) -> "OrderedDict[str, torch.Tensor]":
    out = OrderedDict((k, t.clone()) for k, t in sd.items())
    for k in out:
        if (k.endswith(".attn.proj.weight") or k.endswith(".attn.proj.bias")
                or k.endswith(".mlp.fc2.weight") or k.endswith(".mlp.fc2.bias")):
            out[k].zero_()
    for k in ("module.modality_a", "module.modality_v"):
        out[k].zero_()
    for k in ("module.norm_a", "module.norm_v"):
        out[f"{k}.weight"].fill_(1.0)
        out[f"{k}.bias"].zero_()
    wv = torch.zeros(d, 3, 16, 16)
    wv[0, 0] = SCALE / 256  # + mean of R over the patch
    wv[0, 2] = -SCALE / 256  # - mean of B
    wv[1] = -wv[0]
    out["module.patch_embed_v.proj.weight"] = wv
    out["module.patch_embed_v.proj.bias"] = torch.zeros(d)
    wa = torch.zeros(d, 1, 16, 16)
    wa[0, 0] = SCALE / 256
    wa[1] = -wa[0]
    ba = torch.zeros(d)
    ba[0], ba[1] = -SCALE * c, SCALE * c
    out["module.patch_embed_a.proj.weight"] = wa
    out["module.patch_embed_a.proj.bias"] = ba
    return out


def maps(model, audio: np.ndarray, visual: np.ndarray):
    """Visual map (audio query) and audio map (visual query) as localization.py computes them."""
    with torch.no_grad():
        a, v = model.forward_feat(torch.from_numpy(audio)[None], torch.from_numpy(visual)[None])
    vis = F.cosine_similarity(a.mean(dim=1, keepdim=True), v, dim=-1).reshape(*VISUAL_GRID).numpy()
    aud = F.cosine_similarity(v.mean(dim=1, keepdim=True), a, dim=-1).reshape(*AUDIO_GRID).numpy()
    return vis, aud


def main() -> None:
    repo_root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--official", required=True, help="exported src/ of YuanGongND/cav-mae 68fe8c2")
    ap.add_argument("--out", default=os.path.join(repo_root, "tests", "fixtures", "localisation", "crafted"))
    args = ap.parse_args()
    torch.set_grad_enabled(False)
    cls_pre, cls_ft = cg.import_official(args.official)
    variant = next(v for v in cg.VARIANTS if v["name"] == SOURCE_VARIANT)
    d = variant["embed_dim"]

    # --- levels: what loud noise and silence look like after the real front end ---
    rng = np.random.default_rng(NOISE_SEED)
    broadband = patch_means(fbank_input(white(rng, 10, 0.5)))[:, :REAL_COLUMNS]
    silence = patch_means(fbank_input(np.zeros(10 * SR)))[:, :REAL_COLUMNS]
    noise_band0 = float(broadband[0].mean())
    silence_level = float(silence.mean())
    c = round((noise_band0 + silence_level) / 2, 2)
    pad_level = (0.0 - FBANK_MEAN) / FBANK_STD

    # --- the checkpoint ---
    source = torch.load(os.path.join(repo_root, "tests", "fixtures", "cavmae", SOURCE_VARIANT, "checkpoint.pth"),
                        map_location="cpu")
    crafted = edit(source, d, c)
    os.makedirs(args.out, exist_ok=True)
    ckpt = os.path.join(args.out, "checkpoint.pth")
    torch.save(crafted, ckpt)
    model = cg.build(cls_pre, cls_ft, variant, cg.TINY_DECODER)
    model.load_state_dict(cg.strip_module(torch.load(ckpt, map_location="cpu")), strict=True)

    # --- check (a): loud noise against red in the top rows, left half; blue elsewhere ---
    pic = np.zeros((224, 224, 3), np.float32)
    pic[..., 2] = 1.0
    pic[:56, :112] = (1.0, 0.0, 0.0)  # rows 0..2 and half of row 3, columns 0..6: wider than tall
    vis, _ = maps(model, fbank_input(white(rng, 10, 0.5)), imagenet(pic))
    red_cells = vis[:3, :7]
    blue_cells = np.concatenate([vis[4:, :].ravel(), vis[:, 7:].ravel()])
    assert red_cells.min() > 0.99 and blue_cells.max() < -0.99, vis

    # --- check (b): 5 s of noise below 586 Hz then 5 s of silence, against an all-red picture ---
    red = np.zeros((224, 224, 3), np.float32)
    red[..., 0] = 1.0
    low = np.concatenate([brickwall(white(rng, 5, 1.0), 586.0) * 1.5, np.zeros(5 * SR)])
    low_in = fbank_input(low)
    _, aud = maps(model, low_in, imagenet(red))
    first, second = aud[:, :31], aud[:, 32:REAL_COLUMNS]
    assert first[:2].min() > 0.99 and first[2:].max() < -0.99 and second.max() < -0.99, aud
    assert aud[:, 63].min() > 0.99, "padding column should read as loud"
    levels = patch_means(low_in)

    meta = OrderedDict(
        source=f"tests/fixtures/cavmae/{SOURCE_VARIANT}/checkpoint.pth", embed_dim=d, num_heads=1,
        modality_specific_depth=variant["msd"], key_prefix="module.",
        edits=OrderedDict(
            blocks="attn.proj.weight/bias and mlp.fc2.weight/bias = 0 in every blocks_a, blocks_v, blocks_u block "
                   "(each block is the identity)",
            modality="modality_a = modality_v = 0",
            final_norms="norm_a, norm_v: weight 1, bias 0",
            patch_embed_v=f"weight[0,0] = s/256, weight[0,2] = -s/256, weight[1] = -weight[0], other 0; bias 0 "
                          f"=> dim0 = s*(mean R - mean B), dim1 = -dim0",
            patch_embed_a=f"weight[0,0] = s/256, bias[0] = -s*c, weight[1] = -weight[0], bias[1] = s*c, other 0 "
                          f"=> dim0 = s*(patch mean - c), dim1 = -dim0",
            kept="sin-cos pos_embed_a/v, every other tensor (qkv, fc1, block LayerNorms, norm, decoder) as in the source",
        ),
        s=SCALE, c=c,
        levels=OrderedDict(
            note="normalised fbank, 16x16 patch means, columns 0..61 (real frames of a 10-s clip)",
            silence=silence_level, white_noise_amp_0_5_band0=noise_band0,
            white_noise_amp_0_5_by_band=[round(float(x), 3) for x in broadband.mean(axis=1)],
            padding=pad_level,
            lowpassed_586hz_first_5s_by_band=[round(float(x), 3) for x in levels[:, :31].mean(axis=1)],
        ),
        meaning="red patch or loud patch (level > c) -> token along +(1,-1); blue or silent -> -(1,-1); "
                "padding rows (+1.133 > c) read as loud",
        checked_on_official_model=OrderedDict(
            model_code=f"YuanGongND/cav-mae {cg.OFFICIAL_COMMIT}", torch_version=torch.__version__,
            visual_map="loud white noise vs red rows 0..2 x cols 0..6: min %.4f; blue rows >= 4 or cols >= 7: max %.4f"
                       % (red_cells.min(), blue_cells.max()),
            audio_map="all-red picture vs 5 s noise < 586 Hz + 5 s silence: bands 0-1 of cols 0..30 min %.4f; "
                      "bands 2-7 of cols 0..30 max %.4f; cols 32..61 max %.4f; padding col 63 min %.4f"
                      % (first[:2].min(), first[2:].max(), second.max(), aud[:, 63].min()),
        ),
        bytes=os.path.getsize(ckpt), sha256=cg.sha256(ckpt),
    )
    with open(os.path.join(args.out, "crafted.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(json.dumps(meta["levels"], indent=1))
    print(f"c = {c}; {meta['checked_on_official_model']}")


if __name__ == "__main__":
    main()
