#!/usr/bin/env bash
# The desktop build's FFmpeg (issue #15): Debian trixie's FFmpeg 7.1.3 sources, configured with --disable-everything
# plus exactly what the suite runs (README, "Building the desktop app", says what and why). Linux only.
#
#   bash scripts/build-ffmpeg.sh          # → build/ffmpeg/7.1.3/ffmpeg (cached: a second run prints the path at once)
#   FFMPEG_CACHE=/elsewhere bash scripts/build-ffmpeg.sh
#
# What the suite asks of ffmpeg (grep find_ffmpeg in services/):
# - the recorder (services/streamcap/command.py): HTTP(S)-FLV / HLS in (H.264, H.265, AAC), stream copy into MPEG-TS
#   segments (segment muxer, csv list), -progress pipe:1; the remux (remux.py) TS → MP4 (+faststart, hvc1 tag) and
#   the probes (media.py: -f null, copy and decode);
# - the AST sources (services/ast/sources.py): any stream or audio file to 16 kHz mono s16le on a pipe, -ss; url
#   sources may be http(s), HLS, RTMP(S);
# - the burn job (services/gateway/subtitles/burn.py): the `ass` filter (libass) and libx264, audio copied, MP4 out;
# - the synthetic stream and the demo (services/streamcap/synthetic.py): lavfi testsrc/sine/noise or raw gray frames
#   on stdin, the demo's Opus speech, libx264 + AAC into FLV and HLS. Its H.265 mode (libx265, a 16 MB library) is
#   for the tests, which run from source with the development ffmpeg (imageio-ffmpeg); it is left out here.
# lavfi hands its video frames over as wrapped_avframe, and -f null takes them so: both its decoder and encoder.
# Libraries are linked dynamically (libx264, libass and its font stack, OpenSSL, zlib); PyInstaller bundles them
# next to the binary's folder (OpenSSL and zlib are there for Python anyway), and the binary's DT_RPATH
# ($ORIGIN/..) finds them: the frozen launcher gives its children the user's own library path (launcher/frozen.py).
# OpenSSL 3 is Apache-2.0, so with libx264 (GPL) the binary is GPL version 3 (--enable-version3).
# No --enable-small: it saves 1.7 MB (4.7 MB against 6.4 stripped) and decodes H.265 1080p 8-17 % slower (the burn
# job decodes every frame of a recording).
# Compile: about 1.5 min on two quiet cores (configure 7 s, make 85 s); 5.5-6.5 min while other jobs shared them.
set -euo pipefail

VERSION=7.1.3
URL="https://deb.debian.org/debian/pool/main/f/ffmpeg/ffmpeg_${VERSION}.orig.tar.xz"
SHA256=f0bf043299db9e3caacb435a712fc541fbb07df613c4b893e8b77e67baf3adbe
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${FFMPEG_CACHE:-$ROOT/build/ffmpeg}"
OUT="$CACHE/$VERSION"

FLAGS=(
  --disable-everything --disable-autodetect --disable-doc --disable-ffplay --disable-ffprobe --disable-debug
  --enable-gpl --enable-version3 --enable-libx264 --enable-libass --enable-openssl --enable-zlib --enable-iconv
  --enable-avdevice --enable-swscale --enable-swresample --enable-avfilter
  --enable-protocol=file,pipe,http,https,tls,tcp,crypto,httpproxy,hls,rtmp,rtmps
  --enable-demuxer=flv,live_flv,hls,mpegts,mov,matroska,aac,mp3,wav,ogg,flac,rawvideo
  --enable-indev=lavfi
  --enable-muxer=segment,mpegts,mp4,flv,hls,null,pcm_s16le
  --enable-decoder=h264,hevc,aac,aac_latm,mp3,mp3float,opus,vorbis,flac,rawvideo,wrapped_avframe
  --enable-decoder=pcm_s16le,pcm_s16be,pcm_s24le,pcm_s32le,pcm_f32le,pcm_u8,pcm_alaw,pcm_mulaw
  --enable-encoder=libx264,aac,pcm_s16le,wrapped_avframe
  --enable-parser=h264,hevc,aac,aac_latm,mpegaudio,opus,vorbis,flac
  --enable-bsf=aac_adtstoasc,h264_mp4toannexb,hevc_mp4toannexb,extract_extradata
  --enable-filter=ass,testsrc,sine,noise,scale,format,aformat,aresample,null,anull,trim,atrim,setpts,asetpts
  --enable-filter=transpose,hflip,vflip
)

say() { echo "build-ffmpeg: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[ "$(uname -s)" = Linux ] || die "Linux only (the Windows and macOS builds bundle imageio-ffmpeg's ffmpeg)"
# The cache holds the flags it was built with: a change of this list rebuilds.
want="$(printf '%s\n' "$VERSION" "${FLAGS[@]}")"
if [ -x "$OUT/ffmpeg" ] && [ "$(cat "$OUT/flags.txt" 2>/dev/null)" = "$want" ]; then
  say "cached: $OUT/ffmpeg"
  echo "$OUT/ffmpeg"
  exit 0
fi

for tool in curl sha256sum tar make cc nasm pkg-config patchelf; do
  command -v "$tool" >/dev/null || die "$tool is missing (make system-deps, or scripts/install-test-deps.sh, installs it)"
done
for lib in x264 libass openssl zlib; do
  pkg-config --exists "$lib" || die "the $lib development files are missing (make system-deps installs them)"
done

mkdir -p "$CACHE"
tarball="$CACHE/ffmpeg_${VERSION}.orig.tar.xz"
if [ ! -f "$tarball" ] || ! echo "$SHA256  $tarball" | sha256sum -c --status; then
  say "downloading $URL"
  curl -fL --retry 3 --connect-timeout 20 -o "$tarball.part" "$URL" || die "download failed: $URL"
  echo "$SHA256  $tarball.part" | sha256sum -c --status \
    || die "checksum mismatch for $URL (expected $SHA256, got $(sha256sum "$tarball.part" | cut -d' ' -f1))"
  mv "$tarball.part" "$tarball"
fi

src="$CACHE/src-$VERSION"
rm -rf "$src" "$OUT"
mkdir -p "$src"
say "unpacking"
tar -xJf "$tarball" -C "$src" --strip-components=1 || die "cannot unpack $tarball"

started=$(date +%s)
cd "$src"
say "configuring (log: $src/ffbuild/config.log)"
./configure --prefix="$OUT/prefix" "${FLAGS[@]}" >"$src/configure.out" 2>&1 \
  || { tail -n 20 "$src/ffbuild/config.log" >&2; die "configure failed (see $src/ffbuild/config.log)"; }
jobs=$(nproc 2>/dev/null || echo 2)
say "compiling with $jobs jobs"
# Progress: one line every 100 objects (a quiet build would look hung in CI; a verbose one floods its log).
make -j"$jobs" ffmpeg 2>&1 | awk '/^CC|^AS|^LD/ { n++; if (n % 100 == 0) { printf "build-ffmpeg: %d objects\n", n > "/dev/stderr" } }
  !/^(CC|CXX|AS|X86ASM|LD|AR|STRIP|GEN|HOSTCC|HOSTLD)\t/ && /error|Error/ { print > "/dev/stderr" }' || true
[ -x "$src/ffmpeg" ] || die "compile failed (run make in $src to see why)"
seconds=$(( $(date +%s) - started ))

staging="$OUT.partial"
rm -rf "$staging"
mkdir -p "$staging"
cp "$src/ffmpeg" "$staging/ffmpeg"
strip --strip-unneeded "$staging/ffmpeg"
# DT_RPATH, not RUNPATH: it also serves the libraries' own dependencies (libass → harfbuzz, fontconfig...).
patchelf --force-rpath --set-rpath '$ORIGIN/..' "$staging/ffmpeg"
"$staging/ffmpeg" -hide_banner -version >/dev/null || die "the built ffmpeg does not run"
printf '%s\n' "$want" >"$staging/flags.txt"
echo "$seconds" >"$staging/compile-seconds.txt"
mv "$staging" "$OUT"
rm -rf "$src"
say "built in ${seconds}s: $OUT/ffmpeg ($(du -k "$OUT/ffmpeg" | cut -f1) KB)"
echo "$OUT/ffmpeg"
