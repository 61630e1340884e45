import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export type TokenSource = 'env' | 'file' | 'generated';

export interface ResolvedToken {
  token: string;
  source: TokenSource;
}

/**
 * The gateway token, as the backend will see it: TIMAO_TOKEN, else `$TIMAO_HOME/token`, else a new
 * one written there (owner-only, exclusive create: if another writer wins, its token is kept).
 */
export function resolveToken(env: NodeJS.ProcessEnv, home: string): ResolvedToken {
  if (env.TIMAO_TOKEN && env.TIMAO_TOKEN.trim()) return { token: env.TIMAO_TOKEN.trim(), source: 'env' };
  const path = join(home, 'token');
  const existing = readToken(path);
  if (existing) return { token: existing, source: 'file' };
  const token = randomBytes(32).toString('base64url');
  mkdirSync(home, { recursive: true });
  try {
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, token);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      const other = readToken(path);
      if (other) return { token: other, source: 'file' };
    }
    throw e;
  }
  return { token, source: 'generated' };
}

function readToken(path: string): string | null {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return text || null;
  } catch {
    return null;
  }
}
