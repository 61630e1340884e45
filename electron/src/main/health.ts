export interface HealthBody {
  status: string;
  services: Record<string, { status?: string; reason?: string | null }>;
}

/** GET /health once; null when there is no usable answer. */
export async function probeHealth(baseUrl: string, fetchImpl: typeof fetch = fetch, timeoutMs = 1500): Promise<HealthBody | null> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await fetchImpl(`${baseUrl}/health`, { signal: controller.signal });
    if (!res.ok) return null;
    const body = (await res.json()) as unknown;
    if (typeof body !== 'object' || body === null || typeof (body as { status?: unknown }).status !== 'string') return null;
    const b = body as { status: string; services?: unknown };
    const services = typeof b.services === 'object' && b.services !== null ? (b.services as HealthBody['services']) : {};
    return { status: b.status, services };
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
