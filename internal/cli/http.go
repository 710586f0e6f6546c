package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// shutdownTimeoutSeconds bounds the drain of HTTP requests at shutdown.
const shutdownTimeoutSeconds = 10

// HTTPServer is an HTTP server a command runs until it is shut down.
type HTTPServer struct {
	server *http.Server
	// Address is the URL it listens on (http://host:port), the port
	// chosen when the flag asked for any.
	Address string
	// Failed yields the server's error when it stops serving by itself.
	Failed <-chan error
}

// ServeHTTP listens on address and serves with server. The requests'
// contexts carry ctx's values but not its end: ctx ends with the interrupt
// that asks for the shutdown, and Shutdown is to let the requests in
// flight finish, not cut off the writes among them. A request's context
// still ends when its client goes away; long-lived streams are the
// handler's to end (httpapi's Close ends the live streams).
func ServeHTTP(ctx context.Context, address string, server *http.Server) (*HTTPServer, error) {
	listener, err := net.Listen("tcp", address)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", address, err)
	}
	base := context.WithoutCancel(ctx)
	server.BaseContext = func(net.Listener) context.Context { return base }
	failed := make(chan error, 1)
	go func() { failed <- server.Serve(listener) }()
	return &HTTPServer{server: server, Address: "http://" + listener.Addr().String(), Failed: failed}, nil
}

// Shutdown lets the requests in flight finish, for at most
// shutdownTimeoutSeconds, even when ctx has ended (as it has when an
// interrupt asked for the shutdown).
func (h *HTTPServer) Shutdown(ctx context.Context) error {
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeoutSeconds*time.Second)
	defer cancel()
	return h.server.Shutdown(shutdownCtx)
}
