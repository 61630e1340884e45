// A stand-in backend for the manager's tests: answers GET /health on STUB_PORT.
//   STUB_DELAY_MS     wait this long before listening (a slow start)
//   STUB_EXIT_AFTER_MS exit(1) after this long (a crash)
//   STUB_IGNORE_TERM  ignore SIGTERM (forces the kill after the grace period)
//   STUB_INFO         append "pid token" lines to this file
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';

const port = Number(process.env.STUB_PORT);
if (process.env.STUB_INFO) appendFileSync(process.env.STUB_INFO, `${process.pid} ${process.env.TIMAO_TOKEN ?? ''}\n`);
if (process.env.STUB_IGNORE_TERM) process.on('SIGTERM', () => {});
else process.on('SIGTERM', () => process.exit(0));
const server = createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ status: 'ok', services: { gateway: { status: 'running', pid: process.pid } } }));
  } else {
    res.writeHead(404);
    res.end();
  }
});
setTimeout(() => server.listen(port, '127.0.0.1'), Number(process.env.STUB_DELAY_MS ?? 0));
if (process.env.STUB_EXIT_AFTER_MS) setTimeout(() => process.exit(1), Number(process.env.STUB_EXIT_AFTER_MS));
setInterval(() => {}, 1 << 30);
