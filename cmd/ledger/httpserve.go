package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// shutdownTimeoutSeconds bounds the drain of HTTP requests at shutdown.
const shutdownTimeoutSeconds = 10

// httpServing is an HTTP server of serve or witness, running until it is
// shut down.
type httpServing struct {
	server *http.Server
	// address is the URL it listens on (http://host:port), the port
	// chosen when the flag asked for any.
	address string
	// failed yields the server's error when it stops serving by itself.
	failed <-chan error
}

// serveHTTP listens on address and serves with server; the requests'
// contexts end with ctx.
func serveHTTP(ctx context.Context, address string, server *http.Server) (*httpServing, error) {
	listener, err := net.Listen("tcp", address)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", address, err)
	}
	server.BaseContext = func(net.Listener) context.Context { return ctx }
	failed := make(chan error, 1)
	go func() { failed <- server.Serve(listener) }()
	return &httpServing{server: server, address: "http://" + listener.Addr().String(), failed: failed}, nil
}

// shutdown lets the requests in flight finish, for at most
// shutdownTimeoutSeconds, even when ctx has ended (as it has when an
// interrupt asked for the shutdown).
func (h *httpServing) shutdown(ctx context.Context) error {
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeoutSeconds*time.Second)
	defer cancel()
	return h.server.Shutdown(shutdownCtx)
}
