#!/usr/bin/env bash
# Sets Veil up on a Debian bookworm machine: installs the build and runtime
# packages, builds into build/, then finds or fetches the models and checks
# their sha256 (`veil models`). Safe to run again.
#
# Models come from $VEIL_MODEL_DIR when it is set (a mirror folder; this
# repository's CI uses ../shared/models), else from the user cache
# (~/.cache/veil/models), else they are downloaded from upstream into it.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
  libopencv-dev libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libcurl4-openssl-dev libssl-dev
  libgtest-dev libbenchmark-dev
  python3 python3-opencv python3-numpy   # tools/ and ../shared/tools/coverage.py
  ffmpeg                                   # bench/ only: the baseline transcode
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"

build/veil models
