-- wrk reports p50/p75/p90/p99 with --latency; the issue's search goal is a p95. Printed at the end.
done = function(summary, latency, requests)
  io.write(string.format("p95_us %d\n", latency:percentile(95)))
end
