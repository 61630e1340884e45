/** Stops the backend global-setup started (SIGTERM to its process group, then SIGKILL). */
export default async function globalTeardown(): Promise<void> {
  const pid = Number(process.env.TIMAO_E2E_PID);
  if (!pid) return;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(process.platform === 'win32' ? pid : -pid, sig);
      return true;
    } catch {
      return false;
    }
  };
  if (!signal('SIGTERM')) return;
  for (let i = 0; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 250));
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  signal('SIGKILL');
}
