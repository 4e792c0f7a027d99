// The Gin side of sloe's routing differential check: registers tests/routing_diff/routes.json on
// a bare Gin engine for each option set, sends every request of requests.json through it in
// memory, and prints one JSON result per line: status, Location, matched route and params.
//
// Built offline against Debian's golang-github-gin-gonic-gin-dev:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o gin_routes gin_routes.go
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/gin-gonic/gin"
)

type route struct {
	Method string `json:"method"`
	Path   string `json:"path"`
}

type request struct {
	Method  string            `json:"method"`
	Target  string            `json:"target"`
	Headers map[string]string `json:"headers"`
}

type config struct {
	Name                   string
	RedirectTrailingSlash  bool
	RedirectFixedPath      bool
	HandleMethodNotAllowed bool
	UseRawPath             bool
	UnescapePathValues     bool
	RemoveExtraSlash       bool
}

type result struct {
	Config   string      `json:"config"`
	Method   string      `json:"method"`
	Target   string      `json:"target"`
	Status   int         `json:"status"`
	Location string      `json:"location"`
	Route    string      `json:"route"`
	Params   [][2]string `json:"params"`
	Panic    bool        `json:"panic,omitempty"`
}

func load(path string, v interface{}) {
	data, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		panic(err)
	}
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gin_routes ROUTES.json REQUESTS.json")
		os.Exit(2)
	}
	var routes []route
	var requests []request
	load(os.Args[1], &routes)
	load(os.Args[2], &requests)
	gin.SetMode(gin.ReleaseMode)

	configs := []config{
		{Name: "default", RedirectTrailingSlash: true, UnescapePathValues: true},
		{Name: "fixed+405", RedirectTrailingSlash: true, RedirectFixedPath: true, HandleMethodNotAllowed: true, UnescapePathValues: true},
		{Name: "raw", RedirectTrailingSlash: true, UseRawPath: true, UnescapePathValues: true},
		{Name: "raw-noescape+405", RedirectTrailingSlash: true, UseRawPath: true, HandleMethodNotAllowed: true},
		{Name: "extra-slash+fixed", RedirectTrailingSlash: true, RedirectFixedPath: true, UnescapePathValues: true, RemoveExtraSlash: true},
		{Name: "no-tsr+405", HandleMethodNotAllowed: true, UnescapePathValues: true},
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	for _, cfg := range configs {
		engine := gin.New()
		engine.RedirectTrailingSlash = cfg.RedirectTrailingSlash
		engine.RedirectFixedPath = cfg.RedirectFixedPath
		engine.HandleMethodNotAllowed = cfg.HandleMethodNotAllowed
		engine.UseRawPath = cfg.UseRawPath
		engine.UnescapePathValues = cfg.UnescapePathValues
		engine.RemoveExtraSlash = cfg.RemoveExtraSlash
		var current *result
		for _, r := range routes {
			engine.Handle(r.Method, r.Path, func(c *gin.Context) {
				current.Route = c.FullPath()
				current.Params = [][2]string{}
				for _, p := range c.Params {
					current.Params = append(current.Params, [2]string{p.Key, p.Value})
				}
				c.Status(200)
			})
		}
		for _, rq := range requests {
			res := &result{Config: cfg.Name, Method: rq.Method, Target: rq.Target}
			current = res
			serve(engine, rq, res)
			enc.Encode(res)
		}
	}
}

func serve(engine *gin.Engine, rq request, res *result) {
	defer func() {
		if recover() != nil {
			res.Panic = true
			res.Status = 0
		}
	}()
	raw := rq.Method + " " + rq.Target + " HTTP/1.1\r\nHost: example.com\r\n"
	for k, v := range rq.Headers {
		raw += k + ": " + v + "\r\n"
	}
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw + "\r\n")))
	if err != nil {
		res.Status = 400 // what net/http's server answers to a request it cannot parse
		return
	}
	w := httptest.NewRecorder()
	engine.ServeHTTP(w, req)
	res.Status = w.Code
	res.Location = w.Header().Get("Location")
}
