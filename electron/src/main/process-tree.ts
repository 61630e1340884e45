import { spawn } from 'node:child_process';

export type KillTree = (pid: number, force: boolean) => void;

/**
 * Signals a process and its children. POSIX: the child was spawned detached (its own process group),
 * so the group gets SIGTERM, or SIGKILL when forced. Windows: `taskkill /T` (plus `/F` when forced).
 */
export function makeKillTree(platform: NodeJS.Platform = process.platform, spawnImpl: typeof spawn = spawn): KillTree {
  if (platform === 'win32') {
    return (pid, force) => {
      const args = ['/PID', String(pid), '/T'];
      if (force) args.push('/F');
      const p = spawnImpl('taskkill', args, { stdio: 'ignore', windowsHide: true });
      p.on('error', () => undefined);
    };
  }
  return (pid, force) => {
    const sig: NodeJS.Signals = force ? 'SIGKILL' : 'SIGTERM';
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
}
