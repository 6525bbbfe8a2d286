// Packaging cannot run here (electron-builder downloads Electron), so this checks what can go wrong
// silently: electron-builder.yml parses, targets every platform, ships the compiled shell and the
// renderer, and every native binary the app loads at runtime is unpacked from the asar archive (and
// not excluded on its own platform, CUDA provider files on Linux included).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';

const REPO = path.join(import.meta.dirname, '..', '..');

interface PlatformConfig {
  target?: string[];
  files?: string[];
  extraResources?: Array<{ from: string; to: string }>;
}
interface BuilderConfig {
  appId?: string;
  extraMetadata?: { main?: string };
  files?: string[];
  asar?: boolean;
  asarUnpack?: string[];
  linux?: PlatformConfig;
  win?: PlatformConfig;
  mac?: PlatformConfig;
}

const config = parse(readFileSync(path.join(REPO, 'electron-builder.yml'), 'utf8')) as BuilderConfig;

const matches = (file: string, pattern: string): boolean => path.posix.matchesGlob(file, pattern);
/** electron-builder's file lists: later patterns win, "!" excludes. */
function included(file: string, patterns: readonly string[], initially = false): boolean {
  let keep = initially;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (matches(file, p.slice(1))) keep = false;
    } else if (matches(file, p)) keep = true;
  }
  return keep;
}

/** Every file a runtime dependency loads with dlopen/require of a native binary. */
function nativeBinaries(): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const abs = path.join(REPO, rel);
    if (!existsSync(abs)) return;
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== 'src' && e.name !== 'deps' && e.name !== 'obj.target') walk(r);
      } else if (/\.(node|dll|dylib)$|\.so(\.\d+)*$/.test(e.name)) out.push(r);
    }
  };
  for (const dir of ['node_modules/onnxruntime-node/bin', 'node_modules/better-sqlite3/prebuilds', 'node_modules/better-sqlite3/build', 'node_modules/hnswlib-node/build']) walk(dir);
  return out;
}

const PLATFORM_DIRS = { linux: ['linux', 'linuxmusl'], win: ['win32'], mac: ['darwin'] } as const;

test('electron-builder.yml parses and targets Linux (AppImage, deb), Windows (NSIS), macOS (dmg)', () => {
  assert.equal(config.appId, 'app.foley.desktop');
  assert.deepEqual(config.linux?.target, ['AppImage', 'deb']);
  assert.deepEqual(config.win?.target, ['nsis']);
  assert.deepEqual(config.mac?.target, ['dmg']);
  assert.equal(config.asar, true);
});

test('the compiled shell, its preload and worker, and the renderer are packaged', () => {
  const files = config.files ?? [];
  const tsconfig = JSON.parse(readFileSync(path.join(REPO, 'tsconfig.electron.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '')) as { compilerOptions: { outDir: string } };
  const out = tsconfig.compilerOptions.outDir;
  assert.equal(config.extraMetadata?.main, `${out}/electron/main.js`);
  for (const f of [`${out}/electron/main.js`, `${out}/electron/preload.cjs`, `${out}/electron/worker.js`, `${out}/core/api/handlers.js`, 'renderer/dist/index.html', 'package.json']) {
    assert.ok(included(f, files), `${f} is packaged`);
  }
  for (const f of ['electron/main.ts', `${out}/electron/main.js.map`, 'tests/ui/app.e2e.test.ts']) assert.ok(!included(f, files), `${f} is left out`);
  // main.ts loads exactly these siblings; their sources exist.
  const main = readFileSync(path.join(REPO, 'electron', 'main.ts'), 'utf8');
  assert.match(main, /'preload\.cjs'/);
  assert.match(main, /'worker\.js'/);
  assert.ok(existsSync(path.join(REPO, 'electron', 'preload.cts')) && existsSync(path.join(REPO, 'electron', 'worker.ts')));
});

test('the JSON data the code imports (shipped class lists) is packaged where tsc copies it', () => {
  const files = config.files ?? [];
  const data = readdirSync(path.join(REPO, 'native-models', 'cavmae', 'classes')).filter((f) => f.endsWith('.json'));
  assert.deepEqual(data.sort(), ['audioset.json', 'vggsound.json']);
  const loader = readFileSync(path.join(REPO, 'native-models', 'cavmae', 'class-lists.ts'), 'utf8');
  for (const f of data) {
    assert.match(loader, new RegExp(`from './classes/${f.replace('.', '\\.')}' with \\{ type: 'json' \\}`), `${f} is imported (so tsc copies it), not read from a path`);
    assert.ok(included(`dist/app/native-models/cavmae/classes/${f}`, files), `${f} is packaged`);
  }
});

test('every native binary loaded at runtime is unpacked from asar and kept on its own platform', () => {
  const unpack = config.asarUnpack ?? [];
  const binaries = nativeBinaries();
  // What `npm ci` with network adds on Linux: onnxruntime's CUDA provider libraries.
  const cuda = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so', 'libonnxruntime_providers_tensorrt.so'].map((f) => `node_modules/onnxruntime-node/bin/napi-v6/linux/x64/${f}`);
  assert.ok(binaries.some((b) => b.includes('onnxruntime_binding.node')), 'onnxruntime-node binaries found');
  assert.ok(binaries.some((b) => b.includes('better-sqlite3')), 'better-sqlite3 binaries found');
  assert.ok(binaries.some((b) => b.includes('hnswlib-node')), 'hnswlib-node binary found');
  for (const b of [...binaries, ...cuda]) {
    assert.ok(unpack.some((p) => matches(b, p)), `${b} is covered by asarUnpack`);
    for (const [platform, dirs] of Object.entries(PLATFORM_DIRS)) {
      const own = dirs.some((d) => b.includes(`/${d}/`) || b.includes(`/${d}-`));
      const generic = !Object.values(PLATFORM_DIRS).flat().some((d) => b.includes(`/${d}/`) || b.includes(`/${d}-`));
      if (own || generic) {
        const extra = config[platform as keyof typeof PLATFORM_DIRS]?.files ?? [];
        assert.ok(included(b, [...(config.files ?? []), ...extra], true), `${b} is shipped in the ${platform} build`);
      }
    }
  }
  for (const f of cuda) assert.ok(included(f, config.linux?.files ?? [], true), `${f} ships on Linux`);
  // Other platforms' onnxruntime libraries stay out of each build.
  assert.ok(!included('node_modules/onnxruntime-node/bin/napi-v6/win32/x64/onnxruntime.dll', config.linux?.files ?? [], true));
  assert.ok(!included('node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1', config.mac?.files ?? [], true));
});

test('ffmpeg: bundled builds land where electron/main.ts looks for them', () => {
  const main = readFileSync(path.join(REPO, 'electron', 'main.ts'), 'utf8');
  assert.match(main, /process\.resourcesPath, 'ffmpeg'/);
  for (const p of ['linux', 'win', 'mac'] as const) assert.equal(config[p]?.extraResources?.[0]?.to, 'ffmpeg', `${p} bundles ffmpeg into resources/ffmpeg`);
});
