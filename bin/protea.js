#!/usr/bin/env node
// Entry point of the `protea` command; the TypeScript is compiled by `npm ci` (prepare) or `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('PROTEA_ERR_USAGE: the project is not built (dist/ is missing)\n  → run `npm run build` (npm ci does it too)');
  process.exit(1);
}
const { main } = await import(entry.href);
await main();
