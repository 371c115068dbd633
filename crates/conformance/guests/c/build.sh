#!/bin/sh
# Builds the C guests of the conformance corpus: each NAME.c here into
# NAME.wasm next to it. The .wasm files are committed, so the corpus and its
# tests need no C compiler; run this only after changing a .c or abi.h, and
# commit the .wasm it writes.
#
# Needs: clang and wasm-ld with the wasm32 target (Debian:
# `apt-get install -y clang lld`). Run from anywhere:
#
#     sh crates/conformance/guests/c/build.sh [DIR]
#
# Idempotent: it rebuilds every guest from its source each time, with the
# same flags, so the same compiler gives the same bytes.
#
# Flags: no libc (-nostdlib, and no --allow-undefined, so a missing symbol
# is a link error rather than an import the runtime would reject); bulk
# memory, so that memcpy/memset compile to memory.copy/memory.fill instead
# of calls; --no-entry (the exports are the export_name functions of
# abi.h); -s strips the names section. The ABI functions are imported from
# "env" by the declarations in abi.h, the memory is exported as "memory"
# (lld's default).
#
# With a folder argument it builds that folder's guests instead, with this
# folder on the include path (abi.h): `../session/build.sh` does so.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
cd "${1:-$here}"
CC="${CC:-clang}"
for src in *.c; do
    out="${src%.c}.wasm"
    "$CC" --target=wasm32 -O2 -nostdlib -mbulk-memory -ffreestanding \
        -Wall -Wextra -Werror -I"$here" \
        -Wl,--no-entry -Wl,-s \
        -o "$out" "$src"
    echo "built $out"
done
