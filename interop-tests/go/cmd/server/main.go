// Command server is a Go Kitex server for the kitex4j interop tests: it serves EchoServer and InteropService
// on one port and may register in etcd with kitex-contrib/registry-etcd. See ../../README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bytedance/gopkg/cloud/metainfo"
	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/endpoint"
	"github.com/cloudwego/kitex/pkg/kerrors"
	"github.com/cloudwego/kitex/pkg/klog"
	"github.com/cloudwego/kitex/pkg/registry"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	"github.com/cloudwego/kitex/pkg/transmeta"
	"github.com/cloudwego/kitex/server"
	"github.com/kitex-contrib/obs-opentelemetry/tracing"
	etcd "github.com/kitex-contrib/registry-etcd"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/trace"

	"github.com/kitex4j/interop-tests/go/internal/otelpeer"
	"github.com/kitex4j/interop-tests/go/internal/peer"
	"github.com/kitex4j/interop-tests/go/kitex_gen/echo"
	"github.com/kitex4j/interop-tests/go/kitex_gen/echo/echoserver"
	"github.com/kitex4j/interop-tests/go/kitex_gen/interop"
	"github.com/kitex4j/interop-tests/go/kitex_gen/interop/interopservice"
)

var (
	addrFlag     = flag.String("addr", "127.0.0.1:0", "listen address (port 0 = any free port)")
	etcdFlag     = flag.String("etcd", "", "etcd endpoints, comma list; empty = no registration")
	prefixFlag   = flag.String("prefix", "kitex/registry-etcd", "etcd key prefix (registry-etcd's default)")
	serviceFlag  = flag.String("service", "interop", "service name to register (and serverName if -name is empty)")
	nameFlag     = flag.String("name", "", "server name reported in CallInfo.serverName and Echo responses")
	weightFlag   = flag.Int("weight", 10, "registry weight")
	ttheaderMeta = flag.Bool("ttheader-meta", true, "use transmeta.ServerTTHeaderHandler")
	muxFlag      = flag.Bool("mux", false, "server.WithMuxTransport()")
	exitWaitFlag = flag.Duration("exit-wait", 0, "server.WithExitWaitTime (0 = Kitex default)")
	ctxTimeout   = flag.Bool("context-timeout", false, "server.WithEnableContextTimeout(true)")
	downstreamTP = flag.String("downstream-transport", "ttheader", "transport for callInfoVia's client")
	otelFlag     = flag.Bool("otel", false, "OpenTelemetry tracing with kitex-contrib/obs-opentelemetry (server suite; callInfoVia's client gets the client suite)")
	otelSpans    = flag.String("otel-spans", "", "-otel: file finished spans are appended to, one JSON line each (empty = stderr; \"discard\": batched to a no-op exporter, for benchmarks)")
	failCalls    = flag.String("fail-calls", "", "calls (1-based count of calls this server received) whose handler returns an error: *, %K (every K-th) or N,M,A-B")
	stallCalls   = flag.String("stall-calls", "", "calls (as -fail-calls) that sleep -stall before being handled")
	stallFlag    = flag.Duration("stall", 0, "-stall-calls: how long")
	logCalls     = flag.String("log-calls", "", "file each received call is appended to, one JSON line (method, call number, RetryReq, persistent metainfo)")
	limitQPS     = flag.Int("limit-qps", 0, "server.WithLimit MaxQPS (0 = none)")
	limitConns   = flag.Int("limit-conns", 0, "server.WithLimit MaxConnections (0 = none)")
	configEtcd   = flag.String("config-etcd", "", "etcd endpoints of kitex-contrib/config-etcd's server suite (limit key /KitexConfig/<service>/limit)")
	dsRetry      = flag.String("downstream-retry", "none", "callInfoVia's client: none|failure|backup")
	dsMaxRetry   = flag.Int("downstream-max-retry", -1, "callInfoVia's client: max retry times (-1 = Kitex's default)")
	dsBackupMS   = flag.Int("downstream-backup-ms", 10, "callInfoVia's client: backup request delay (ms)")
	dsNoChain    = flag.Bool("downstream-disable-chain-stop", false, "callInfoVia's client: DisableChainRetryStop")
	dsAllErrors  = flag.Bool("downstream-retry-all-errors", false, "callInfoVia's client, failure retry: retry on any error, not only timeouts")
	dsTimeout    = flag.Duration("downstream-timeout", 0, "callInfoVia's client: client.WithRPCTimeout (0 = none, Kitex's default)")
	tagsFlag     peer.ListFlag
)

func main() {
	flag.Var(&tagsFlag, "tag", "registry tag k=v (repeatable)")
	flag.Parse()
	klog.SetOutput(os.Stderr)
	klog.SetLevel(klog.LevelWarn)
	name := *nameFlag
	if name == "" {
		name = "go:" + *serviceFlag
	}
	tags, err := peer.Tags(tagsFlag)
	fail(err)

	shutdownOtel := func() {}
	if *otelFlag {
		shutdownOtel, err = otelpeer.Setup(*serviceFlag, *otelSpans)
		fail(err)
	}

	gov, err := newGovernance()
	fail(err)
	ln, err := net.Listen("tcp", *addrFlag)
	fail(err)
	opts := []server.Option{
		server.WithListener(ln),
		server.WithServerBasicInfo(&rpcinfo.EndpointBasicInfo{ServiceName: *serviceFlag}),
	}
	opts = append(opts, gov...)
	if *otelFlag {
		// the suite's middleware starts the server span; recordBaggage, added after it, runs inside it
		opts = append(opts, server.WithSuite(tracing.NewServerSuite()))
		if *otelSpans != otelpeer.Discard {
			opts = append(opts, server.WithMiddleware(recordBaggage))
		}
	}
	if *ttheaderMeta {
		opts = append(opts, server.WithMetaHandler(transmeta.ServerTTHeaderHandler))
	}
	if *muxFlag {
		opts = append(opts, server.WithMuxTransport())
	}
	if *exitWaitFlag > 0 {
		opts = append(opts, server.WithExitWaitTime(*exitWaitFlag))
	}
	if *ctxTimeout {
		opts = append(opts, server.WithEnableContextTimeout(true))
	}
	if *etcdFlag != "" {
		r, err := etcd.NewEtcdRegistry(peer.Endpoints(*etcdFlag), etcd.WithEtcdServicePrefix(*prefixFlag))
		fail(err)
		opts = append(opts, server.WithRegistry(notifying{r}), server.WithRegistryInfo(&registry.Info{
			ServiceName: *serviceFlag, Weight: *weightFlag, Tags: tags,
		}))
	}
	opts = append(opts, server.WithExitSignal(exitSignal))
	svr := server.NewServer(opts...)
	h := &handler{name: name, kv: map[string]string{}}
	fail(echoserver.RegisterService(svr, &echoHandler{name: name}))
	fail(interopservice.RegisterService(svr, h))

	go func() {
		// Run() gives no readiness callback: the listener is ours, so dial it until Kitex accepts.
		for i := 0; i < 500; i++ {
			c, err := net.DialTimeout("tcp", ln.Addr().String(), 100*time.Millisecond)
			if err == nil {
				c.Close()
				peer.Emit(map[string]interface{}{"event": "serving", "addr": ln.Addr().String(), "name": name,
					"service": *serviceFlag, "pid": os.Getpid()})
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	err = svr.Run()
	// Run returns after Kitex's graceful stop (SIGTERM/SIGINT): every span has ended by now
	shutdownOtel()
	if err != nil {
		peer.Emit(map[string]interface{}{"event": "stopped", "error": err.Error()})
		os.Exit(1)
	}
	peer.Emit(map[string]interface{}{"event": "stopped"})
}

// recordBaggage puts the W3C baggage the call arrived with (as obs-opentelemetry's server middleware extracted
// it into the context) on the server span as "test.baggage", so a test sees what reached this hop.
func recordBaggage(next endpoint.Endpoint) endpoint.Endpoint {
	return func(ctx context.Context, req, resp interface{}) error {
		if span := trace.SpanFromContext(ctx); span.IsRecording() {
			span.SetAttributes(attribute.String("test.baggage", baggage.FromContext(ctx).String()))
		}
		return next(ctx, req, resp)
	}
}

// notifying reports registration and deregistration on stdout, so a test can wait for them.
type notifying struct{ registry.Registry }

func (n notifying) Register(info *registry.Info) error {
	err := n.Registry.Register(info)
	ev := map[string]interface{}{"event": "registered", "service": info.ServiceName}
	if err != nil {
		ev["error"] = err.Error()
	}
	peer.Emit(ev)
	return err
}

func (n notifying) Deregister(info *registry.Info) error {
	err := n.Registry.Deregister(info)
	ev := map[string]interface{}{"event": "deregistered", "service": info.ServiceName}
	if err != nil {
		ev["error"] = err.Error()
	}
	peer.Emit(ev)
	return err
}

// exitSignal is Kitex's default: SIGINT/SIGTERM → graceful stop.
func exitSignal() <-chan error {
	ch := make(chan error, 1)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sig
		ch <- fmt.Errorf("signal %v", s)
	}()
	return ch
}

func fail(err error) {
	if err != nil {
		peer.Emit(map[string]interface{}{"event": "error", "error": err.Error()})
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}

type echoHandler struct{ name string }

func (e *echoHandler) Echo(ctx context.Context, req *echo.Request) (*echo.Response, error) {
	if req.Action == "sleep" {
		ms, _ := strconv.Atoi(strings.SplitN(req.Msg, ",", 2)[0])
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	if req.Action == "whoami" {
		return &echo.Response{Action: req.Action, Msg: e.name}, nil
	}
	if req.Action == "metainfo" {
		// the transient metainfo the call carried, k=v sorted by key and joined by commas (as kitex4j's CLI
		// serve answers it), so a caller sees what crossed the wire without the InteropService IDL
		all := metainfo.GetAllValues(ctx)
		keys := make([]string, 0, len(all))
		for k := range all {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		pairs := make([]string, 0, len(keys))
		for _, k := range keys {
			pairs = append(pairs, k+"="+all[k])
		}
		return &echo.Response{Action: req.Action, Msg: strings.Join(pairs, ",")}, nil
	}
	return &echo.Response{Action: req.Action, Msg: req.Msg}, nil
}

func (e *echoHandler) EchoComplex(ctx context.Context, req *echo.ComplexRequest) (*echo.ComplexResponse, error) {
	return &echo.ComplexResponse{Action: req.Action, Msg: req.Msg, MsgMap: req.MsgMap, SubMsgs: req.SubMsgs,
		MsgSet: req.MsgSet, FlagMsg: req.FlagMsg}, nil
}

type handler struct {
	name string
	mu   sync.Mutex
	kv   map[string]string
	cli  sync.Map // target -> interopservice.Client
}

func (h *handler) Ping(ctx context.Context) error { return nil }
func (h *handler) EchoAll(ctx context.Context, v *interop.AllTypes) (*interop.AllTypes, error) {
	return v, nil
}
func (h *handler) EchoAllList(ctx context.Context, v []*interop.AllTypes) ([]*interop.AllTypes, error) {
	return v, nil
}
func (h *handler) EchoChoice(ctx context.Context, v *interop.Choice) (*interop.Choice, error) {
	return v, nil
}
func (h *handler) EchoColor(ctx context.Context, v interop.Color) (interop.Color, error) {
	return v, nil
}
func (h *handler) EchoString(ctx context.Context, v string) (string, error)   { return v, nil }
func (h *handler) EchoI64(ctx context.Context, v int64) (int64, error)        { return v, nil }
func (h *handler) EchoDouble(ctx context.Context, v float64) (float64, error) { return v, nil }
func (h *handler) EchoBool(ctx context.Context, v bool) (bool, error)         { return v, nil }
func (h *handler) EchoContainers(ctx context.Context, v map[string][]*interop.Inner) (map[string][]*interop.Inner, error) {
	return v, nil
}
func (h *handler) EchoFields(ctx context.Context, b bool, by int8, i16 int16, i32 int32, i64 int64, d float64,
	s string, bin []byte) (*interop.AllTypes, error) {
	r := interop.NewAllTypes()
	r.BoolField, r.ByteField, r.I16Field, r.I32Field, r.I64Field = b, by, i16, i32, i64
	r.DoubleField, r.StringField, r.BinaryField = d, s, bin
	return r, nil
}
func (h *handler) EchoBinary(ctx context.Context, data []byte) ([]byte, error) { return data, nil }
func (h *handler) MakeBinary(ctx context.Context, size int32) ([]byte, error) {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i % 256)
	}
	return b, nil
}

func (h *handler) CallInfo(ctx context.Context) (*interop.CallInfo, error) {
	ci := interop.NewCallInfo()
	ci.Transients = map[string]string{}
	for k, v := range metainfo.GetAllValues(ctx) {
		ci.Transients[k] = v
	}
	ci.Persistents = map[string]string{}
	for k, v := range metainfo.GetAllPersistentValues(ctx) {
		ci.Persistents[k] = v
	}
	ci.ServerName = &h.name
	if ri := rpcinfo.GetRPCInfo(ctx); ri != nil {
		if f := ri.From(); f != nil {
			ci.CallerService = strPtr(f.ServiceName())
			ci.CallerMethod = strPtr(f.Method())
			if f.Address() != nil {
				ci.RemoteAddress = strPtr(f.Address().String())
			}
		}
		if t := ri.To(); t != nil {
			ci.CalleeService = strPtr(t.ServiceName())
			ci.CalleeMethod = strPtr(t.Method())
		}
		ci.Method = strPtr(ri.Invocation().MethodName())
		seq := ri.Invocation().SeqID()
		ci.SeqId = &seq
		if to := ri.Config().RPCTimeout(); to > 0 {
			ci.TimeoutMillis = to.Milliseconds()
		}
		ci.Transport = strPtr(peer.TransportName(ri.Config().TransportProtocol()))
	}
	if dl, ok := ctx.Deadline(); ok {
		ci.DeadlineRemainingMillis = time.Until(dl).Milliseconds()
	}
	// backward metainfo: whatever the caller sent under "send-back-<k>" is sent back as <k>
	for k, v := range ci.Transients {
		if strings.HasPrefix(k, "send-back-") {
			metainfo.SendBackwardValue(ctx, strings.TrimPrefix(k, "send-back-"), v)
		}
	}
	return ci, nil
}

func strPtr(s string) *string { return &s }

func (h *handler) CallInfoVia(ctx context.Context, target string) (*interop.CallInfo, error) {
	c, ok := h.cli.Load(target)
	if !ok {
		var opts []client.Option
		if *otelFlag {
			// the suite adds TTHeader to the transport; -downstream-transport is re-applied from scratch after it
			opts = append(opts, client.WithSuite(tracing.NewClientSuite()))
		}
		tpOpts, err := peer.ClientTransport(*downstreamTP, *otelFlag)
		if err != nil {
			return nil, err
		}
		opts = append(opts, tpOpts...)
		retryOpts, err := peer.RetryOptions(peer.RetryConfig{Kind: *dsRetry, MaxRetry: *dsMaxRetry,
			BackupMS: *dsBackupMS, DisableChainStop: *dsNoChain, AllErrors: *dsAllErrors})
		if err != nil {
			return nil, err
		}
		opts = append(opts, retryOpts...)
		if *dsTimeout > 0 {
			opts = append(opts, client.WithRPCTimeout(*dsTimeout))
		}
		opts = append(opts, client.WithMetaHandler(transmeta.ClientTTHeaderHandler),
			// as a Kitex service calling another names itself (TTHeader FROM_SERVICE)
			client.WithClientBasicInfo(&rpcinfo.EndpointBasicInfo{ServiceName: *serviceFlag}))
		svc := target
		if _, _, err := net.SplitHostPort(target); err == nil {
			opts = append(opts, client.WithHostPorts(target))
		} else {
			r, err := etcd.NewEtcdResolver(peer.Endpoints(*etcdFlag), etcd.WithEtcdServicePrefix(*prefixFlag))
			if err != nil {
				return nil, err
			}
			opts = append(opts, client.WithResolver(r))
		}
		nc, err := interopservice.NewClient(svc, opts...)
		if err != nil {
			return nil, err
		}
		c, _ = h.cli.LoadOrStore(target, nc)
	}
	// ctx carries the server span (with -otel): the client span is its child
	return c.(interopservice.Client).CallInfo(ctx)
}

func (h *handler) Sleep(ctx context.Context, millis int64) error {
	time.Sleep(time.Duration(millis) * time.Millisecond)
	return nil
}

func (h *handler) ThrowDeclared(ctx context.Context, kind, code int32, message string) (string, error) {
	switch kind {
	case 1:
		return "", &interop.InvalidArgument{Code: code, Message: message}
	case 2:
		return "", &interop.NotFound{Key: message, Message: message}
	}
	return message, nil
}

func (h *handler) BizError(ctx context.Context, code int32, message string, extra map[string]string) (string, error) {
	return "", kerrors.NewBizStatusErrorWithExtra(code, message, extra)
}

func (h *handler) Fail(ctx context.Context, message string) error {
	return fmt.Errorf("%s", message)
}

func (h *handler) OnewayPut(ctx context.Context, key, value string) error {
	h.mu.Lock()
	h.kv[key] = value
	h.mu.Unlock()
	return nil
}

func (h *handler) OnewayGet(ctx context.Context, key string) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.kv[key], nil
}
