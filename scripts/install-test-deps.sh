#!/usr/bin/env bash
# System packages the tests use that a fresh machine may lack. Installs with apt when running as root;
# otherwise says what is missing. (The product itself needs none of them: ffmpeg and Redis come from wheels; the
# desktop build compiles its own minimal FFmpeg, scripts/build-ffmpeg.sh, with the build tools listed last.)
set -euo pipefail
need=()
command -v ffprobe >/dev/null || need+=(ffmpeg)          # ffprobe checks recorded files
command -v espeak-ng >/dev/null || need+=(espeak-ng)     # speech with a known text for the AST tests
command -v chromium >/dev/null || need+=(chromium)       # UI and report tests in a real browser
# (grep reads to the end, no -q: an early exit would SIGPIPE fc-list, and pipefail would call the font missing)
fc-list 2>/dev/null | grep -i "noto sans cjk" >/dev/null || need+=(fonts-noto-cjk)  # Chinese text in screenshots
# The desktop build's FFmpeg (scripts/build-ffmpeg.sh): compiler, assembler, and the libraries it links.
command -v nasm >/dev/null || need+=(nasm)
command -v patchelf >/dev/null || need+=(patchelf)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v make >/dev/null || need+=(make)
command -v cc >/dev/null || need+=(gcc)
command -v xz >/dev/null || need+=(xz-utils)
pkg-config --exists x264 2>/dev/null || need+=(libx264-dev)
pkg-config --exists libass 2>/dev/null || need+=(libass-dev)
pkg-config --exists openssl 2>/dev/null || need+=(libssl-dev)
pkg-config --exists zlib 2>/dev/null || need+=(zlib1g-dev)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "missing system packages for the tests: ${need[*]} (install them, e.g. sudo apt-get install ${need[*]})" >&2
  exit 1
fi
