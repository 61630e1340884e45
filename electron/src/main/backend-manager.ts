import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { BackendCommand } from './backend-command';
import { isUsable, newNonce, probeHealth, proofMatches, type HealthBody } from './health';
import { makeKillTree, type KillTree } from './process-tree';

/**
 * Supervises the backend process (the launcher, which supervises the services):
 * spawn → wait for /health → running; restart with backoff when it dies; give up (FATAL) after
 * too many quick deaths; stop in stages (SIGTERM / taskkill, a grace period, then kill the tree).
 *
 * Whatever answers on the gateway's port counts as our backend only once it proves it holds the token
 * (`GET /health?challenge=` answered with `helloProof`): the app hands the token to the gateway's page only after
 * `start()` resolves, so a process squatting the port never receives it.
 */

export enum BackendState {
  Stopped = 'stopped',
  Starting = 'starting',
  Running = 'running',
  Backoff = 'backoff',
  Stopping = 'stopping',
  Fatal = 'fatal',
}

export type RetryPolicy = (attempt: number, total: number) => number;

export const defaultRetryPolicy: RetryPolicy = (attempt) => Math.min(30_000, 1000 * 2 ** Math.max(0, attempt - 1));

export interface StartProgress {
  attempt: number;
  elapsedMs: number;
  timeoutMs: number;
  /** the services /health reports so far, with their states */
  services: Record<string, string>;
  message: string;
}

export interface BackendManagerOptions {
  command: BackendCommand;
  env: NodeJS.ProcessEnv;
  /** http://127.0.0.1:9019 */
  gatewayUrl: string;
  /** the token the backend runs with (default: env.TIMAO_TOKEN); the gateway must prove it holds it */
  token?: string;
  spawnImpl?: typeof spawn;
  fetchImpl?: typeof fetch;
  killTree?: KillTree;
  platform?: NodeJS.Platform;
  now?: () => number;
  retryPolicy?: RetryPolicy;
  /** how long a start may take before it counts as failed */
  startTimeoutMs?: number;
  pollIntervalMs?: number;
  /** SIGTERM → SIGKILL */
  graceMs?: number;
  /** restarts in a row (without staying up `stableMs`) before FATAL */
  maxRestarts?: number;
  stableMs?: number;
  /** use a backend that already answers /health instead of spawning one */
  attachExisting?: boolean;
}

interface Events {
  state: [state: BackendState, detail: string];
  progress: [progress: StartProgress];
  log: [line: string];
}

export class BackendManager extends EventEmitter<Events> {
  private readonly o: Required<Omit<BackendManagerOptions, 'fetchImpl' | 'token'>> & { fetchImpl: typeof fetch };
  private readonly token: string;
  private readonly port: number;
  private child: ChildProcess | null = null;
  private _state = BackendState.Stopped;
  private _detail = '';
  private attempt = 0;
  private total = 0;
  private restarts = 0;
  private attached = false;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private startWaiters: Array<{ ok: () => void; fail: (e: Error) => void }> = [];
  private exitWaiters: Array<() => void> = [];
  private spawnSerial = 0;

  constructor(opts: BackendManagerOptions) {
    super();
    const platform = opts.platform ?? process.platform;
    this.o = {
      spawnImpl: spawn,
      fetchImpl: opts.fetchImpl ?? ((input, init) => fetch(input, init)),
      killTree: makeKillTree(platform),
      platform,
      now: () => performance.now(),
      retryPolicy: defaultRetryPolicy,
      startTimeoutMs: 60_000,
      pollIntervalMs: 250,
      graceMs: 5000,
      maxRestarts: 5,
      stableMs: 30_000,
      attachExisting: true,
      ...opts,
    } as BackendManager['o'];
    this.token = opts.token ?? opts.env.TIMAO_TOKEN ?? '';
    const url = new URL(opts.gatewayUrl);
    this.port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  }

  get state(): BackendState {
    return this._state;
  }

  get detail(): string {
    return this._detail;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get restartCount(): number {
    return this.restarts;
  }

  get isRunning(): boolean {
    return this._state === BackendState.Running;
  }

  /** Resolves once /health answers; rejects when the manager gives up (FATAL) or is stopped. */
  start(): Promise<void> {
    if (this._state === BackendState.Running) return Promise.resolve();
    const done = new Promise<void>((ok, fail) => this.startWaiters.push({ ok, fail }));
    if (this._state === BackendState.Stopped || this._state === BackendState.Fatal) {
      this.attempt = 0;
      void this.begin();
    }
    return done;
  }

  /** Stops the backend (and its children): polite first, forced after the grace period. */
  async stop(): Promise<void> {
    this.clearTimers();
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.child = null;
      this.setState(BackendState.Stopped, 'stopped');
      this.failStartWaiters(new Error('backend stopped'));
      return;
    }
    this.setState(BackendState.Stopping, 'stopping');
    const exited = new Promise<void>((ok) => this.exitWaiters.push(ok));
    const pid = child.pid;
    if (pid !== undefined) this.o.killTree(pid, false);
    const forced = await Promise.race([exited.then(() => false), this.delay(this.o.graceMs).then(() => true)]);
    if (forced && pid !== undefined) {
      this.emit('log', `backend pid=${pid} did not stop within ${this.o.graceMs} ms; killing it`);
      this.o.killTree(pid, true);
      await Promise.race([exited, this.delay(3000)]);
    }
    this.child = null;
    this.setState(BackendState.Stopped, forced ? 'killed' : 'stopped');
    this.failStartWaiters(new Error('backend stopped'));
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  private async begin(): Promise<void> {
    this.attached = false;
    if (this.o.attachExisting) {
      const { health, ours } = await this.probe();
      if (isUsable(health) && ours) {
        this.attached = true;
        this.setState(BackendState.Running, `attached to the backend already running at ${this.o.gatewayUrl}`);
        this.resolveStartWaiters();
        return;
      }
      if (isUsable(health)) {
        // Not ours (another program, or a backend with another token): never attach, and spawning would only find
        // the port taken. Say so at once.
        const reason =
          `端口 ${this.port} 已被其他程序占用，且它无法证明持有本应用的令牌，令牌不会发给它 ` +
          `(another program answers on ${this.o.gatewayUrl} and cannot prove it holds this app's token; ` +
          'the token is not sent to it)';
        this.setState(BackendState.Fatal, reason);
        this.failStartWaiters(new Error(reason));
        return;
      }
    }
    this.spawnChild();
  }

  /** One /health probe with a fresh challenge: the answer, and whether it proves it holds our token. */
  private async probe(): Promise<{ health: HealthBody | null; ours: boolean }> {
    const nonce = newNonce();
    const health = await probeHealth(this.o.gatewayUrl, this.o.fetchImpl, 1000, nonce);
    return { health, ours: health !== null && proofMatches(this.token, this.port, nonce, health.proof) };
  }

  private spawnChild(): void {
    const serial = ++this.spawnSerial;
    const { command, args, cwd } = this.o.command;
    this.setState(BackendState.Starting, `${command} ${args.join(' ')}`);
    this.emit('log', `spawning backend: ${command} ${args.join(' ')} (cwd=${cwd})`);
    let child: ChildProcess;
    try {
      child = this.o.spawnImpl(command, args, {
        cwd,
        env: this.o.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: this.o.platform !== 'win32',
        windowsHide: true,
      });
    } catch (e) {
      this.onDied(`spawn failed: ${(e as Error).message}`);
      return;
    }
    this.child = child;
    child.stdout?.on('data', (b: Buffer) => this.emit('log', b.toString('utf8').trimEnd()));
    child.stderr?.on('data', (b: Buffer) => this.emit('log', b.toString('utf8').trimEnd()));
    child.on('error', (err) => {
      // ENOENT and friends: no 'exit' follows when the spawn itself failed
      if (this.child === child && child.pid === undefined) {
        this.child = null;
        this.onDied(`spawn failed: ${err.message}`);
      }
    });
    child.on('exit', (code, signal) => {
      const waiters = this.exitWaiters;
      this.exitWaiters = [];
      waiters.forEach((w) => w());
      if (this.child !== child) return;
      this.child = null;
      if (this._state === BackendState.Stopping || this._state === BackendState.Stopped) return;
      this.onDied(`backend exited (code=${code ?? 'null'} signal=${signal ?? 'null'})`);
    });
    void this.waitHealthy(serial);
  }

  private async waitHealthy(serial: number): Promise<void> {
    const t0 = this.o.now();
    for (;;) {
      if (serial !== this.spawnSerial || this._state !== BackendState.Starting) return;
      const elapsedMs = this.o.now() - t0;
      const { health, ours } = await this.probe();
      if (serial !== this.spawnSerial || this._state !== BackendState.Starting) return;
      this.emit('progress', progressOf(health, ours, this.attempt + 1, elapsedMs, this.o.startTimeoutMs));
      if (isUsable(health) && ours) {
        this.setState(BackendState.Running, `healthy after ${Math.round(elapsedMs)} ms`);
        this.resolveStartWaiters();
        this.after(this.o.stableMs, () => {
          if (serial === this.spawnSerial && this._state === BackendState.Running) this.attempt = 0;
        });
        return;
      }
      if (elapsedMs > this.o.startTimeoutMs) {
        const pid = this.child?.pid;
        this.emit('log', `backend not healthy within ${this.o.startTimeoutMs} ms`);
        this.spawnSerial++;
        const child = this.child;
        this.child = null;
        if (pid !== undefined) this.o.killTree(pid, true);
        child?.removeAllListeners('exit');
        this.onDied(`no answer from ${this.o.gatewayUrl}/health within ${Math.round(this.o.startTimeoutMs / 1000)} s`);
        return;
      }
      await this.delay(this.o.pollIntervalMs);
    }
  }

  private onDied(reason: string): void {
    this.attempt += 1;
    this.total += 1;
    this.emit('log', reason);
    if (this.attempt > this.o.maxRestarts) {
      this.setState(BackendState.Fatal, `${reason}; gave up after ${this.o.maxRestarts} restarts`);
      this.failStartWaiters(new Error(this._detail));
      return;
    }
    const delay = this.o.retryPolicy(this.attempt, this.total);
    this.restarts += 1;
    this.setState(BackendState.Backoff, `${reason}; restarting in ${Math.round(delay / 100) / 10} s`);
    this.after(delay, () => {
      if (this._state === BackendState.Backoff) this.spawnChild();
    });
  }

  private setState(state: BackendState, detail: string): void {
    this._state = state;
    this._detail = detail;
    this.emit('state', state, detail);
  }

  private resolveStartWaiters(): void {
    const w = this.startWaiters;
    this.startWaiters = [];
    w.forEach((x) => x.ok());
  }

  private failStartWaiters(err: Error): void {
    const w = this.startWaiters;
    this.startWaiters = [];
    w.forEach((x) => x.fail(err));
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private delay(ms: number): Promise<void> {
    return new Promise((ok) => this.after(ms, ok));
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** True when the running backend was found, not spawned (it is then not ours to stop). */
  get isAttached(): boolean {
    return this.attached;
  }
}

function progressOf(h: HealthBody | null, ours: boolean, attempt: number, elapsedMs: number, timeoutMs: number): StartProgress {
  const services: Record<string, string> = {};
  if (h && ours) for (const [name, s] of Object.entries(h.services)) services[name] = String(s.status ?? 'unknown');
  const up = Object.values(services).filter((s) => s === 'running' || s === 'ok').length;
  const total = Object.keys(services).length;
  let message = 'waiting for the gateway…';
  if (h && ours) message = `gateway answering, services ${up}/${total} up`;
  else if (h) message = 'another program answers on the gateway port (not this app\'s backend)';
  return { attempt, elapsedMs, timeoutMs, services, message };
}
