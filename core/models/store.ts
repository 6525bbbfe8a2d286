// The model store: <data-dir>/models/<name>/{manifest.json, audio.onnx, visual.onnx[, joint.onnx, head.onnx]}.
// A conversion is written to a temporary folder and renamed into place, so a crash never leaves a
// half-written model that looks installed.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FoleyError } from '../../base/errors.ts';
import { sha256File } from '../hash.ts';
import type { ProgressListener } from '../progress.ts';
import { CONVERTER_VERSION } from '../../native-models/convert.ts';
import type { PrecisionRequest, ProviderName } from '../../base/types.ts';
import { familyOfConfig } from '../../native-models/registry.ts';
import type { ModelConfig } from '../../native-models/registry.ts';
import { isManifest, MANIFEST_FORMAT } from './manifest.ts';
import type { ModelManifest } from './manifest.ts';
import { convertInto } from './convert-into.ts';
import { providerChoice } from './providers.ts';

export interface InstalledModel {
  readonly manifest: ModelManifest;
  readonly dir: string;
  /** Bytes of all graph files. */
  readonly bytes: number;
}

export function modelsDir(dataDir: string): string {
  return path.join(dataDir, 'models');
}

const NAME_RE = /^[a-z0-9][a-z0-9._+-]{0,63}$/;

export function checkModelName(name: string): string {
  const n = name.toLowerCase();
  if (!NAME_RE.test(n) || n.includes('..')) {
    throw new FoleyError(`invalid model name "${name}": use letters, digits, ".", "_", "+" and "-" (at most 64)`);
  }
  return n;
}

/** A model name from a checkpoint file name: "audio_model.21.pth" → "audio_model.21". */
export function nameFromFile(file: string): string {
  const base = path.basename(file).replace(/\.(pth|pt|ckpt|bin|safetensors)$/i, '').toLowerCase();
  const cleaned = base.replace(/[^a-z0-9._+-]+/g, '-').replace(/^[^a-z0-9]+/, '');
  return checkModelName(cleaned === '' ? 'model' : cleaned.slice(0, 64));
}

export async function readManifest(dir: string): Promise<ModelManifest | undefined> {
  const file = path.join(dir, 'manifest.json');
  if (!existsSync(file)) return undefined;
  const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
  return isManifest(parsed) ? parsed : undefined;
}

/** The family an installed model belongs to, for people: 'CAV-MAE', 'CAV-MAE Sync'. */
export function familyTitle(config: ModelConfig): string {
  return familyOfConfig(config).title;
}

export async function listModels(dataDir: string): Promise<InstalledModel[]> {
  const root = modelsDir(dataDir);
  if (!existsSync(root)) return [];
  const out: InstalledModel[] = [];
  for (const entry of (await readdir(root, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const dir = path.join(root, entry.name);
    const manifest = await readManifest(dir).catch(() => undefined);
    if (manifest === undefined) continue;
    const bytes = Object.values(manifest.graphs).reduce((s, g) => s + (g?.bytes ?? 0), 0);
    out.push({ manifest, dir, bytes });
  }
  return out;
}

const DEFAULT_FILE = 'default';

export async function setDefaultModel(dataDir: string, name: string): Promise<void> {
  await mkdir(modelsDir(dataDir), { recursive: true });
  await writeFile(path.join(modelsDir(dataDir), DEFAULT_FILE), `${name}\n`);
}

/** The model a command uses when --model is not given: the recorded default, else the only one. */
export async function resolveModel(dataDir: string, name: string | undefined): Promise<InstalledModel> {
  const models = await listModels(dataDir);
  if (name !== undefined) {
    const found = models.find((m) => m.manifest.name === name.toLowerCase());
    if (found === undefined) {
      const known = models.map((m) => m.manifest.name).join(', ');
      throw new FoleyError(`no model named "${name}" in ${modelsDir(dataDir)}${known !== '' ? ` (installed: ${known})` : ''}`, { code: 'not_found' });
    }
    return found;
  }
  if (models.length === 0) {
    // A state to change first (install a model), not a bad request: 'conflict', as learning answers too.
    throw new FoleyError(`no model installed in ${modelsDir(dataDir)}: run "foley model download" or "foley model import FILE"`, { code: 'conflict' });
  }
  const defaultFile = path.join(modelsDir(dataDir), DEFAULT_FILE);
  if (existsSync(defaultFile)) {
    const wanted = (await readFile(defaultFile, 'utf8')).trim();
    const found = models.find((m) => m.manifest.name === wanted);
    if (found !== undefined) return found;
  }
  if (models.length === 1) return models[0]!;
  throw new FoleyError(`several models are installed (${models.map((m) => m.manifest.name).join(', ')}): pick one with --model`, { code: 'conflict' });
}

export interface ImportOptions {
  readonly name?: string;
  readonly heads?: number;
  /**
   * Default fp32 here, for programmatic callers (tests and parity scripts want exact fp32); the CLI
   * and the API ask for auto.
   */
  readonly precision?: PrecisionRequest;
  /** The provider auto measures on (default: the automatic choice). */
  readonly provider?: ProviderName | 'auto';
  readonly origin?: 'import' | 'download';
  readonly url?: string;
  readonly onProgress?: ProgressListener;
  /** Checks run on the inferred config before any graph is built (e.g. a download's expected kind). */
  readonly verify?: (config: ModelConfig) => void;
}

export interface ImportResult {
  readonly model: InstalledModel;
  /** True when an identical conversion was already installed and nothing was written. */
  readonly reused: boolean;
}

export async function importModel(dataDir: string, file: string, options: ImportOptions = {}): Promise<ImportResult> {
  const source = path.resolve(file);
  const info = await stat(source).catch((e: unknown) => {
    throw new FoleyError('cannot read the checkpoint', { file: source, cause: e });
  });
  if (!info.isFile()) throw new FoleyError('not a file', { file: source });
  const name = options.name !== undefined ? checkModelName(options.name) : nameFromFile(source);
  const precision = options.precision ?? 'fp32';
  const headsOverride = options.heads ?? null;
  const report = options.onProgress ?? (() => undefined);

  const sha256 = await sha256File(source, (done, total) =>
    report({ stage: 'hash', label: 'Checking checkpoint', done, total, unit: 'bytes' }),
  );
  const dir = path.join(modelsDir(dataDir), name);
  const existing = await readManifest(dir).catch(() => undefined);
  if (
    existing !== undefined &&
    existing.source.sha256 === sha256 &&
    existing.converterVersion === CONVERTER_VERSION &&
    (existing.precisionRequest ?? existing.precision) === precision &&
    existing.headsOverride === headsOverride &&
    // auto measured on another provider (a GPU since) would choose among other candidates.
    (precision !== 'auto' || existing.calibration?.provider === (await providerChoice(options.provider ?? 'auto')).provider) &&
    (await graphsIntact(dir, existing))
  ) {
    return { model: { manifest: existing, dir, bytes: sumBytes(existing) }, reused: true };
  }

  await mkdir(modelsDir(dataDir), { recursive: true });
  const tmp = path.join(modelsDir(dataDir), `.tmp-${name}-${process.pid}-${Date.now()}`);
  await mkdir(tmp, { recursive: true });
  try {
    const conversion = await convertInto(tmp, source, {
      request: precision,
      convert: { ...(options.heads !== undefined ? { heads: options.heads } : {}), metadata: { 'foley.source_sha256': sha256 } },
      ...(options.verify ? { check: options.verify } : {}),
      ...(options.provider !== undefined ? { provider: options.provider } : {}),
      report,
    });
    const manifest: ModelManifest = {
      format: MANIFEST_FORMAT,
      name,
      createdAt: new Date().toISOString(),
      converterVersion: CONVERTER_VERSION,
      precision: conversion.precision,
      ...(precision === 'auto' ? { precisionRequest: precision, calibration: conversion.calibration } : {}),
      headsOverride,
      source: {
        fileName: path.basename(source),
        sha256,
        bytes: info.size,
        origin: options.origin ?? 'import',
        ...(options.url !== undefined ? { url: options.url } : {}),
      },
      config: conversion.config,
      graphs: conversion.graphs,
    };
    await writeFile(path.join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    // Swap in: the old folder (if any) moves aside first so the name is never empty of a valid model for long.
    const old = `${dir}.old-${process.pid}`;
    if (existsSync(dir)) await rename(dir, old);
    await rename(tmp, dir);
    await rm(old, { recursive: true, force: true });
    if (!existsSync(path.join(modelsDir(dataDir), DEFAULT_FILE))) await setDefaultModel(dataDir, name);
    return { model: { manifest, dir, bytes: sumBytes(manifest) }, reused: false };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

function sumBytes(m: ModelManifest): number {
  return Object.values(m.graphs).reduce((s, g) => s + (g?.bytes ?? 0), 0);
}

async function graphsIntact(dir: string, m: ModelManifest): Promise<boolean> {
  for (const g of Object.values(m.graphs)) {
    if (g === undefined) continue;
    const s = await stat(path.join(dir, g.file)).catch(() => undefined);
    if (s === undefined || s.size !== g.bytes) return false;
  }
  return true;
}

export async function removeModel(dataDir: string, name: string): Promise<void> {
  const dir = path.join(modelsDir(dataDir), checkModelName(name));
  if (!existsSync(dir)) throw new FoleyError(`no model named "${name}"`, { code: 'not_found' });
  await rm(dir, { recursive: true, force: true });
}
