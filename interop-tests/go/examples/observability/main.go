// Command observability is the Go side of kitex4j's examples/observability: a Kitex server and a Kitex client
// traced with kitex-contrib/obs-opentelemetry exactly as a Go team sets them up (OTLP/gRPC to a collector,
// provider.NewOpenTelemetryProvider, the tracing suites), discovering each other through registry-etcd. Its
// spans join those of the kitex4j example (KitexTracing): the trace context and baggage travel as TTHeader
// metainfo, so the client uses TTHeaderFramed (Framed or Buffered would carry none: the server starts a new trace).
//
// The server registers under the service name the Java example server uses, so the Java client and this client
// call Go and Java instances alike:
//
//	go run ./examples/observability -etcd 127.0.0.1:2379 -otlp 127.0.0.1:4317 server
//	go run ./examples/observability -etcd 127.0.0.1:2379 -otlp 127.0.0.1:4317 client hello
//
// It is compiled (go vet ./...) by build-peers.sh, which every interop test run and the Go peer image use.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"strings"
	"time"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/klog"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	"github.com/cloudwego/kitex/server"
	"github.com/cloudwego/kitex/transport"
	"github.com/kitex-contrib/obs-opentelemetry/provider"
	"github.com/kitex-contrib/obs-opentelemetry/tracing"
	etcd "github.com/kitex-contrib/registry-etcd"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/trace"

	"github.com/kitex4j/interop-tests/go/kitex_gen/echo"
	"github.com/kitex4j/interop-tests/go/kitex_gen/echo/echoserver"
)

// service is what examples/observability's ObservedServerMain registers as (ObservedServerMain.SERVICE).
const service = "example.observed-echo"

var (
	etcdFlag = flag.String("etcd", "127.0.0.1:2379", "etcd endpoints, comma list")
	otlpFlag = flag.String("otlp", "127.0.0.1:4317", "OTLP/gRPC collector (host:port)")
	addrFlag = flag.String("addr", "127.0.0.1:8889", "server: listen and registered address")
)

func main() {
	flag.Parse()
	mode, msg := flag.Arg(0), flag.Arg(1)
	name := map[string]string{"server": service, "client": "example.go-observed-client"}[mode]
	if name == "" {
		log.Fatalf("usage: observability [flags] server | client [message]")
	}

	// Traces and metrics over OTLP/gRPC; also installs obs-opentelemetry's default propagator (B3, OT, W3C baggage,
	// W3C trace context), which KitexTracing reads and writes too.
	p := provider.NewOpenTelemetryProvider(
		provider.WithServiceName(name),
		provider.WithExportEndpoint(*otlpFlag), // OTLP/gRPC, e.g. 127.0.0.1:4317
		provider.WithInsecure(),
	)
	defer p.Shutdown(context.Background())

	if mode == "server" {
		runServer()
	} else {
		runClient(name, msg)
	}
}

func runServer() {
	r, err := etcd.NewEtcdRegistry(strings.Split(*etcdFlag, ","))
	if err != nil {
		log.Fatal(err)
	}
	addr, err := net.ResolveTCPAddr("tcp", *addrFlag)
	if err != nil {
		log.Fatal(err)
	}
	svr := echoserver.NewServer(new(echoHandler),
		server.WithServiceAddr(addr),
		server.WithServerBasicInfo(&rpcinfo.EndpointBasicInfo{ServiceName: service}),
		server.WithSuite(tracing.NewServerSuite()),
		server.WithRegistry(r), // etcd.NewEtcdRegistry(endpoints): registers addr under kitex/registry-etcd/example.observed-echo/
	)
	if err := svr.Run(); err != nil {
		log.Fatal(err)
	}
}

func runClient(name, msg string) {
	r, err := etcd.NewEtcdResolver(strings.Split(*etcdFlag, ","))
	if err != nil {
		log.Fatal(err)
	}
	c, err := echoserver.NewClient(service,
		client.WithSuite(tracing.NewClientSuite()),
		client.WithTransportProtocol(transport.TTHeaderFramed), // kitex4j's Transport.TTHEADER_FRAMED
		client.WithClientBasicInfo(&rpcinfo.EndpointBasicInfo{ServiceName: name}),
		client.WithResolver(r), // etcd.NewEtcdResolver(endpoints)
		client.WithRPCTimeout(time.Second),
	)
	if err != nil {
		log.Fatal(err)
	}
	// Baggage travels with the trace: a kitex4j handler reads it with Baggage.current().getEntryValue("tenant").
	tenant, _ := baggage.NewMember("tenant", "acme")
	bag, _ := baggage.New(tenant)
	ctx := baggage.ContextWithBaggage(context.Background(), bag)
	resp, err := c.Echo(ctx, &echo.Request{Action: "echo", Msg: msg})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Msg)
}

type echoHandler struct{}

// Echo runs inside the server span (trace.SpanFromContext(ctx)), with the caller's baggage in ctx.
func (echoHandler) Echo(ctx context.Context, req *echo.Request) (*echo.Response, error) {
	tenant := baggage.FromContext(ctx).Member("tenant").Value()
	klog.CtxInfof(ctx, "echo in trace %s", trace.SpanFromContext(ctx).SpanContext().TraceID())
	return &echo.Response{Action: req.Action, Msg: req.Msg + " (tenant " + tenant + ", seen by go)"}, nil
}

func (echoHandler) EchoComplex(_ context.Context, req *echo.ComplexRequest) (*echo.ComplexResponse, error) {
	return &echo.ComplexResponse{Action: req.Action, Msg: req.Msg, MsgMap: req.MsgMap, SubMsgs: req.SubMsgs,
		FlagMsg: req.FlagMsg}, nil
}
