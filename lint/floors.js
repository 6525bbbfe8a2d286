// The project's floors, and an ESLint rule that refuses an import going the wrong way.
//
//   front doors  cli/  server/  electron/        → core/, base/   (cli/ also server/: `foley serve`;
//                                                                   electron/ also server/'s static files)
//   renderer/    browser code                    → core/api/contract.ts (types and validators), base/
//   core/        services, the one API           → db/, media/, native-models/, base/
//   db/  media/  native-models/                  → base/ only (never each other)
//   base/        errors with codes, window arithmetic, shared types → nothing of ours
//
// tests/, bench/, scripts/ and lint/ sit outside the floors and may import anything. Packages that
// touch one kind of resource belong to one floor: SQLite and HNSW to db/, ONNX Runtime to
// native-models/, Electron to electron/ (a type-only import elsewhere is allowed: it loads nothing).
// The rule resolves each relative specifier against the importing file, so it judges where an import
// lands, not how the path is spelled.
import path from 'node:path';

/** Floor of a repository-relative path: its first folder, when that folder is a floor. */
export const FLOORS = {
  base: [],
  db: ['base'],
  media: ['base'],
  'native-models': ['base'],
  core: ['base', 'db', 'media', 'native-models'],
  server: ['base', 'core'],
  cli: ['base', 'core', 'server'],
  electron: ['base', 'core', 'server/static-files.ts'],
  renderer: ['base', 'core/api/contract.ts'],
};

/** Packages only one floor may load. */
export const PACKAGE_HOMES = {
  'better-sqlite3': 'db',
  'hnswlib-node': 'db',
  'onnxruntime-node': 'native-models',
  electron: 'electron',
};

const ROOT = path.resolve(import.meta.dirname, '..');

function floorOf(rel) {
  const top = rel.split('/')[0];
  return Object.hasOwn(FLOORS, top) ? top : null;
}

/** Why `from` (repository-relative) may not import `spec`, or null when it may. */
export function wrongWay(from, spec, { typeOnly = false } = {}) {
  const floor = floorOf(from);
  if (floor === null) return null;
  if (!spec.startsWith('.')) {
    const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
    const home = PACKAGE_HOMES[pkg];
    if (home === undefined || home === floor || typeOnly) return null;
    return `${floor}/ may not load "${pkg}": only ${home}/ does`;
  }
  const target = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  const to = floorOf(target);
  if (to === null || to === floor) return null;
  const allowed = FLOORS[floor].some((a) => (a.endsWith('.ts') ? target === a : to === a));
  if (allowed) return null;
  return `${floor}/ may not import ${target}: ${floor}/ imports only ${FLOORS[floor].length > 0 ? FLOORS[floor].join(', ') : 'packages and node: modules'} (see lint/floors.js)`;
}

/** @type {import('eslint').Rule.RuleModule} */
const floorsRule = {
  meta: {
    type: 'problem',
    docs: { description: 'imports go down the floors: front doors → core → db / media / native-models → base' },
    schema: [],
  },
  create(context) {
    const from = path.relative(ROOT, context.filename).split(path.sep).join('/');
    if (from.startsWith('..') || floorOf(from) === null) return {};
    const check = (node, source, typeOnly) => {
      if (source?.type !== 'Literal' || typeof source.value !== 'string') return;
      const why = wrongWay(from, source.value, { typeOnly });
      if (why !== null) context.report({ node: source, message: why });
    };
    return {
      ImportDeclaration: (n) => check(n, n.source, n.importKind === 'type'),
      ExportNamedDeclaration: (n) => check(n, n.source, n.exportKind === 'type'),
      ExportAllDeclaration: (n) => check(n, n.source, n.exportKind === 'type'),
      ImportExpression: (n) => check(n, n.source, false),
    };
  },
};

export default { rules: { floors: floorsRule } };
