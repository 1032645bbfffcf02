#!/usr/bin/env bash
# What circom's C++ witness generator needs (g++, nasm, GMP, nlohmann/json) and the native prover
# (cargo): installed from Debian's packages where missing, as root or through sudo. Anything that
# cannot be installed is an error naming it: the test command never runs without the native tools.
set -euo pipefail
have_header() { echo "#include <$1>" | g++ -x c++ -E - >/dev/null 2>&1; }
missing=()
command -v g++ >/dev/null || missing+=(g++)
command -v nasm >/dev/null || missing+=(nasm)
if command -v g++ >/dev/null; then
  have_header gmp.h || missing+=(libgmp-dev)
  have_header nlohmann/json.hpp || missing+=(nlohmann-json3-dev)
else
  missing+=(libgmp-dev nlohmann-json3-dev)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt=(apt-get)
  elif command -v sudo >/dev/null; then
    apt=(sudo apt-get)
  else
    echo "native toolchain: missing ${missing[*]}; install them (Debian: apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "native toolchain: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -q "${missing[@]}" >/dev/null \
    || { "${apt[@]}" update -q >/dev/null && DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -q "${missing[@]}" >/dev/null; }
fi
command -v cargo >/dev/null || { echo "native prover: cargo is not on PATH (Rust 1.95+ builds native/)" >&2; exit 1; }
