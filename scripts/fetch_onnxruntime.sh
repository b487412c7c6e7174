#!/usr/bin/env bash
# Puts ONNX Runtime where CMakeLists.txt looks for it, unless the system
# has it: $VEIL_ONNXRUNTIME_DIR (default ~/.cache/veil/onnxruntime-VERSION),
# with include/onnxruntime_c_api.h and lib/libonnxruntime.so{,.1}.
#  - headers: ../shared/deps/onnxruntime/include (the project's mirror, C API
#    version 23, which the 1.30 library serves) when present;
#  - library: the official build shipped in the npm package
#    onnxruntime-node@VERSION (its install script is not run);
#  - otherwise both from upstream's release archive.
# The library is refused unless its sha256 is the pinned one.
set -euo pipefail
cd "$(dirname "$0")/.."

version=1.30.0
case "$(uname -m)" in
  x86_64) arch=x64; sha256=ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23 ;;
  aarch64) arch=arm64; sha256="${VEIL_ONNXRUNTIME_SHA256:-}" ;;
  *) echo "setup: no ONNX Runtime build for $(uname -m)" >&2; exit 1 ;;
esac

for h in /usr/include/onnxruntime/onnxruntime_c_api.h /usr/include/onnxruntime/core/session/onnxruntime_c_api.h; do
  if [ -f "$h" ] && ls /usr/lib/*/libonnxruntime.so >/dev/null 2>&1; then
    echo "setup: using the system's ONNX Runtime"
    exit 0
  fi
done

dir="${VEIL_ONNXRUNTIME_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/veil/onnxruntime-$version}"
lib="$dir/lib/libonnxruntime.so.1"
if [ -f "$dir/include/onnxruntime_c_api.h" ] && [ -f "$lib" ] && [ -z "$sha256" -o "$(sha256sum "$lib" | cut -d' ' -f1)" = "$sha256" ]; then
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/include" "$tmp/lib"

headers=../shared/deps/onnxruntime/include
if [ -f "$headers/onnxruntime_c_api.h" ] && command -v npm >/dev/null; then
  echo "setup: ONNX Runtime $version library from npm (onnxruntime-node), headers from $headers"
  cp "$headers"/*.h "$tmp/include/"
  (cd "$tmp" && npm pack --silent --ignore-scripts "onnxruntime-node@$version" >/dev/null)
  tar -xzf "$tmp/onnxruntime-node-$version.tgz" -C "$tmp" "package/bin/napi-v6/linux/$arch/libonnxruntime.so.1"
  mv "$tmp/package/bin/napi-v6/linux/$arch/libonnxruntime.so.1" "$tmp/lib/"
else
  echo "setup: ONNX Runtime $version from upstream's release archive"
  name="onnxruntime-linux-$arch-$version"
  curl -fsSL -o "$tmp/ort.tgz" "https://github.com/microsoft/onnxruntime/releases/download/v$version/$name.tgz"
  tar -xzf "$tmp/ort.tgz" -C "$tmp"
  cp "$tmp/$name"/include/*.h "$tmp/include/"
  cp -L "$tmp/$name/lib/libonnxruntime.so.1" "$tmp/lib/"
fi

got="$(sha256sum "$tmp/lib/libonnxruntime.so.1" | cut -d' ' -f1)"
if [ -n "$sha256" ] && [ "$got" != "$sha256" ]; then
  echo "setup: ONNX Runtime library has sha256 $got, expected $sha256: refused" >&2
  exit 1
fi
ln -s libonnxruntime.so.1 "$tmp/lib/libonnxruntime.so"
rm -rf "$dir"
mkdir -p "$dir"
mv "$tmp/include" "$tmp/lib" "$dir/"
echo "setup: ONNX Runtime in $dir"
