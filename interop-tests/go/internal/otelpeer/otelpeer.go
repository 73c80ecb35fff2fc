// Package otelpeer sets up OpenTelemetry for the Go interop peers when they run with -otel: an SDK
// TracerProvider that samples everything and exports each finished span synchronously, as one JSON line, to a
// file the Java tests read (see ../../README.md, "Tracing peers").
package otelpeer

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"sync"

	"go.opentelemetry.io/contrib/propagators/b3"
	"go.opentelemetry.io/contrib/propagators/ot"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Propagator is the one obs-opentelemetry's provider package installs by default
// (provider/options.go:defaultConfig): B3 (single header), OT, W3C baggage, W3C trace context. The tracing
// suites use whatever is global (tracing/options.go:defaultConfig), so Setup makes this one global.
func Propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(b3.New(), ot.OT{}, propagation.Baggage{}, propagation.TraceContext{})
}

// Discard as Setup's spansFile: spans are batched (sdktrace.WithBatcher, as a production service exports) to an
// exporter that drops them, and no baggage is recorded: the benchmarks' "obs-opentelemetry, no-op exporter".
const Discard = "discard"

// discardExporter drops every span.
type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }

// Setup installs the global TracerProvider (service.name = service, always-on sampler, synchronous export to
// spansFile, appending; stderr when spansFile is empty) and the global propagator. The returned function shuts
// the provider down; call it before the process exits.
func Setup(service, spansFile string) (func(), error) {
	if spansFile == Discard {
		return install(sdktrace.NewTracerProvider(
			sdktrace.WithSampler(sdktrace.AlwaysSample()),
			sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service))),
			sdktrace.WithBatcher(discardExporter{}),
		)), nil
	}
	out := os.Stderr
	if spansFile != "" {
		f, err := os.OpenFile(spansFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		out = f
	}
	bags := &baggageRecorder{}
	exp := &jsonExporter{out: out, closeOut: spansFile != "", bags: bags}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service))),
		// first: remembers the baggage of the context each span starts in, for the exporter
		sdktrace.WithSpanProcessor(bags),
		// a simple (synchronous) processor: the span's line is written before End returns
		sdktrace.WithSyncer(exp),
	)
	return install(tp), nil
}

// install makes tp and Propagator global and returns tp's shutdown, to be called before the process exits.
func install(tp *sdktrace.TracerProvider) func() {
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(Propagator())
	var once sync.Once
	return func() {
		once.Do(func() {
			if err := tp.Shutdown(context.Background()); err != nil {
				fmt.Fprintln(os.Stderr, "otel shutdown:", err)
			}
		})
	}
}

// baggageRecorder is a SpanProcessor that keeps, per span, the W3C baggage of the context the span was started
// in (obs-opentelemetry starts the server span in a context that carries the extracted baggage, and the client
// span in the caller's context).
type baggageRecorder struct{ m sync.Map } // [8]byte span id -> map[string]string

func (b *baggageRecorder) OnStart(parent context.Context, s sdktrace.ReadWriteSpan) {
	members := baggage.FromContext(parent).Members()
	m := make(map[string]string, len(members))
	for _, mem := range members {
		m[mem.Key()] = mem.Value()
	}
	b.m.Store(s.SpanContext().SpanID(), m)
}
func (b *baggageRecorder) OnEnd(sdktrace.ReadOnlySpan)      {}
func (b *baggageRecorder) Shutdown(context.Context) error   { return nil }
func (b *baggageRecorder) ForceFlush(context.Context) error { return nil }

func (b *baggageRecorder) take(s sdktrace.ReadOnlySpan) map[string]string {
	if v, ok := b.m.LoadAndDelete(s.SpanContext().SpanID()); ok {
		return v.(map[string]string)
	}
	return map[string]string{}
}

// SpanLine is the JSON object written per span (one line each).
type SpanLine struct {
	TraceID      string                 `json:"traceId"`
	SpanID       string                 `json:"spanId"`
	ParentSpanID string                 `json:"parentSpanId"`
	Name         string                 `json:"name"`
	Kind         string                 `json:"kind"`
	Attributes   map[string]interface{} `json:"attributes"`
	Status       Status                 `json:"status"`
	Events       []Event                `json:"events"`
	Service      string                 `json:"service"`
	Baggage      map[string]string      `json:"baggage"`
}

// Status is a span's status: code unset, ok or error.
type Status struct {
	Code        string `json:"code"`
	Description string `json:"description"`
}

// Event is a span event.
type Event struct {
	Name       string                 `json:"name"`
	Attributes map[string]interface{} `json:"attributes"`
}

type jsonExporter struct {
	mu       sync.Mutex
	out      *os.File
	closeOut bool
	bags     *baggageRecorder
}

func (e *jsonExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range spans {
		b, err := json.Marshal(ToLine(s, e.bags.take(s)))
		if err != nil {
			return err
		}
		// one write per line on an unbuffered file: the line is in the file when End returns
		if _, err := e.out.Write(append(b, '\n')); err != nil {
			return err
		}
	}
	return nil
}

func (e *jsonExporter) Shutdown(context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closeOut {
		return e.out.Close()
	}
	return nil
}

// ToLine converts a finished span to its JSON line object.
func ToLine(s sdktrace.ReadOnlySpan, bags map[string]string) SpanLine {
	l := SpanLine{
		TraceID:    s.SpanContext().TraceID().String(),
		SpanID:     s.SpanContext().SpanID().String(),
		Name:       s.Name(),
		Kind:       s.SpanKind().String(),
		Attributes: attrs(s.Attributes()),
		Status:     Status{Code: statusCode(s.Status().Code), Description: s.Status().Description},
		Events:     []Event{},
		Baggage:    bags,
	}
	if p := s.Parent(); p.SpanID().IsValid() {
		l.ParentSpanID = p.SpanID().String()
	}
	for _, ev := range s.Events() {
		l.Events = append(l.Events, Event{Name: ev.Name, Attributes: attrs(ev.Attributes)})
	}
	if v, ok := s.Resource().Set().Value("service.name"); ok {
		l.Service = v.AsString()
	}
	return l
}

func statusCode(c codes.Code) string {
	switch c {
	case codes.Ok:
		return "ok"
	case codes.Error:
		return "error"
	}
	return "unset"
}

func attrs(kvs []attribute.KeyValue) map[string]interface{} {
	m := make(map[string]interface{}, len(kvs))
	for _, kv := range kvs {
		m[string(kv.Key)] = value(kv.Value)
	}
	return m
}

func value(v attribute.Value) interface{} {
	switch v.Type() {
	case attribute.BOOL:
		return v.AsBool()
	case attribute.INT64:
		return v.AsInt64()
	case attribute.FLOAT64:
		f := v.AsFloat64()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return v.Emit() // JSON has no NaN/Inf
		}
		return f
	case attribute.STRING:
		return v.AsString()
	case attribute.BOOLSLICE:
		return v.AsBoolSlice()
	case attribute.INT64SLICE:
		return v.AsInt64Slice()
	case attribute.FLOAT64SLICE:
		return v.AsFloat64Slice()
	case attribute.STRINGSLICE:
		return v.AsStringSlice()
	}
	return v.Emit()
}

// Members parses repeatable k=v flags into W3C baggage members (values taken as they are: the W3C baggage
// propagator percent-encodes them on the wire).
func Members(kvs []string) (baggage.Baggage, error) {
	var members []baggage.Member
	for _, kv := range kvs {
		i := strings.IndexByte(kv, '=')
		if i <= 0 {
			return baggage.Baggage{}, fmt.Errorf("baggage %q is not k=v", kv)
		}
		m, err := baggage.NewMemberRaw(kv[:i], kv[i+1:])
		if err != nil {
			return baggage.Baggage{}, fmt.Errorf("baggage %q: %w", kv, err)
		}
		members = append(members, m)
	}
	return baggage.New(members...)
}
