import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface BackendCommand {
  command: string;
  args: string[];
  cwd: string;
}

export interface CommandContext {
  isPackaged: boolean;
  /** Electron's process.resourcesPath */
  resourcesPath: string;
  platform: NodeJS.Platform;
  /** the repository root in development (where service_launcher.py is) */
  repoRoot: string;
  env: NodeJS.ProcessEnv;
  exists?: (path: string) => boolean;
}

/**
 * How to start the backend: the packaged `resources/backend/TimaoBackend` (PyInstaller; it starts
 * every service by re-running itself) when packaged, `python service_launcher.py` in development.
 * TIMAO_BACKEND_CMD overrides both (a path, run with `up`).
 */
export function resolveBackendCommand(ctx: CommandContext): BackendCommand {
  const exists = ctx.exists ?? existsSync;
  const win = ctx.platform === 'win32';
  if (ctx.env.TIMAO_BACKEND_CMD) {
    return { command: ctx.env.TIMAO_BACKEND_CMD, args: ['up'], cwd: ctx.repoRoot };
  }
  if (ctx.isPackaged) {
    const dir = join(ctx.resourcesPath, 'backend');
    return { command: join(dir, win ? 'TimaoBackend.exe' : 'TimaoBackend'), args: ['up'], cwd: dir };
  }
  const root = resolve(ctx.repoRoot);
  const venvPython = win ? join(root, '.venv', 'Scripts', 'python.exe') : join(root, '.venv', 'bin', 'python');
  const python = ctx.env.TIMAO_PYTHON || (exists(venvPython) ? venvPython : win ? 'python' : 'python3');
  return { command: python, args: [join(root, 'service_launcher.py')], cwd: root };
}
