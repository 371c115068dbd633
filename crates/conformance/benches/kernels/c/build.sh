#!/bin/sh
# Builds the C metering kernel(s) here (each NAME.c into NAME.wasm next to
# it) with the corpus's C build script and its flags: clang -O2
# --target=wasm32, no libc, bulk memory, no entry, stripped. The .wasm is
# committed, so the bench needs no C compiler; run this only after changing
# a .c, and commit the .wasm it writes. Needs Debian's clang and lld
# (`apt-get install -y clang lld`). Run from anywhere:
#
#     sh crates/conformance/benches/kernels/c/build.sh
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
exec sh "$here/../../../guests/c/build.sh" "$here"
