export type Tone = 'ok' | 'warn' | 'bad' | 'idle';

const toneClass: Record<Tone, string> = {
  ok: 'bg-emerald-500',
  warn: 'bg-amber-500',
  bad: 'bg-rose-500',
  idle: 'bg-slate-400',
};

export function StatusDot({ tone, pulse = false }: { tone: Tone; pulse?: boolean }) {
  return (
    <span aria-hidden="true" className={`inline-block h-2 w-2 shrink-0 rounded-full ${toneClass[tone]} ${pulse ? 'animate-pulse' : ''}`} />
  );
}

export function toneForState(state: string | null | undefined): Tone {
  switch (state) {
    case 'ok':
    case 'running':
    case 'open':
    case 'connected':
    case 'recording':
    case 'live':
      return 'ok';
    case 'starting':
    case 'connecting':
    case 'resuming':
    case 'reconnecting':
    case 'backoff':
    case 'degraded':
    case 'stopping':
    case 'stalled':
    case 'restarting':
    case 'remuxing':
      return 'warn';
    case 'fatal':
    case 'down':
    case 'error':
    case 'failed':
    case 'exited':
    case 'unauthorized':
      return 'bad';
    default:
      return 'idle';
  }
}
