package otelpeer

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// The span file has one line per ended span, written before End returns, in the documented format.
func TestSpanLines(t *testing.T) {
	file := filepath.Join(t.TempDir(), "spans.jsonl")
	shutdown, err := Setup("svc-x", file)
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown()
	bag, err := Members([]string{"user=alice", "note=a b"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := baggage.ContextWithBaggage(context.Background(), bag)
	tr := otel.Tracer("test")
	ctx, parent := tr.Start(ctx, "parent", trace.WithSpanKind(trace.SpanKindServer))
	_, child := tr.Start(ctx, "child", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.Int64("n", 7), attribute.Bool("b", true), attribute.String("s", "v")))
	child.RecordError(errors.New("boom"))
	child.SetStatus(codes.Error, "boom")
	child.End()

	lines := readLines(t, file)
	if len(lines) != 1 {
		t.Fatalf("after child.End: %d lines, want 1", len(lines))
	}
	parent.End()
	lines = readLines(t, file)
	if len(lines) != 2 {
		t.Fatalf("after parent.End: %d lines, want 2", len(lines))
	}
	c, p := lines[0], lines[1]
	if c.TraceID != p.TraceID || c.ParentSpanID != p.SpanID || p.ParentSpanID != "" {
		t.Errorf("not parent/child: %+v %+v", c, p)
	}
	if len(c.TraceID) != 32 || len(c.SpanID) != 16 {
		t.Errorf("id lengths: %q %q", c.TraceID, c.SpanID)
	}
	if c.Kind != "client" || p.Kind != "server" || c.Name != "child" || c.Service != "svc-x" {
		t.Errorf("child: %+v", c)
	}
	if c.Status.Code != "error" || c.Status.Description != "boom" || p.Status.Code != "unset" {
		t.Errorf("status: %+v %+v", c.Status, p.Status)
	}
	if c.Attributes["n"] != float64(7) || c.Attributes["b"] != true || c.Attributes["s"] != "v" {
		t.Errorf("attributes: %v", c.Attributes)
	}
	if len(c.Events) != 1 || c.Events[0].Name != "exception" || c.Events[0].Attributes["exception.message"] != "boom" {
		t.Errorf("events: %+v", c.Events)
	}
	if c.Baggage["user"] != "alice" || c.Baggage["note"] != "a b" || p.Baggage["user"] != "alice" {
		t.Errorf("baggage: %v %v", c.Baggage, p.Baggage)
	}
}

// The global propagator is obs-opentelemetry's provider default: b3 single header, OT, baggage, traceparent.
func TestPropagatorFields(t *testing.T) {
	shutdown, err := Setup("svc-y", filepath.Join(t.TempDir(), "s.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown()
	bag, _ := Members([]string{"k=v"})
	ctx, span := otel.Tracer("t").Start(baggage.ContextWithBaggage(context.Background(), bag), "x")
	defer span.End()
	m := propagation.MapCarrier{}
	otel.GetTextMapPropagator().Inject(ctx, m)
	for _, k := range []string{"b3", "ot-tracer-traceid", "ot-tracer-spanid", "ot-tracer-sampled", "ot-baggage-k", "baggage", "traceparent"} {
		if m[k] == "" {
			t.Errorf("%s not injected: %v", k, m)
		}
	}
	tid := span.SpanContext().TraceID().String()
	if m["traceparent"] != "00-"+tid+"-"+span.SpanContext().SpanID().String()+"-01" || m["ot-tracer-traceid"] != tid[16:] ||
		m["b3"] != tid+"-"+span.SpanContext().SpanID().String()+"-1" || m["baggage"] != "k=v" {
		t.Errorf("values: %v", m)
	}
	if len(m) != 7 {
		t.Errorf("extra keys: %v", m)
	}
}

func readLines(t *testing.T, file string) []SpanLine {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []SpanLine
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l == "" {
			continue
		}
		var s SpanLine
		if err := json.Unmarshal([]byte(l), &s); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		out = append(out, s)
	}
	return out
}
