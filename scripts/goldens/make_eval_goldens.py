#!/usr/bin/env python3
"""Retrieval-metric goldens from the official CAV-MAE code (src/retrieval.py).

The official file imports torch, its models and its dataloader at the top, so it is not imported:
the two functions needed (get_sim_mat, compute_metrics) are cut out of it with `ast` and executed
with numpy only. Nothing of the official code is written into this repository.

    /usr/bin/python3 scripts/goldens/make_eval_goldens.py --official /path/to/cav-mae/src/retrieval.py

Writes tests/fixtures/eval/retrieval-goldens.json (deterministic: fixed seeds, values rounded to
float32 before use so TypeScript reads the very same numbers).
"""
import argparse
import ast
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', '..', 'tests', 'fixtures', 'eval', 'retrieval-goldens.json')
WANTED = ('get_similarity', 'get_sim_mat', 'compute_metrics')


def load_official(path):
    """The official functions, executed from their source text in a namespace with numpy."""
    src = open(path, encoding='utf-8').read()
    tree = ast.parse(src)
    ns = {'np': np, 'dot': np.dot, 'norm': np.linalg.norm}
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in WANTED:
            exec(compile(ast.Module(body=[node], type_ignores=[]), path, 'exec'), ns)
            found.append(node.name)
    missing = set(WANTED) - set(found)
    if missing:
        raise SystemExit(f'{path}: functions not found: {sorted(missing)}')
    return ns


def figures(m):
    return {'r1': float(m['R1']), 'r5': float(m['R5']), 'r10': float(m['R10']), 'medianRank': float(m['MR'])}


def min_gap_to_partner(sim):
    """Smallest |sim[i, j] - sim[i, i]| over j != i: > 1e-4 means no (near-)ties anywhere."""
    n = sim.shape[0]
    gaps = np.abs(sim - np.diag(sim)[:, None]) + np.eye(n) * 1e9
    return float(gaps.min())


def embedding_case(ns, name, seed, n, d, noise):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, d)).astype(np.float32)
    v = (a + noise * rng.standard_normal((n, d))).astype(np.float32)
    # Official path: cosines of the raw float32 rows (get_sim_mat normalises by the norms itself).
    sim_av = ns['get_sim_mat'](a, v)
    sim_va = ns['get_sim_mat'](v, a)
    assert min_gap_to_partner(sim_av) > 1e-4 and min_gap_to_partner(sim_va) > 1e-4, name
    return {
        'name': name, 'kind': 'embeddings', 'n': n, 'd': d,
        'audio': a.tolist(), 'visual': v.tolist(),
        'audioToVisual': figures(ns['compute_metrics'](sim_av)),
        'visualToAudio': figures(ns['compute_metrics'](sim_va)),
    }


def matrix_case(ns, name, sim):
    sim = np.asarray(sim, dtype=np.float32).astype(np.float64)
    assert min_gap_to_partner(sim) > 1e-4, name
    return {'name': name, 'kind': 'similarity', 'similarity': sim.tolist(), 'official': figures(ns['compute_metrics'](sim))}


def tie_case(ns, name, sim, note):
    """With ties the official np.where finds every tied position, so a row can add several entries
    (len(ind) > n) and the figures depend on that; recorded as is, for the README, not as a target."""
    sim = np.asarray(sim, dtype=np.float64)
    sx = np.sort(-sim, axis=1)
    ind = np.where((sx - np.diag(-sim)[:, None]) == 0)[1]
    return {'name': name, 'kind': 'ties', 'similarity': sim.tolist(), 'note': note,
            'official': figures(ns['compute_metrics'](sim)), 'officialEntries': int(len(ind)), 'rows': int(sim.shape[0])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--official', required=True, help='path of the official src/retrieval.py')
    ap.add_argument('--out', default=OUT)
    args = ap.parse_args()
    ns = load_official(args.official)
    rng = np.random.default_rng(20240601)
    cases = [
        matrix_case(ns, 'identity-like 4x4', [[0.9, 0.1, 0.2, 0.3], [0.2, 0.8, 0.1, 0.0], [0.3, 0.2, 0.7, 0.1], [0.0, 0.1, 0.2, 0.6]]),
        matrix_case(ns, 'reversed 5x5', [[0.1 * (j + 1) - 0.01 * i for j in range(5)] for i in range(5)]),
        matrix_case(ns, 'even n, median between ranks 0 and 1', [[0.9, 0.1, 0.2, 0.3], [0.95, 0.8, 0.1, 0.0], [0.3, 0.65, 0.7, 0.1], [0.0, 0.65, 0.7, 0.6]]),
        matrix_case(ns, 'random 12x12', np.round(rng.uniform(-1, 1, (12, 12)), 4)),
        matrix_case(ns, 'random 30x30 (even n)', np.round(rng.uniform(-1, 1, (30, 30)), 4)),
        matrix_case(ns, 'random 31x31 (odd n)', np.round(rng.uniform(-1, 1, (31, 31)), 4)),
        embedding_case(ns, 'embeddings 40x16 noisy', 7, 40, 16, 1.0),
        embedding_case(ns, 'embeddings 25x8 very noisy', 11, 25, 8, 3.0),
        tie_case(ns, 'partner tied with one other', [[0.5, 0.5, 0.1], [0.2, 0.9, 0.3], [0.4, 0.4, 0.4]],
                 'row 0 ties with column 1, row 2 ties with every column'),
        tie_case(ns, 'all equal 4x4', [[0.3] * 4] * 4, 'every value ties: the official code counts 4 entries per row'),
    ]
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w', encoding='utf-8') as f:
        json.dump({'source': 'YuanGongND/cav-mae src/retrieval.py (get_sim_mat, compute_metrics)', 'numpy': np.__version__, 'cases': cases}, f, indent=1)
        f.write('\n')
    print(f'wrote {len(cases)} cases to {os.path.relpath(args.out)}')


if __name__ == '__main__':
    main()
