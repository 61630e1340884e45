import { describe, expect, it, vi } from 'vitest';
import { helloProof, newNonce, probeHealth, proofMatches } from '../src/main/health';

describe('the gateway challenge', () => {
  it('computes the proof exactly as the gateway does', () => {
    // the same vector as tests/unit/shared/test_websec.py (shared/websec.py hello_proof)
    expect(helloProof('tok-123', 9019, 'nonce-0123456789abcdef')).toBe('882f8ada29d051e645d5cc7d80e497f7c7c30b8bd38c56c5bbd4806112ae3f44');
  });

  it('accepts only the proof for this token, port and nonce', () => {
    const nonce = newNonce();
    const proof = helloProof('tok', 9019, nonce);
    expect(proofMatches('tok', 9019, nonce, proof)).toBe(true);
    expect(proofMatches('tok', 9020, nonce, proof)).toBe(false); // relayed from a gateway on another port
    expect(proofMatches('tok', 9019, newNonce(), proof)).toBe(false); // replayed
    expect(proofMatches('other', 9019, nonce, proof)).toBe(false);
    expect(proofMatches('tok', 9019, nonce, undefined)).toBe(false);
    expect(proofMatches('tok', 9019, nonce, proof.slice(1))).toBe(false);
    expect(proofMatches('', 9019, nonce, helloProof('', 9019, nonce))).toBe(false); // no token, no trust
  });

  it('makes fresh nonces the gateway takes', () => {
    const a = newNonce();
    expect(a).toMatch(/^[A-Za-z0-9_-]{16,128}$/);
    expect(newNonce()).not.toBe(a);
  });

  it('asks /health with the challenge, without credentials, and hands back the proof', async () => {
    const fetchImpl = vi.fn(async (_url: string, _init?: RequestInit) => new Response(JSON.stringify({ status: 'ok', services: {}, proof: 'abc' })));
    const body = await probeHealth('http://127.0.0.1:9019', fetchImpl as unknown as typeof fetch, 1000, 'n'.repeat(16));
    expect(body).toEqual({ status: 'ok', services: {}, proof: 'abc' });
    const [url, init] = fetchImpl.mock.calls[0]!;
    expect(url).toBe(`http://127.0.0.1:9019/health?challenge=${'n'.repeat(16)}`);
    expect(init?.headers).toBeUndefined();
    expect(init?.redirect).toBe('error');
  });
});
