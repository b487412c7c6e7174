#!/usr/bin/env bash
# Sets Veil up on a Debian bookworm machine: installs the build and runtime
# packages, builds into build/, then finds or fetches the models and checks
# their sha256 (`veil models`). Safe to run again.
#
# The tests' servers (tests/servers) are installed from the npm registry.
#
# ONNX Runtime (the inference runtime) comes from the system when a
# libonnxruntime-dev is installed, else into $VEIL_ONNXRUNTIME_DIR (default
# ~/.cache/veil/onnxruntime-1.30.0): the C API headers from
# ../shared/deps/onnxruntime when present, and the official library from
# the npm package onnxruntime-node (no Node.js needed to run Veil); without
# npm, both from upstream's release archive. The library's sha256 is pinned.
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
  libjpeg62-turbo-dev libpng-dev libwebp-dev libtiff-dev libopenjp2-7-dev  # image sizes read before decoding
  libcurl4-openssl-dev libssl-dev
  libpugixml-dev libinih-dev               # S3: XML bodies, ~/.aws config files
  libnats-dev nats-server                  # fleet work queue (NATS JetStream); the server for the tests
  libcpp-httplib-dev                       # veil review's HTTP server; /metrics and the probes
  prometheus-cpp-dev                       # metrics in Prometheus's format
  prometheus                               # tests: a real Prometheus scrapes a worker; promtool checks the format
  chromium fonts-liberation python3-jsonschema  # tests: the review page in a real browser; the sidecar's schema
  python3-yaml                             # tests: deploy/check_manifests.py reads the Kubernetes manifests
  clang libclang-rt-14-dev                 # scripts/fuzz.sh: libFuzzer with ASan and UBSan
  libgtest-dev libbenchmark-dev
  libonnx-dev libprotobuf-dev              # edits a model's input size before loading
  python3 python3-opencv python3-numpy   # tools/ and ../shared/tools/coverage.py
  python3-dev pybind11-dev python3-venv python3-pip python3-setuptools python3-wheel  # the Python module (python/)
  python3-pytest                           # its tests
  opencv-doc                               # tests: its vtest.avi (a walkway seen from above: no plate, barrier tape)
  ffmpeg                                   # bench/ only: the baseline transcode
)
# npm fetches ONNX Runtime's library (setup only). Any npm will do: some
# machines have Node.js from elsewhere, whose package conflicts with Debian's.
command -v npm >/dev/null || packages+=(npm)
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

scripts/fetch_onnxruntime.sh

# What the tests start on 127.0.0.1 (tests/servers), pinned by
# package-lock.json: s3rver, an S3-compatible store, and playwright-core,
# which drives Debian's chromium for the review page's tests (it downloads
# no browser). Needs Node.js, which Debian's npm brings.
npm ci --prefix tests/servers --no-audit --no-fund --loglevel=error

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"

# VEIL_SKIP_MODELS=1 (container images: models are mounted at run time).
[ "${VEIL_SKIP_MODELS:-0}" = 1 ] || build/veil models
