// Gin 1.8.1 reference server for bench/run: same routes and responses as sloe-demo,
// and GET /static/*filepath from the --static directory like sloe-demo --static DIR.
// Built offline: GO111MODULE=off GOPATH=/usr/share/gocode go build
//
// --middleware picks what runs in front of the routes, as sloe-demo --middleware does:
//
//	none    nothing: a bare router like the other servers (the default)
//	logger  gin.Logger(), an access line per request on stdout
//	stack   what a production Gin service adds from contrib packages or writes itself, the
//	        twin of sloe's stack: gin.Logger(), gin.Recovery(), a request id (X-Request-ID),
//	        Prometheus-style metrics (a counter by method, route and status, a latency
//	        histogram by method and route, requests in flight, body bytes) and a token bucket
//	        per client address with the RateLimit-* headers (limit high enough never to
//	        refuse); GET /metrics serves the metrics
//
// Debian ships neither golang.org/x/time/rate nor a Prometheus client for Go, so the bucket and
// the metrics are written here, the way a user without them would: a mutex and a map.
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address:port to listen on")
	static := flag.String("static", "", "serve GET /static/*filepath from this directory (none: no route)")
	middleware := flag.String("middleware", "none", "none, logger or stack (see the source's header)")
	flag.Parse()

	gin.SetMode(gin.ReleaseMode)
	r := gin.New() // no logger, no recovery: bare router like the other servers

	var metrics *httpMetrics
	switch *middleware {
	case "none":
	case "logger":
		r.Use(gin.Logger())
	case "stack":
		metrics = newHTTPMetrics()
		limiter := newTokenBuckets(1e9, 1e9) // never refuses: the bench measures the cost
		r.Use(gin.Logger(), gin.Recovery(), requestID(), metrics.middleware(), limiter.middleware())
		r.GET("/metrics", metrics.handler)
	default:
		fmt.Fprintf(os.Stderr, "gin-bench: --middleware %q: want none, logger or stack\n", *middleware)
		os.Exit(2)
	}

	r.GET("/plaintext", func(c *gin.Context) {
		c.String(http.StatusOK, "Hello, World!")
	})
	r.GET("/json", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"message": "Hello, World!"})
	})
	r.GET("/user/:id", func(c *gin.Context) {
		c.String(http.StatusOK, c.Param("id"))
	})
	r.POST("/echo", func(c *gin.Context) {
		body, err := io.ReadAll(c.Request.Body)
		if err != nil {
			c.Status(http.StatusBadRequest)
			return
		}
		c.Data(http.StatusOK, "application/octet-stream", body)
	})
	if *static != "" {
		r.Static("/static", *static)
	}
	if err := r.Run(*listen); err != nil {
		panic(err)
	}
}

// ---- request id: the caller's X-Request-ID when it is sane, else 32 random hex digits

func saneRequestID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		ch := id[i]
		ok := ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' ||
			strings.IndexByte("._~:/+=-", ch) >= 0
		if !ok {
			return false
		}
	}
	return true
}

func requestID() gin.HandlerFunc {
	const hex = "0123456789abcdef"
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-ID")
		if !saneRequestID(id) {
			var b [32]byte
			for half := 0; half < 2; half++ {
				bits := rand.Uint64()
				for i := 0; i < 16; i, bits = i+1, bits>>4 {
					b[half*16+i] = hex[bits&15]
				}
			}
			id = string(b[:])
		}
		c.Set("request_id", id)
		c.Header("X-Request-ID", id)
		c.Next()
	}
}

// ---- rate limit: a token bucket per client address

type bucket struct {
	tokens float64
	last   time.Time
}

type tokenBuckets struct {
	rate    float64 // tokens per second
	burst   float64
	limit   string // RateLimit-Limit's value
	mu      sync.Mutex
	buckets map[string]*bucket
}

func newTokenBuckets(rate float64, burst int64) *tokenBuckets {
	return &tokenBuckets{rate: rate, burst: float64(burst), limit: strconv.FormatInt(burst, 10),
		buckets: make(map[string]*bucket)}
}

func ceilSeconds(s float64) string {
	return strconv.FormatInt(int64(math.Ceil(math.Max(s, 0))), 10)
}

func (t *tokenBuckets) middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		now := time.Now()
		key := c.ClientIP()
		t.mu.Lock()
		b := t.buckets[key]
		if b == nil {
			b = &bucket{tokens: t.burst, last: now}
			t.buckets[key] = b
		}
		b.tokens = math.Min(t.burst, b.tokens+now.Sub(b.last).Seconds()*t.rate)
		b.last = now
		allowed := b.tokens >= 1
		if allowed {
			b.tokens--
		}
		tokens := b.tokens
		t.mu.Unlock()

		c.Header("RateLimit-Limit", t.limit)
		c.Header("RateLimit-Remaining", strconv.FormatInt(int64(tokens), 10))
		c.Header("RateLimit-Reset", ceilSeconds((t.burst-tokens)/t.rate))
		if !allowed {
			c.Header("Retry-After", ceilSeconds((1-tokens)/t.rate))
			c.AbortWithStatusJSON(http.StatusTooManyRequests, gin.H{"error": "rate limit exceeded"})
			return
		}
		c.Next()
	}
}

// ---- metrics: Prometheus' families and text format, as sloe::metrics() records them

var durationBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 5, 10}

type routeKey struct{ method, route string }

type statusKey struct {
	routeKey
	status int
}

type routeSeries struct {
	buckets       []uint64 // per bound, not cumulative; the last one is +Inf
	count         uint64
	sumNanos      uint64
	requestBytes  uint64
	responseBytes uint64
}

type httpMetrics struct {
	mu       sync.RWMutex
	requests map[statusKey]*uint64
	routes   map[routeKey]*routeSeries
	inFlight int64
}

func newHTTPMetrics() *httpMetrics {
	return &httpMetrics{requests: make(map[statusKey]*uint64), routes: make(map[routeKey]*routeSeries)}
}

func (m *httpMetrics) counter(k statusKey) *uint64 {
	m.mu.RLock()
	n := m.requests[k]
	m.mu.RUnlock()
	if n != nil {
		return n
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if n = m.requests[k]; n == nil {
		n = new(uint64)
		m.requests[k] = n
	}
	return n
}

func (m *httpMetrics) series(k routeKey) *routeSeries {
	m.mu.RLock()
	s := m.routes[k]
	m.mu.RUnlock()
	if s != nil {
		return s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s = m.routes[k]; s == nil {
		s = &routeSeries{buckets: make([]uint64, len(durationBuckets)+1)}
		m.routes[k] = s
	}
	return s
}

func (m *httpMetrics) middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		atomic.AddInt64(&m.inFlight, 1)
		c.Next()
		atomic.AddInt64(&m.inFlight, -1)
		elapsed := time.Since(start)

		route := c.FullPath() // the pattern, never the raw path
		if route == "" {
			route = "<unmatched>"
		}
		rk := routeKey{c.Request.Method, route}
		atomic.AddUint64(m.counter(statusKey{rk, c.Writer.Status()}), 1)
		s := m.series(rk)
		i := sort.SearchFloat64s(durationBuckets, elapsed.Seconds()) // first bound >= latency
		atomic.AddUint64(&s.buckets[i], 1)
		atomic.AddUint64(&s.count, 1)
		atomic.AddUint64(&s.sumNanos, uint64(elapsed))
		if c.Request.ContentLength > 0 {
			atomic.AddUint64(&s.requestBytes, uint64(c.Request.ContentLength))
		}
		if size := c.Writer.Size(); size > 0 {
			atomic.AddUint64(&s.responseBytes, uint64(size))
		}
	}
}

func (m *httpMetrics) handler(c *gin.Context) {
	var b strings.Builder
	m.mu.RLock()
	b.WriteString("# TYPE gin_http_requests_total counter\n")
	for k, n := range m.requests {
		fmt.Fprintf(&b, "gin_http_requests_total{method=%q,route=%q,status=\"%d\"} %d\n",
			k.method, k.route, k.status, atomic.LoadUint64(n))
	}
	b.WriteString("# TYPE gin_http_request_duration_seconds histogram\n")
	for k, s := range m.routes {
		var cumulative uint64
		for i, bound := range durationBuckets {
			cumulative += atomic.LoadUint64(&s.buckets[i])
			fmt.Fprintf(&b, "gin_http_request_duration_seconds_bucket{method=%q,route=%q,le=\"%g\"} %d\n",
				k.method, k.route, bound, cumulative)
		}
		cumulative += atomic.LoadUint64(&s.buckets[len(durationBuckets)])
		fmt.Fprintf(&b, "gin_http_request_duration_seconds_bucket{method=%q,route=%q,le=\"+Inf\"} %d\n",
			k.method, k.route, cumulative)
		fmt.Fprintf(&b, "gin_http_request_duration_seconds_sum{method=%q,route=%q} %g\n",
			k.method, k.route, float64(atomic.LoadUint64(&s.sumNanos))/1e9)
		fmt.Fprintf(&b, "gin_http_request_duration_seconds_count{method=%q,route=%q} %d\n",
			k.method, k.route, atomic.LoadUint64(&s.count))
	}
	b.WriteString("# TYPE gin_http_request_body_bytes_total counter\n")
	for k, s := range m.routes {
		fmt.Fprintf(&b, "gin_http_request_body_bytes_total{method=%q,route=%q} %d\n",
			k.method, k.route, atomic.LoadUint64(&s.requestBytes))
	}
	b.WriteString("# TYPE gin_http_response_body_bytes_total counter\n")
	for k, s := range m.routes {
		fmt.Fprintf(&b, "gin_http_response_body_bytes_total{method=%q,route=%q} %d\n",
			k.method, k.route, atomic.LoadUint64(&s.responseBytes))
	}
	m.mu.RUnlock()
	fmt.Fprintf(&b, "# TYPE gin_http_requests_in_flight gauge\ngin_http_requests_in_flight %d\n",
		atomic.LoadInt64(&m.inFlight))
	c.Data(http.StatusOK, "text/plain; version=0.0.4; charset=utf-8", []byte(b.String()))
}
