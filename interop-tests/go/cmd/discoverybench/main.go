// Command discoverybench is a Go Kitex client for kitex4j's discovery-speed benchmark
// (benchmarks/.../discovery/DiscoverySpeedRun). It resolves a service through registry-etcd with
// Kitex's default resolver refresh (polling, 5 s), calls Echo(action="whoami") continuously and
// prints one JSON line per call on stdout: {"t":<unix nanos when the call was issued>,"server":<name>}
// (or "error" instead of "server"). It runs until killed or until -duration has passed.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/klog"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	etcd "github.com/kitex-contrib/registry-etcd"

	"github.com/kitex4j/interop-tests/go/kitex_gen/echo"
	"github.com/kitex4j/interop-tests/go/kitex_gen/echo/echoserver"
)

var (
	etcdFlag     = flag.String("etcd", "", "etcd endpoints, comma list")
	prefixFlag   = flag.String("prefix", "kitex/registry-etcd", "etcd key prefix")
	serviceFlag  = flag.String("service", "discovery", "destination service name")
	intervalFlag = flag.Duration("interval", time.Millisecond, "pause between calls")
	timeoutFlag  = flag.Duration("timeout", time.Second, "RPC timeout")
	durationFlag = flag.Duration("duration", 0, "stop after this long (0 = run until killed)")
)

type line struct {
	T      int64  `json:"t"`
	Server string `json:"server,omitempty"`
	Error  string `json:"error,omitempty"`
}

func main() {
	flag.Parse()
	klog.SetOutput(os.Stderr)
	klog.SetLevel(klog.LevelWarn)
	if *etcdFlag == "" {
		fmt.Fprintln(os.Stderr, "need -etcd")
		os.Exit(2)
	}
	r, err := etcd.NewEtcdResolver(strings.Split(*etcdFlag, ","), etcd.WithEtcdServicePrefix(*prefixFlag))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Kitex's default resolver refresh interval is kept on purpose: that is what is measured.
	c, err := echoserver.NewClient(*serviceFlag, client.WithResolver(r), client.WithRPCTimeout(*timeoutFlag),
		client.WithClientBasicInfo(&rpcinfo.EndpointBasicInfo{ServiceName: "go-discoverybench"}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	enc := json.NewEncoder(out)
	lastFlush := time.Now()
	var deadline time.Time
	if *durationFlag > 0 {
		deadline = time.Now().Add(*durationFlag)
	}
	for deadline.IsZero() || time.Now().Before(deadline) {
		t := time.Now()
		resp, err := c.Echo(context.Background(), &echo.Request{Action: "whoami", Msg: ""})
		l := line{T: t.UnixNano()}
		if err != nil {
			l.Error = err.Error()
		} else {
			l.Server = resp.Msg
		}
		if err := enc.Encode(&l); err != nil {
			os.Exit(0) // stdout closed
		}
		if time.Since(lastFlush) >= 5*time.Millisecond {
			if out.Flush() != nil {
				os.Exit(0)
			}
			lastFlush = time.Now()
		}
		if *intervalFlag > 0 {
			time.Sleep(*intervalFlag)
		}
	}
	out.Flush()
}
