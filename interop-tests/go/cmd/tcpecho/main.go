// Command tcpecho is the bare TCP ceiling for benchmarks/compare.sh: a length-prefixed echo server
// (u32 big-endian length, then the bytes, as Framed but with no Thrift) and a closed-loop client that
// prints the same JSON fields as cmd/client's bench scenario (qps, meanUs, p50Us, p99Us, p999Us, errors).
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

var (
	mode     = flag.String("mode", "server", "server|client")
	addr     = flag.String("addr", "127.0.0.1:9100", "listen / dial address")
	conc     = flag.Int("concurrency", 100, "client: connections, one call in flight each")
	payload  = flag.Int("payload", 1024, "client: bytes per message")
	duration = flag.Duration("duration", 10*time.Second, "client: measured duration")
	warmup   = flag.Duration("warmup", 0, "client: warm-up duration")
)

func main() {
	flag.Parse()
	if *mode == "server" {
		serve()
		return
	}
	client()
}

func serve() {
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		go func(c net.Conn) {
			defer c.Close()
			r := bufio.NewReaderSize(c, 64<<10)
			var hdr [4]byte
			buf := make([]byte, 0, 4096)
			for {
				if _, err := io.ReadFull(r, hdr[:]); err != nil {
					return
				}
				n := int(binary.BigEndian.Uint32(hdr[:]))
				if cap(buf) < 4+n {
					buf = make([]byte, 0, 4+n)
				}
				buf = buf[:4+n]
				copy(buf, hdr[:])
				if _, err := io.ReadFull(r, buf[4:]); err != nil {
					return
				}
				if _, err := c.Write(buf); err != nil {
					return
				}
			}
		}(c)
	}
}

func client() {
	conns := make([]net.Conn, *conc)
	for i := range conns {
		c, err := net.Dial("tcp", *addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		conns[i] = c
	}
	msg := make([]byte, 4+*payload)
	binary.BigEndian.PutUint32(msg, uint32(*payload))
	for i := 4; i < len(msg); i++ {
		msg[i] = 'a'
	}
	run := func(d time.Duration, record bool) ([]int64, int64, time.Duration) {
		var errs int64
		var wg sync.WaitGroup
		var mu sync.Mutex
		var all []int64
		start := time.Now()
		deadline := start.Add(d)
		for _, c := range conns {
			wg.Add(1)
			go func(c net.Conn) {
				defer wg.Done()
				in := make([]byte, len(msg))
				local := make([]int64, 0, 1<<14)
				for time.Now().Before(deadline) {
					t0 := time.Now()
					if _, err := c.Write(msg); err != nil {
						atomic.AddInt64(&errs, 1)
						return
					}
					if _, err := io.ReadFull(c, in); err != nil {
						atomic.AddInt64(&errs, 1)
						return
					}
					if record {
						local = append(local, int64(time.Since(t0)/time.Microsecond))
					}
				}
				mu.Lock()
				all = append(all, local...)
				mu.Unlock()
			}(c)
		}
		wg.Wait()
		return all, errs, time.Since(start)
	}
	if *warmup > 0 {
		run(*warmup, false)
	}
	samples, errs, elapsed := run(*duration, true)
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
	b, _ := json.Marshal(map[string]interface{}{"event": "bench", "client": "tcpecho-go", "transport": "raw-length-prefixed",
		"concurrency": *conc, "payload": *payload, "calls": len(samples), "qps": qps, "meanUs": mean,
		"p50Us": pct(0.50), "p99Us": pct(0.99), "p999Us": pct(0.999), "errors": errs})
	fmt.Println(string(b))
	fmt.Fprintf(os.Stderr, "tcpecho-go c=%d b=%d: QPS %.0f, mean %.1f us, p50 %d us, p99 %d us, p999 %d us, errors %d\n",
		*conc, *payload, qps, mean, pct(0.50), pct(0.99), pct(0.999), errs)
}
