#!/bin/sh
# Builds the C metering kernel(s) here: each NAME.c into NAME.wasm next to
# it, with the flags of the corpus's C guests (crates/conformance/guests/c/
# build.sh): clang -O2 --target=wasm32, no libc, bulk memory, no entry,
# stripped. The .wasm is committed, so the bench needs no C compiler; run
# this only after changing a .c, and commit the .wasm it writes.
#
# Needs Debian's clang and lld (`apt-get install -y clang lld`). Run from
# anywhere:
#
#     sh crates/conformance/benches/kernels/c/build.sh
set -eu
cd "$(dirname "$0")"
CC="${CC:-clang}"
for src in *.c; do
    out="${src%.c}.wasm"
    "$CC" --target=wasm32 -O2 -nostdlib -mbulk-memory -ffreestanding \
        -Wall -Wextra -Werror \
        -Wl,--no-entry -Wl,-s \
        -o "$out" "$src"
    echo "built $out"
done
