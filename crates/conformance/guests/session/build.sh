#!/bin/sh
# Builds the C guests of the session examples: each NAME.c here into
# NAME.wasm next to it, with the corpus's build script and flags
# (../c/build.sh, which puts ../c on the include path for abi.h). The .wasm
# files are committed, so nothing needs a C compiler; run this only after
# changing a .c or session.h, and commit the .wasm it writes.
#
# Needs: clang and wasm-ld with the wasm32 target (Debian:
# `apt-get install -y clang lld`). Run from anywhere:
#
#     sh crates/conformance/guests/session/build.sh
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
exec sh "$here/../c/build.sh" "$here"
