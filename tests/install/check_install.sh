#!/usr/bin/env bash
# libhubclient as a BFF author gets it: install the build into a temporary prefix, then
# build the example against the installed headers twice — through pkg-config (shared
# library) and through the CMake package — and run both against nothing (they must start
# and report UNAVAILABLE cleanly, proving they link and load).
# usage: check_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=${1:?build dir}
src=${2:?source dir}
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT

cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(ls -d "$prefix"/lib*/ | head -1)
libdir=${libdir%/}
export PKG_CONFIG_PATH=$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
pkg-config --exists hubclient

# 1. pkg-config, shared library
cc -std=c11 -o "$prefix/example-pc" "$src/client/examples/get_info.c" $(pkg-config --cflags --libs hubclient)
# 2. the CMake package
mkdir -p "$prefix/proj"
cat >"$prefix/proj/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.22)
project(bff C)
find_package(hubclient REQUIRED)
add_executable(example-cmake $src/client/examples/get_info.c)
target_link_libraries(example-cmake PRIVATE hub::hubclient)
CMAKE
cmake -S "$prefix/proj" -B "$prefix/proj/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/proj/build" >/dev/null

port=1 # nothing listens on port 1: a clean UNAVAILABLE, not a crash
for exe in "$prefix/example-pc" "$prefix/proj/build/example-cmake"; do
  out=$(LD_LIBRARY_PATH=$libdir "$exe" 127.0.0.1:$port 2>&1) && { echo "expected a failure, got: $out"; exit 1; }
  grep -q 'GetInfo failed: UNAVAILABLE' <<<"$out" || { echo "unexpected output from $exe: $out"; exit 1; }
done
echo "install: headers, pkg-config and CMake package work"
