// Gin's c.Copy() on the request shape of sloe's BM_Copy (bench/request_path_bench.cpp):
// 3 params, 10 headers, 5 keys. Run by bench/copy_vs_gin.sh.
package gincopy

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
)

func BenchmarkGinCopy(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	req := httptest.NewRequest("GET", "/copy/alpha/beta/gamma?x=1", nil)
	for i := 0; i < 10; i++ {
		req.Header.Set(fmt.Sprintf("X-Header-%d", i), "value")
	}
	c.Request = req
	c.Params = gin.Params{{Key: "a", Value: "alpha"}, {Key: "b", Value: "beta"}, {Key: "c", Value: "gamma"}}
	for i := 0; i < 5; i++ {
		c.Set(fmt.Sprintf("key%d", i), "value")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = c.Copy()
	}
}
