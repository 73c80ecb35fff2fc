// Package peer holds what the Go interop server and client share: flags, transports, JSON output.
package peer

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/transport"
)

// ListFlag is a repeatable or comma-separated flag.
type ListFlag []string

func (l *ListFlag) String() string { return strings.Join(*l, ",") }
func (l *ListFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// Tags parses repeatable k=v flags.
func Tags(l ListFlag) (map[string]string, error) {
	if len(l) == 0 {
		return nil, nil
	}
	m := map[string]string{}
	for _, kv := range l {
		i := strings.IndexByte(kv, '=')
		if i <= 0 {
			return nil, fmt.Errorf("tag %q is not k=v", kv)
		}
		m[kv[:i]] = kv[i+1:]
	}
	return m, nil
}

// Endpoints splits a comma list of etcd endpoints, dropping the http:// scheme that clientv3 does not need.
func Endpoints(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		e = strings.TrimSpace(e)
		if e != "" {
			out = append(out, e)
		}
	}
	return out
}

// Transport maps a flag value to a Kitex transport protocol; ok=false means "default" (no option at all).
func Transport(name string) (tp transport.Protocol, ok bool, err error) {
	switch strings.ToLower(name) {
	case "", "default":
		return 0, false, nil
	case "buffered":
		return transport.PurePayload, true, nil
	case "framed":
		return transport.Framed, true, nil
	case "ttheader":
		return transport.TTHeader, true, nil
	case "ttheader-framed", "ttheader_framed":
		return transport.TTHeaderFramed, true, nil
	}
	return 0, false, fmt.Errorf("unknown transport %q (buffered, framed, ttheader, ttheader-framed, default)", name)
}

// ClientTransport returns the client options for a -transport flag value: none for "default", else
// WithTransportProtocol. Kitex ORs transport bits into the client's config (which starts as Framed), and
// obs-opentelemetry's NewClientSuite ORs in TTHeader; with afterSuite the config is first reset
// (PurePayload clears it) and Kitex's initial Framed restored, so that an explicit -transport means with a
// suite what it means without one (framed stays plain Framed, without TTHeader and so without propagation).
func ClientTransport(name string, afterSuite bool) ([]client.Option, error) {
	tp, set, err := Transport(name)
	if err != nil || !set {
		return nil, err
	}
	var opts []client.Option
	if afterSuite {
		opts = append(opts, client.WithTransportProtocol(transport.PurePayload),
			client.WithTransportProtocol(transport.Framed))
	}
	return append(opts, client.WithTransportProtocol(tp)), nil
}

// TransportName names a Kitex transport as CallInfo.transport does (BUFFERED, FRAMED, TTHEADER, TTHEADER_FRAMED).
func TransportName(tp transport.Protocol) string {
	switch {
	case tp&transport.TTHeaderFramed == transport.TTHeaderFramed:
		return "TTHEADER_FRAMED"
	case tp&transport.TTHeader == transport.TTHeader:
		return "TTHEADER"
	case tp&transport.Framed == transport.Framed:
		return "FRAMED"
	}
	return "BUFFERED"
}

var outMu sync.Mutex

// Emit writes one JSON line on stdout.
func Emit(v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(fmt.Sprintf(`{"event":"error","error":%q}`, err.Error()))
	}
	outMu.Lock()
	defer outMu.Unlock()
	os.Stdout.Write(append(b, '\n'))
}
