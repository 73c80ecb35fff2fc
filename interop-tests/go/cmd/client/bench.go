package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kitex4j/interop-tests/go/internal/peer"
	"github.com/kitex4j/interop-tests/go/kitex_gen/echo"
	"github.com/kitex4j/interop-tests/go/kitex_gen/echo/echoserver"
)

// Flags of the "bench" scenario (closed-loop load, as the public Kitex benchmark runner does).
var (
	warmupFlag  = flag.Duration("warmup", 0, "bench: warm-up duration before measuring")
	payloadFlag = flag.Int("payload", 1024, "bench: bytes of Request.msg")
)

// bench runs -concurrency closed-loop workers (each keeps one call in flight) for -warmup, then for
// -duration while recording latencies, and prints one JSON line (qps, meanUs, p50Us, p99Us, p999Us,
// errors) and one human line on stderr. Percentiles come from the sorted slice of all samples.
func bench(ec echoserver.Client) {
	msg := strings.Repeat("a", *payloadFlag)
	dur := *durationFlag
	if dur <= 0 {
		dur = 10 * time.Second
	}
	run := func(d time.Duration, record bool) ([]int64, int64, time.Duration) {
		var errs int64
		var wg sync.WaitGroup
		var mu sync.Mutex
		var all []int64
		start := time.Now()
		deadline := start.Add(d)
		pacer := newPacer()
		for w := 0; w < *concFlag; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				local := make([]int64, 0, 1<<14)
				ctx := context.Background()
				req := &echo.Request{Action: "echo", Msg: msg}
				for time.Now().Before(deadline) {
					pacer.Wait()
					t0 := time.Now()
					resp, err := ec.Echo(ctx, req)
					lat := time.Since(t0)
					if err != nil || resp == nil || len(resp.Msg) != len(msg) {
						atomic.AddInt64(&errs, 1)
						continue
					}
					if record {
						local = append(local, int64(lat/time.Microsecond))
					}
				}
				mu.Lock()
				all = append(all, local...)
				mu.Unlock()
			}()
		}
		wg.Wait()
		return all, errs, time.Since(start)
	}
	if *warmupFlag > 0 {
		run(*warmupFlag, false)
	}
	samples, errs, elapsed := run(dur, true)
	emitBench("kitex-go", *transportF, *concFlag, *payloadFlag, samples, errs, elapsed)
}

// emitBench prints the common result line (shared with cmd/tcpecho's copy of the same code).
func emitBench(name, transport string, conc, payload int, samples []int64, errs int64, elapsed time.Duration) {
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	pct := func(p float64) int64 {
		if len(samples) == 0 {
			return 0
		}
		i := int(p*float64(len(samples))+0.5) - 1
		if i < 0 {
			i = 0
		}
		if i >= len(samples) {
			i = len(samples) - 1
		}
		return samples[i]
	}
	var sum int64
	for _, s := range samples {
		sum += s
	}
	mean := 0.0
	if len(samples) > 0 {
		mean = float64(sum) / float64(len(samples))
	}
	qps := float64(len(samples)) / elapsed.Seconds()
	peer.Emit(map[string]interface{}{"event": "bench", "client": name, "transport": transport,
		"concurrency": conc, "payload": payload, "calls": len(samples), "qps": qps, "meanUs": mean,
		"p50Us": pct(0.50), "p99Us": pct(0.99), "p999Us": pct(0.999), "errors": errs})
	fmt.Fprintf(os.Stderr, "%s %s c=%d b=%d: QPS %.0f, mean %.1f us, p50 %d us, p99 %d us, p999 %d us, errors %d\n",
		name, transport, conc, payload, qps, mean, pct(0.50), pct(0.99), pct(0.999), errs)
}
