// A stand-in backend for the manager's tests: answers GET /health on STUB_PORT.
//   STUB_DELAY_MS     wait this long before listening (a slow start)
//   STUB_EXIT_AFTER_MS exit(1) after this long (a crash)
//   STUB_IGNORE_TERM  ignore SIGTERM (forces the kill after the grace period)
//   STUB_INFO         append "pid token" lines to this file
//   STUB_PROOF_TOKEN  answer /health?challenge= with the proof for this token instead of TIMAO_TOKEN
//                     ('' = no proof at all: a program squatting the port)
//   STUB_REQUESTS     append "METHOD URL HEADERS" lines to this file, one per request received
import { createHmac } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';

const port = Number(process.env.STUB_PORT);
const proofToken = process.env.STUB_PROOF_TOKEN ?? process.env.TIMAO_TOKEN ?? '';
if (process.env.STUB_INFO) appendFileSync(process.env.STUB_INFO, `${process.pid} ${process.env.TIMAO_TOKEN ?? ''}\n`);
if (process.env.STUB_IGNORE_TERM) process.on('SIGTERM', () => {});
else process.on('SIGTERM', () => process.exit(0));
const server = createServer((req, res) => {
  if (process.env.STUB_REQUESTS) appendFileSync(process.env.STUB_REQUESTS, `${req.method} ${req.url} ${JSON.stringify(req.headers)}\n`);
  const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
  if (url.pathname === '/health') {
    const body = { status: 'ok', services: { gateway: { status: 'running', pid: process.pid } } };
    const challenge = url.searchParams.get('challenge');
    if (challenge && proofToken) body.proof = createHmac('sha256', proofToken).update(`timao/hello/v1\n${port}\n${challenge}`).digest('hex');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  } else {
    res.writeHead(404);
    res.end();
  }
});
setTimeout(() => server.listen(port, '127.0.0.1'), Number(process.env.STUB_DELAY_MS ?? 0));
if (process.env.STUB_EXIT_AFTER_MS) setTimeout(() => process.exit(1), Number(process.env.STUB_EXIT_AFTER_MS));
setInterval(() => {}, 1 << 30);
