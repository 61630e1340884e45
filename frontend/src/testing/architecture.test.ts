import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layout rules (bulletproof-react): a feature never imports another feature (features are
 * composed in app/), shared code (components, lib, hooks, stores, types) never imports a feature,
 * and the API and event types have no `any`.
 */
const src = resolve(__dirname, '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return /\.(ts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name) ? [p] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2] ?? '');
}

function featureOf(path: string): string | null {
  const m = /(?:^|\/)features\/([^/]+)\//.exec(path);
  return m ? m[1]! : null;
}

function resolveImport(from: string, spec: string): string {
  if (spec.startsWith('@/')) return spec.slice(2);
  if (spec.startsWith('.')) return relative(src, resolve(from, '..', spec));
  return spec;
}

describe('architecture', () => {
  const all = files(src);

  it('features do not import other features', () => {
    const bad: string[] = [];
    for (const f of all) {
      const own = featureOf(relative(src, f));
      if (!own) continue;
      for (const spec of imports(f)) {
        const target = featureOf(resolveImport(f, spec));
        if (target && target !== own) bad.push(`${relative(src, f)} → ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('shared code does not import features', () => {
    const bad: string[] = [];
    for (const f of all) {
      const rel = relative(src, f);
      if (!/^(components|lib|hooks|stores|types)\//.test(rel)) continue;
      for (const spec of imports(f)) if (featureOf(resolveImport(f, spec))) bad.push(`${rel} → ${spec}`);
    }
    expect(bad).toEqual([]);
  });

  it('has no `any` in the API and event types', () => {
    for (const f of files(join(src, 'types'))) {
      const code = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      expect(code, relative(src, f)).not.toMatch(/\bany\b/);
    }
  });
});
