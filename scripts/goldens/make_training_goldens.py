#!/usr/bin/python3
"""Losses and gradients of Foley's training models, by PyTorch autograd, for tests/training.

Run with Debian's python (torch 1.13):  /usr/bin/python3 scripts/goldens/make_training_goldens.py
Writes tests/fixtures/training/{head,adapter}_golden.json: small fixed inputs (seeded), the loss and
the gradient of every parameter, in float64, so the TypeScript gradients (core/learning/training/math.ts) can
be compared with an independent implementation, not only with finite differences of themselves.
"""
import json
import os

import torch

torch.manual_seed(1234)
OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'tests', 'fixtures', 'training')
os.makedirs(OUT, exist_ok=True)
dt = torch.float64


def flat(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def head_golden():
    # Multi-label logistic head: z = x w^T + b; weighted BCE / sum(m) + lambda/2 ||w - w0||^2.
    n, f, l = 7, 5, 3
    x = torch.randn(n, f, dtype=dt)
    y = (torch.rand(n, l, dtype=dt) > 0.5).to(dt)
    m = torch.rand(n, l, dtype=dt)
    m[0, 1] = 0.0  # an unknown entry
    w = torch.randn(l, f, dtype=dt, requires_grad=True)
    b = torch.randn(l, dtype=dt, requires_grad=True)
    w0 = torch.randn(l, f, dtype=dt)
    lam = 0.3
    z = x @ w.T + b
    bce = torch.nn.functional.binary_cross_entropy_with_logits(z, y, weight=m, reduction='sum') / m.sum()
    loss = bce + 0.5 * lam * ((w - w0) ** 2).sum()
    loss.backward()
    return {
        'n': n, 'features': f, 'labels': l, 'lambda': lam,
        'x': flat(x), 'y': flat(y), 'm': flat(m), 'w': flat(w), 'b': flat(b), 'w0': flat(w0),
        'loss': float(loss), 'grad_w': flat(w.grad), 'grad_b': flat(b.grad),
    }


def adapter_golden():
    # z_a = normalize(a W_a^T), z_v = normalize(v W_v^T); S = z_a z_v^T / tau; soft-target symmetric
    # InfoNCE (targets = pos normalised per row / per column); + lambda/2 (||W_a - I||^2 + ||W_v - I||^2).
    bsz, d = 5, 4
    a = torch.nn.functional.normalize(torch.randn(bsz, d, dtype=dt), dim=1)
    v = torch.nn.functional.normalize(torch.randn(bsz, d, dtype=dt), dim=1)
    pos = torch.eye(bsz, dtype=dt)
    pos[0, 2] = pos[2, 0] = 1.0  # windows 0 and 2 share a positive label
    eye = torch.eye(d, dtype=dt)
    wa = (eye + 0.2 * torch.randn(d, d, dtype=dt)).requires_grad_(True)
    wv = (eye + 0.2 * torch.randn(d, d, dtype=dt)).requires_grad_(True)
    tau, lam = 0.1, 0.05
    za = torch.nn.functional.normalize(a @ wa.T, dim=1)
    zv = torch.nn.functional.normalize(v @ wv.T, dim=1)
    s = za @ zv.T / tau
    t_rows = pos / pos.sum(dim=1, keepdim=True)
    t_cols = pos / pos.sum(dim=0, keepdim=True)
    rows = -(t_rows * torch.log_softmax(s, dim=1)).sum() / bsz
    cols = -(t_cols * torch.log_softmax(s, dim=0)).sum() / bsz
    loss = 0.5 * (rows + cols) + 0.5 * lam * (((wa - eye) ** 2).sum() + ((wv - eye) ** 2).sum())
    loss.backward()
    return {
        'b': bsz, 'd': d, 'tau': tau, 'lambda': lam,
        'a': flat(a), 'v': flat(v), 'pos': flat(pos), 'wa': flat(wa), 'wv': flat(wv),
        'loss': float(loss), 'grad_wa': flat(wa.grad), 'grad_wv': flat(wv.grad),
    }


for name, fn in (('head_golden.json', head_golden), ('adapter_golden.json', adapter_golden)):
    data = fn()
    data['torch'] = torch.__version__
    with open(os.path.join(OUT, name), 'w') as fh:
        json.dump(data, fh, indent=1)
        fh.write('\n')
    print(name, 'loss', data['loss'])
