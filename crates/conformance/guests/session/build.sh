#!/bin/sh
# Builds the C guests of the session examples: each NAME.c here into
# NAME.wasm next to it, exactly as ../c/build.sh does for the corpus (same
# flags; see there), with ../c on the include path for abi.h. The .wasm
# files are committed, so nothing needs a C compiler; run this only after
# changing a .c or session.h, and commit the .wasm it writes.
#
# Needs: clang and wasm-ld with the wasm32 target (Debian:
# `apt-get install -y clang lld`). Run from anywhere:
#
#     sh crates/conformance/guests/session/build.sh
set -eu
cd "$(dirname "$0")"
CC="${CC:-clang}"
for src in *.c; do
    out="${src%.c}.wasm"
    "$CC" --target=wasm32 -O2 -nostdlib -mbulk-memory -ffreestanding \
        -Wall -Wextra -Werror -I../c \
        -Wl,--no-entry -Wl,-s \
        -o "$out" "$src"
    echo "built $out"
done
