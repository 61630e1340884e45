#!/usr/bin/env node
/**
 * A stand-in for the gateway, with no dependencies: serves `dist/`, answers the HTTP API with
 * made-up data and streams synthetic live events on `/ws` (a minimal RFC 6455 server, text
 * frames only). Used by the UI benchmark, by screenshots, and for working on the UI without
 * the Python backend. It is not the backend: its shapes follow docs/contracts.md, nothing more.
 *
 *   node scripts/mock-gateway.mjs [--port 9019] [--token dev] [--rate 50] [--unavailable ast,streamcap]
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.png': 'image/png' };
const NAMES = ['小猫咪', '大橘', '阿花', '路人甲', '奶茶不加糖', '晚风', '程序员小王', '月亮', '西瓜太郎', '糖糖'];
const WORDS = ['主播好', '多少钱', '怎么买', '好看', '666', '上链接', '有优惠吗', '什么时候发货', '支持', '来了来了'];
const GIFTS = [['1', '小心心', 1], ['2', '玫瑰', 1], ['3', '人气票', 1], ['4', '加油鸭', 15], ['5', '嘉年华', 3000]];

function frame(text) {
  const payload = Buffer.from(text);
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x81, n]) : n < 65536 ? Buffer.from([0x81, 126, n >> 8, n & 255]) : (() => {
    const b = Buffer.alloc(10); b[0] = 0x81; b[1] = 127; b.writeBigUInt64BE(BigInt(n), 2); return b;
  })();
  return Buffer.concat([head, payload]);
}

function closeFrame(code, reason = '') {
  const r = Buffer.from(reason);
  const b = Buffer.alloc(4 + r.length);
  b[0] = 0x88; b[1] = 2 + r.length; b.writeUInt16BE(code, 2); r.copy(b, 4);
  return b;
}

export function createEventFactory(sessionId = 's-demo', liveId = '123456789') {
  let n = 0;
  let online = 1200;
  const combos = new Map();
  return function next(now = Date.now()) {
    n += 1;
    const user = { id: String(7000000000000000000n + BigInt(n % 997)), nickname: NAMES[n % NAMES.length] + (n % 97), gender: n % 2, display_id: `u${n % 997}` };
    const base = { session_id: sessionId, live_id: liveId, msg_id: String(9000000000000000000n + BigInt(n)), ts: now, user };
    const r = n % 20;
    if (r < 12) return { ...base, type: 'chat', data: { content: `${WORDS[n % WORDS.length]} #${n}` } };
    if (r < 14) {
      const [gift_id, gift_name, diamond_count] = GIFTS[n % GIFTS.length];
      const key = `${user.id}:${gift_id}`;
      const c = (combos.get(key) ?? 0) + 1;
      combos.set(key, c % 10);
      return { ...base, type: 'gift', data: { gift_id, gift_name, diamond_count, group_count: 1, combo_count: c, repeat_count: c, repeat_end: c % 10 === 0, group_id: key, delta: 1 } };
    }
    if (r < 16) return { ...base, type: 'like', data: { count: 3, total: n * 3 } };
    if (r < 18) return { ...base, type: 'member', data: { member_count: online } };
    if (r === 18) { online += Math.round(Math.sin(n / 50) * 30); return { ...base, type: 'room_stats', user: null, data: { online, total_pv: n * 10, display: String(online) } }; }
    return { ...base, type: n % 40 === 19 ? 'follow' : 'transcript', data: n % 40 === 19 ? {} : { text: `主播正在介绍第 ${n} 号商品`, start_ms: n * 100, end_ms: n * 100 + 900, confidence: 0.9, language: 'zh' } };
  };
}

export function startMockGateway({ port = 0, token = 'dev', rate = 50, unavailable = [], distDir } = {}) {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const dist = resolve(distDir ?? join(here, '..', 'dist'));
  const down = new Set(unavailable);
  const clients = new Set();
  const sessions = [{ session_id: 's-demo', live_id: '123456789', room_id: '7300000000000000001', state: 'connected', title: '演示直播间', anchor: '提猫' }];
  const recordings = [];
  const jobs = [];
  let settings = { gateway_port: 9019, streamcap_port: 6006, recordings_dir: '/tmp/recordings', recording_quality: 'origin', ast_engine: 'whisper', ast_model: 'tiny', log_level: 'INFO' };
  const makeEvent = createEventFactory();
  let timer = null;
  let currentRate = rate;

  const json = (res, code, body) => { res.writeHead(code, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(body)); };
  const readBody = (req) => new Promise((ok) => { let s = ''; req.on('data', (c) => (s += c)); req.on('end', () => { try { ok(s ? JSON.parse(s) : {}); } catch { ok({}); } }); });

  function series() {
    const now = Date.now();
    return Array.from({ length: 60 }, (_, i) => ({ t: now - (60 - i) * 60000, online: 1000 + Math.round(300 * Math.sin(i / 8)) + i * 5, comments: 20 + ((i * 37) % 50), likes: i * 10, gifts: i % 7, diamonds: (i % 7) * 15, follows: i % 3 }));
  }

  async function api(req, res, url) {
    const path = url.pathname;
    const service = path.startsWith('/api/douyin') ? 'douyin_fetcher' : path.startsWith('/api/streamcap') ? 'streamcap' : path.startsWith('/api/ast') ? 'ast' : 'gateway';
    if (down.has(service)) return json(res, 503, { detail: `${service} is not running` });
    const m = req.method;
    if (path === '/api/douyin/status') return json(res, 200, { sessions });
    if (path === '/api/douyin/start' && m === 'POST') { const b = await readBody(req); const id = `s-${randomUUID().slice(0, 8)}`; sessions.push({ session_id: id, live_id: String(b.live_id), state: 'connected', title: `直播间 ${b.live_id}`, anchor: '演示主播' }); return json(res, 200, { success: true, session_id: id }); }
    if (path === '/api/douyin/stop' && m === 'POST') { const b = await readBody(req); const s = sessions.find((x) => x.session_id === b.session_id); if (s) s.state = 'stopped'; return json(res, 200, { success: true }); }
    if (path === '/api/sessions') return json(res, 200, { sessions: sessions.map((s) => ({ id: s.session_id, platform: 'douyin', live_id: s.live_id, title: s.title, status: s.state === 'stopped' ? 'ended' : 'live', started_at: Date.now() - 3600000, ended_at: null })) });
    let mm;
    if ((mm = path.match(/^\/api\/sessions\/([^/]+)\/(stats|gifts\/ranking|chatters\/top|hotwords|questions|transcripts|comments)$/))) {
      const kind = mm[2];
      if (kind === 'stats') return json(res, 200, { series: series() });
      if (kind === 'gifts/ranking') return json(res, 200, { ranking: NAMES.map((n, i) => ({ user_id: String(i), nickname: n, diamonds: 5000 - i * 400, gifts: 50 - i * 3 })) });
      if (kind === 'chatters/top') return json(res, 200, { chatters: NAMES.map((n, i) => ({ user_id: String(i), nickname: n, count: 120 - i * 9 })) });
      if (kind === 'hotwords') return json(res, 200, { words: WORDS.map((w, i) => ({ word: w, count: 80 - i * 7 })) });
      if (kind === 'questions') return json(res, 200, { questions: [{ msg_id: '1', user_name: '晚风', content: '这个多少钱？', ts: Date.now() - 60000 }, { msg_id: '2', user_name: '糖糖', content: '什么时候发货？', ts: Date.now() - 30000 }] });
      if (kind === 'transcripts') return json(res, 200, { transcripts: Array.from({ length: 12 }, (_, i) => ({ text: `第 ${i + 1} 句：欢迎来到直播间`, start_ms: i * 3000, end_ms: i * 3000 + 2500, confidence: 0.92, language: 'zh' })) });
      return json(res, 200, { comments: [] });
    }
    if (path === '/api/streamcap/recordings') return json(res, 200, { recordings });
    if (path === '/api/streamcap/start' && m === 'POST') { const b = await readBody(req); const id = `r-${randomUUID().slice(0, 8)}`; recordings.unshift({ recording_id: id, state: 'recording', platform: b.platform, stream_url: b.stream_url, quality: b.quality, files: [{ path: `/tmp/recordings/${id}_000.mp4`, size: 12_345_678, duration: 61.2 }] }); return json(res, 200, { success: true, recording_id: id }); }
    if (path === '/api/streamcap/stop' && m === 'POST') { const b = await readBody(req); const r = recordings.find((x) => x.recording_id === b.recording_id); if (r) r.state = 'stopped'; return json(res, 200, { success: true }); }
    if (path === '/api/ast/status') return json(res, 200, { jobs, engine: settings.ast_engine, model: settings.ast_model, rtf: 0.21, queue_depth: 0, last_error: null });
    if (path === '/api/ast/start' && m === 'POST') { const b = await readBody(req); const id = b.audio_config?.session_id ?? `a-${randomUUID().slice(0, 8)}`; jobs.push({ session_id: id, state: 'running', engine: b.model_config?.engine, model: b.model_config?.model ?? null }); return json(res, 200, { success: true, session_id: id }); }
    if (path === '/api/ast/stop' && m === 'POST') { const b = await readBody(req); const i = jobs.findIndex((j) => j.session_id === b.session_id); if (i >= 0) jobs.splice(i, 1); return json(res, 200, { success: true }); }
    if (path === '/api/settings' && m === 'GET') return json(res, 200, settings);
    if (path === '/api/settings' && m === 'PUT') { settings = { ...settings, ...(await readBody(req)) }; return json(res, 200, settings); }
    return json(res, 404, { detail: 'not found' });
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/health') {
      const names = ['gateway', 'redis', 'douyin_fetcher', 'streamcap', 'ast'];
      const services = Object.fromEntries(names.map((n, i) => [n, down.has(n) ? { status: 'fatal', pid: null, port: null, restarts: 5, last_heartbeat: null, reason: `${n} exited with code 1` } : { status: 'running', pid: 1000 + i, port: n === 'gateway' ? 9019 : null, restarts: 0, last_heartbeat: Date.now() / 1000 }]));
      return json(res, 200, { status: down.size ? 'degraded' : 'ok', services });
    }
    if (url.pathname.startsWith('/api/')) {
      if (req.headers.authorization !== `Bearer ${token}`) return json(res, 401, { detail: 'bad token' });
      return api(req, res, url);
    }
    if (url.pathname === '/__rate' ) { currentRate = Number(url.searchParams.get('r')) || 0; return json(res, 200, { rate: currentRate }); }
    // static files, SPA fallback to index.html
    let file = normalize(join(dist, decodeURIComponent(url.pathname)));
    if (!file.startsWith(dist) || !existsSync(file) || statSync(file).isDirectory()) file = join(dist, 'index.html');
    if (!existsSync(file)) { res.writeHead(404); return res.end('build the UI first: npm run build'); }
    res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });

  server.on('upgrade', (req, socket) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const key = req.headers['sec-websocket-key'];
    if (url.pathname !== '/ws' || !key) return socket.destroy();
    const accept = createHash('sha1').update(key + GUID).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    if (url.searchParams.get('token') !== token) { socket.end(closeFrame(4401, 'bad token')); return; }
    socket.setNoDelay(true);
    clients.add(socket);
    socket.on('data', (buf) => { if ((buf[0] & 0x0f) === 0x8) { clients.delete(socket); socket.end(); } });
    socket.on('close', () => clients.delete(socket));
    socket.on('error', () => clients.delete(socket));
  });

  // emit in 10 ms ticks so 1,000 events/s arrive smoothly
  let carry = 0;
  timer = setInterval(() => {
    if (!clients.size || currentRate <= 0) return;
    carry += currentRate / 100;
    const n = Math.floor(carry);
    carry -= n;
    for (let i = 0; i < n; i++) {
      const data = frame(JSON.stringify(makeEvent()));
      for (const c of clients) c.write(data);
    }
  }, 10);

  return new Promise((ok) => server.listen(port, '127.0.0.1', () => ok({
    port: server.address().port,
    url: `http://127.0.0.1:${server.address().port}`,
    setRate(r) { currentRate = r; },
    dropClients(code = 1001) { for (const c of clients) c.end(closeFrame(code)); clients.clear(); },
    close() { clearInterval(timer); for (const c of clients) c.destroy(); return new Promise((done) => server.close(() => done())); },
  })));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt; };
  const gw = await startMockGateway({ port: Number(arg('port', 9019)), token: arg('token', 'dev'), rate: Number(arg('rate', 50)), unavailable: (arg('unavailable', '') || '').split(',').filter(Boolean) });
  console.log(`mock gateway on ${gw.url} (token: ${arg('token', 'dev')})`);
}
