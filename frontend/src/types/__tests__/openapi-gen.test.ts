import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('openapi.gen.ts', () => {
  // docs/api/openapi.json is checked against the gateway's code by tests/unit/gateway/test_api_docs.py; this checks
  // the UI's types against that file, so a route change that is not regenerated fails one test or the other.
  it('is what openapi-typescript makes of docs/api/openapi.json today', () => {
    // Vitest runs in frontend/ (vite.config.ts's root).
    const run = () => execFileSync(process.execPath, ['scripts/gen-api-types.mjs', '--check'], { stdio: 'pipe' });
    expect(run).not.toThrow();
  }, 60_000);
});
