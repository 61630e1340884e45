import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface HealthBody {
  status: string;
  services: Record<string, { status?: string; reason?: string | null }>;
  /** the gateway's answer to the challenge, when one was asked (see `helloProof`) */
  proof?: string;
}

/** A fresh challenge for `GET /health?challenge=`: 32 url-safe characters (the gateway takes 16-128 of A-Za-z0-9_-). */
export function newNonce(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * What our gateway answers to `nonce` on `port`: hex HMAC-SHA256 under the token (shared/websec.py `hello_proof`).
 * Only a process that holds the token can compute it; the port is signed too, so an answer relayed from a gateway on
 * another port does not pass.
 */
export function helloProof(token: string, port: number, nonce: string): string {
  return createHmac('sha256', token).update(`timao/hello/v1\n${port}\n${nonce}`).digest('hex');
}

/** True when `proof` is our gateway's answer to `nonce` (constant-time compare). */
export function proofMatches(token: string, port: number, nonce: string, proof: string | undefined): boolean {
  if (!token || typeof proof !== 'string') return false;
  const expected = Buffer.from(helloProof(token, port, nonce), 'utf8');
  const given = Buffer.from(proof, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** GET /health once (with `?challenge=nonce` when given); null when there is no usable answer. */
export async function probeHealth(
  baseUrl: string,
  fetchImpl: typeof fetch = fetch,
  timeoutMs = 1500,
  nonce?: string,
): Promise<HealthBody | null> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const query = nonce ? `?challenge=${encodeURIComponent(nonce)}` : '';
    // No credentials and no redirects: whatever answers here is not trusted yet.
    const res = await fetchImpl(`${baseUrl}/health${query}`, { signal: controller.signal, redirect: 'error' });
    if (!res.ok) return null;
    const body = (await res.json()) as unknown;
    if (typeof body !== 'object' || body === null || typeof (body as { status?: unknown }).status !== 'string') return null;
    const b = body as { status: string; services?: unknown; proof?: unknown };
    const services = typeof b.services === 'object' && b.services !== null ? (b.services as HealthBody['services']) : {};
    return { status: b.status, services, ...(typeof b.proof === 'string' ? { proof: b.proof } : {}) };
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** The gateway answers and says the suite can serve (ok, or degraded with some service down). */
export function isUsable(h: HealthBody | null): boolean {
  return h !== null && (h.status === 'ok' || h.status === 'degraded');
}
