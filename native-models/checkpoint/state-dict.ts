// Which part of an unpickled object is the state dict, and its final key names. Deliberately conservative:
// anything that is not clearly "names → tensors" is refused rather than guessed at.
import type { PickleDict, PickleValue, TensorRef } from './pickle-values.ts';
import { describe, isDict, isTensor } from './pickle-values.ts';

type Fail = (message: string) => Error;

// Training scripts commonly save {'state_dict': sd, 'epoch': n, 'optimizer': ...}.
const WRAPPER_KEYS = new Set(['state_dict', 'model', 'model_state_dict', 'module']);

/** The name → tensor pairs of the state dict inside `root`, in file order. */
export function selectTensors(root: PickleValue, fail: Fail): Array<[string, TensorRef]> {
  if (!isDict(root)) throw fail(`the pickle holds ${describe(root)}, not a state dict`);
  if (root.entries.size === 0) throw fail('the state dict is empty');
  const values = [...root.entries.values()];
  if (values.some(isTensor)) return tensorEntries(root, fail);

  // No tensors at the top: unwrap only when exactly one well-known key holds a dict of tensors and nothing else
  // could be the state dict instead.
  const candidates = [...root.entries].filter(([, v]) => isDict(v) && [...v.entries.values()].some(isTensor));
  const [only] = candidates;
  if (candidates.length === 1 && only !== undefined && typeof only[0] === 'string' && WRAPPER_KEYS.has(only[0])) {
    return tensorEntries(only[1] as PickleDict, (m) => fail(`under ${JSON.stringify(only[0])}: ${m}`));
  }
  if (candidates.length > 1) {
    const keys = candidates.map(([k]) => keyText(k)).join(', ');
    throw fail(`several entries (${keys}) hold tensors; save just the model's state_dict()`);
  }
  throw fail(`no tensors at the top level (keys: ${[...root.entries.keys()].slice(0, 8).map(keyText).join(', ')})`);
}

function tensorEntries(dict: PickleDict, fail: Fail): Array<[string, TensorRef]> {
  const out: Array<[string, TensorRef]> = [];
  for (const [key, value] of dict.entries) {
    if (typeof key !== 'string') throw fail(`a key is of type ${describe(key)}, not str`);
    if (!isTensor(value)) throw fail(`${keyText(key)} holds ${describe(value)}, not a tensor`);
    out.push([key, value]);
  }
  if (out.length === 0) throw fail('the state dict is empty');
  return out;
}

/** Drops the `module.` that torch.nn.DataParallel puts in front of every key; refuses names that then collide. */
export function finalNames<T>(entries: ReadonlyArray<readonly [string, T]>, fail: Fail): Array<[string, T]> {
  const seen = new Set<string>();
  return entries.map(([raw, value]) => {
    const name = raw.startsWith('module.') ? raw.slice('module.'.length) : raw;
    if (name === '') throw fail(`key ${keyText(raw)} is empty once "module." is removed`);
    if (seen.has(name)) throw fail(`key ${keyText(name)} appears twice once "module." prefixes are removed`);
    seen.add(name);
    return [name, value];
  });
}

function keyText(k: PickleValue): string {
  if (typeof k !== 'string') return describe(k);
  const s = JSON.stringify(k.length > 80 ? `${k.slice(0, 80)}...` : k);
  return s;
}
