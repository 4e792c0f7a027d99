#!/usr/bin/env bash
# Runs the HTTP benchmark harness for one second per scenario and checks that every server
# built, started and answered every scenario without errors, that the server CPU per request
# was measured for each, and that memory was measured. The static file scenarios: sloe, Gin
# and nginx answered 200 with the file's Content-Length and bytes and show a ratio vs nginx;
# RESTinio and the ceiling, which have no static file route, show n/a. The middleware scenarios
# (logger, stack): sloe and Gin answered with their middleware on (the stack's X-Request-ID and
# RateLimit-Limit headers were there) and the report compares them with their bare plaintext and
# with each other; RESTinio, nginx and the ceiling show n/a.
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
scenarios=(plaintext json user echo pipelined pipelined-json c1000 close static-1k static-1m logger stack)
declare -A static_size=([static-1k]=1024 [static-1m]=1048576)
for server in "${servers[@]}"; do
  for scenario in "${scenarios[@]}"; do
    if [[ ( "$scenario" == static-* && ( "$server" == restinio || "$server" == ceiling ) ) ||
          ( ( "$scenario" == logger || "$scenario" == stack ) && "$server" != sloe && "$server" != gin ) ]]; then
      row=$(awk -F'\t' -v s="$server" -v c="$scenario" '$1 == s && $2 == c' "$out/results.tsv")
      check "$server $scenario is n/a in results.tsv ($row)" \
        awk -F'\t' '{ exit !($8 ~ /^n\/a/ && $3 == "-") }' <<<"${row:-x}"
      line=$(awk -F'|' -v s="$server" -v c="$scenario" '
          /^## / { t = /^## Throughput/ }
          { for (i = 2; i < NF; i++) gsub(/^ +| +$/, "", $i) }
          t && $2 == c && $3 == s { print $4 "|" $10 }' "$out/report.md")
      check "$server $scenario is n/a in the report ($line)" test "$line" = "n/a|n/a"
      continue
    fi
    if [[ "$scenario" == static-* ]]; then
      # bench/run's curl check before wrk: HTTP code, Content-Length, bytes received.
      want=${static_size[$scenario]}
      got=$(cat "$out/raw/$server-$scenario.check" 2>/dev/null || echo missing)
      check "$server $scenario: 200, Content-Length and body of $want bytes ($got)" \
        test "$got" = "200 $want $want"
      # The report's vs nginx column: a ratio (nginx itself: 1.00x).
      line=$(awk -F'|' -v s="$server" -v c="$scenario" '
          /^## / { t = /^## Throughput/ }
          { for (i = 2; i < NF; i++) gsub(/^ +| +$/, "", $i) }
          t && $2 == c && $3 == s { print $10 }' "$out/report.md")
      check "$server $scenario: the report shows the ratio vs nginx ($line)" \
        grep -Eq '^[0-9]+\.[0-9]{2}x$' <<<"${line:-x}"
    fi
    if [[ "$scenario" == stack ]]; then
      # bench/run's curl check before wrk: HTTP code, body, X-Request-ID length, RateLimit-Limit.
      got=$(cat "$out/raw/$server-$scenario.check" 2>/dev/null || echo missing)
      check "$server stack: 200, Hello, World!, X-Request-ID and RateLimit-Limit ($got)" \
        grep -Eq '^200 Hello,_World! [1-9][0-9]* [0-9]+$' <<<"$got"
    fi
    if [[ "$scenario" == logger || "$scenario" == stack ]]; then
      # The middleware table: | scenario | server | req/s | req/s vs bare | CPU µs/req |
      # bare CPU µs/req | cost vs bare | sloe / Gin req/s | sloe / Gin CPU |
      line=$(awk -F'|' -v s="$server" -v c="$scenario" '
          /^## / { t = /^## Middleware/ }
          { for (i = 2; i < NF; i++) gsub(/^ +| +$/, "", $i) }
          t && $2 == c && $3 == s { print $5 "|" $8 "|" $9 }' "$out/report.md")
      check "$server $scenario: the report compares it with bare plaintext and Gin ($line)" \
        grep -Eq '^[0-9]+\.[0-9]{2}x\|[-+][0-9]+\.[0-9]%\|[0-9]+\.[0-9]{2}x$' <<<"${line:-x}"
    fi
    row=$(awk -F'\t' -v s="$server" -v c="$scenario" '$1 == s && $2 == c' "$out/results.tsv")
    check "$server $scenario answered ($row)" \
      awk -F'\t' '{ exit !($8 == "ok" && $3 > 0 && $5 == 0 && $6 == 0) }' <<<"${row:-x}"
    # Server CPU per request: the requests wrk completed, the server's CPU time and µs per
    # request (0.00 is possible: CPU time comes in clock ticks, usually 10 ms).
    check "$server $scenario: results.tsv has requests and CPU µs per request ($row)" \
      awk -F'\t' '{ exit !($9 ~ /^[0-9]+$/ && $9 > 0 && $10 ~ /^[0-9]+$/ && $11 ~ /^[0-9]+\.[0-9][0-9]$/) }' <<<"${row:-x}"
    # The report's row: | scenario | server | req/s | p99 | CPU µs/req | vs Gin | vs ceiling | CPU vs ceiling | vs nginx |
    line=$(awk -F'|' -v s="$server" -v c="$scenario" '
        /^## / { t = /^## Throughput/ }
        { for (i = 2; i < NF; i++) gsub(/^ +| +$/, "", $i) }
        t && $2 == c && $3 == s { print $6 "|" $9 }' "$out/report.md")
    check "$server $scenario: the report shows CPU µs/req and CPU vs ceiling ($line)" \
      grep -Eq '^[0-9]+\.[0-9]{2}\|([0-9]+\.[0-9]{2}x|n/a)$' <<<"${line:-x}"
  done
  mem=$(awk -F'\t' -v s="$server" '$1 == s' "$out/memory.tsv")
  check "$server idle-connection memory measured ($mem)" \
    awk -F'\t' '{ exit !($6 == "ok" && $5 != "") }' <<<"${mem:-x}"
done
check "the report has a table" grep -q '^| scenario' "$out/report.md"
check "the report's table has a CPU µs/req column" \
  grep -q '^| scenario | server | req/s | p99 (ms) | CPU µs/req | vs Gin | vs ceiling | CPU vs ceiling | vs nginx |$' "$out/report.md"
for scenario in static-1k static-1m; do
  check "the report's notes give sloe / nginx for $scenario" \
    grep -Eq "^- $scenario \(GET of a [0-9]+-byte file\): sloe / nginx [0-9]+\.[0-9]{2}x in req/s" "$out/report.md"
done
for scenario in logger stack; do
  check "the report's notes give sloe's $scenario cost and sloe / Gin" \
    grep -Eq "^- $scenario: .* costs [-+][0-9]+\.[0-9]% CPU per request .*; sloe / Gin .* [0-9]+\.[0-9]{2}x in req/s" "$out/report.md"
done
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
