// The UI's API types, generated from the gateway's OpenAPI schema (docs/api/openapi.json, itself written by
// scripts/gen_api_docs.py from the running code). `npm run gen:api` writes src/types/openapi.gen.ts; `--check` exits 1
// when that file is stale (src/types/__tests__/openapi-gen.test.ts runs it).
import { readFileSync, writeFileSync } from 'node:fs';
import openapiTS, { astToString } from 'openapi-typescript';

const SCHEMA = new URL('../../docs/api/openapi.json', import.meta.url);
const OUT = new URL('../src/types/openapi.gen.ts', import.meta.url);
const BANNER = `/**
 * Generated from docs/api/openapi.json by scripts/gen-api-types.mjs (openapi-typescript): do not edit.
 * After a route changes: \`.venv/bin/python scripts/gen_api_docs.py\`, then \`npm run gen:api\` in frontend/.
 */

`;

const ast = await openapiTS(JSON.parse(readFileSync(SCHEMA, 'utf8')));
const text = BANNER + astToString(ast);
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(OUT, 'utf8');
  } catch {
    // missing: stale
  }
  if (current !== text) {
    console.error('src/types/openapi.gen.ts is stale: run `npm run gen:api` in frontend/');
    process.exit(1);
  }
} else {
  writeFileSync(OUT, text);
}
