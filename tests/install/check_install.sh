#!/usr/bin/env bash
# Installs the built sloe into a scratch prefix and builds a consumer with the README's CMake
# lines exactly as written (no CMAKE_CXX_STANDARD of the consumer's own: the package must
# carry its language level).
set -euo pipefail
build_dir=$1
work=$2
readme=$3
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work/consumer-src"
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
snippet=$(awk '/^```cmake$/ { inside = 1; next } inside && /^```$/ { exit } inside { print }' "$readme")
[[ -n "$snippet" ]] || { echo "check_install: no \`\`\`cmake block in $readme" >&2; exit 1; }
cp "$here/consumer/main.cpp" "$work/consumer-src/main.cpp"
{
  echo "cmake_minimum_required(VERSION 3.25)"
  echo "project(sloe_consumer CXX)"
  echo "add_executable(my_app main.cpp)"
  echo "$snippet"
} >"$work/consumer-src/CMakeLists.txt"
cmake -S "$work/consumer-src" -B "$work/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
"$work/consumer/my_app"
