#!/usr/bin/env python3
"""Golden-file generator for the CAV-MAE ONNX converter tests.

Runs the OFFICIAL CAV-MAE PyTorch model code (YuanGongND/cav-mae, commit
68fe8c2, `src/models/cav_mae.py` + `pos_embed.py`) on small models whose every
state-dict tensor is randomised, and writes the checkpoints, shared inputs and
reference outputs (.npy) that the TypeScript side is tested against.

The official code is NOT part of this repository. Export it first:

    mkdir -p /tmp/cavmae-official
    git -C <cav-mae clone> archive 68fe8c2 src/models | tar -x -C /tmp/cavmae-official

then run (Debian's Python with torch 1.13; timm is NOT needed, a minimal
timm 0.4.5 shim is installed in-process):

    /usr/bin/python3 scripts/goldens/make_cavmae_goldens.py --official /tmp/cavmae-official/src

Options: --out DIR (default tests/fixtures/cavmae next to this script's repo),
--full-size OUTDIR (a full-size 768-wide random pretrained checkpoint plus
goldens, written outside the repo; --full-embed-dim/--full-heads shrink it
for a quick smoke run).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import math
import os
import struct
import sys
import types
from collections import OrderedDict
from itertools import repeat

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OFFICIAL_COMMIT = "68fe8c2"
INPUT_SEED = 20240601
PAD_VALUE = np.float32((0.0 + 5.081) / 4.4849)  # a zero log-mel row after normalisation: +1.13291
PAD_ROWS = 26  # 1024 - 998 frames of a 10.000 s clip
FT_MODES = ["multimodal", "audioonly", "videoonly", "missingaudioonly", "missingvideoonly"]
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)

# Small variants. Every model has the official 12-deep layout (modality-specific
# depth m => m audio + m visual + (12 - m) joint blocks), so the file size is
# dominated by 12*D^2 values per block; widths are kept small so the whole
# fixture folder stays around 12 MB (D=64 would be ~5.3 MB per checkpoint).
# Decoder (pretrained models only) is tiny but complete: 16 wide, 1 block, 1 head.
VARIANTS = [
    # Official pretrained layout: 11 + 1 blocks, DataParallel `module.` prefix,
    # sin-cos position tables; also written as .safetensors (no prefix).
    dict(name="pre-d32-11x1", kind="pretrained", embed_dim=32, num_heads=1, msd=11,
         seed=1101, safetensors=True),
    # Several heads and two joint blocks (10 + 2): the joint stack is a loop.
    dict(name="pre-d32-h2-10x2", kind="pretrained", embed_dim=32, num_heads=2, msd=10,
         seed=1102),
    # Fine-tuned: no decoder, mlp_head, learned (random) position tables, 5 modes.
    dict(name="ft-d32-c10", kind="finetuned", embed_dim=32, num_heads=1, msd=11,
         label_dim=10, seed=1103),
    # Fine-tuned, 3 heads (head dim 16, not 64), checkpoint stored as float16.
    dict(name="ft-d48-h3-c7-fp16", kind="finetuned", embed_dim=48, num_heads=3, msd=11,
         label_dim=7, seed=1104, dtype="float16"),
    # Fine-tuned with as many outputs as the official AudioSet (527) and VGGSound (309) classifiers,
    # which Foley names from its shipped class lists (native-models/cavmae/classes/).
    dict(name="ft-d32-c527", kind="finetuned", embed_dim=32, num_heads=1, msd=11,
         label_dim=527, seed=1106),
    dict(name="ft-d32-c309", kind="finetuned", embed_dim=32, num_heads=1, msd=11,
         label_dim=309, seed=1107),
    # Pretrained with non-contiguous / offset tensor views in the saved file.
    dict(name="pre-d32-strided", kind="pretrained", embed_dim=32, num_heads=1, msd=11,
         seed=1105, strided=True),
]
TINY_DECODER = dict(decoder_embed_dim=16, decoder_depth=1, decoder_num_heads=1)
FULL_DECODER = dict(decoder_embed_dim=512, decoder_depth=8, decoder_num_heads=16)


# --------------------------------------------------------------------------
# timm 0.4.5 shim (only what cav_mae.py / audio_mdl.py use)
# --------------------------------------------------------------------------
def install_timm_shim() -> None:
    def _ntuple(n):
        def parse(x):
            if isinstance(x, (list, tuple)):
                return x
            return tuple(repeat(x, n))
        return parse

    to_2tuple = _ntuple(2)

    def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0):
        with torch.no_grad():
            tensor.normal_(mean, std)
            return tensor.clamp_(a, b)

    class DropPath(nn.Module):
        def __init__(self, drop_prob=None):
            super().__init__()
            self.drop_prob = drop_prob

        def forward(self, x):
            if not self.drop_prob or not self.training:
                return x
            keep = 1 - self.drop_prob
            mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
            return x.div(keep) * mask

    class Mlp(nn.Module):
        def __init__(self, in_features, hidden_features=None, out_features=None, act_layer=nn.GELU, drop=0.0):
            super().__init__()
            out_features = out_features or in_features
            hidden_features = hidden_features or in_features
            self.fc1 = nn.Linear(in_features, hidden_features)
            self.act = act_layer()
            self.fc2 = nn.Linear(hidden_features, out_features)
            self.drop = nn.Dropout(drop)

        def forward(self, x):
            x = self.fc1(x)
            x = self.act(x)
            x = self.drop(x)
            x = self.fc2(x)
            x = self.drop(x)
            return x

    class Attention(nn.Module):
        def __init__(self, dim, num_heads=8, qkv_bias=False, qk_scale=None, attn_drop=0.0, proj_drop=0.0):
            super().__init__()
            self.num_heads = num_heads
            head_dim = dim // num_heads
            self.scale = qk_scale or head_dim ** -0.5
            self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
            self.attn_drop = nn.Dropout(attn_drop)
            self.proj = nn.Linear(dim, dim)
            self.proj_drop = nn.Dropout(proj_drop)

        def forward(self, x):
            B, N, C = x.shape
            qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            attn = (q @ k.transpose(-2, -1)) * self.scale
            attn = attn.softmax(dim=-1)
            attn = self.attn_drop(attn)
            x = (attn @ v).transpose(1, 2).reshape(B, N, C)
            x = self.proj(x)
            x = self.proj_drop(x)
            return x

    class _Placeholder(nn.Module):  # overridden by cav_mae.py
        def __init__(self, *args, **kwargs):
            raise RuntimeError("timm shim: placeholder class should have been overridden by cav_mae.py")

    timm = types.ModuleType("timm")
    models = types.ModuleType("timm.models")
    layers = types.ModuleType("timm.models.layers")
    vt = types.ModuleType("timm.models.vision_transformer")
    layers.to_2tuple = to_2tuple
    layers.trunc_normal_ = trunc_normal_
    layers.DropPath = DropPath
    vt.Attention = Attention
    vt.Mlp = Mlp
    vt.PatchEmbed = _Placeholder
    vt.Block = _Placeholder
    timm.__version__ = "0.4.5-shim"
    timm.models = models
    models.layers = layers
    models.vision_transformer = vt
    sys.modules.update({"timm": timm, "timm.models": models, "timm.models.layers": layers,
                        "timm.models.vision_transformer": vt})


def import_official(official_src: str):
    path = os.path.abspath(official_src)
    if not os.path.isfile(os.path.join(path, "models", "cav_mae.py")):
        sys.exit(f"--official {official_src}: no models/cav_mae.py there (export src/ of cav-mae {OFFICIAL_COMMIT})")
    install_timm_shim()
    # pos_embed.py uses np.float, removed in NumPy 1.24; alias it to the builtin (what it always meant).
    if "float" not in np.__dict__:
        np.float = float  # type: ignore[attr-defined]
    sys.path.insert(0, path)
    from models.cav_mae import CAVMAE, CAVMAEFT  # noqa: E402
    return CAVMAE, CAVMAEFT


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def quiet():
    return contextlib.redirect_stdout(io.StringIO())


def save_npy(path: str, arr) -> list:
    if isinstance(arr, torch.Tensor):
        arr = arr.detach().cpu().numpy()
    arr = np.ascontiguousarray(arr, dtype="<f4")
    np.save(path, arr, allow_pickle=False)
    return list(arr.shape)


def randomise_(model: nn.Module, seed: int, random_pos: bool, token_std: dict | None = None) -> None:
    """Overwrite every parameter/buffer of `model` with seeded random values of O(1) scale.
    `token_std` names further free tensors (a derived family's extra tokens) and their std."""
    g = torch.Generator().manual_seed(seed)

    def randn(shape):
        return torch.randn(shape, generator=g, dtype=torch.float32)

    kinds = {}
    for mname, m in model.named_modules():
        for pname, _ in m.named_parameters(recurse=False):
            kinds[f"{mname}.{pname}" if mname else pname] = m
    with torch.no_grad():
        for name, p in model.state_dict(keep_vars=True).items():
            m = kinds.get(name)
            leaf = name.rsplit(".", 1)[-1]
            if isinstance(m, nn.LayerNorm):
                new = 1.0 + 0.1 * randn(p.shape) if leaf == "weight" else 0.1 * randn(p.shape)
            elif isinstance(m, (nn.Linear, nn.Conv2d)):
                if leaf == "weight":
                    fan_in = int(np.prod(p.shape[1:]))
                    scale = 0.5 if isinstance(m, nn.Linear) else 1.0
                    new = randn(p.shape) * (scale / math.sqrt(fan_in))
                else:
                    new = 0.1 * randn(p.shape)
            elif "pos_embed" in name:
                if not random_pos:
                    continue  # keep the official sin-cos table (pretrained: tr_pos=False)
                new = p.detach().clone() + 0.3 * randn(p.shape)  # "learned" table
            elif name in ("modality_a", "modality_v", "decoder_modality_a", "decoder_modality_v", "mask_token"):
                new = 0.3 * randn(p.shape)
            elif token_std is not None and name in token_std:
                new = token_std[name] * randn(p.shape)
            else:
                raise RuntimeError(f"randomise_: unhandled tensor {name} {tuple(p.shape)}")
            p.copy_(new)


def build(cls_pre, cls_ft, v: dict, decoder: dict):
    with quiet():
        if v["kind"] == "pretrained":
            model = cls_pre(embed_dim=v["embed_dim"], num_heads=v["num_heads"],
                            modality_specific_depth=v["msd"], **decoder)
        else:
            model = cls_ft(label_dim=v["label_dim"], embed_dim=v["embed_dim"],
                           num_heads=v["num_heads"], modality_specific_depth=v["msd"])
    return model.eval()


def strip_module(sd: dict) -> "OrderedDict[str, torch.Tensor]":
    out = OrderedDict()
    for k, t in sd.items():
        if not k.startswith("module."):
            raise RuntimeError(f"key without module. prefix: {k}")
        out[k[len("module."):]] = t
    return out


def run_goldens(model, kind: str, audio: torch.Tensor, visual: torch.Tensor) -> "OrderedDict[str, torch.Tensor]":
    out = OrderedDict()
    with torch.no_grad():
        if kind == "pretrained":
            a, v = model.forward_feat(audio, visual)
        else:
            a, v = model.forward_feat(audio, visual, mode="av")
        out["audio_tokens"] = a
        out["visual_tokens"] = v
        out["audio_embedding"] = F.normalize(a.mean(dim=1), dim=-1)
        out["visual_embedding"] = F.normalize(v.mean(dim=1), dim=-1)
        if kind == "finetuned":
            for mode in FT_MODES:
                out[f"logits_{mode}"] = model(audio, visual, mode)
    return out


def write_safetensors(path: str, tensors: "OrderedDict[str, torch.Tensor]", metadata: dict) -> None:
    header = OrderedDict()
    header["__metadata__"] = {k: str(val) for k, val in metadata.items()}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        arr = np.ascontiguousarray(t.detach().cpu().numpy(), dtype="<f4")
        b = arr.tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((-len(hjson)) % 8)  # pad with spaces so the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)


def read_safetensors(path: str) -> "OrderedDict[str, np.ndarray]":
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = OrderedDict()
    for name, info in header.items():
        if name == "__metadata__":
            continue
        s, e = info["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + s: 8 + n + e], dtype="<f4").reshape(info["shape"])
    return out


def make_strided(sd: "OrderedDict[str, torch.Tensor]", seed: int) -> list:
    """Replace some tensors of a (module.-prefixed) state dict by non-contiguous or offset views
    with the same values. Returns the list of replaced keys."""
    g = torch.Generator().manual_seed(seed + 7)
    changed = []
    for k in list(sd.keys()):
        t = sd[k]
        if k.endswith("attn.qkv.weight") or k.endswith("mlp.fc2.weight"):
            # same values, transposed (column-major) strides
            view = t.t().contiguous().t()
            assert not view.is_contiguous() and view.stride() == (1, t.shape[0])
        elif k in ("module.pos_embed_a", "module.pos_embed_v"):
            # every second row of a bigger tensor; the rows in between are garbage
            _, n, d = t.shape
            big = 1000.0 * torch.randn((1, 2 * n, d), generator=g)
            big[:, ::2, :] = t
            view = big[:, ::2, :]
            assert not view.is_contiguous()
        elif k == "module.patch_embed_v.proj.weight":
            # permuted strides (channels-last style storage)
            view = t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)
            assert not view.is_contiguous()
        elif k in ("module.patch_embed_a.proj.bias", "module.norm_a.weight"):
            # contiguous but with a non-zero storage offset into a shared bigger storage
            big = torch.randn(t.numel() + 13, generator=g) * 1000.0
            big[5:5 + t.numel()] = t.reshape(-1)
            view = big[5:5 + t.numel()].view(t.shape)
            assert view.storage_offset() == 5
        else:
            continue
        assert torch.equal(view, t)
        sd[k] = view
        changed.append(k)
    return changed


def describe_noncontig(sd) -> dict:
    return {k: {"stride": list(t.stride()), "storage_offset": t.storage_offset()}
            for k, t in sd.items() if (not t.is_contiguous()) or t.storage_offset() != 0}


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def make_inputs(batch: int, seed: int):
    rng = np.random.default_rng(seed)
    audio = (rng.standard_normal((batch, 1024, 128)) * 0.8 + 0.3).astype(np.float32)
    if batch > 1:
        audio[1, 1024 - PAD_ROWS:, :] = PAD_VALUE  # real 10-s clips end with 26 padded rows
    pix = np.clip(0.45 + 0.25 * rng.standard_normal((batch, 3, 224, 224)), 0.0, 1.0).astype(np.float32)
    visual = ((pix - IMAGENET_MEAN[None, :, None, None]) / IMAGENET_STD[None, :, None, None]).astype(np.float32)
    return audio, visual


# --------------------------------------------------------------------------
# one variant
# --------------------------------------------------------------------------
def make_variant(cls_pre, cls_ft, v: dict, decoder: dict, out_dir: str, audio_np, visual_np) -> dict:
    dtype = v.get("dtype", "float32")
    os.makedirs(out_dir, exist_ok=True)
    model = build(cls_pre, cls_ft, v, decoder)
    randomise_(model, v["seed"], random_pos=(v["kind"] == "finetuned"))

    saved = torch.nn.DataParallel(model).state_dict()  # keys "module.*", like the released files
    saved = OrderedDict((k, t.detach().clone()) for k, t in saved.items())
    if dtype == "float16":
        saved = OrderedDict((k, t.half()) for k, t in saved.items())
        # the reference runs on what a correct reader gets: fp16 values widened to fp32
        model.load_state_dict(OrderedDict((k, t.float()) for k, t in strip_module(saved).items()), strict=True)
    noncontig = []
    if v.get("strided"):
        noncontig = make_strided(saved, v["seed"])

    ckpt = os.path.join(out_dir, "checkpoint.pth")
    torch.save(saved, ckpt)

    audio = torch.from_numpy(audio_np)
    visual = torch.from_numpy(visual_np)
    gold = run_goldens(model, v["kind"], audio, visual)

    # --- self-check: reload the file into a fresh model and recompute ---
    loaded = torch.load(ckpt, map_location="cpu")
    assert list(loaded.keys()) == list(saved.keys())
    for k in loaded:
        assert loaded[k].dtype == (torch.float16 if dtype == "float16" else torch.float32), k
    if v.get("strided"):
        nc = describe_noncontig(loaded)
        assert set(nc) == set(noncontig), (sorted(nc), sorted(noncontig))
        for k in noncontig:
            assert torch.equal(loaded[k], model.state_dict()[k[len("module."):]]), k
    fresh = build(cls_pre, cls_ft, v, decoder)
    fresh.load_state_dict(OrderedDict((k, t.float()) for k, t in strip_module(loaded).items()), strict=True)
    again = run_goldens(fresh, v["kind"], audio, visual)
    for k in gold:
        assert torch.equal(gold[k], again[k]), f"{v['name']}: {k} differs after reload"

    files = OrderedDict()
    files["checkpoint"] = {"path": "checkpoint.pth", "format": "torch-zip", "bytes": os.path.getsize(ckpt),
                           "sha256": sha256(ckpt)}
    if v.get("safetensors"):
        st_path = os.path.join(out_dir, "checkpoint.safetensors")
        tensors = strip_module(OrderedDict((k, t.float()) for k, t in saved.items()))
        write_safetensors(st_path, tensors, {"format": "pt", "source": "make_cavmae_goldens.py",
                                             "variant": v["name"]})
        back = read_safetensors(st_path)
        assert list(back) == list(tensors)
        for k in back:
            assert np.array_equal(back[k], tensors[k].numpy()), k
        files["checkpoint_safetensors"] = {"path": "checkpoint.safetensors", "format": "safetensors",
                                           "bytes": os.path.getsize(st_path), "sha256": sha256(st_path)}
    for k, t in gold.items():
        shape = save_npy(os.path.join(out_dir, f"{k}.npy"), t)
        files[k] = {"path": f"{k}.npy", "shape": shape}

    keys = list(saved.keys())
    enc_keys = [k for k in keys if not (k.startswith("module.decoder_") or k == "module.mask_token")]
    meta = OrderedDict(
        variant=v["name"], kind=v["kind"], embed_dim=v["embed_dim"], num_heads=v["num_heads"],
        modality_specific_depth=v["msd"], joint_depth=12 - v["msd"],
        label_dim=v.get("label_dim"), dtype=dtype,
        decoder=(OrderedDict(embed_dim=decoder["decoder_embed_dim"], depth=decoder["decoder_depth"],
                             num_heads=decoder["decoder_num_heads"]) if v["kind"] == "pretrained" else None),
        key_prefix="module.", num_keys=len(keys), num_encoder_keys=len(enc_keys) - sum(
            k.startswith("module.mlp_head.") for k in enc_keys),
        num_values=int(sum(t.numel() for t in saved.values())),
        pos_embed="sincos" if v["kind"] == "pretrained" else "random",
        noncontiguous=describe_noncontig(saved) if noncontig else None,
        inputs={"audio": "../inputs/audio.npy", "visual": "../inputs/visual.npy"},
        files=files, torch_version=torch.__version__, official_commit=OFFICIAL_COMMIT, seed=v["seed"],
        input_seed=INPUT_SEED,
        stats={k: {"absmax": float(t.abs().max()), "std": float(t.std())} for k, t in gold.items()},
    )
    with open(os.path.join(out_dir, "golden.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    return meta


def folder_size(path: str) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def main() -> None:
    repo_root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--official", required=True, help="path of the exported official cav-mae src/ folder")
    ap.add_argument("--out", default=os.path.join(repo_root, "tests", "fixtures", "cavmae"))
    ap.add_argument("--only", action="append", help="variant name(s) to (re)generate; default all")
    ap.add_argument("--full-size", metavar="OUTDIR", help="also (or only, with --skip-small) write a full-size model")
    ap.add_argument("--full-embed-dim", type=int, default=768)
    ap.add_argument("--full-heads", type=int, default=12)
    ap.add_argument("--skip-small", action="store_true", help="do not write the small fixtures")
    args = ap.parse_args()

    torch.set_grad_enabled(False)
    cls_pre, cls_ft = import_official(args.official)

    if not args.skip_small:
        audio, visual = make_inputs(2, INPUT_SEED)
        os.makedirs(os.path.join(args.out, "inputs"), exist_ok=True)
        save_npy(os.path.join(args.out, "inputs", "audio.npy"), audio)
        save_npy(os.path.join(args.out, "inputs", "visual.npy"), visual)
        names = [v["name"] for v in VARIANTS]
        for n in args.only or []:
            if n not in names:
                sys.exit(f"unknown variant {n}; known: {', '.join(names)}")
        for v in VARIANTS:
            if args.only and v["name"] not in args.only:
                continue
            meta = make_variant(cls_pre, cls_ft, v, TINY_DECODER, os.path.join(args.out, v["name"]), audio, visual)
            print(f"{v['name']}: {meta['num_keys']} keys ({meta['num_encoder_keys']} encoder), "
                  f"{meta['num_values']} values, {folder_size(os.path.join(args.out, v['name']))} bytes")
        print(f"total {args.out}: {folder_size(args.out)} bytes")

    if args.full_size:
        d, h = args.full_embed_dim, args.full_heads
        name = "pre-full" if (d, h) == (768, 12) else f"pre-d{d}-h{h}-11x1"
        v = dict(name=name, kind="pretrained", embed_dim=d, num_heads=h, msd=11, seed=7768)
        audio, visual = make_inputs(1, INPUT_SEED + 1)
        os.makedirs(os.path.join(args.full_size, "inputs"), exist_ok=True)
        save_npy(os.path.join(args.full_size, "inputs", "audio.npy"), audio)
        save_npy(os.path.join(args.full_size, "inputs", "visual.npy"), visual)
        meta = make_variant(cls_pre, cls_ft, v, FULL_DECODER, os.path.join(args.full_size, name), audio, visual)
        print(f"{name}: {meta['num_keys']} keys, {meta['num_values']} values, "
              f"checkpoint {meta['files']['checkpoint']['bytes']} bytes -> {os.path.join(args.full_size, name)}")


if __name__ == "__main__":
    main()
