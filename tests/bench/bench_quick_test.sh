#!/usr/bin/env bash
# Runs the HTTP benchmark harness for one second per scenario and checks that every server
# built, started and answered every scenario without errors, that the server CPU per request
# was measured for each, and that memory was measured.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

bench/run --quick --out "$out" >"$out/stdout.log" 2>&1 || {
  tail -30 "$out/stdout.log"
  echo "bench_quick: bench/run failed"
  exit 1
}

passed=0
failed=0
check() {  # check DESCRIPTION CONDITION...
  local what=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: $what"
  fi
}

servers=(sloe gin restinio nginx ceiling)
scenarios=(plaintext json user echo pipelined pipelined-json c1000 close)
for server in "${servers[@]}"; do
  for scenario in "${scenarios[@]}"; do
    row=$(awk -F'\t' -v s="$server" -v c="$scenario" '$1 == s && $2 == c' "$out/results.tsv")
    check "$server $scenario answered ($row)" \
      awk -F'\t' '{ exit !($8 == "ok" && $3 > 0 && $5 == 0 && $6 == 0) }' <<<"${row:-x}"
    # Server CPU per request: the requests wrk completed, the server's CPU time and µs per
    # request (0.00 is possible: CPU time comes in clock ticks, usually 10 ms).
    check "$server $scenario: results.tsv has requests and CPU µs per request ($row)" \
      awk -F'\t' '{ exit !($9 ~ /^[0-9]+$/ && $9 > 0 && $10 ~ /^[0-9]+$/ && $11 ~ /^[0-9]+\.[0-9][0-9]$/) }' <<<"${row:-x}"
    # The report's row: | scenario | server | req/s | p99 | CPU µs/req | vs Gin | vs ceiling | CPU vs ceiling |
    line=$(awk -F'|' -v s="$server" -v c="$scenario" '
        { for (i = 2; i < NF; i++) gsub(/^ +| +$/, "", $i) }
        $2 == c && $3 == s { print $6 "|" $9 }' "$out/report.md")
    check "$server $scenario: the report shows CPU µs/req and CPU vs ceiling ($line)" \
      grep -Eq '^[0-9]+\.[0-9]{2}\|([0-9]+\.[0-9]{2}x|n/a)$' <<<"${line:-x}"
  done
  mem=$(awk -F'\t' -v s="$server" '$1 == s' "$out/memory.tsv")
  check "$server idle-connection memory measured ($mem)" \
    awk -F'\t' '{ exit !($6 == "ok" && $5 != "") }' <<<"${mem:-x}"
done
check "the report has a table" grep -q '^| scenario' "$out/report.md"
check "the report's table has a CPU µs/req column" \
  grep -q '^| scenario | server | req/s | p99 (ms) | CPU µs/req | vs Gin | vs ceiling | CPU vs ceiling |$' "$out/report.md"
check "results.tsv names its CPU columns" \
  grep -q $'\trequests\tserver_cpu_us\tcpu_us_per_req$' <(head -1 "$out/results.tsv")

# The scaling run (for many-core machines) still works: one worker here, wrk on the rest.
bench/scaling --quick --workers 1 --out "$out/scaling" >"$out/scaling.log" 2>&1
for scenario in plaintext json; do
  check "scaling: sloe and Gin answered $scenario with 1 worker" \
    grep -Eq "^\| 1 \| $scenario \| [0-9,]+ \| [0-9,]+ \| [0-9.]+x \| 1.00 \| 1.00 \|" "$out/scaling/report.md"
done

echo "bench quick: $passed passed, $failed failed"
((failed == 0))
