#!/usr/bin/env bash
# c.copy() beside Gin's c.Copy() for one request shape (3 params, 10 headers, 5 keys), in the
# same run. Note: Gin's Copy shares the *http.Request (headers included); sloe's copy owns
# every request value (copied into one block) and shares only the keys, read-only, so it
# copies more bytes by design.
#
#   bench/copy_vs_gin.sh [path/to/request_path_bench]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup
bench_bin=${1:-build-release/bench/request_path_bench}
if [[ ! -x "$bench_bin" ]]; then
  cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSLOE_BUILD_TESTS=OFF -DSLOE_BUILD_BENCH=ON >/dev/null
  cmake --build build-release --target request_path_bench >/dev/null
fi
sloe=$("$bench_bin" --benchmark_filter=BM_Copy --benchmark_format=csv 2>/dev/null | awk -F, '/BM_Copy/ { print $4 }')
sloe_allocs=$("$bench_bin" --benchmark_filter=BM_Copy 2>/dev/null | grep -o 'allocs/copy=[0-9.]*' | cut -d= -f2)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp bench/gin_copy/copy_test.go "$work/"
gin=$(cd "$work" && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$work/cache" GOFLAGS=-mod=mod \
  go test -run XXX -bench BenchmarkGinCopy -benchtime 1s . 2>/dev/null | awk '/BenchmarkGinCopy/ { print $3, $7 }')

echo "| copy of a request (3 params, 10 headers, 5 keys) | ns/op | allocs/op |"
echo "|---|--:|--:|"
printf '| sloe c.copy() | %.0f | %s |\n' "$sloe" "$sloe_allocs"
printf '| Gin c.Copy() | %s | %s |\n' $gin
