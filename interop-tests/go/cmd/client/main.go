// Command client is a Go Kitex client for the kitex4j interop tests. It runs one scenario and prints JSON
// lines on stdout (one per call, then one summary line). See ../../README.md.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/bytedance/gopkg/cloud/metainfo"
	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/client/genericclient"
	"github.com/cloudwego/kitex/pkg/connpool"
	"github.com/cloudwego/kitex/pkg/discovery"
	"github.com/cloudwego/kitex/pkg/generic"
	"github.com/cloudwego/kitex/pkg/kerrors"
	"github.com/cloudwego/kitex/pkg/klog"
	"github.com/cloudwego/kitex/pkg/remote"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	"github.com/cloudwego/kitex/pkg/transmeta"
	"github.com/kitex-contrib/obs-opentelemetry/tracing"
	etcd "github.com/kitex-contrib/registry-etcd"
	"go.opentelemetry.io/otel/baggage"

	"github.com/kitex4j/interop-tests/go/internal/otelpeer"
	"github.com/kitex4j/interop-tests/go/internal/peer"
	"github.com/kitex4j/interop-tests/go/kitex_gen/echo"
	"github.com/kitex4j/interop-tests/go/kitex_gen/echo/echoserver"
	"github.com/kitex4j/interop-tests/go/kitex_gen/interop"
	"github.com/kitex4j/interop-tests/go/kitex_gen/interop/interopservice"
)

var (
	etcdFlag     = flag.String("etcd", "", "etcd endpoints, comma list (discovery); or use -addr")
	prefixFlag   = flag.String("prefix", "kitex/registry-etcd", "etcd key prefix")
	serviceFlag  = flag.String("service", "interop", "destination service name")
	addrFlag     = flag.String("addr", "", "fixed address(es) host:port, comma list (no discovery)")
	transportF   = flag.String("transport", "default", "buffered|framed|ttheader|ttheader-framed|default")
	ttheaderMeta = flag.Bool("ttheader-meta", true, "use transmeta.ClientTTHeaderHandler")
	muxFlag      = flag.Int("mux", 0, "client.WithMuxConnection(n) if n > 0")
	maxIdleFlag  = flag.Int("max-idle", 0, "client.WithLongConnection: MaxIdlePerAddress = MaxIdleGlobal = n if n > 0 (Kitex's default pool keeps 10 idle per address, 100 in all)")
	timeoutFlag  = flag.Duration("timeout", time.Second, "RPC timeout (0 = none)")
	scenarioFlag = flag.String("scenario", "echo", "echo|echoAll|methods|callInfo|callInfoVia|throwDeclared|bizError|fail|sleep|oneway|binary|weighted|loop|resolve|rawCall|bench")
	countFlag    = flag.Int("count", 1, "number of calls")
	concFlag     = flag.Int("concurrency", 1, "parallel callers (echo, weighted, loop)")
	msgFlag      = flag.String("msg", "hello", "message / argument for the scenario")
	actionFlag   = flag.String("action", "", "echo, loop: Request.action (default echo; weighted always sends whoami)")
	codeFlag     = flag.Int("code", 0, "code argument (bizError, throwDeclared)")
	kindFlag     = flag.Int("kind", 0, "kind argument (throwDeclared)")
	sizeFlag     = flag.Int("size", 0, "payload size in bytes (binary)")
	millisFlag   = flag.Int64("millis", 0, "sleep argument (sleep)")
	durationFlag = flag.Duration("duration", 0, "keep calling for this long instead of -count")
	quietFlag    = flag.Bool("quiet", false, "only the summary line")
	strictFlag   = flag.Bool("strict", false, "exit 1 when a call failed (for restart policies and scripts)")
	idlService   = flag.String("idl-service", "InteropService", "rawCall: IDL service name for generic.BinaryThriftGenericV2")
	otelFlag     = flag.Bool("otel", false, "OpenTelemetry tracing with kitex-contrib/obs-opentelemetry's client suite")
	otelSpans    = flag.String("otel-spans", "", "-otel: file finished spans are appended to, one JSON line each (empty = stderr)")
	callerSvc    = flag.String("caller-service", "go-client", "-otel: resource service.name of this client; -config-etcd: the client name of the config keys")
	transients   peer.ListFlag
	baggageFlags peer.ListFlag
	callBaggage  baggage.Baggage
	shutdownOtel = func() {}
	persistents  peer.ListFlag
	extras       peer.ListFlag
	clientTags   peer.ListFlag
)

type result struct {
	Event      string            `json:"event"`
	Scenario   string            `json:"scenario"`
	Index      int               `json:"i"`
	OK         bool              `json:"ok"`
	Result     interface{}       `json:"result,omitempty"`
	Server     string            `json:"server,omitempty"`
	LatencyUs  int64             `json:"latencyMicros"`
	ErrorKind  string            `json:"errorKind,omitempty"` // biz, application, timeout, remoteOrNetwork, other
	Error      string            `json:"error,omitempty"`
	TypeID     *int32            `json:"typeId,omitempty"` // TApplicationException type code
	BizCode    *int32            `json:"bizCode,omitempty"`
	BizMessage string            `json:"bizMessage,omitempty"`
	BizExtra   map[string]string `json:"bizExtra,omitempty"`
	Backward   map[string]string `json:"backward,omitempty"`
	Declared   string            `json:"declared,omitempty"` // name of a declared IDL exception
	StartedAt  time.Time         `json:"-"`                  // -per-call's atMillis
}

func main() {
	flag.Var(&transients, "transient", "transient metainfo k=v (repeatable)")
	flag.Var(&persistents, "persistent", "persistent metainfo k=v (repeatable)")
	flag.Var(&extras, "extra", "bizError extra k=v (repeatable)")
	flag.Var(&clientTags, "tag", "client.WithTag k=v (repeatable)")
	flag.Var(&baggageFlags, "baggage", "W3C baggage member k=v put into each call's context (repeatable)")
	flag.Parse()
	klog.SetOutput(os.Stderr)
	klog.SetLevel(klog.LevelWarn)
	var err error
	if callBaggage, err = otelpeer.Members(baggageFlags); err != nil {
		fatal(err)
	}
	if *otelFlag {
		if shutdownOtel, err = otelpeer.Setup(*callerSvc, *otelSpans); err != nil {
			fatal(err)
		}
	}
	runScenario()
	// os.Exit paths (fatal, -strict) shut down too; spans are exported synchronously anyway
	shutdownOtel()
}

// runScenario is main's body after the flags and the tracer provider are set up.
func runScenario() {
	opts, err := clientOptions()
	if err != nil {
		fatal(err)
	}
	if *scenarioFlag == "resolve" {
		resolve()
		return
	}
	if *scenarioFlag == "rawCall" {
		rawCall(opts)
		return
	}
	ec, err := echoserver.NewClient(*serviceFlag, opts...)
	if err != nil {
		fatal(err)
	}
	if *scenarioFlag == "bench" {
		bench(ec)
		return
	}
	ic, err := interopservice.NewClient(*serviceFlag, opts...)
	if err != nil {
		fatal(err)
	}
	run(ec, ic)
}

func clientOptions() ([]client.Option, error) {
	var opts []client.Option
	if *otelFlag {
		// the suite adds TTHeader to the transport (TTHeaderFramed with "default"); an explicit -transport is
		// re-applied from scratch after it
		opts = append(opts, client.WithSuite(tracing.NewClientSuite()))
	}
	tpOpts, err := peer.ClientTransport(*transportF, *otelFlag)
	if err != nil {
		return nil, err
	}
	opts = append(opts, tpOpts...)
	if *ttheaderMeta {
		opts = append(opts, client.WithMetaHandler(transmeta.ClientTTHeaderHandler))
	}
	if *muxFlag > 0 {
		opts = append(opts, client.WithMuxConnection(*muxFlag))
	}
	if *maxIdleFlag > 0 {
		opts = append(opts, client.WithLongConnection(connpool.IdleConfig{
			MaxIdlePerAddress: *maxIdleFlag, MaxIdleGlobal: *maxIdleFlag, MaxIdleTimeout: time.Minute}))
	}
	tags, err := peer.Tags(clientTags)
	if err != nil {
		return nil, err
	}
	for k, v := range tags {
		opts = append(opts, client.WithTag(k, v))
	}
	if *timeoutFlag > 0 {
		opts = append(opts, client.WithRPCTimeout(*timeoutFlag))
	}
	govOpts, err := governanceOptions()
	if err != nil {
		return nil, err
	}
	opts = append(opts, govOpts...)
	if *addrFlag != "" {
		opts = append(opts, client.WithHostPorts(strings.Split(*addrFlag, ",")...))
	} else if *etcdFlag != "" {
		r, err := etcd.NewEtcdResolver(peer.Endpoints(*etcdFlag), etcd.WithEtcdServicePrefix(*prefixFlag))
		if err != nil {
			return nil, err
		}
		opts = append(opts, client.WithResolver(r))
	} else {
		return nil, fmt.Errorf("need -addr or -etcd")
	}
	opts = append(opts, client.WithClientBasicInfo(&rpcinfo.EndpointBasicInfo{ServiceName: "go-interop-client", Method: *scenarioFlag}))
	return opts, nil
}

// resolve prints what registry-etcd's resolver sees for -service, one line per instance.
func resolve() {
	r, err := etcd.NewEtcdResolver(peer.Endpoints(*etcdFlag), etcd.WithEtcdServicePrefix(*prefixFlag))
	if err != nil {
		fatal(err)
	}
	res, err := r.Resolve(context.Background(), *serviceFlag)
	if err != nil {
		fatal(err)
	}
	var list []map[string]interface{}
	for _, in := range res.Instances {
		list = append(list, map[string]interface{}{"address": in.Address().String(), "network": in.Address().Network(),
			"weight": in.Weight(), "tags": tagsOf(in)})
	}
	peer.Emit(map[string]interface{}{"event": "resolved", "service": *serviceFlag, "instances": list})
}

func tagsOf(in discovery.Instance) map[string]string {
	m := map[string]string{}
	for _, k := range []string{"idc", "cluster", "env", "zone", "version", "k", "lang"} {
		if v, ok := in.Tag(k); ok {
			m[k] = v
		}
	}
	return m
}

// rawCall calls method -msg with empty arguments through Kitex's binary generic client (BinaryThriftGenericV2),
// so that methods the IDL does not have can be called, and reports the error as Kitex's client sees it.
func rawCall(opts []client.Option) {
	cli, err := genericclient.NewClient(*serviceFlag, generic.BinaryThriftGenericV2(*idlService), opts...)
	if err != nil {
		fatal(err)
	}
	r := &result{Event: "call", Scenario: "rawCall"}
	start := time.Now()
	resp, err := cli.GenericCall(baseCtx(), *msgFlag, []byte{0}) // an empty struct: STOP
	r.LatencyUs = time.Since(start).Microseconds()
	if err != nil {
		describe(r, err)
	} else {
		r.OK = true
		r.Result = fmt.Sprintf("%x", resp)
	}
	peer.Emit(r)
	ok := 0
	if r.OK {
		ok = 1
	}
	peer.Emit(map[string]interface{}{"event": "summary", "scenario": "rawCall", "calls": 1, "ok": ok, "failed": 1 - ok})
}

func baseCtx() context.Context {
	ctx := context.Background()
	t, _ := peer.Tags(transients)
	for k, v := range t {
		ctx = metainfo.WithValue(ctx, k, v)
	}
	p, _ := peer.Tags(persistents)
	for k, v := range p {
		ctx = metainfo.WithPersistentValue(ctx, k, v)
	}
	if callBaggage.Len() > 0 {
		ctx = baggage.ContextWithBaggage(ctx, callBaggage)
	}
	return metainfo.WithBackwardValues(ctx)
}

func run(ec echoserver.Client, ic interopservice.Client) {
	sc := *scenarioFlag
	results := make([]*result, 0, *countFlag)
	var mu sync.Mutex
	servers := map[string]int{}
	n, okCount := 0, 0
	deadline := time.Time{}
	if *durationFlag > 0 {
		deadline = time.Now().Add(*durationFlag)
	}
	next := 0
	pacer := newPacer()
	var wg sync.WaitGroup
	for w := 0; w < *concFlag; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if deadline.IsZero() && next >= *countFlag || !deadline.IsZero() && time.Now().After(deadline) {
					mu.Unlock()
					return
				}
				i := next
				next++
				mu.Unlock()
				pacer.Wait()
				r := call(ec, ic, sc, i)
				mu.Lock()
				n++
				if r.OK {
					okCount++
				}
				if r.Server != "" {
					servers[r.Server]++
				}
				if *perCall {
					emitPerCall(r)
				} else if !*quietFlag {
					peer.Emit(r)
				} else if !r.OK && len(results) < 20 {
					results = append(results, r)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, r := range results {
		peer.Emit(r) // the first failures, even when quiet
	}
	peer.Emit(map[string]interface{}{"event": "summary", "scenario": sc, "calls": n, "ok": okCount,
		"failed": n - okCount, "servers": servers})
	if *strictFlag && okCount < n {
		shutdownOtel()
		os.Exit(1)
	}
}

func call(ec echoserver.Client, ic interopservice.Client, sc string, i int) *result {
	ctx := baseCtx()
	r := &result{Event: "call", Scenario: sc, Index: i}
	start := time.Now()
	r.StartedAt = start
	var res interface{}
	var err error
	switch sc {
	case "echo", "weighted", "loop":
		action := "echo"
		if *actionFlag != "" {
			action = *actionFlag
		}
		if sc == "weighted" {
			action = "whoami"
		}
		var resp *echo.Response
		resp, err = ec.Echo(ctx, &echo.Request{Action: action, Msg: *msgFlag})
		if err == nil {
			res = resp
			if action == "whoami" {
				r.Server = resp.Msg
			}
		}
	case "echoAll":
		in := edgeAllTypes()
		var out *interop.AllTypes
		out, err = ic.EchoAll(ctx, in)
		if err == nil {
			res = map[string]interface{}{"equal": reflect.DeepEqual(in, out)}
			if !reflect.DeepEqual(in, out) {
				err = fmt.Errorf("echoAll mismatch: sent %v got %v", in, out)
			}
		}
	case "methods":
		res, err = allMethods(ctx, ic)
	case "callInfo":
		var ci *interop.CallInfo
		ci, err = ic.CallInfo(ctx)
		if err == nil {
			res = ci
			r.Server = ci.GetServerName()
		}
	case "callInfoVia":
		var ci *interop.CallInfo
		ci, err = ic.CallInfoVia(ctx, *msgFlag)
		if err == nil {
			res = ci
			r.Server = ci.GetServerName()
		}
	case "throwDeclared":
		res, err = ic.ThrowDeclared(ctx, int32(*kindFlag), int32(*codeFlag), *msgFlag)
	case "bizError":
		extra, _ := peer.Tags(extras)
		res, err = ic.BizError(ctx, int32(*codeFlag), *msgFlag, extra)
	case "fail":
		err = ic.Fail(ctx, *msgFlag)
	case "sleep":
		err = ic.Sleep(ctx, *millisFlag)
	case "oneway":
		key := fmt.Sprintf("%s-%d", *msgFlag, i)
		err = ic.OnewayPut(ctx, key, "v-"+key)
		if err == nil {
			var got string
			for t := 0; t < 100; t++ {
				got, err = ic.OnewayGet(baseCtx(), key)
				if err != nil || got != "" {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			res = got
		}
	case "binary":
		data := make([]byte, *sizeFlag)
		for j := range data {
			data[j] = byte(j * 7)
		}
		var out []byte
		out, err = ic.EchoBinary(ctx, data)
		if err == nil {
			if !bytes.Equal(out, data) {
				err = fmt.Errorf("echoBinary mismatch (%d bytes back)", len(out))
			}
			var made []byte
			made, err = ic.MakeBinary(ctx, int32(*sizeFlag))
			if err == nil && len(made) != *sizeFlag {
				err = fmt.Errorf("makeBinary returned %d bytes", len(made))
			}
			for j := range made {
				if made[j] != byte(j%256) {
					err = fmt.Errorf("makeBinary byte %d wrong", j)
					break
				}
			}
			res = map[string]int{"echoed": len(out), "made": len(made)}
		}
	default:
		fatal(fmt.Errorf("unknown scenario %q", sc))
	}
	r.LatencyUs = time.Since(start).Microseconds()
	if bw := metainfo.RecvAllBackwardValues(ctx); len(bw) > 0 {
		r.Backward = bw
	}
	if err != nil {
		describe(r, err)
		if sc == "methods" {
			r.Result = res
		}
	} else {
		r.OK = true
		r.Result = res
	}
	return r
}

func describe(r *result, err error) {
	r.Error = err.Error()
	if be, ok := kerrors.FromBizStatusError(err); ok {
		r.ErrorKind = "biz"
		c := be.BizStatusCode()
		r.BizCode = &c
		r.BizMessage = be.BizMessage()
		r.BizExtra = be.BizExtra()
		return
	}
	var ia *interop.InvalidArgument
	var nf *interop.NotFound
	if errors.As(err, &ia) {
		r.ErrorKind, r.Declared = "declared", "InvalidArgument"
		r.Result = ia
		return
	}
	if errors.As(err, &nf) {
		r.ErrorKind, r.Declared = "declared", "NotFound"
		r.Result = nf
		return
	}
	var te *remote.TransError
	if errors.As(err, &te) {
		id := te.TypeID()
		r.TypeID = &id
		r.ErrorKind = "application"
		return
	}
	var te2 remote.TransError
	if errors.As(err, &te2) {
		id := te2.TypeID()
		r.TypeID = &id
		r.ErrorKind = "application"
		return
	}
	switch {
	case kerrors.IsTimeoutError(err):
		r.ErrorKind = "timeout"
	case errors.Is(err, kerrors.ErrRemoteOrNetwork):
		r.ErrorKind = "remoteOrNetwork"
	default:
		r.ErrorKind = "other"
	}
}

func edgeAllTypes() *interop.AllTypes {
	a := interop.NewAllTypes()
	a.BoolField = true
	a.ByteField = math.MinInt8
	a.I16Field = math.MinInt16
	a.I32Field = math.MaxInt32
	a.I64Field = math.MinInt64
	a.DoubleField = math.Inf(-1)
	a.StringField = "héllo, 世界 \x00 \U0001F600"
	a.BinaryField = []byte{0, 1, 0x7f, 0x80, 0xff}
	a.StringList = []string{"", "a", "ü"}
	a.I32Set = []int32{math.MinInt32, 0, math.MaxInt32}
	a.StringToI64 = map[string]int64{"max": math.MaxInt64, "min": math.MinInt64, "": 0}
	name := "inner"
	a.Inner = &interop.Inner{Id: 7, Name: &name, Values: []int64{1, -1}}
	a.InnerList = []*interop.Inner{{Id: 1}, {Id: 2, Values: []int64{}}}
	a.InnerSet = []*interop.Inner{{Id: 3}}
	a.I32ToInner = map[int32]*interop.Inner{-1: {Id: -1}}
	a.NestedContainers = map[string][][]int16{"x": {{1, 2}, {}}}
	a.BinaryList = [][]byte{{}, {0xff}}
	a.ColorNames = map[interop.Color]string{interop.Color_INFRARED: "ir", interop.Color_UNKNOWN: "?"}
	a.BoolList = []bool{true, false}
	a.DoubleList = []float64{0, math.MaxFloat64, math.SmallestNonzeroFloat64, math.Inf(1), -0.5}
	a.StringSet = []string{"s"}
	c := interop.Color_INFRARED
	a.Color = &c
	a.Choice = &interop.Choice{Blob: []byte{}}
	b, by, i16, i32, i64, d, s := false, int8(math.MaxInt8), int16(math.MaxInt16), int32(math.MinInt32), int64(math.MaxInt64), 1e-300, ""
	a.OptBool, a.OptByte, a.OptI16, a.OptI32, a.OptI64, a.OptDouble, a.OptString = &b, &by, &i16, &i32, &i64, &d, &s
	a.OptBinary = []byte{}
	a.DefaultInt = 0
	a.DefaultString = ""
	a.DefaultList = []int32{}
	a.DefaultMap = map[string]string{}
	return a
}

// allMethods calls every two-way echo method with edge values and reports which ones differed.
func allMethods(ctx context.Context, ic interopservice.Client) (interface{}, error) {
	var bad []string
	check := func(name string, ok bool, err error) {
		if err != nil {
			bad = append(bad, name+": "+err.Error())
		} else if !ok {
			bad = append(bad, name+": mismatch")
		}
	}
	check("ping", true, ic.Ping(ctx))
	in := edgeAllTypes()
	out, err := ic.EchoAll(ctx, in)
	check("echoAll", reflect.DeepEqual(in, out), err)
	list, err := ic.EchoAllList(ctx, []*interop.AllTypes{in, interop.NewAllTypes()})
	check("echoAllList", err == nil && len(list) == 2 && reflect.DeepEqual(list[0], in), err)
	for _, ch := range []*interop.Choice{{Number: ptr(int32(-5))}, {Text: ptr("t")}, {Inner: &interop.Inner{Id: 1}}, {Blob: []byte{1}}, {Words: []string{"a", "b"}}} {
		o, err := ic.EchoChoice(ctx, ch)
		check("echoChoice", reflect.DeepEqual(ch, o), err)
	}
	for _, c := range []interop.Color{interop.Color_UNKNOWN, interop.Color_BLUE, interop.Color_INFRARED, interop.Color(12345)} {
		o, err := ic.EchoColor(ctx, c)
		check(fmt.Sprintf("echoColor(%d) got %d", c, o), o == c, err)
	}
	for _, s := range []string{"", "x", "héllo \x00 \U0001F600", strings.Repeat("z", 70000)} {
		o, err := ic.EchoString(ctx, s)
		check("echoString", o == s, err)
	}
	for _, v := range []int64{0, -1, math.MaxInt64, math.MinInt64} {
		o, err := ic.EchoI64(ctx, v)
		check("echoI64", o == v, err)
	}
	for _, v := range []float64{0, math.Copysign(0, -1), math.MaxFloat64, math.SmallestNonzeroFloat64, math.Inf(1), math.Inf(-1)} {
		o, err := ic.EchoDouble(ctx, v)
		check("echoDouble", math.Float64bits(o) == math.Float64bits(v), err)
	}
	o, err := ic.EchoDouble(ctx, math.NaN())
	check("echoDouble(NaN)", math.IsNaN(o), err)
	for _, v := range []bool{true, false} {
		o, err := ic.EchoBool(ctx, v)
		check("echoBool", o == v, err)
	}
	cont := map[string][]*interop.Inner{"": {}, "a": {{Id: 1, Name: ptr("n"), Values: []int64{math.MaxInt64}}}}
	oc, err := ic.EchoContainers(ctx, cont)
	check("echoContainers", reflect.DeepEqual(cont, oc), err)
	f, err := ic.EchoFields(ctx, true, -128, -32768, -2147483648, math.MinInt64, -1.5, "s", []byte{9})
	check("echoFields", err == nil && f.BoolField && f.ByteField == -128 && f.I16Field == -32768 &&
		f.I32Field == math.MinInt32 && f.I64Field == math.MinInt64 && f.DoubleField == -1.5 &&
		f.StringField == "s" && bytes.Equal(f.BinaryField, []byte{9}), err)
	if len(bad) > 0 {
		return bad, fmt.Errorf("%d method checks failed: %s", len(bad), strings.Join(bad, "; "))
	}
	return []string{}, nil
}

func ptr[T any](v T) *T { return &v }

func fatal(err error) {
	peer.Emit(map[string]interface{}{"event": "fatal", "error": err.Error()})
	fmt.Fprintln(os.Stderr, err)
	shutdownOtel()
	os.Exit(2)
}
