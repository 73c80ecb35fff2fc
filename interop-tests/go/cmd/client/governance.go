package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/circuitbreak"
	etcdclient "github.com/kitex-contrib/config-etcd/client"
	"github.com/kitex-contrib/config-etcd/etcd"

	"github.com/kitex4j/interop-tests/go/internal/peer"
)

// Governance flags: Kitex's retry policies, the service circuit breaker, config-etcd's client suite, pacing.
var (
	retryFlag       = flag.String("retry", "none", "none|failure|backup|mixed (client.WithFailureRetry / WithBackupRequest / WithMixedRetry)")
	maxRetryFlag    = flag.Int("max-retry", -1, "retry: max retry times, first call not included (-1 = Kitex's default: failure 2, backup 1, mixed 1)")
	backupMSFlag    = flag.Int("backup-ms", 10, "backup, mixed: delay before the backup request (ms)")
	sameNodeFlag    = flag.Bool("retry-same-node", false, "retry: WithRetrySameNode")
	noChainStopFlag = flag.Bool("disable-chain-stop", false, "retry: DisableChainRetryStop")
	breakerRateFlag = flag.Float64("retry-breaker-rate", 0, "retry: WithRetryBreaker(rate), 0 < rate <= 0.3 (0 = Kitex's default 0.1)")
	maxDurationFlag = flag.Int("max-duration-ms", 0, "failure, mixed: WithMaxDurationMS (0 = none)")
	allErrorsFlag   = flag.Bool("retry-all-errors", false, "failure, mixed: retry on any error (retry.AllErrorRetry()), not only timeouts")
	cbFlag          = flag.Bool("cb", false, "service circuit breaker: client.WithCircuitBreaker(circuitbreak.NewCBSuite(RPCInfo2Key))")
	cbRateFlag      = flag.Float64("cb-rate", 0.5, "-cb: error rate that opens a breaker")
	cbMinSampleFlag = flag.Int64("cb-min-sample", 200, "-cb: samples a breaker needs before it may open")
	configEtcdFlag  = flag.String("config-etcd", "", "etcd endpoints of kitex-contrib/config-etcd's client suite (keys /KitexConfig/<-caller-service>/<-service>/{retry,rpc_timeout,circuit_break,degradation})")
	perCall         = flag.Bool("per-call", false, "one short JSON line per call instead of the full one: i, ok, err, errorKind, server, ms, atMillis")
	qpsFlag         = flag.Float64("qps", 0, "start calls at this total rate over all -concurrency callers (0 = as fast as they answer)")
	intervalFlag    = flag.Duration("interval", 0, "start one call every interval over all callers (-qps 1/interval); -qps wins")
)

func governanceOptions() ([]client.Option, error) {
	opts, err := peer.RetryOptions(peer.RetryConfig{Kind: *retryFlag, MaxRetry: *maxRetryFlag, BackupMS: *backupMSFlag,
		SameNode: *sameNodeFlag, DisableChainStop: *noChainStopFlag, BreakerRate: *breakerRateFlag,
		MaxDurationMS: *maxDurationFlag, AllErrors: *allErrorsFlag})
	if err != nil {
		return nil, err
	}
	if *cbFlag && *configEtcdFlag != "" {
		// both set the client's one CBSuite
		return nil, fmt.Errorf("-cb and -config-etcd both set the client's circuit breaker suite: use one")
	}
	if *cbFlag {
		if *cbRateFlag <= 0 || *cbRateFlag > 1 || *cbMinSampleFlag < 1 {
			return nil, fmt.Errorf("-cb-rate must be in (0, 1] and -cb-min-sample >= 1")
		}
		opts = append(opts, peer.ServiceCircuitBreaker(circuitbreak.CBConfig{Enable: true, ErrRate: *cbRateFlag,
			MinSample: *cbMinSampleFlag}))
	}
	if *configEtcdFlag != "" {
		cli, err := etcd.NewClient(etcd.Options{Node: peer.Endpoints(*configEtcdFlag)})
		if err != nil {
			return nil, err
		}
		opts = append(opts, client.WithSuite(etcdclient.NewSuite(*serviceFlag, *callerSvc, cli)))
	}
	return opts, nil
}

func newPacer() *peer.Pacer {
	switch {
	case *qpsFlag > 0:
		return peer.NewPacer(time.Duration(float64(time.Second) / *qpsFlag))
	case *intervalFlag > 0:
		return peer.NewPacer(*intervalFlag)
	}
	return nil
}

type perCallLine struct {
	Event     string  `json:"event"`
	Index     int     `json:"i"`
	OK        bool    `json:"ok"`
	Err       string  `json:"err,omitempty"`
	ErrorKind string  `json:"errorKind,omitempty"`
	Server    string  `json:"server,omitempty"`
	Millis    float64 `json:"ms"`
	AtMillis  int64   `json:"atMillis"` // when the call started (Unix ms)
}

func emitPerCall(r *result) {
	peer.Emit(perCallLine{Event: "call", Index: r.Index, OK: r.OK, Err: r.Error, ErrorKind: r.ErrorKind,
		Server: r.Server, Millis: float64(r.LatencyUs) / 1000, AtMillis: r.StartedAt.UnixMilli()})
}
