#!/usr/bin/env bash
# `npm pack` runs this (prepack): the TypeScript compiled to dist/ (with source
# maps) and the native capture tool copied to prebuilt/linux-<arch>/. postpack
# removes both, so that a clone keeps running its TypeScript and its own build.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist prebuilt
tsc -p tsconfig.build.json
make -s -C capture
case $(uname -m) in
  x86_64) platform=linux-x64 ;;
  aarch64) platform=linux-arm64 ;;
  *) platform=linux-$(uname -m) ;;
esac
mkdir -p "prebuilt/$platform"
cp capture/build/ptrace-capture "prebuilt/$platform/ptrace-capture"
strip --strip-debug "prebuilt/$platform/ptrace-capture"
floor=$(objdump -T "prebuilt/$platform/ptrace-capture" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
echo "ptrace package: dist/ compiled, capture tool for $platform (needs glibc >= ${floor#GLIBC_})" >&2
