#!/usr/bin/env python3
"""Localisation goldens: the official sound-source localisation maps on the small CAV-MAE fixtures.

The authors' procedure is `src/localization.py` of Edson Araujo's fork of cav-mae
(edsonroteia/cav-mae, added in commit 18e328c, unchanged at 727d28e; headed
"Yuan Gong & Edson Araujo"). Its lines 75-84 are, per batch:

    audio_output, video_output = audio_model.module.forward_feat(audio_input, video_input)
    audio_output = torch.mean(audio_output, dim=1)                                   # pool ALL 512 tokens
    audio_output = torch.nn.functional.normalize(audio_output, dim=-1).unsqueeze(1)  # [B, 1, D]
    video_output = torch.nn.functional.normalize(video_output, dim=-1)               # [B, 196, D]
    ...
    localization_map = get_map(video_output, audio_output)  # einsum('biv,biv->bi') -> reshape(B, 14, 14)

This script runs the OFFICIAL model code (YuanGongND/cav-mae 68fe8c2, exported as for
make_cavmae_goldens.py; the fork's forward_feat only adds optional hooks) on the committed
fixture checkpoints and inputs, reproduces those lines, and calls the file's own `get_map`
(lifted out of localization.py with `ast`, because importing the file runs an evaluation on
the authors' machine at import time). localization.py has no reverse (visual -> audio) map;
the audio map here is the same recipe with the roles swapped, reshaped to the audio token grid
(8, 64) = (frequency band, time step), the layout localization2.py's "audiocolumn" variant
also assumes (`reshape(B, 8, N // 8, D)`).

    /usr/bin/python3 scripts/goldens/make_localisation_goldens.py \\
        --official /tmp/cavmae-official/src --localization /tmp/cavmae-fork/src/localization.py
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_cavmae_goldens as cg  # noqa: E402  (shares the official-code import and the timm shim)

LOCALIZATION_REPO = "edsonroteia/cav-mae"
LOCALIZATION_COMMIT = "18e328c59d6285d5becbfa0dc0fb65571dab09c0"
LOCALIZATION_SHA256 = "110ac161173bb32cee0cafced986bb6fb907d8faba64575655838ba61a88dc2b"
DEFAULT_VARIANTS = ["pre-d32-11x1", "pre-d32-h2-10x2"]
AUDIO_GRID = (8, 64)


def official_get_map(localization_py: str):
    """The `get_map` function of localization.py, compiled on its own (nothing else of the file runs)."""
    with open(localization_py, "rb") as f:
        raw = f.read()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != LOCALIZATION_SHA256:
        print(f"warning: {localization_py} sha256 {digest} is not the one these goldens were made from",
              file=sys.stderr)
    tree = ast.parse(raw)
    fns = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "get_map"]
    if len(fns) != 1:
        sys.exit(f"{localization_py}: no top-level get_map")
    namespace = {"np": np}
    exec(compile(ast.Module(body=fns, type_ignores=[]), localization_py, "exec"), namespace)
    return namespace["get_map"], digest


def audio_map(patches, query):
    """The reverse map: get_map's einsum with audio patches, reshaped to the (band, time) grid."""
    b = patches.shape[0]
    return np.einsum("biv,biv->bi", patches, query).reshape(b, *AUDIO_GRID)


def maps(model, audio: torch.Tensor, visual: torch.Tensor, get_map, partner) -> "OrderedDict[str, np.ndarray]":
    """Both maps; query i comes from item partner[i] (identity = own pair, swapped = cross pairs)."""
    with torch.no_grad():
        audio_output, video_output = model.forward_feat(audio, visual)
        # localization.py lines 77-81, as written (CPU, fp32: its CUDA autocast is a no-op here)
        audio_query = F.normalize(torch.mean(audio_output, dim=1), dim=-1).unsqueeze(1)
        video_patches = F.normalize(video_output, dim=-1)
        # the same lines with the modalities swapped
        video_query = F.normalize(torch.mean(video_output, dim=1), dim=-1).unsqueeze(1)
        audio_patches = F.normalize(audio_output, dim=-1)
    idx = torch.tensor(partner)
    out = OrderedDict()
    out["visual_map"] = get_map(video_patches, audio_query[idx])
    out["audio_map"] = audio_map(audio_patches, video_query[idx])
    # independent check of the same numbers: cosine of the embedding with each raw token
    for name, q, toks, grid in (("visual_map", audio_output, video_output, (14, 14)),
                                ("audio_map", video_output, audio_output, AUDIO_GRID)):
        ref = F.cosine_similarity(q.mean(dim=1)[idx].unsqueeze(1), toks, dim=-1).reshape(-1, *grid)
        assert np.abs(ref.numpy() - out[name]).max() < 1e-5, name
    return out


def main() -> None:
    repo_root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--official", required=True, help="exported src/ of YuanGongND/cav-mae 68fe8c2")
    ap.add_argument("--localization", required=True, help="src/localization.py of edsonroteia/cav-mae")
    ap.add_argument("--fixtures", default=os.path.join(repo_root, "tests", "fixtures", "cavmae"))
    ap.add_argument("--only", action="append", help="variant(s); default " + ", ".join(DEFAULT_VARIANTS))
    args = ap.parse_args()

    torch.set_grad_enabled(False)
    cls_pre, cls_ft = cg.import_official(args.official)
    get_map, digest = official_get_map(args.localization)
    audio = torch.from_numpy(np.load(os.path.join(args.fixtures, "inputs", "audio.npy")))
    visual = torch.from_numpy(np.load(os.path.join(args.fixtures, "inputs", "visual.npy")))
    variants = {v["name"]: v for v in cg.VARIANTS}

    for name in args.only or DEFAULT_VARIANTS:
        v = variants[name]
        if v["kind"] != "pretrained":
            sys.exit(f"{name}: localization.py loads a pretrained CAVMAE; pick a pretrained variant")
        out_dir = os.path.join(args.fixtures, name)
        model = cg.build(cls_pre, cls_ft, v, cg.TINY_DECODER)
        sd = torch.load(os.path.join(out_dir, "checkpoint.pth"), map_location="cpu")
        model.load_state_dict(cg.strip_module(sd), strict=True)

        # the model must reproduce the committed token goldens, or the maps would test something else
        # (not bit for bit: float32 sums differ by ~2e-6 between CPUs and thread counts)
        with torch.no_grad():
            a_tok, v_tok = model.forward_feat(audio, visual)
        for stream, tok in (("audio", a_tok), ("visual", v_tok)):
            committed = np.load(os.path.join(out_dir, f"{stream}_tokens.npy"))
            assert np.abs(committed - tok.numpy()).max() < 1e-5, f"{name}: {stream} tokens moved"

        files = OrderedDict()
        batch = audio.shape[0]
        for suffix, partner in (("", list(range(batch))), ("_cross", [(i + 1) % batch for i in range(batch)])):
            for key, arr in maps(model, audio, visual, get_map, partner).items():
                fname = f"localisation_{key}{suffix}.npy"
                shape = cg.save_npy(os.path.join(out_dir, fname), arr)
                files[f"{key}{suffix}"] = OrderedDict(
                    path=fname, shape=shape, query_item=partner,
                    absmax=float(np.abs(arr).max()), std=float(np.std(arr)))

        meta = OrderedDict(
            variant=name,
            procedure=OrderedDict(
                repo=LOCALIZATION_REPO, commit=LOCALIZATION_COMMIT, file="src/localization.py",
                file_sha256=digest, lines="75-84 (pooling, normalisation) + get_map (lines 45-53, called as is)",
                visual_map="item i: normalize(mean(audio_tokens[query_item[i]])) . normalize(visual_token[i, n]), "
                           "n = 14*row + col, reshaped [B,14,14]",
                audio_map="not in localization.py; same recipe with the roles swapped: "
                          "normalize(mean(visual_tokens[query_item[i]])) . normalize(audio_token[i, n]), "
                          "n = 64*band + time, reshaped [B,8,64] (band 0 = lowest mel bins)",
                autocast="the official script wraps this in CUDA autocast (fp16); these goldens are fp32 on CPU"),
            model_code=OrderedDict(repo="YuanGongND/cav-mae", commit=cg.OFFICIAL_COMMIT),
            inputs={"audio": "../inputs/audio.npy", "visual": "../inputs/visual.npy"},
            files=files, torch_version=torch.__version__, numpy_version=np.__version__,
        )
        with open(os.path.join(out_dir, "localisation.json"), "w") as f:
            json.dump(meta, f, indent=2)
            f.write("\n")
        print(f"{name}: " + ", ".join(f"{k} {f['shape']} absmax {f['absmax']:.3f}" for k, f in files.items()))


if __name__ == "__main__":
    main()
