// Picks the execution provider the way Immich does for its ML sessions: try the accelerators the
// platform can have, in order, and fall back to CPU when one fails to load — and remember what
// actually ran, because that is what users (and stored embedding runs) need to know.
//
// onnxruntime-node does not fall back by itself: `executionProviders: ['cuda', 'cpu']` throws when the
// CUDA libraries are missing. So each candidate is probed alone on a tiny graph first (cheap), and the
// big models are only ever created with a provider that is known to load.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../onnx/builder.ts';
import { PROVIDER_NAMES } from '../../base/types.ts';
import type { ProviderName } from '../../base/types.ts';


export interface ProviderAttempt {
  readonly provider: ProviderName;
  readonly ok: boolean;
  readonly error?: string;
}

export interface ProviderChoice {
  readonly provider: ProviderName;
  /** Every candidate tried, in order, with why it was passed over. */
  readonly attempts: readonly ProviderAttempt[];
}

/** The order worth trying on this platform; names onnxruntime-node does not know are dropped. */
export function candidateProviders(platform: NodeJS.Platform = process.platform): ProviderName[] {
  const byPlatform: Record<string, ProviderName[]> = {
    linux: ['cuda', 'webgpu', 'cpu'],
    win32: ['cuda', 'dml', 'webgpu', 'cpu'],
    darwin: ['coreml', 'webgpu', 'cpu'],
  };
  const wanted = byPlatform[platform] ?? ['cpu'];
  const known = new Set(ort.listSupportedBackends().map((b) => b.name));
  known.add('cpu');
  return wanted.filter((p) => known.has(p));
}

/**
 * Why a provider cannot work here without even trying it, or null. Trying costs more than time:
 * ORT and Dawn print loader errors to stderr that no log level silences, which users read as faults.
 */
export function missingPrerequisite(provider: ProviderName, platform: NodeJS.Platform = process.platform): string | null {
  if (provider === 'cuda') {
    // The CUDA EP comes from onnxruntime-node's install script (skipped offline), next to the binding.
    const lib = platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    const dir = ortBinaryDir(platform);
    if (dir !== null && !existsSync(path.join(dir, lib))) return `CUDA provider files are not installed (${lib}; reinstall onnxruntime-node with network access)`;
  }
  if (provider === 'webgpu' && platform === 'linux') {
    // Dawn needs a Vulkan driver; without an ICD manifest there is none to find.
    const icd = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d'].some((d) => existsSync(d) && readdirSync(d).some((f) => f.endsWith('.json')));
    if (!icd) return 'no Vulkan driver for WebGPU';
  }
  return null;
}

function ortBinaryDir(platform: NodeJS.Platform): string | null {
  try {
    const root = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    return path.join(root, 'bin', 'napi-v6', platform, process.arch);
  } catch {
    return null;
  }
}

let probeModel: Uint8Array | undefined;
function tinyModel(): Uint8Array {
  if (probeModel === undefined) {
    const g = new GraphBuilder('probe');
    const x = g.input('x', [1, 4]);
    const y = g.op('MatMul', [x, g.floatTensor('w', [4, 4], new Float32Array(16).fill(0.25))]);
    g.output(g.named(y, 'y'), [1, 4]);
    probeModel = g.build().bytes;
  }
  return probeModel;
}

const probed = new Map<ProviderName, ProviderAttempt>();

export async function probeProvider(provider: ProviderName): Promise<ProviderAttempt> {
  const known = probed.get(provider);
  if (known !== undefined) return known;
  let attempt: ProviderAttempt;
  const missing = missingPrerequisite(provider);
  if (missing !== null) {
    attempt = { provider, ok: false, error: missing };
    probed.set(provider, attempt);
    return attempt;
  }
  try {
    const session = await ort.InferenceSession.create(tinyModel(), {
      executionProviders: [provider],
      // A missing GPU library is expected on most machines: don't let ORT print it as an error.
      logSeverityLevel: 4,
    });
    await session.run({ x: new ort.Tensor('float32', new Float32Array(4).fill(1), [1, 4]) });
    await session.release();
    attempt = { provider, ok: true };
  } catch (e) {
    attempt = { provider, ok: false, error: e instanceof Error ? e.message.split('\n')[0]! : String(e) };
  }
  probed.set(provider, attempt);
  return attempt;
}

/**
 * The provider to use: `requested` if given (an error if it cannot load), else the first platform
 * candidate that loads. `FOLEY_PROVIDER` (cpu, cuda, …) overrides the automatic choice.
 */
export async function chooseProvider(requested: ProviderName | 'auto' = 'auto'): Promise<ProviderChoice> {
  const env = process.env.FOLEY_PROVIDER;
  const want = requested !== 'auto' ? requested : env !== undefined && env !== '' && env !== 'auto' ? parseProvider(env) : 'auto';
  if (want !== 'auto') {
    const attempt = await probeProvider(want);
    if (!attempt.ok) throw new Error(`execution provider ${want} is not available: ${attempt.error ?? 'unknown error'}`);
    return { provider: want, attempts: [attempt] };
  }
  const attempts: ProviderAttempt[] = [];
  for (const p of candidateProviders()) {
    const attempt = await probeProvider(p);
    attempts.push(attempt);
    if (attempt.ok) return { provider: p, attempts };
  }
  throw new Error(`no execution provider could be loaded: ${attempts.map((a) => `${a.provider}: ${a.error ?? ''}`).join('; ')}`);
}

export function parseProvider(name: string): ProviderName | 'auto' {
  const n = name.toLowerCase();
  if (n === 'auto') return 'auto';
  if ((PROVIDER_NAMES as readonly string[]).includes(n)) return n as ProviderName;
  throw new Error(`unknown execution provider "${name}" (expected auto, ${PROVIDER_NAMES.join(', ')})`);
}
