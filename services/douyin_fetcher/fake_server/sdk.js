// The fake Douyin server's page script (served as /fake-sdk/webmssdk.js, docs/protocol/douyin.md §7.6). It plays
// the parts of the real page SDK the product relies on, with the fake's own algorithms (NOT Douyin's):
//   window.byted_acrawler.frontierSign({"X-MS-STUB": md5hex}) -> {"X-Bogus": signature}  (same as tests/fixtures/signer/test_sign.js)
//   a fetch wrapper adding a_bogus to every /webcast/ URL (signing.py's fake_a_bogus: query + "|" + userAgent)
//   the QR login panel for guests, and on a room page a push client like the real page's: real query parameters,
//   acks every need_ack frame, heartbeats every 10 s, closes after page idle_timeout_s without trusted activity.
// window.__fakePush holds what the push client did, for tests.
(function () {
  "use strict";
  var cfg = window.__FAKE_PAGE__ || {};
  var ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

  function getSign(stub) {
    var bytes = [];
    var h = 0x811c9dc5;
    for (var round = 0; round < 3; round++) {
      for (var i = 0; i < stub.length; i++) h = Math.imul(h ^ stub.charCodeAt(i), 0x01000193) >>> 0;
      h = Math.imul(h ^ (round + 1), 0x01000193) >>> 0;
      bytes.push((h >>> 24) & 255, (h >>> 16) & 255, (h >>> 8) & 255, h & 255);
    }
    var out = "";
    for (var j = 0; j < 12; j += 3) {
      var n = (bytes[j] << 16) | (bytes[j + 1] << 8) | bytes[j + 2];
      out += ALPHABET[(n >>> 18) & 63] + ALPHABET[(n >>> 12) & 63] + ALPHABET[(n >>> 6) & 63] + ALPHABET[n & 63];
    }
    return out;
  }

  function md5hex(text) {
    var msg = new TextEncoder().encode(text);
    var len = msg.length;
    var blocks = ((len + 8) >>> 6) + 1;
    var w = new Uint32Array(blocks * 16);
    for (var i = 0; i < len; i++) w[i >> 2] |= msg[i] << ((i % 4) * 8);
    w[len >> 2] |= 0x80 << ((len % 4) * 8);
    w[blocks * 16 - 2] = (len * 8) >>> 0;
    w[blocks * 16 - 1] = Math.floor(len / 0x20000000);
    var S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
    var K = [];
    for (i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 4294967296) >>> 0;
    var a0 = 0x67452301, b0 = 0xefcdab89, c0 = 0x98badcfe, d0 = 0x10325476;
    for (var blk = 0; blk < blocks; blk++) {
      var A = a0, B = b0, C = c0, D = d0;
      for (i = 0; i < 64; i++) {
        var F, g;
        if (i < 16) { F = (B & C) | (~B & D); g = i; }
        else if (i < 32) { F = (D & B) | (~D & C); g = (5 * i + 1) % 16; }
        else if (i < 48) { F = B ^ C ^ D; g = (3 * i + 5) % 16; }
        else { F = C ^ (B | ~D); g = (7 * i) % 16; }
        F = (F + A + K[i] + w[blk * 16 + g]) >>> 0;
        A = D; D = C; C = B;
        var s = S[(i >> 4) * 4 + (i % 4)];
        B = (B + ((F << s) | (F >>> (32 - s)))) >>> 0;
      }
      a0 = (a0 + A) >>> 0; b0 = (b0 + B) >>> 0; c0 = (c0 + C) >>> 0; d0 = (d0 + D) >>> 0;
    }
    var out = "";
    [a0, b0, c0, d0].forEach(function (v) {
      for (var j = 0; j < 4; j++) out += ((v >>> (j * 8)) & 255).toString(16).padStart(2, "0");
    });
    return out;
  }

  window.byted_acrawler = {
    init: function () {},
    frontierSign: function (obj) {
      return { "X-Bogus": getSign(String((obj || {})["X-MS-STUB"] || "")) };
    },
  };

  // ---------------------------------------------------------------- fetch with a_bogus

  var origFetch = window.fetch.bind(window);
  function aBogus(query) {
    return getSign(query + "|" + navigator.userAgent);
  }
  window.fetch = function (input, init) {
    var url = new URL(typeof input === "string" ? input : input.url, location.href);
    if (url.pathname.indexOf("/webcast/") === 0 && !url.searchParams.has("a_bogus")) {
      var query = url.search.slice(1);
      url.search = (query ? query + "&" : "") + "a_bogus=" + encodeURIComponent(aBogus(query));
      input = typeof input === "string" ? url.toString() : new Request(url.toString(), input);
    }
    return origFetch(input, init);
  };

  // ---------------------------------------------------------------- QR login (guests)

  function loginPanel() {
    if (cfg.logged_in || document.getElementById("login_panel")) return;
    var panel = document.createElement("div");
    panel.id = "login_panel";
    panel.innerHTML = '<p>扫码登录</p><div id="login_qrcode"></div><p id="login_status">打开抖音 App 扫一扫</p>';
    document.body.appendChild(panel);
    var status = panel.querySelector("#login_status");
    origFetch("/passport/web/get_qrcode/")
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        var token = answer.data.token;
        var qr = panel.querySelector("#login_qrcode");
        qr.setAttribute("data-token", token);
        qr.textContent = answer.data.qrcode_index_url;
        var timer = setInterval(function () {
          origFetch("/passport/web/check_qrconnect/?token=" + encodeURIComponent(token))
            .then(function (r) { return r.json(); })
            .then(function (poll) {
              if (poll.data.status === "3") {
                clearInterval(timer);
                status.textContent = "登录成功";
                location.reload();
              } else if (poll.data.status === "5") {
                clearInterval(timer);
                status.textContent = "二维码已过期，点击登录刷新";
                panel.remove();
              }
            })
            .catch(function () {});
        }, 1000);
      })
      .catch(function () { status.textContent = "二维码加载失败"; });
  }

  // A dropped socket under a login: is the login still valid? If not, show it, as the real page asks to log in again.
  function checkLogin() {
    origFetch("/webcast/user/me/?aid=6383")
      .then(function (r) { return r.json(); })
      .then(function (me) {
        if (me.status_code !== 20003 || !cfg.logged_in) return;
        cfg.logged_in = false;
        var state = document.getElementById("login_state");
        if (state) {
          state.setAttribute("data-logged-in", "0");
          state.innerHTML = '<button id="login_button" type="button">登录</button>';
          state.querySelector("#login_button").addEventListener("click", loginPanel);
        }
        loginPanel();
      })
      .catch(function () {});
  }

  // ---------------------------------------------------------------- protobuf, just what the push client needs

  function readVarint(buf, pos) {
    var value = 0n, shift = 0n, b;
    do {
      b = buf[pos++];
      value |= BigInt(b & 127) << shift;
      shift += 7n;
    } while (b & 128);
    return [value, pos];
  }

  function fields(buf) {
    var out = [], pos = 0;
    while (pos < buf.length) {
      var tag = readVarint(buf, pos);
      pos = tag[1];
      var num = Number(tag[0] >> 3n), type = Number(tag[0] & 7n), value;
      if (type === 0) { value = readVarint(buf, pos); pos = value[1]; value = value[0]; }
      else if (type === 2) {
        var len = readVarint(buf, pos);
        pos = len[1];
        value = buf.subarray(pos, pos + Number(len[0]));
        pos += Number(len[0]);
      } else if (type === 1) { value = null; pos += 8; }
      else if (type === 5) { value = null; pos += 4; }
      else throw new Error("wire type " + type);
      out.push([num, value]);
    }
    return out;
  }

  var utf8 = new TextDecoder();
  function writeVarint(out, value) {
    value = BigInt(value);
    do {
      var b = Number(value & 127n);
      value >>= 7n;
      out.push(value ? b | 128 : b);
    } while (value);
  }
  function ackFrame(logId, internalExt) {
    var out = [0x10];
    writeVarint(out, logId);
    out.push(0x3a, 3, 0x61, 0x63, 0x6b); // payload_type "ack"
    var payload = new TextEncoder().encode(internalExt);
    out.push(0x42);
    writeVarint(out, payload.length);
    var frame = new Uint8Array(out.length + payload.length);
    frame.set(out);
    frame.set(payload, out.length);
    return frame;
  }
  var HEARTBEAT = new Uint8Array([0x3a, 0x02, 0x68, 0x62]); // PushFrame{payload_type: "hb"}

  function gunzip(bytes) {
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).arrayBuffer().then(function (b) { return new Uint8Array(b); });
  }

  // ---------------------------------------------------------------- the push client

  var SIGNED_KEYS = ["live_id", "aid", "version_code", "webcast_sdk_version", "room_id", "sub_room_id",
    "sub_channel_id", "did_rule", "user_unique_id", "device_platform", "device_type", "ac", "identity"];

  function pushClient(room) {
    var push = (window.__fakePush = {
      state: "idle", connects: 0, frames: 0, acks: 0, heartbeats: 0, heartbeat_replies: 0, methods: [],
      signature: "", stub: "", idle: false,
    });
    var ws = null, hbTimer = null, retryTimer = null, backoff = 1000;
    var cursor = "", internalExt = "", lastActivity = Date.now();

    function params() {
      var ua = navigator.userAgent;
      var list = [
        ["app_name", "douyin_web"], ["version_code", "180800"], ["webcast_sdk_version", "1.0.15"],
        ["update_version_code", "1.0.15"], ["compress", "gzip"],
        ["cursor", cursor || "h-1_t-" + Date.now() + "_r-1_d-1_u-1"], ["host", "https://live.douyin.com"],
        ["aid", "6383"], ["live_id", "1"], ["did_rule", "3"], ["debug", "false"], ["maxCacheMessageNumber", "20"],
        ["endpoint", "live_pc"], ["support_wrds", "1"], ["im_path", "/webcast/im/fetch/"],
        ["user_unique_id", room.user_unique_id], ["device_platform", "web"], ["cookie_enabled", "true"],
        ["screen_width", String(screen.width)], ["screen_height", String(screen.height)],
        ["browser_language", navigator.language], ["browser_platform", navigator.platform],
        ["browser_name", ua.split("/")[0]], ["browser_version", ua.slice(ua.indexOf("/") + 1)],
        ["browser_online", String(navigator.onLine)],
        ["tz_name", Intl.DateTimeFormat().resolvedOptions().timeZone || "Asia/Shanghai"], ["identity", "audience"],
        ["room_id", room.room_id], ["need_persist_msg_count", "15"], ["heartbeatDuration", "0"],
      ];
      if (internalExt) list.push(["internal_ext", internalExt]);
      return list;
    }

    function signedUrl() {
      var list = params();
      var map = {};
      list.forEach(function (kv) { map[kv[0]] = kv[1]; });
      push.stub = md5hex(SIGNED_KEYS.map(function (k) { return k + "=" + (map[k] || ""); }).join(","));
      push.signature = window.byted_acrawler.frontierSign({ "X-MS-STUB": push.stub })["X-Bogus"];
      list.push(["signature", push.signature]);
      return room.ws_url + "?" + list.map(function (kv) {
        return encodeURIComponent(kv[0]) + "=" + encodeURIComponent(kv[1]);
      }).join("&");
    }

    function onFrame(data) {
      var frame = { headers: {} };
      fields(new Uint8Array(data)).forEach(function (f) {
        if (f[0] === 2) frame.logId = f[1];
        else if (f[0] === 5) {
          var kv = fields(f[1]);
          var key = "", value = "";
          kv.forEach(function (e) { if (e[0] === 1) key = utf8.decode(e[1]); else if (e[0] === 2) value = utf8.decode(e[1]); });
          frame.headers[key] = value;
        } else if (f[0] === 7) frame.type = utf8.decode(f[1]);
        else if (f[0] === 8) frame.payload = f[1];
      });
      if (frame.type === "hb") { push.heartbeat_replies++; return Promise.resolve(); }
      if (frame.type === "close") { if (ws) ws.close(); return Promise.resolve(); }
      if (frame.type !== "msg" || !frame.payload) return Promise.resolve();
      var body = frame.headers.compress_type === "gzip" ? gunzip(frame.payload) : Promise.resolve(frame.payload);
      return body.then(function (bytes) {
        var needAck = false, ext = "";
        fields(bytes).forEach(function (f) {
          if (f[0] === 1) {
            fields(f[1]).forEach(function (m) { if (m[0] === 1) push.methods.push(utf8.decode(m[1])); });
          } else if (f[0] === 2) cursor = utf8.decode(f[1]);
          else if (f[0] === 5) ext = utf8.decode(f[1]);
          else if (f[0] === 9) needAck = f[1] !== 0n;
        });
        if (push.methods.length > 2000) push.methods.splice(0, push.methods.length - 2000);
        internalExt = ext || internalExt;
        push.frames++;
        backoff = 1000;
        if (needAck && ws && ws.readyState === WebSocket.OPEN) {
          ws.send(ackFrame(frame.logId || 0n, ext));
          push.acks++;
        }
      }).catch(function (err) { push.last_error = String(err); });
    }

    function connect() {
      if (push.idle || (ws && ws.readyState <= WebSocket.OPEN)) return;
      push.state = "connecting";
      var chain = Promise.resolve();
      ws = new WebSocket(signedUrl());
      ws.binaryType = "arraybuffer";
      ws.onopen = function () {
        push.state = "connected";
        push.connects++;
        hbTimer = setInterval(function () {
          if (ws && ws.readyState === WebSocket.OPEN) { ws.send(HEARTBEAT); push.heartbeats++; }
        }, 10000);
      };
      ws.onmessage = function (event) {
        chain = chain.then(function () { return onFrame(event.data); }); // in order, like the real page
      };
      ws.onclose = function () {
        clearInterval(hbTimer);
        ws = null;
        if (cfg.logged_in) checkLogin();
        if (push.idle) { push.state = "idle"; return; }
        push.state = "backoff";
        retryTimer = setTimeout(connect, backoff); // reconnect with backoff, only while the viewer is there
        backoff = Math.min(backoff * 2, 30000);
      };
    }

    function goIdle() {
      push.idle = true;
      push.state = "idle";
      clearTimeout(retryTimer);
      if (ws) ws.close(1000, "page idle");
      if (!document.getElementById("idle_banner")) {
        var banner = document.createElement("div");
        banner.id = "idle_banner";
        banner.textContent = "长时间未操作，直播已暂停";
        document.body.appendChild(banner);
      }
    }

    ["mousemove", "pointerdown", "keydown", "wheel"].forEach(function (name) {
      window.addEventListener(name, function (event) {
        if (!event.isTrusted) return; // the real page ignores synthetic events
        lastActivity = Date.now();
        if (push.idle) {
          push.idle = false;
          var banner = document.getElementById("idle_banner");
          if (banner) banner.remove();
          connect();
        }
      }, { capture: true, passive: true });
    });
    setInterval(function () {
      if (!push.idle && Date.now() - lastActivity > room.idle_timeout_s * 1000) goIdle();
    }, 500);
    connect();
  }

  function start() {
    var bar = document.getElementById("login_button");
    if (bar) bar.addEventListener("click", loginPanel);
    loginPanel(); // the platform pops its login window up for guests
    if (cfg.room) {
      document.title = cfg.room.title;
      if (cfg.room.ws_url) pushClient(cfg.room);
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
