// Test signer for the fake Douyin server's strict mode. NOT Douyin's algorithm: a deterministic stand-in with the
// same interface as a real sign.js (a global get_sign(x_ms_stub) returning a 16-char base64-alphabet string), so the
// client's embedded-V8 signer path really runs in tests. The fake server recomputes it in Python (signing.py).
function get_sign(stub) {
  var alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  var bytes = [];
  var h = 0x811c9dc5;
  for (var round = 0; round < 3; round++) {
    for (var i = 0; i < stub.length; i++) {
      h = Math.imul(h ^ stub.charCodeAt(i), 0x01000193) >>> 0;
    }
    h = Math.imul(h ^ (round + 1), 0x01000193) >>> 0;
    bytes.push((h >>> 24) & 255, (h >>> 16) & 255, (h >>> 8) & 255, h & 255);
  }
  var out = "";
  for (var j = 0; j < 12; j += 3) {
    var n = (bytes[j] << 16) | (bytes[j + 1] << 8) | bytes[j + 2];
    out += alphabet[(n >>> 18) & 63] + alphabet[(n >>> 12) & 63] + alphabet[(n >>> 6) & 63] + alphabet[n & 63];
  }
  return out;
}
