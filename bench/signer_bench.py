"""The Douyin ``js:`` signer's cost (#15, part 5): loading a script and signing, in QuickJS (the product's engine,
shared/platforms/douyin/signer.py) and, when mini-racer is installed, in V8 for comparison.

    .venv/bin/python bench/signer_bench.py [--calls 200] [--burst 400] [SIGN_JS ...]

Scripts: the fake server's test signer (tests/fixtures/signer/test_sign.js), a heavy stand-in this bench writes
(about 100 KB, built like the obfuscated signers public Douyin clients use: an RC4-encoded string table read through
a decoder, a bytecode interpreter running a mixing program over a bytecode blob mostly never run, SM3 and MD5 of the
stub and of a browser fingerprint, RC4 and a custom base64 alphabet; all written here, no third-party code), and
any SIGN_JS given (e.g. your own sign.js: it is only read).

How it measures:
  * load: a fresh context evaluates the script (QuickJS: ``JsSigner``'s first call, i.e. load plus one signature,
    through the signer's thread; V8: ``MiniRacer().eval``).
  * per call: ``--calls`` signatures one after another on the loaded context, median and 95th percentile. QuickJS
    goes through ``JsSigner.sign_sync`` (its thread hop included), V8 through ``MiniRacer.call``.
  * burst: ``--burst`` rooms sign at once (``asyncio.gather`` of ``JsSigner.sign``), as after a worker failover:
    the wall time until the last has its signature. It must stay well inside 15 s (the failover budget, #14).
  * The heavy stand-in's SM3 and MD5 are checked against hashlib in each engine first.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.platforms.douyin.signer import JsSigner

TEST_SIGNER_JS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "signer" / "test_sign.js"

# The heavy stand-in's plain core. Property names written as `.@name` become reads through the encoded string table.
_CORE = r"""
function _rotl(x, n) { return (x << n) | (x >>> (32 - n)); }
function _bytes(s) { var out = []; for (var i = 0; i < s.@length; i++) { var c = s.@charCodeAt(i);
  if (c < 128) out.@push(c); else if (c < 2048) out.@push(192 | (c >> 6), 128 | (c & 63));
  else out.@push(224 | (c >> 12), 128 | ((c >> 6) & 63), 128 | (c & 63)); } return out; }
function _sm3(m) {
  var V = [0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e];
  var bits = m.@length * 8; m = m.@slice(); m.@push(128); while (m.@length % 64 != 56) m.@push(0);
  var hi = Math.@floor(bits / 4294967296);
  m.@push((hi >>> 24) & 255, (hi >>> 16) & 255, (hi >>> 8) & 255, hi & 255,
          (bits >>> 24) & 255, (bits >>> 16) & 255, (bits >>> 8) & 255, bits & 255);
  var W = new Array(68), W1 = new Array(64);
  for (var off = 0; off < m.@length; off += 64) {
    for (var j = 0; j < 16; j++)
      W[j] = (m[off + 4 * j] << 24) | (m[off + 4 * j + 1] << 16) | (m[off + 4 * j + 2] << 8) | m[off + 4 * j + 3];
    for (j = 16; j < 68; j++) { var x = W[j - 16] ^ W[j - 9] ^ _rotl(W[j - 3], 15);
      W[j] = x ^ _rotl(x, 15) ^ _rotl(x, 23) ^ _rotl(W[j - 13], 7) ^ W[j - 6]; }
    for (j = 0; j < 64; j++) W1[j] = W[j] ^ W[j + 4];
    var A = V[0], B = V[1], C = V[2], D = V[3], E = V[4], F = V[5], G = V[6], H = V[7];
    for (j = 0; j < 64; j++) {
      var T = j < 16 ? 0x79cc4519 : 0x7a879d8a, a12 = _rotl(A, 12);
      var SS1 = _rotl((a12 + E + _rotl(T, j % 32)) | 0, 7), SS2 = SS1 ^ a12;
      var FF = j < 16 ? A ^ B ^ C : (A & B) | (A & C) | (B & C), GG = j < 16 ? E ^ F ^ G : (E & F) | (~E & G);
      var TT1 = (FF + D + SS2 + W1[j]) | 0, TT2 = (GG + H + SS1 + W[j]) | 0;
      D = C; C = _rotl(B, 9); B = A; A = TT1; H = G; G = _rotl(F, 19); F = E; E = TT2 ^ _rotl(TT2, 9) ^ _rotl(TT2, 17);
    }
    V[0] ^= A; V[1] ^= B; V[2] ^= C; V[3] ^= D; V[4] ^= E; V[5] ^= F; V[6] ^= G; V[7] ^= H;
  }
  var out = [];
  for (j = 0; j < 8; j++) out.@push((V[j] >>> 24) & 255, (V[j] >>> 16) & 255, (V[j] >>> 8) & 255, V[j] & 255);
  return out;
}
var _MD5K = []; for (var _i = 0; _i < 64; _i++) _MD5K[_i] = Math.@floor(Math.@abs(Math.@sin(_i + 1)) * 4294967296) | 0;
var _MD5S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
function _md5(m) {
  var bits = m.@length * 8; m = m.@slice(); m.@push(128); while (m.@length % 64 != 56) m.@push(0);
  m.@push(bits & 255, (bits >>> 8) & 255, (bits >>> 16) & 255, (bits >>> 24) & 255, 0, 0, 0, 0);
  var h = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476], X = new Array(16);
  for (var off = 0; off < m.@length; off += 64) {
    for (var j = 0; j < 16; j++)
      X[j] = m[off + 4 * j] | (m[off + 4 * j + 1] << 8) | (m[off + 4 * j + 2] << 16) | (m[off + 4 * j + 3] << 24);
    var a = h[0], b = h[1], c = h[2], d = h[3];
    for (j = 0; j < 64; j++) {
      var f, g, r = j >> 4;
      if (r == 0) { f = (b & c) | (~b & d); g = j; } else if (r == 1) { f = (d & b) | (~d & c); g = (5 * j + 1) % 16; }
      else if (r == 2) { f = b ^ c ^ d; g = (3 * j + 5) % 16; } else { f = c ^ (b | ~d); g = (7 * j) % 16; }
      var t = d; d = c; c = b; b = (b + _rotl((a + f + _MD5K[j] + X[g]) | 0, _MD5S[(r << 2) | (j & 3)])) | 0; a = t;
    }
    h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
  }
  var out = []; for (j = 0; j < 16; j++) out.@push((h[j >> 2] >>> (8 * (j & 3))) & 255); return out;
}
function _rc4(key, data) {
  var S = [], i, j = 0, t, out = [];
  for (i = 0; i < 256; i++) S[i] = i;
  for (i = 0; i < 256; i++) { j = (j + S[i] + key[i % key.@length]) & 255; t = S[i]; S[i] = S[j]; S[j] = t; }
  i = j = 0;
  for (var k = 0; k < data.@length; k++) { i = (i + 1) & 255; j = (j + S[i]) & 255; t = S[i]; S[i] = S[j]; S[j] = t;
    out.@push(data[k] ^ S[(S[i] + S[j]) & 255]); }
  return out;
}
function _b64(bytes, alphabet) { var out = "";
  for (var i = 0; i + 2 < bytes.@length; i += 3) { var n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += alphabet.@charAt((n >>> 18) & 63) + alphabet.@charAt((n >>> 12) & 63);
    out += alphabet.@charAt((n >>> 6) & 63) + alphabet.@charAt(n & 63); }
  return out; }
function _hex(bytes) { var s = "";
  for (var i = 0; i < bytes.@length; i++) s += (bytes[i] < 16 ? "0" : "") + bytes[i].@toString(16); return s; }
function _check_sm3(s) { return _hex(_sm3(_bytes(s))); }
function _check_md5(s) { return _hex(_md5(_bytes(s))); }

// A stack machine: ops are [code, arg] pairs; the native table is reachable from bytecode.
function _vm(code, pc, regs, natives) {
  var st = [], sp = 0, steps = 0;
  for (;;) {
    var op = code[pc], arg = code[pc + 1]; pc += 2; steps++;
    switch (op) {
      case 1: st[sp++] = arg; break;
      case 2: st[sp++] = regs[arg]; break;
      case 3: regs[arg] = st[--sp]; break;
      case 4: sp--; st[sp - 1] = (st[sp - 1] + st[sp]) | 0; break;
      case 5: sp--; st[sp - 1] = st[sp - 1] ^ st[sp]; break;
      case 6: sp--; st[sp - 1] = st[sp - 1] & st[sp]; break;
      case 7: sp--; st[sp - 1] = _rotl(st[sp - 1], st[sp] & 31); break;
      case 8: sp--; st[sp - 1] = Math.@imul(st[sp - 1], st[sp]); break;
      case 9: sp--; st[sp - 1] = st[sp - 1] % st[sp]; break;
      case 10: sp--; st[sp - 1] = regs[0][st[sp]]; break;
      case 11: sp -= 2; regs[0][st[sp]] = st[sp + 1]; break;
      case 12: pc = arg; break;
      case 13: if (st[--sp] < 0) pc = arg; break;
      case 14: sp--; st[sp - 1] = st[sp - 1] - st[sp]; break;
      case 15: st[sp] = st[sp - 1]; sp++; break;
      case 16: regs[arg] = natives[arg](regs[arg]); break;
      case 17: sp--; st[sp - 1] = st[sp - 1] >>> st[sp]; break;
      case 0: return steps;
      default: throw new Error("bad op " + op);
    }
  }
}
"""


def _assemble_mix(rounds: int) -> list[int]:
    """Bytecode: for i in 0..rounds*64: a[i%64] = (rotl(a[i%64] ^ a[(i*7+3)%64] + i*0x9e37, i&31) * 0x2f) & 255."""
    code: list[int] = []

    def op(c: int, a: int = 0) -> None:
        code.extend((c, a))

    op(1, 0)
    op(3, 1)  # r1 = i = 0
    loop = len(code)
    op(2, 1)
    op(1, 64)
    op(9)
    op(3, 2)  # r2 = i % 64
    op(2, 2)  # index for the store
    op(2, 2)
    op(10)  # a[r2]
    op(2, 1)
    op(1, 7)
    op(8)
    op(1, 3)
    op(4)
    op(1, 64)
    op(9)
    op(10)  # a[(i*7+3)%64]
    op(5)
    op(2, 1)
    op(1, 0x9E37)
    op(8)
    op(4)
    op(2, 1)
    op(7)
    op(1, 0x2F)
    op(8)
    op(1, 255)
    op(6)
    op(11)  # a[r2] = ...
    op(2, 1)
    op(1, 1)
    op(4)
    op(15)
    op(3, 1)  # i += 1
    op(1, rounds * 64)
    op(14)
    op(13, loop)  # i - n < 0: again
    op(0)
    return code


def heavy_script(target_bytes: int = 100_000, seed: int = 15) -> str:
    """The heavy stand-in: deterministic, about ``target_bytes`` of JavaScript."""
    rnd = random.Random(seed)
    names = sorted({m[2:] for m in re.findall(r"\.@[A-Za-z]+", _CORE)})
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
    decoys = ["".join(rnd.choice(letters) for _ in range(rnd.randint(4, 14))) for _ in range(700)]
    table = decoys[:]
    positions: dict[str, int] = {}
    for name in names:  # the real names hide among the decoys
        positions[name] = rnd.randrange(len(table) + 1)
        table.insert(positions[name], name)
    positions = {name: table.index(name) for name in names}
    keys = ["".join(rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(4)) for _ in table]
    encoded = [_rc4_b64(key, text) for key, text in zip(keys, table, strict=True)]
    core = _CORE
    for name in sorted(names, key=len, reverse=True):
        index = positions[name]
        core = core.replace(f".@{name}", f"[_0x5e1d(0x{index:x}, '{keys[index]}')]")
    mix = _assemble_mix(rounds=6)
    blob = mix + [rnd.randrange(0, 18) if i % 2 == 0 else rnd.randrange(0, 4096) for i in range(2 * 6000)]
    blob_key = rnd.randrange(1, 65535)
    blob_hex = ",".join(f"{(v ^ (blob_key + 31 * i)) & 0xFFFF:x}" for i, v in enumerate(blob))
    alphabet = "".join(rnd.sample("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 64))
    prelude = (
        "var _0x3a7f = [" + ",".join(f"'{e}'" for e in encoded) + "];\n"
        "var _0x5e1d = (function (table) { var cache = {}, b64 = "
        "'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';\n"
        "  function unb64(s) { var out = [], bits = 0, acc = 0; for (var i = 0; i < s.length; i++) {"
        " var v = b64.indexOf(s.charAt(i)); if (v < 0) continue; acc = (acc << 6) | v; bits += 6;"
        " if (bits >= 8) { bits -= 8; out.push((acc >> bits) & 255); } } return out; }\n"
        "  return function (i, key) { var k = i + key; if (k in cache) return cache[k];"
        " var S = [], j = 0, t, x = 0, y = 0, data = unb64(table[i]), out = '';"
        " for (var a = 0; a < 256; a++) S[a] = a;"
        " for (a = 0; a < 256; a++) {"
        " j = (j + S[a] + key.charCodeAt(a % key.length)) & 255; t = S[a]; S[a] = S[j]; S[j] = t; }"
        " for (a = 0; a < data.length; a++) { x = (x + 1) & 255; y = (y + S[x]) & 255; t = S[x]; S[x] = S[y]; S[y] = t;"
        " out += String.fromCharCode(data[a] ^ S[(S[x] + S[y]) & 255]); }"
        " return cache[k] = out; }; })(_0x3a7f);\n"
    )
    tail = (
        f"var _0x1c0d = (function () {{ var raw = '{blob_hex}'.split(','), out = new Array(raw.length);"
        f" for (var i = 0; i < raw.length; i++) out[i] = (parseInt(raw[i], 16) ^ ({blob_key} + 31 * i)) & 0xffff;"
        " return out; })();\n"
        f"var _0x2b9e = '{alphabet}';\n"
        "var _0x77aa = {userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/120.0.0.0 Safari/537.36', platform: 'Win32', language: 'zh-CN', screen: [1920, 1080, 24],"
        " plugins: ['PDF Viewer', 'Chrome PDF Viewer'], timezone: -480};\n"
        "function get_sign(stub) {\n"
        "  var order = '4|0|3|1|2'.split('|'), step = 0, st = {};\n"
        "  while (true) { switch (order[step++]) {\n"
        "    case '4': st.t = Date.now(); st.fp = JSON.stringify(_0x77aa) + st.t; continue;\n"
        "    case '0': st.h1 = _sm3(_bytes(stub + 'dhzx')); st.h2 = _sm3(_md5(_bytes(st.fp))); continue;\n"
        "    case '3': st.ua = _sm3(_bytes(_b64(_rc4([0, 1, 14], _bytes(_0x77aa.userAgent)), _0x2b9e))); continue;\n"
        "    case '1': st.a = st.h1.concat(st.h2); st.steps = _vm(_0x1c0d, 0, [st.a], [_sm3]); continue;\n"
        "    case '2': var raw = st.a.concat(st.ua.slice(0, 8), [st.t & 255, (st.t >>> 8) & 255, st.steps & 255]);\n"
        "      return _b64(_rc4(_bytes('y'), raw), _0x2b9e).slice(0, 16);\n"
        "  } }\n"
        "}\n"
    )
    # Dead code to the size of the obfuscated originals: decoy functions of the same shapes, never called.
    pad = []
    size = len(prelude) + len(core) + len(tail)
    n = 0
    while size < target_bytes:
        a, b, c = (rnd.randrange(1, 1 << 30) for _ in range(3))
        body = (
            f"function _0x{rnd.randrange(1 << 24):06x}{n}(x, y) {{ var s = {a}; for (var i = 0; i < (y | 0) % 97; i++)"
            f" {{ s = _rotl(s ^ x[i % x.length], {rnd.randrange(1, 31)}) + {b} | 0; if (s % {c} == 0) break; }}"
            f" return [s & 255, _0x5e1d(0x{rnd.randrange(len(table)):x}, '{rnd.choice(keys)}')]; }}\n"
        )
        pad.append(body)
        size += len(body)
        n += 1
    return prelude + core + "".join(pad) + tail


def _rc4_b64(key: str, text: str) -> str:
    s = list(range(256))
    j = 0
    kb = key.encode()
    for i in range(256):
        j = (j + s[i] + kb[i % len(kb)]) & 255
        s[i], s[j] = s[j], s[i]
    out = bytearray()
    i = j = 0
    for ch in text.encode("latin-1"):
        i = (i + 1) & 255
        j = (j + s[i]) & 255
        s[i], s[j] = s[j], s[i]
        out.append(ch ^ s[(s[i] + s[j]) & 255])
    return base64.b64encode(bytes(out)).decode()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _stubs(n: int) -> list[str]:
    return [hashlib.md5(str(i).encode(), usedforsecurity=False).hexdigest() for i in range(n)]


def bench_quickjs(path: Path, calls: int, burst: int, heavy: bool) -> dict[str, Any]:
    signer = JsSigner(path)
    stubs = _stubs(calls)
    started = time.perf_counter()
    signer.sign_sync(stubs[0])
    load = time.perf_counter() - started
    if heavy:
        thread = signer._thread
        assert thread is not None
        ctx = thread.submit(lambda: thread.ctx).result()
        check = thread.submit(lambda: (ctx.get("_check_sm3")("abc"), ctx.get("_check_md5")("abc"))).result()
        assert check == (hashlib.new("sm3", b"abc").hexdigest(), hashlib.md5(b"abc").hexdigest()), check
    times = []
    for stub in stubs:
        t = time.perf_counter()
        value = signer.sign_sync(stub)
        times.append(time.perf_counter() - t)
        assert isinstance(value, str) and value

    async def rooms() -> float:
        t = time.perf_counter()
        values = await asyncio.gather(*(signer.sign(s) for s in _stubs(burst)))
        assert all(values)
        return time.perf_counter() - t

    return {"load": load, "times": times, "burst": asyncio.run(rooms())}


def bench_v8(path: Path, calls: int, burst: int, heavy: bool) -> dict[str, Any] | None:
    try:
        from py_mini_racer import MiniRacer
    except ImportError:
        return None
    code = path.read_text(encoding="utf-8")
    stubs = _stubs(calls)
    started = time.perf_counter()
    ctx = MiniRacer()
    ctx.eval(code)
    ctx.call("get_sign", stubs[0])
    load = time.perf_counter() - started
    if heavy:
        check = (ctx.call("_check_sm3", "abc"), ctx.call("_check_md5", "abc"))
        assert check == (hashlib.new("sm3", b"abc").hexdigest(), hashlib.md5(b"abc").hexdigest()), check
    times = []
    for stub in stubs:
        t = time.perf_counter()
        ctx.call("get_sign", stub)
        times.append(time.perf_counter() - t)
    t = time.perf_counter()
    for stub in _stubs(burst):  # the V8 signer held a lock per call: one after another
        ctx.call("get_sign", stub)
    return {"load": load, "times": times, "burst": time.perf_counter() - t}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scripts", nargs="*", type=Path)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--burst", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        heavy = Path(tmp) / "heavy_standin.js"
        heavy.write_text(heavy_script(), encoding="utf-8")
        scripts = [("test signer", TEST_SIGNER_JS, False), ("heavy stand-in", heavy, True)]
        scripts += [(str(p), p, False) for p in args.scripts]
        print(f"{'script':<40} {'engine':<8} {'size':>8} {'load':>11} {'call p50':>10} {'call p95':>10} burst")
        for label, path, is_heavy in scripts:
            size = f"{path.stat().st_size / 1000:.0f} KB"
            for engine, run in (("QuickJS", bench_quickjs), ("V8", bench_v8)):
                result = run(path, args.calls, args.burst, is_heavy)
                if result is None:
                    print(f"{label[-40:]:<40} {engine:<8} {size:>8} (mini-racer not installed)")
                    continue
                times = sorted(result["times"])
                p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
                print(
                    f"{label[-40:]:<40} {engine:<8} {size:>8} {_ms(result['load']):>11} "
                    f"{_ms(statistics.median(times)):>10} {_ms(p95):>10} "
                    f"{args.burst} in {result['burst']:.2f} s"
                )


if __name__ == "__main__":
    main()
