#!/usr/bin/env bash
# Installs fgq's build dependencies from Debian 12 packages when any is missing; a no-op otherwise.
#   scripts/setup.sh [EXTRA_PACKAGE...]      (scripts/fuzz.sh adds clang's)
set -euo pipefail

packages=(g++ cmake ninja-build pkg-config libdnnl-dev ocl-icd-opencl-dev libopencv-dev nlohmann-json3-dev
          libjpeg62-turbo-dev libstb-dev libtiff-dev libwebp-dev doctest-dev zlib1g-dev dataset-fashion-mnist
          libonnx-dev libprotobuf-dev protobuf-compiler libopenmpi-dev openmpi-bin "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
