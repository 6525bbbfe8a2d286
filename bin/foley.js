#!/usr/bin/env node
// The CLI is TypeScript run directly by Node's type stripping (Node >= 22.18, as in Electron 45).
// This shim only checks the Node version so an old system Node fails with a sentence, not a stack trace.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`foley: needs Node.js >= 22.18 (found ${process.versions.node}); run it through "npx foley" in the checkout, which uses the bundled Node 24.`);
  process.exit(1);
}
await import(new URL('../cli/main.ts', import.meta.url).href);
