package peer

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/circuitbreak"
	"github.com/cloudwego/kitex/pkg/retry"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
)

// CallSpec selects calls by their 1-based number: "" (none), "*" (all), "%K" (every K-th: K, 2K, …) or a comma
// list of numbers and ranges "N,M,A-B". It is what the server's -fail-calls and -stall-calls take.
type CallSpec struct {
	all    bool
	every  int64
	ranges [][2]int64
}

// ParseCallSpec parses a CallSpec; "" selects nothing.
func ParseCallSpec(s string) (CallSpec, error) {
	s = strings.TrimSpace(s)
	var c CallSpec
	switch {
	case s == "":
		return c, nil
	case s == "*":
		c.all = true
		return c, nil
	case strings.HasPrefix(s, "%"):
		k, err := strconv.ParseInt(s[1:], 10, 64)
		if err != nil || k <= 0 {
			return c, fmt.Errorf("call spec %q: %%K needs K >= 1", s)
		}
		c.every = k
		return c, nil
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi := part, part
		if i := strings.IndexByte(part, '-'); i > 0 {
			lo, hi = part[:i], part[i+1:]
		}
		a, err1 := strconv.ParseInt(lo, 10, 64)
		b, err2 := strconv.ParseInt(hi, 10, 64)
		if err1 != nil || err2 != nil || a < 1 || b < a {
			return c, fmt.Errorf("call spec %q: %q is not N or A-B with 1 <= A <= B (expected: *, %%K or N,M,A-B)", s, part)
		}
		c.ranges = append(c.ranges, [2]int64{a, b})
	}
	return c, nil
}

// Matches tells whether call number n (1-based) is selected.
func (c CallSpec) Matches(n int64) bool {
	if c.all {
		return true
	}
	if c.every > 0 {
		return n%c.every == 0
	}
	for _, r := range c.ranges {
		if n >= r[0] && n <= r[1] {
			return true
		}
	}
	return false
}

// Empty tells whether the spec selects no call at all.
func (c CallSpec) Empty() bool { return !c.all && c.every == 0 && len(c.ranges) == 0 }

// RetryConfig is what the retry flags of the client (-retry …) and of the server's downstream client
// (-downstream-retry …) describe. MaxRetry < 0 and BreakerRate <= 0 keep Kitex's defaults.
type RetryConfig struct {
	Kind             string // none, failure, backup, mixed
	MaxRetry         int
	BackupMS         int
	SameNode         bool
	DisableChainStop bool
	BreakerRate      float64
	MaxDurationMS    int
	AllErrors        bool
}

// RetryOptions turns a RetryConfig into Kitex client options: client.WithFailureRetry(retry.NewFailurePolicy()),
// client.WithBackupRequest(retry.NewBackupPolicy(delay)) or client.WithMixedRetry(retry.NewMixedPolicy(delay)),
// with the policy's own setters (which panic on out-of-range values: reported as an error here).
func RetryOptions(rc RetryConfig) (opts []client.Option, err error) {
	defer func() {
		if r := recover(); r != nil {
			opts, err = nil, fmt.Errorf("retry %s: %v", rc.Kind, r)
		}
	}()
	switch strings.ToLower(rc.Kind) {
	case "", "none":
		return nil, nil
	case "failure":
		p := retry.NewFailurePolicy()
		applyFailure(p, rc)
		return []client.Option{client.WithFailureRetry(p)}, nil
	case "backup":
		p := retry.NewBackupPolicy(uint32(rc.BackupMS))
		if rc.MaxRetry >= 0 {
			p.WithMaxRetryTimes(rc.MaxRetry)
		}
		if rc.SameNode {
			p.WithRetrySameNode()
		}
		if rc.DisableChainStop {
			p.DisableChainRetryStop()
		}
		if rc.BreakerRate > 0 {
			p.WithRetryBreaker(rc.BreakerRate)
		}
		if rc.MaxDurationMS > 0 || rc.AllErrors {
			return nil, fmt.Errorf("retry backup: -max-duration-ms and -retry-all-errors are failure/mixed options")
		}
		return []client.Option{client.WithBackupRequest(p)}, nil
	case "mixed":
		p := retry.NewMixedPolicy(uint32(rc.BackupMS))
		applyFailure(&p.FailurePolicy, rc)
		return []client.Option{client.WithMixedRetry(p)}, nil
	}
	return nil, fmt.Errorf("unknown retry %q (expected: none, failure, backup, mixed)", rc.Kind)
}

func applyFailure(p *retry.FailurePolicy, rc RetryConfig) {
	if rc.MaxRetry >= 0 {
		p.WithMaxRetryTimes(rc.MaxRetry)
	}
	if rc.MaxDurationMS > 0 {
		p.WithMaxDurationMS(uint32(rc.MaxDurationMS))
	}
	if rc.SameNode {
		p.WithRetrySameNode()
	}
	if rc.DisableChainStop {
		p.DisableChainRetryStop()
	}
	if rc.BreakerRate > 0 {
		p.WithRetryBreaker(rc.BreakerRate)
	}
	if rc.AllErrors {
		p.WithSpecifiedResultRetry(retry.AllErrorRetry())
	}
}

// ServiceCircuitBreaker returns client.WithCircuitBreaker(circuitbreak.NewCBSuite(RPCInfo2Key)) whose service
// breakers (one per from/to/method key, Kitex's default key) all use the given config instead of Kitex's default
// {true 0.5 200}: the key function stores the config for a key the first time it sees it, before the suite looks
// the key's config up.
func ServiceCircuitBreaker(cfg circuitbreak.CBConfig) client.Option {
	var suite *circuitbreak.CBSuite
	var seen sync.Map
	suite = circuitbreak.NewCBSuite(func(ri rpcinfo.RPCInfo) string {
		key := circuitbreak.RPCInfo2Key(ri)
		if _, loaded := seen.LoadOrStore(key, true); !loaded {
			suite.UpdateServiceCBConfig(key, cfg)
		}
		return key
	})
	return client.WithCircuitBreaker(suite)
}

// Pacer hands out start times at a fixed total rate to any number of callers: call i starts at start + i*period.
// A caller that is late (all callers were busy) starts at once, so the rate is an upper bound.
type Pacer struct {
	mu     sync.Mutex
	period time.Duration
	next   time.Time
}

// NewPacer returns nil for period <= 0 (no pacing).
func NewPacer(period time.Duration) *Pacer {
	if period <= 0 {
		return nil
	}
	return &Pacer{period: period}
}

// Wait blocks until the caller's slot; a nil Pacer never waits.
func (p *Pacer) Wait() {
	if p == nil {
		return
	}
	p.mu.Lock()
	now := time.Now()
	if p.next.IsZero() {
		p.next = now
	}
	slot := p.next
	p.next = p.next.Add(p.period)
	p.mu.Unlock()
	if d := time.Until(slot); d > 0 {
		time.Sleep(d)
	}
}
