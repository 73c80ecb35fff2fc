package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bytedance/gopkg/cloud/metainfo"
	"github.com/cloudwego/kitex/pkg/endpoint"
	"github.com/cloudwego/kitex/pkg/limit"
	"github.com/cloudwego/kitex/pkg/retry"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	"github.com/cloudwego/kitex/server"
	"github.com/kitex-contrib/config-etcd/etcd"
	etcdserver "github.com/kitex-contrib/config-etcd/server"

	"github.com/kitex4j/interop-tests/go/internal/peer"
)

// newGovernance returns the server options of the governance flags: the call middleware (-fail-calls,
// -stall-calls, -log-calls), server.WithLimit (-limit-qps, -limit-conns) and config-etcd's server suite
// (-config-etcd). Both of the last two set the server's one limit.Option, so they exclude each other.
func newGovernance() ([]server.Option, error) {
	failSpec, err := peer.ParseCallSpec(*failCalls)
	if err != nil {
		return nil, err
	}
	stallSpec, err := peer.ParseCallSpec(*stallCalls)
	if err != nil {
		return nil, err
	}
	if !stallSpec.Empty() && *stallFlag <= 0 {
		return nil, fmt.Errorf("-stall-calls needs -stall > 0")
	}
	var opts []server.Option
	if !failSpec.Empty() || !stallSpec.Empty() || *logCalls != "" {
		cm := &callMiddleware{fail: failSpec, stall: stallSpec, stallFor: *stallFlag}
		if *logCalls != "" {
			f, err := os.OpenFile(*logCalls, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if err != nil {
				return nil, err
			}
			cm.log = f
		}
		opts = append(opts, server.WithMiddleware(cm.middleware))
	}
	if *limitQPS < 0 || *limitConns < 0 {
		return nil, fmt.Errorf("-limit-qps and -limit-conns must be >= 0")
	}
	if (*limitQPS > 0 || *limitConns > 0) && *configEtcd != "" {
		return nil, fmt.Errorf("-limit-qps/-limit-conns and -config-etcd both set the server's limit.Option: use one")
	}
	if *limitQPS > 0 || *limitConns > 0 {
		opts = append(opts, server.WithLimit(&limit.Option{MaxConnections: *limitConns, MaxQPS: *limitQPS}))
	}
	if *configEtcd != "" {
		cli, err := etcd.NewClient(etcd.Options{Node: peer.Endpoints(*configEtcd)})
		if err != nil {
			return nil, err
		}
		opts = append(opts, server.WithSuite(etcdserver.NewSuite(*serviceFlag, cli)))
	}
	return opts, nil
}

// callMiddleware numbers the calls this server receives (1-based, all methods together), logs each, and stalls
// or fails the ones the specs select (stall first, then fail: a stalled call may also fail).
type callMiddleware struct {
	n        atomic.Int64
	fail     peer.CallSpec
	stall    peer.CallSpec
	stallFor time.Duration
	logMu    sync.Mutex
	log      *os.File
}

type callLine struct {
	Method      string            `json:"method"`
	Call        int64             `json:"call"`
	RetryReq    string            `json:"retryReq"`
	Persistents map[string]string `json:"persistents"`
	Caller      string            `json:"caller,omitempty"`
	AtMillis    int64             `json:"atMillis"`
	Fail        bool              `json:"fail,omitempty"`
	Stall       bool              `json:"stall,omitempty"`
}

func (cm *callMiddleware) middleware(next endpoint.Endpoint) endpoint.Endpoint {
	return func(ctx context.Context, req, resp interface{}) error {
		n := cm.n.Add(1)
		failIt, stallIt := cm.fail.Matches(n), cm.stall.Matches(n)
		if cm.log != nil {
			line := callLine{Call: n, Persistents: map[string]string{}, AtMillis: time.Now().UnixMilli(),
				Fail: failIt, Stall: stallIt}
			line.RetryReq, _ = metainfo.GetPersistentValue(ctx, retry.TransitKey)
			for k, v := range metainfo.GetAllPersistentValues(ctx) {
				line.Persistents[k] = v
			}
			if ri := rpcinfo.GetRPCInfo(ctx); ri != nil {
				line.Method = ri.Invocation().MethodName()
				if f := ri.From(); f != nil {
					line.Caller = f.ServiceName()
				}
			}
			b, _ := json.Marshal(line)
			cm.logMu.Lock()
			// one write per line, so that a reader never sees half a line
			_, _ = cm.log.Write(append(b, '\n'))
			cm.logMu.Unlock()
		}
		if stallIt {
			time.Sleep(cm.stallFor)
		}
		if failIt {
			return fmt.Errorf("fail-calls: call %d of %s failed on purpose", n, strings.TrimSpace(name()))
		}
		return next(ctx, req, resp)
	}
}

func name() string {
	if *nameFlag != "" {
		return *nameFlag
	}
	return "go:" + *serviceFlag
}
