import type { StartProgress } from './backend-manager';

/** The splash page: static HTML, no Node, updated through `window.__progress(...)`. */
export const SPLASH_HTML = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>提猫直播助手</title>
<style>
body{margin:0;font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;background:#fff7ed;color:#7c2d12;display:flex;flex-direction:column;justify-content:center;align-items:center;height:100vh;user-select:none}
h1{font-size:20px;margin:0 0 16px}#bar{width:320px;height:6px;background:#fed7aa;border-radius:3px;overflow:hidden}
#fill{height:100%;width:3%;background:#ea580c;transition:width .2s}#msg{margin-top:12px;font-size:13px;color:#9a3412;max-width:360px;text-align:center}
#svc{margin-top:8px;font-size:12px;color:#c2410c}
</style></head><body><h1>🐱 提猫直播助手</h1><div id="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100"><div id="fill"></div></div>
<div id="msg" role="status">正在启动后端…</div><div id="svc"></div>
<script>
window.__progress=function(p){var pct=Math.max(3,Math.min(99,Math.round(p.percent)));document.getElementById('fill').style.width=pct+'%';
document.getElementById('bar').setAttribute('aria-valuenow',String(pct));document.getElementById('msg').textContent=p.message;document.getElementById('svc').textContent=p.services||'';};
</script></body></html>`;

export function splashUrl(): string {
  return `data:text/html;charset=utf-8,${encodeURIComponent(SPLASH_HTML)}`;
}

export interface SplashUpdate {
  percent: number;
  message: string;
  services: string;
}

/** Progress grows with the services that are up, and with time, never reaching 100 before Running. */
export function splashUpdate(p: StartProgress): SplashUpdate {
  const names = Object.keys(p.services);
  const up = names.filter((n) => p.services[n] === 'running' || p.services[n] === 'ok').length;
  const byServices = names.length ? (up / names.length) * 80 : 0;
  const byTime = Math.min(60, (p.elapsedMs / p.timeoutMs) * 100);
  const attempt = p.attempt > 1 ? `（第 ${p.attempt} 次尝试）` : '';
  return {
    percent: Math.max(byServices, byTime) + 10,
    message: (p.services && names.length ? `后端已响应，服务 ${up}/${names.length} 已就绪` : '正在等待网关响应…') + attempt,
    services: names.map((n) => `${n}: ${p.services[n]}`).join(' · '),
  };
}
