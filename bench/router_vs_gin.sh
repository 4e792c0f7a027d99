#!/usr/bin/env bash
# Router lookups, sloe beside Gin 1.8.1, in one run on one machine.
#
#   bench/router_vs_gin.sh [path/to/router_bench]     (default: build-release/bench/router_bench)
#
# sloe: bench/router_bench.cpp. Gin: the same lookups (same routes, same request paths) through
# Gin's own tree, (*node).getValue with params and skippedNodes sized as Gin's engine sizes them,
# written as a test file into a temporary copy of Gin's source. Gin's whole-engine ServeHTTP
# benchmarks (benchmarks_test.go, githubapi_test.go) run too, for context. Works offline with
# Debian's golang-go and golang-github-gin-gonic-gin-dev (GOPATH mode, no module downloads).
set -euo pipefail

bench_bin=${1:-build-release/bench/router_bench}
gin_src=${GIN_SRC:-/usr/share/gocode/src/github.com/gin-gonic/gin}
[[ -x $bench_bin ]] || { echo "no benchmark binary at $bench_bin (build router_bench first)" >&2; exit 1; }
[[ -d $gin_src ]] || { echo "no Gin source at $gin_src (apt install golang-github-gin-gonic-gin-dev)" >&2; exit 1; }
command -v go >/dev/null || { echo "no go toolchain (apt install golang-go)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Gin has to sit under a GOPATH of its own to be built from a copy; its dependencies come from
# the system GOPATH behind it.
copy=$work/gopath/src/github.com/gin-gonic/gin
mkdir -p "$(dirname "$copy")"
cp -r "$gin_src" "$copy"
chmod -R u+w "$copy"
cat >"$copy/sloe_compare_test.go" <<'GO'
package gin

import (
	"net/http"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

var sloeSink HandlersChain

// The pattern with every wildcard replaced by a concrete value, as router_bench.cpp does.
func sloeExample(pattern string) string {
	var b strings.Builder
	for i := 0; i < len(pattern); {
		if pattern[i] == ':' || pattern[i] == '*' {
			if pattern[i] == '*' {
				b.WriteString("/12345")
			} else {
				b.WriteString("12345")
			}
			for i < len(pattern) && pattern[i] != '/' {
				i++
			}
		} else {
			b.WriteByte(pattern[i])
			i++
		}
	}
	return b.String()
}

type sloeLookup struct {
	root *node
	path string
	hit  bool
}

func sloeRun(b *testing.B, engine *Engine, lookups []sloeLookup) {
	params := make(Params, 0, engine.maxParams)
	skipped := make([]skippedNode, 0, engine.maxSections)
	for _, l := range lookups {
		params, skipped = params[:0], skipped[:0]
		if v := l.root.getValue(l.path, &params, &skipped, false); (v.handlers != nil) != l.hit {
			b.Fatalf("wrong result for %s", l.path)
		}
	}
	// CPU time of this thread, beside the wall time: the number that holds on a busy machine.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var before, after syscall.Rusage
	b.ReportAllocs()
	syscall.Getrusage(1 /* RUSAGE_THREAD */, &before)
	b.ResetTimer()
	i, n := 0, len(lookups)
	for k := 0; k < b.N; k++ {
		l := lookups[i]
		if i++; i == n {
			i = 0
		}
		params, skipped = params[:0], skipped[:0]
		sloeSink = l.root.getValue(l.path, &params, &skipped, false).handlers
	}
	b.StopTimer()
	syscall.Getrusage(1, &after)
	cpu := after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano()
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
}

func sloeGithub() *Engine {
	SetMode(ReleaseMode)
	e := New()
	githubConfigRouter(e)
	return e
}

func sloeGithubOne(b *testing.B, method, pattern string) {
	e := sloeGithub()
	sloeRun(b, e, []sloeLookup{{e.trees.get(method), sloeExample(pattern), true}})
}

func sloeSingle(b *testing.B, pattern, path string) {
	SetMode(ReleaseMode)
	e := New()
	e.GET(pattern, func(c *Context) {})
	sloeRun(b, e, []sloeLookup{{e.trees.get(http.MethodGet), path, true}})
}

func BenchmarkSloeCompare_GithubAll(b *testing.B) {
	e := sloeGithub()
	var lookups []sloeLookup
	for _, r := range githubAPI {
		lookups = append(lookups, sloeLookup{e.trees.get(r.method), sloeExample(r.path), true})
	}
	sloeRun(b, e, lookups)
}
func BenchmarkSloeCompare_GithubStatic(b *testing.B) {
	sloeGithubOne(b, http.MethodGet, "/user/repos")
}
func BenchmarkSloeCompare_GithubParam(b *testing.B) {
	sloeGithubOne(b, http.MethodGet, "/users/:user")
}
func BenchmarkSloeCompare_Github4Params(b *testing.B) {
	sloeGithubOne(b, http.MethodGet, "/legacy/issues/search/:owner/:repository/:state/:keyword")
}
func BenchmarkSloeCompare_GithubNotFound(b *testing.B) {
	e := sloeGithub()
	sloeRun(b, e, []sloeLookup{{e.trees.get(http.MethodGet), "/user/repos/nothing", false}})
}
func BenchmarkSloeCompare_OneRouteStatic(b *testing.B) { sloeSingle(b, "/ping", "/ping") }
func BenchmarkSloeCompare_OneParam(b *testing.B)       { sloeSingle(b, "/user/:name", "/user/gordon") }
func BenchmarkSloeCompare_5Params(b *testing.B) {
	sloeSingle(b, "/param/:param1/:params2/:param3/:param4/:param5", "/param/path/to/parameter/john/12345")
}
func BenchmarkSloeCompare_CatchAll(b *testing.B) {
	sloeSingle(b, "/static/*filepath", "/static/css/bootstrap/bootstrap.min.css")
}
GO

echo "running sloe: $bench_bin" >&2
# Both sides run 3 times; the table shows the fastest run of each, the one least disturbed by
# whatever else the machine is doing, as wall time and as CPU time of the benchmarking thread.
"$bench_bin" --benchmark_repetitions=3 --benchmark_out="$work/sloe.json" --benchmark_out_format=json \
  >/dev/null

echo "running Gin (go test -bench) in $copy" >&2
(
  cd "$copy"
  export GO111MODULE=off GOPATH="$work/gopath:/usr/share/gocode" GOFLAGS= GOCACHE="$work/gocache"
  go test -run '^$' -bench 'SloeCompare|^BenchmarkGithub$|^BenchmarkOneRoute$|^Benchmark5Params$|^Benchmark404' \
    -benchmem -benchtime 500ms -count 3 . >"$work/gin.txt"
)

python3 - "$work/sloe.json" "$work/gin.txt" <<'PY'
import json, re, sys

def keep_best(table, name, wall, cpu, allocs):
    if name not in table or cpu < table[name][1]:
        table[name] = (wall, cpu, allocs)

sloe = {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("run_type") == "aggregate":
        continue
    scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
    keep_best(sloe, b["run_name"].removeprefix("BM_"), b["real_time"] * scale,
              b["cpu_time"] * scale, f'{b.get("allocs/op", float("nan")):g}')
gin = {}
for line in open(sys.argv[2]):
    m = re.match(r"Benchmark(\S+?)(-\d+)?\s+\d+\s+([\d.]+) ns/op", line)
    if not m:
        continue
    cpu = re.search(r"([\d.]+) cpu-ns/op", line)
    allocs = re.search(r"(\d+) allocs/op", line)
    keep_best(gin, m.group(1), float(m.group(3)), float(cpu.group(1)) if cpu else float("inf"),
              allocs.group(1) if allocs else "?")

print("## Router lookup: sloe vs Gin 1.8.1 (same routes and paths, one lookup per op, best of 3)\n")
print("| lookup | sloe cpu ns/op | Gin cpu ns/op | Gin / sloe | sloe wall ns/op | Gin wall ns/op | sloe allocs/op | Gin allocs/op |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for name, (wall, cpu, allocs) in sloe.items():
    g = gin.get("SloeCompare_" + name)
    if g:
        print(f"| {name} | {cpu:.1f} | {g[1]:.1f} | {g[1] / cpu:.2f}x | {wall:.1f} | {g[0]:.1f} | {allocs} | {g[2]} |")
print("\n## Gin's own whole-engine benchmarks (ServeHTTP with its Context, for context)\n")
print("| Gin benchmark | wall ns/op | allocs/op |")
print("|---|---:|---:|")
for name, (wall, _, allocs) in gin.items():
    if not name.startswith("SloeCompare_"):
        print(f"| {name} | {wall:.1f} | {allocs} |")
PY
