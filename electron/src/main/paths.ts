import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$TIMAO_HOME`, else the per-user folder the Python side uses (shared/config.py `default_home`). */
export function timaoHome(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  if (env.TIMAO_HOME) return env.TIMAO_HOME;
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'TalkingCat');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'TalkingCat');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'talkingcat');
}

export function gatewayPort(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.TIMAO_GATEWAY_PORT);
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : 9019;
}

export function gatewayUrl(env: NodeJS.ProcessEnv = process.env): string {
  return `http://127.0.0.1:${gatewayPort(env)}`;
}
