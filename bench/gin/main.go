// Gin 1.8.1 reference server for bench/run: same routes and responses as sloe-demo,
// and GET /static/*filepath from the --static directory like sloe-demo --static DIR.
// Built offline: GO111MODULE=off GOPATH=/usr/share/gocode go build
package main

import (
	"flag"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address:port to listen on")
	static := flag.String("static", "", "serve GET /static/*filepath from this directory (none: no route)")
	flag.Parse()

	gin.SetMode(gin.ReleaseMode)
	r := gin.New() // no logger, no recovery: bare router like the other servers

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
