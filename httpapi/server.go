// Package httpapi serves the ledger over HTTP: a versioned JSON API, live
// totals as Server-Sent Events, the embedded web dashboard, and the
// operations endpoints (health, readiness, Prometheus metrics).
package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/ledger"
	"github.com/ordos-union/ledger/privacy"
	"github.com/ordos-union/ledger/projections"
	"github.com/ordos-union/ledger/reconcile/statement"
	"github.com/ordos-union/ledger/report"
	"github.com/ordos-union/ledger/sheets"
)

// Limits of the API, unit last.
const (
	// requestBytesMax caps a request body: a batch of 1000 events of a few
	// KiB each fits with room to spare.
	requestBytesMax = 8 << 20
	// eventsPageMax caps one page of GET /api/v1/events.
	eventsPageMax = 1000
	// eventsPageDefault is the page size when none is asked for.
	eventsPageDefault = 100
	// scannedEventsMaxDefault caps how many events of the log one page of
	// GET /api/v1/events reads, listed or left out: a clerk's page leaves
	// bank accounts' events out, and on a log made mostly of them it would
	// otherwise read the whole log to fill even a page of one. A page
	// stopped here says so (scan_limited) and where to go on (next_after).
	scannedEventsMaxDefault = 10 * eventsPageMax
	// rateRequestsPerSecondDefault and rateBurstDefault limit each token.
	rateRequestsPerSecondDefault = 50
	rateBurstDefault             = 200
	// failedLoginsBurst failed logins are allowed from one remote address
	// at once, then one more every failedLoginIntervalSeconds.
	failedLoginsBurst          = 20
	failedLoginIntervalSeconds = 3
)

// Options wire a Server. Service, Store, Runner, Totals and Tokens are
// required.
type Options struct {
	// Ledger is the use cases the API answers with. Its sealer, if set,
	// opens sealed personal data for tokens granted it; its access log, if
	// set, records every read of personal data, and a read it cannot
	// record is refused.
	Ledger *app.Ledger
	Tokens *Tokens
	// Clock times requests.
	Clock  func() time.Time
	Logger *slog.Logger
	// RateRequestsPerSecond and RateBurst limit each token (defaults 50/s
	// with bursts of 200).
	RateRequestsPerSecond float64
	RateBurst             int
	// ScannedEventsMax caps how many events of the log one page of GET
	// /api/v1/events reads, listed or left out (default
	// scannedEventsMaxDefault).
	ScannedEventsMax int
	// TlogPublic serves the log as tlog-tiles (/tlog/) to anyone; by
	// default only tokens that may read every event (finance, auditors and
	// admins) read it. The tiles are the events as stored: published, they
	// show the bank lines' accounts, amounts and remarks too (their
	// counterparties stay sealed).
	TlogPublic bool
	// MetricsPublic serves /metrics to anyone, for a Prometheus on a
	// trusted network that sends no token. By default only tokens that may
	// read every event (finance, auditors and admins) read it: the scrape
	// counts requests per route, the reconciliation's too, and gives the
	// log head, so it tells when finance acts and how many events the log
	// holds.
	MetricsPublic bool
}

// Server is the HTTP side of the ledger.
type Server struct {
	options Options
	routes  []route
	mux     *http.ServeMux
	hub     *hub
	metrics *metrics
	limiter *limiter
	// failedLogins limits requests with a missing or wrong token per
	// remote address, so tokens cannot be guessed at speed.
	failedLogins *limiter
	healthCheck  atomic.Pointer[func() error]
}

// route is one endpoint; the table is also what the OpenAPI test checks.
type route struct {
	method  string
	path    string
	access  access
	public  bool
	handler func(w http.ResponseWriter, r *http.Request, who identity) error
	// bodyBytesMax caps the request body; zero is requestBytesMax.
	bodyBytesMax int64
	// refusal says why a role the route's access does not allow is
	// refused; empty says only that it may not.
	refusal string
}

// New returns a server. Call OnApply from the totals runner so live clients
// hear of every event, and Close on shutdown.
func New(options Options) *Server {
	if options.Clock == nil {
		options.Clock = time.Now
	}
	if options.Logger == nil {
		options.Logger = slog.New(slog.DiscardHandler)
	}
	if options.RateRequestsPerSecond == 0 {
		options.RateRequestsPerSecond = rateRequestsPerSecondDefault
	}
	if options.RateBurst == 0 {
		options.RateBurst = rateBurstDefault
	}
	if options.ScannedEventsMax <= 0 {
		options.ScannedEventsMax = scannedEventsMaxDefault
	}
	s := &Server{options: options, mux: http.NewServeMux(), metrics: newMetrics(),
		// The limiter measures real elapsed time, not the injectable clock
		// that stamps events: a frozen test clock must not freeze it.
		limiter:      newLimiter(options.RateRequestsPerSecond, options.RateBurst, time.Now),
		failedLogins: newLimiter(1.0/failedLoginIntervalSeconds, failedLoginsBurst, time.Now)}
	s.hub = newHub(s, options.Logger)
	s.routes = []route{
		{method: "GET", path: "/healthz", public: true, handler: s.health},
		{method: "GET", path: "/readyz", public: true, handler: s.ready},
		{method: "GET", path: "/metrics", access: accessFinance, public: options.MetricsPublic, handler: s.serveMetrics,
			refusal: "the metrics count the reconciliation's requests and give the log head: finance, auditors and admins read /metrics, or the operator publishes it (--metrics-public)"},
		{method: "GET", path: "/api/v1/openapi.json", public: true, handler: s.openAPI},
		{method: "GET", path: "/api/v1/whoami", access: accessRead, handler: s.whoami},
		{method: "GET", path: "/api/v1/catalog", access: accessRead, handler: s.catalog},
		{method: "POST", path: "/api/v1/events", access: accessRecord, handler: s.record},
		{method: "GET", path: "/api/v1/events", access: accessInspect, handler: s.listEvents},
		{method: "GET", path: "/api/v1/totals", access: accessRead, handler: s.totals},
		{method: "GET", path: "/api/v1/audit/{id}", access: accessInspect, handler: answerByID(options.Ledger.AuditOf)},
		{method: "GET", path: "/api/v1/trace/{id}", access: accessInspect, handler: answerByID(options.Ledger.TraceOf)},
		{method: "GET", path: "/api/v1/projections", access: accessRead, handler: s.projectionStatus},
		{method: "GET", path: "/api/v1/reports/month/{month}", access: accessRead, handler: s.monthReport},
		{method: "GET", path: "/api/v1/templates/{type}", access: accessRead, handler: s.sheetTemplate},
		// The tiles are the log as stored, bank accounts' events included:
		// only roles that read every event read them, unless the operator
		// publishes them (--tlog-public).
		{method: "GET", path: "/tlog/{path...}", access: accessFinance, public: options.TlogPublic, handler: s.logFile,
			refusal: "the log as stored holds bank accounts' events, the reconciliation's: finance, auditors and admins read /tlog/"},
		{method: "POST", path: "/api/v1/imports", access: accessRecord, handler: s.sheetImport, bodyBytesMax: sheets.FileBytesMax},
		{method: "GET", path: "/api/v1/live", access: accessRead, handler: s.hub.serve},
		{method: "GET", path: "/api/v1/reconciliation", access: accessFinance, handler: s.reconciliation},
		{method: "GET", path: "/api/v1/reconciliation/export", access: accessFinance, handler: s.reconciliationExport},
		{method: "POST", path: "/api/v1/reconciliation/decisions", access: accessRecord, handler: s.reconciliationDecision},
		{method: "POST", path: "/api/v1/reconciliation/statements", access: accessRecord, handler: s.statementImport,
			bodyBytesMax: statement.MaxFileSize},
		{method: "GET", path: "/api/v1/pledges", access: accessFinance, handler: s.pledges},
		{method: "GET", path: "/api/v1/access-log", access: accessAudit, handler: s.accessLog},
	}
	for _, rt := range s.routes {
		s.mux.Handle(rt.method+" "+rt.path, s.wrap(rt))
	}
	s.mux.Handle("GET /", webHandler())
	return s
}

// Routes lists every API route as "METHOD PATH", for the OpenAPI check.
func (s *Server) Routes() []string {
	routes := make([]string, len(s.routes))
	for i, rt := range s.routes {
		routes[i] = rt.method + " " + rt.path
	}
	return routes
}

// Handler is the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.mux }

// OnApply tells live clients about an event the totals just folded in.
func (s *Server) OnApply(record eventstore.Record) { s.hub.publish(record) }

// Close ends every live stream; http.Server.Shutdown then drains the rest.
func (s *Server) Close() { s.hub.close() }

// wrap adds authentication, rate limiting, the body cap, metrics and error
// mapping around a route.
func (s *Server) wrap(rt route) http.Handler {
	// The route's name in the metrics is made once here, not joined again
	// for every request.
	name := rt.method + " " + rt.path
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started := s.options.Clock()
		recorder := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		err := s.serve(recorder, r, rt)
		if err != nil {
			s.writeError(recorder, r, err)
		}
		s.metrics.observeRequest(name, recorder.status, s.options.Clock().Sub(started))
	})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, rt route) error {
	limit := rt.bodyBytesMax
	if limit == 0 {
		limit = requestBytesMax
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if rt.public {
		return rt.handler(w, r, s.optionalIdentity(r))
	}
	remote := remoteHost(r)
	if s.failedLogins.exhausted(remote) {
		return errTooManyFailedLogins
	}
	token := bearerToken(r)
	who, ok := s.options.Tokens.lookup(token)
	if token == "" || !ok {
		s.failedLogins.allow(remote)
		s.options.Logger.Warn("failed login", "remote", remote, "path", r.URL.Path)
		return errUnauthorized
	}
	if !s.limiter.allow(who.name) {
		return errRateLimited
	}
	if !who.role.allows(rt.access) {
		message := fmt.Sprintf("role %s may not %s %s", who.role, rt.method, rt.path)
		if rt.refusal != "" {
			message += ": " + rt.refusal
		}
		return &apiError{status: http.StatusForbidden, code: "forbidden", message: message}
	}
	return rt.handler(w, r, who)
}

// optionalIdentity is who sent a request to a public route: the token's
// holder if it sent a valid one, else nobody (the zero identity). A public
// route answers either way, so a missing or wrong token is no error; a
// wrong one still counts as a failed login, so that the richer answer a
// valid token gets is no way to guess tokens at speed, and an address
// that has used up its failed logins is answered as nobody.
func (s *Server) optionalIdentity(r *http.Request) identity {
	token := bearerToken(r)
	if token == "" {
		return identity{}
	}
	remote := remoteHost(r)
	if s.failedLogins.exhausted(remote) {
		return identity{}
	}
	who, ok := s.options.Tokens.lookup(token)
	if !ok {
		s.failedLogins.allow(remote)
		s.options.Logger.Warn("failed login", "remote", remote, "path", r.URL.Path)
		return identity{}
	}
	return who
}

// bearerToken reads "Authorization: Bearer …", or the access_token query
// parameter, which only the live stream accepts: browsers' EventSource
// cannot send headers.
func bearerToken(r *http.Request) string {
	if header := r.Header.Get("Authorization"); strings.HasPrefix(header, "Bearer ") {
		return strings.TrimSpace(strings.TrimPrefix(header, "Bearer "))
	}
	if r.URL.Path == "/api/v1/live" {
		return r.URL.Query().Get("access_token")
	}
	return ""
}

type statusRecorder struct {
	http.ResponseWriter
	status  int
	written bool
}

func (r *statusRecorder) WriteHeader(status int) {
	if !r.written {
		r.status, r.written = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(data []byte) (int, error) {
	r.written = true
	return r.ResponseWriter.Write(data)
}

// Flush lets the live stream push events through the recorder.
func (r *statusRecorder) Flush() {
	if flusher, ok := r.ResponseWriter.(http.Flusher); ok {
		flusher.Flush()
	}
}

// apiError is an error with its HTTP status and stable code.
type apiError struct {
	status     int
	code       string
	message    string
	violations []domain.Violation
	// reason names, where a front end words a refusal itself, which one of
	// its code it is (reasonPersonalDataGrant); empty for the rest.
	reason string
}

// reasonPersonalDataGrant is the reason of a 403 that asks for the
// personal-data grant ("personal": true on the token), which a token
// without it cannot get another way.
const reasonPersonalDataGrant = "personal_data_grant"

// reasonClosedPeriodRole is the reason of a 403 to a void or correction
// that names closed_period from a role that may not change a month
// finance has closed (Role.mayChangeClosedMonth); reasonClosedPeriodOnly
// of one from finance that names none: finance changes closed months, and
// the clerks record the rest.
const (
	reasonClosedPeriodRole = "closed_period_role"
	reasonClosedPeriodOnly = "closed_period_only"
)

func (e *apiError) Error() string { return e.message }

var (
	errUnauthorized = &apiError{status: http.StatusUnauthorized, code: "unauthorized", message: "a valid bearer token is required"}
	// errTooManyFailedLogins answers an address that sent too many missing
	// or wrong tokens, whatever it sends now.
	errTooManyFailedLogins = &apiError{status: http.StatusTooManyRequests, code: "too_many_failed_logins",
		message: fmt.Sprintf("too many requests without a valid token from this address; try again in %d seconds", failedLoginIntervalSeconds)}
	errRateLimited = &apiError{status: http.StatusTooManyRequests, code: "rate_limited", message: "too many requests for this token; slow down"}
	// errClientGone answers a request whose client went away before its
	// answer. Nobody reads it; its status, 499 as proxies such as nginx
	// name it, keeps such requests apart from the ledger's own failures
	// in the metrics.
	errClientGone = &apiError{status: statusClientClosedRequest, code: "client_gone",
		message: "the client went away before the answer; a write may have been done: the same idempotency keys find it"}
)

// statusClientClosedRequest is the status of a request whose client went
// away: no standard status says it, and no client reads it.
const statusClientClosedRequest = 499

// errorBody is every error response: a stable code, a message and, for
// invalid input, each field and the rule it breaks (with the rule's code,
// for the common rules). Reason, when there is one, names which refusal
// of its code it is, so a front end can say it in its own language
// without reading the message.
type errorBody struct {
	Error struct {
		Code       string             `json:"code"`
		Reason     string             `json:"reason,omitempty"`
		Message    string             `json:"message"`
		Violations []domain.Violation `json:"violations,omitempty"`
	} `json:"error"`
}

// toAPIError is the one place errors become HTTP answers. Internal errors
// are logged in full and shown as "internal error" only.
func (s *Server) toAPIError(r *http.Request, err error) *apiError {
	var known *apiError
	var validation *domain.ValidationError
	var rule *domain.RuleError
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &known):
		return known
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away (it hung up, or its own timeout ended the
		// request): nothing is wrong with the ledger, and nobody reads the
		// answer. A write may have been done all the same; sending it
		// again with the same idempotency keys finds it.
		s.options.Logger.Info("client went away", "method", r.Method, "path", r.URL.Path, "error", err)
		return errClientGone
	case errors.As(err, &tooLarge):
		return &apiError{status: http.StatusRequestEntityTooLarge, code: "too_large",
			message: fmt.Sprintf("request body is larger than %d bytes", requestBytesMax)}
	case errors.As(err, &validation):
		return &apiError{status: http.StatusBadRequest, code: "invalid", message: "the " + inputOf(r) + " breaks validation rules" + unwritten(r),
			violations: validation.Violations}
	case errors.As(err, &rule):
		return &apiError{status: http.StatusUnprocessableEntity, code: "rejected", message: rule.Error() + unwritten(r),
			violations: []domain.Violation{{Event: rule.Event, Field: rule.Field, Rule: rule.Rule, Other: rule.Other, Code: rule.Code,
				Details: rule.Details}}}
	case errors.Is(err, app.ErrReconciliationOnly):
		// Said as the listing says it of bank accounts' event types.
		return &apiError{status: http.StatusForbidden, code: "forbidden", message: err.Error() + ": finance, auditors and admins read them"}
	case errors.Is(err, projections.ErrFlowTooLarge):
		// A trace the ledger bounds (projections' flowHopsMax and
		// flowStepsMax): the money is there, but too long a path to follow.
		return &apiError{status: http.StatusUnprocessableEntity, code: "too_large", message: err.Error()}
	case errors.Is(err, app.ErrPersonalDataGrant):
		return &apiError{status: http.StatusForbidden, code: "forbidden", reason: reasonPersonalDataGrant, message: err.Error() + unwritten(r)}
	case errors.Is(err, domain.ErrIdempotencyKeyReused):
		return &apiError{status: http.StatusConflict, code: "idempotency_key_reused", message: err.Error()}
	case errors.Is(err, domain.ErrConflict):
		return &apiError{status: http.StatusConflict, code: "conflict", message: "the campaign kept changing; try again"}
	case errors.Is(err, eventstore.ErrUnsupported):
		return &apiError{status: http.StatusUnprocessableEntity, code: "unsupported", message: err.Error() + unwritten(r)}
	case errors.Is(err, domain.ErrNotFound):
		return &apiError{status: http.StatusNotFound, code: "not_found", message: err.Error()}
	case errors.Is(err, domain.ErrInvalid):
		return &apiError{status: http.StatusBadRequest, code: "invalid", message: err.Error()}
	case errors.Is(err, domain.ErrUnavailable):
		s.options.Logger.Error("store unavailable", "method", r.Method, "path", r.URL.Path, "error", err)
		return &apiError{status: http.StatusServiceUnavailable, code: "unavailable", message: "the ledger's store is unavailable; try again"}
	}
	s.options.Logger.Error("internal error", "method", r.Method, "path", r.URL.Path, "error", err)
	return &apiError{status: http.StatusInternalServerError, code: "internal", message: "internal error"}
}

// reads says whether a request only reads: a GET or HEAD route writes
// nothing, whatever it answers.
func reads(r *http.Request) bool { return r.Method == http.MethodGet || r.Method == http.MethodHead }

// inputOf is what a refused request's problems are in: a read has only
// its query (the parameters and the path) to get wrong.
func inputOf(r *http.Request) string {
	if reads(r) {
		return "query"
	}
	return "input"
}

// unwritten tells a refused write that nothing was written. A read is told
// nothing: it never writes, and saying so would suggest it might have.
func unwritten(r *http.Request) string {
	if reads(r) {
		return ""
	}
	return "; nothing was written"
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	failure := s.toAPIError(r, err)
	s.metrics.rejection(failure.code)
	var body errorBody
	body.Error.Code, body.Error.Reason, body.Error.Message, body.Error.Violations = failure.code, failure.reason, failure.message, failure.violations
	if failure.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ledger"`)
	}
	writeJSON(w, failure.status, body)
}

// The values of the headers every JSON answer carries. They are shared by
// every answer rather than made per answer: net/http only reads a
// handler's header values (it copies them when the header is written), and
// nothing here changes a value in place, so one slice serves them all.
var (
	jsonContentType = []string{"application/json; charset=utf-8"}
	noSniff         = []string{"nosniff"}
)

// setJSONHeaders marks an answer as JSON that browsers must not sniff as
// anything else.
func setJSONHeaders(header http.Header) {
	header["Content-Type"] = jsonContentType
	header["X-Content-Type-Options"] = noSniff
}

func writeJSON(w http.ResponseWriter, status int, value any) {
	setJSONHeaders(w.Header())
	w.WriteHeader(status)
	encoder := json.NewEncoder(w)
	encoder.SetEscapeHTML(true)
	_ = encoder.Encode(value)
}

func (s *Server) health(w http.ResponseWriter, _ *http.Request, _ identity) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// readyMaxLagEvents is how far behind the head the totals may be and still
// count as caught up.
const readyMaxLagEvents = 0

// personalGranted is the one check every route that could show personal
// data asks: only a token granted it sees names.
func (s *Server) personalGranted(who identity) bool {
	return who.personal && s.options.Ledger.Sealer() != nil
}

// recordAccess records a read of personal data before it is answered: in
// the access log when there is one, and in the process log.
func (s *Server) recordAccess(r *http.Request, who identity, subjects []string) error {
	access := s.accessRecord(r, who, subjects)
	s.options.Logger.Info("personal data read", "reader", who.name, "role", string(who.role), "route", access.Via, "subjects", subjects)
	if s.options.Ledger.AccessLog() == nil {
		return nil
	}
	return s.options.Ledger.AccessLog().Record(r.Context(), access)
}

// accessRecord is the access log's record of a request reading the
// personal data of subjects: who, in what role, through which route.
func (s *Server) accessRecord(r *http.Request, who identity, subjects []string) privacy.AccessRecord {
	return privacy.AccessRecord{Reader: who.name, Role: string(who.role), Via: r.Method + " " + r.URL.Path, Subjects: subjects}
}

// SetHealthCheck adds a check to readiness: while it returns an error the
// server is not ready and says why (a history stream deleted, say).
func (s *Server) SetHealthCheck(check func() error) { s.healthCheck.Store(&check) }

// remoteHost is the address a request came from, without its port. Proxy
// headers are not believed: anyone can send them.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request, who identity) error {
	// Without a token the answer is ready or not and a reason that names
	// no position and no count: the log head, the projections' positions
	// and the history guard's message counts would tell anyone how many
	// events the log holds and when finance adds to it. A valid token, of
	// any role, gets the detail, as /api/v1/projections gives it.
	detail := who.role != ""
	if check := s.healthCheck.Load(); check != nil {
		if err := (*check)(); err != nil {
			reason := "a history stream is missing or changed; the operator's log names it"
			if detail {
				reason = err.Error()
			}
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ready": false, "reason": reason})
			return nil
		}
	}
	status, err := s.options.Ledger.ProjectionStatus(r.Context())
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ready": false, "reason": "store unavailable"})
		return nil
	}
	// Figures for a log that lost positions are not served as if whole.
	if damage := s.options.Ledger.LogDamage(); damage != nil {
		if !detail {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ready": false, "reason": "the log has lost events; ledger doctor says which"})
			return nil
		}
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ready": false, "reason": damage.Error(), "projections": []projections.Status{status}})
		return nil
	}
	ready := status.LagEvents <= readyMaxLagEvents
	code := http.StatusOK
	if !ready {
		code = http.StatusServiceUnavailable
	}
	if !detail {
		answer := map[string]any{"ready": ready}
		if !ready {
			answer["reason"] = "the totals are catching up with the log"
		}
		writeJSON(w, code, answer)
		return nil
	}
	writeJSON(w, code, map[string]any{"ready": ready, "projections": []projections.Status{status}})
	return nil
}

// accessLog lists the recorded reads of personal data, for auditors and
// admins.
func (s *Server) accessLog(w http.ResponseWriter, r *http.Request, _ identity) error {
	if s.options.Ledger.AccessLog() == nil {
		writeJSON(w, http.StatusOK, map[string]any{"records": []privacy.AccessRecord{}})
		return nil
	}
	records, err := s.options.Ledger.AccessLog().Records(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": records})
	return nil
}

func (s *Server) whoami(w http.ResponseWriter, _ *http.Request, who identity) error {
	writeJSON(w, http.StatusOK, map[string]string{"name": who.name, "role": string(who.role)})
	return nil
}

func (s *Server) catalog(w http.ResponseWriter, _ *http.Request, _ identity) error {
	writeJSON(w, http.StatusOK, s.options.Ledger.Catalog())
	return nil
}

// recordRequest is the body of POST /api/v1/events: one event, or
// {"events": [...]}.
type recordResponse struct {
	Results []ledger.Result `json:"results"`
}

func (s *Server) record(w http.ResponseWriter, r *http.Request, who identity) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	raws, batch, err := splitEvents(body)
	if err != nil {
		return err
	}
	events, err := s.decodeRecorded(raws, batch, who)
	if err != nil {
		return err
	}
	started := s.options.Clock()
	results, err := s.options.Ledger.RecordAs(r.Context(), events, app.Writing{Granted: who.personal})
	s.metrics.observeAppend(s.options.Clock().Sub(started), err == nil)
	if err != nil {
		if !batch {
			err = app.Unprefix(err)
		}
		return err
	}
	status := http.StatusOK
	for _, result := range results {
		if !result.Duplicate {
			status = http.StatusCreated
			s.metrics.appended()
		}
	}
	writeRecordResponse(w, status, results)
	return nil
}

// decodeRecorded decodes the events of a record request as the token's
// holder records them. Every broken rule is reported at once: an actor
// other than the holder is one more violation, alongside the event's own
// (checked as the holder's entry), not the only one.
func (s *Server) decodeRecorded(raws [][]byte, batch bool, who identity) ([]domain.Event, error) {
	events := make([]domain.Event, len(raws))
	problems := make([][]domain.Violation, len(raws))
	refused := false
	for i, raw := range raws {
		event, err := domain.DecodeEvent(raw)
		// The role is checked whenever the event's type is known, decoded
		// or not: a role that may not record the type is refused before
		// anything is said of its values, and learns nothing of how the
		// ledger would judge them. A decoded event is checked whole (a
		// void naming a closed month is finance's and admins'); of one
		// that did not decode, only its type is known, and an amendment
		// may be finance's when it names a closed month.
		if err == nil || event.Data != nil {
			// The payload decoded (only an envelope value did not): its
			// type and its closed_period are known, and judged as a whole
			// event's are.
			if refusal := who.role.recordRefusal(event); refusal != nil {
				return nil, refusal
			}
		} else if eventType := recordedType(event, err, raw); eventType != "" && !who.role.mayRecord(string(eventType)) &&
			!((eventType == domain.TypeEntryVoided || eventType == domain.TypeEntryCorrected) && who.role.mayChangeClosedMonth()) {
			return nil, &apiError{status: http.StatusForbidden, code: "forbidden",
				message: fmt.Sprintf("role %s may not record %s entries", who.role, eventType)}
		}
		if err != nil {
			var validation *domain.ValidationError
			if !errors.As(err, &validation) {
				return nil, err
			}
			problems[i], refused = validation.Violations, true
			if event.Data == nil {
				continue
			}
			// The payload decoded (domain.DecodeEvent): its rules are
			// checked below with the others'.
		}
		if event.Actor != "" && event.Actor != who.name {
			problems[i], refused = append(problems[i], domain.Violation{Field: "actor",
				Rule: fmt.Sprintf("must be the token's holder %q, or left out", who.name)}), true
		}
		event.Actor = who.name
		events[i] = event
	}
	if !refused {
		// Recording checks the events' own rules.
		return events, nil
	}
	var violations []domain.Violation
	for i := range events {
		if events[i].Type != "" {
			// A field the decoding named is named once (domain.JoinChecked).
			checked := domain.JoinChecked(&domain.ValidationError{Violations: problems[i]}, s.options.Ledger.Check(events[i]))
			var validation *domain.ValidationError
			if errors.As(checked, &validation) {
				problems[i] = validation.Violations
			}
		}
		for _, violation := range problems[i] {
			if batch {
				violation.Event = i + 1
			}
			violations = append(violations, violation)
		}
	}
	return nil, &domain.ValidationError{Violations: violations}
}

// recordedType is the type of an event a client sent when it is one the
// ledger knows, else "": the decoded event's, or, when the decoding
// refused the event whole (a payload that does not decode), the type the
// raw event names. Only a refusal reads raw again.
func recordedType(event domain.Event, err error, raw []byte) domain.EventType {
	if event.Type != "" || err == nil {
		return event.Type
	}
	var named struct {
		Type domain.EventType `json:"type"`
	}
	if json.Unmarshal(raw, &named) != nil || !slices.Contains(domain.EventTypes, named.Type) {
		return ""
	}
	return named.Type
}

// answerBuffers hold the answers of POST /api/v1/events while they are
// written: the answer is copied into the connection's buffer by Write, so
// its bytes can serve the next answer.
var answerBuffers = sync.Pool{New: func() any { return new([]byte) }}

// answerBufferBytesMax is the largest buffer put back for reuse: the
// answer to a batch of the most events is not kept for the many single
// answers.
const answerBufferBytesMax = 64 << 10

// writeRecordResponse writes what writeJSON(w, status,
// recordResponse{Results: results}) writes, byte for byte, without
// encoding/json's reflection: every append answers with one, and its
// fields are an id, a number and a flag. TestRecordResponseEncodesAsJSON
// holds the two equal, and fails if a field is added to ledger.Result
// that this does not write.
func writeRecordResponse(w http.ResponseWriter, status int, results []ledger.Result) {
	pooled := answerBuffers.Get().(*[]byte)
	answer := appendRecordResponse((*pooled)[:0], results)
	setJSONHeaders(w.Header())
	w.WriteHeader(status)
	_, _ = w.Write(answer)
	if cap(answer) <= answerBufferBytesMax {
		*pooled = answer
		answerBuffers.Put(pooled)
	}
}

// appendRecordResponse appends the JSON of recordResponse{Results:
// results} as json.Encoder writes it, its newline included.
func appendRecordResponse(answer []byte, results []ledger.Result) []byte {
	if results == nil {
		return append(answer, `{"results":null}`+"\n"...)
	}
	answer = append(answer, `{"results":[`...)
	for i, result := range results {
		if i > 0 {
			answer = append(answer, ',')
		}
		answer = append(answer, `{"event_id":"`...)
		answer = domain.AppendUUID(answer, result.EventID)
		answer = append(answer, `","position":`...)
		answer = strconv.AppendUint(answer, result.Position, 10)
		answer = append(answer, `,"duplicate":`...)
		answer = strconv.AppendBool(answer, result.Duplicate)
		answer = append(answer, '}')
	}
	return append(answer, "]}\n"...)
}

// bodyPresizeBytesMax is the most readBody sets aside before the body has
// arrived: a client that announces a large body and sends little of it
// does not make the server hold what it announced.
const bodyPresizeBytesMax = 64 << 10

// readBody reads a request's body whole, as io.ReadAll does, into a buffer
// sized to the length the request announces (up to bodyPresizeBytesMax;
// a longer body grows it as it arrives): io.ReadAll starts at 512 bytes
// and grows, and most single events are a little longer than that. The
// body's own limit (http.MaxBytesReader) still applies as it reads.
func readBody(r *http.Request) ([]byte, error) {
	size := int64(512)
	if r.ContentLength > 0 {
		size = min(r.ContentLength, bodyPresizeBytesMax)
	}
	// One byte more than announced, so the read that meets the end of the
	// body finds room and does not grow the buffer.
	body := make([]byte, 0, size+1)
	for {
		n, err := r.Body.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if err == io.EOF {
			return body, nil
		}
		if err != nil {
			return body, err
		}
		if len(body) == cap(body) {
			body = append(body, 0)[:len(body)]
		}
	}
}

// splitEvents reads one event, a JSON array of events, or {"events": [...]}.
// firstKey is the first key of a valid JSON object, if it has one
// written without escapes (plain): a key with escapes may spell "events"
// and is left to encoding/json.
func firstKey(object []byte) (string, bool) {
	rest := bytes.TrimLeft(object[1:], " \t\r\n")
	if len(rest) == 0 || rest[0] != '"' {
		return "", false
	}
	end := bytes.IndexByte(rest[1:], '"')
	if end < 0 {
		return "", false
	}
	key := rest[1 : 1+end]
	if bytes.IndexByte(key, '\\') >= 0 {
		return "", false
	}
	return string(key), true
}

func splitEvents(body []byte) ([][]byte, bool, error) {
	trimmed := bytes.TrimSpace(body)
	invalid := func(rule string) error {
		return &domain.ValidationError{Violations: []domain.Violation{{Field: "$", Rule: rule}}}
	}
	if len(trimmed) == 0 {
		return nil, false, invalid("the body must be an event, an array of events or {\"events\": [...]}")
	}
	// Most bodies are one event, whose first key is a plain one other than
	// "events": it cannot be the {"events": [...]} form, and decoding it
	// into a map only to find that out cost more than reading the event.
	// Invalid JSON and every other body go the long way, which names what
	// is wrong.
	if trimmed[0] == '{' && json.Valid(trimmed) {
		if key, plain := firstKey(trimmed); plain && key != "events" {
			return [][]byte{trimmed}, false, nil
		}
	}
	var batch []json.RawMessage
	if trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &batch); err != nil {
			return nil, false, invalid("invalid JSON array: " + err.Error())
		}
	} else {
		var wrapper struct {
			Events []json.RawMessage `json:"events"`
		}
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &probe); err != nil {
			return nil, false, invalid("invalid JSON: " + err.Error())
		}
		if _, ok := probe["events"]; !ok || len(probe) != 1 {
			return [][]byte{trimmed}, false, nil
		}
		if err := json.Unmarshal(trimmed, &wrapper); err != nil {
			return nil, false, invalid("events must be an array of events")
		}
		batch = wrapper.Events
	}
	if len(batch) == 0 {
		return nil, true, invalid("the batch holds no events")
	}
	if len(batch) > eventstore.BatchEventsMax {
		return nil, true, invalid(fmt.Sprintf("a batch holds at most %d events, not %d", eventstore.BatchEventsMax, len(batch)))
	}
	raws := make([][]byte, len(batch))
	for i, raw := range batch {
		raws[i] = raw
	}
	return raws, true, nil
}

// storedEvent is one event of GET /api/v1/events.
type storedEvent struct {
	Position uint64       `json:"position"`
	Event    domain.Event `json:"event"`
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, who identity) error {
	query := r.URL.Query()
	after, err := uintParameter(query.Get("after"), "after", 0)
	if err != nil {
		return err
	}
	limit, err := uintParameter(query.Get("limit"), "limit", eventsPageDefault)
	if err != nil {
		return err
	}
	if limit == 0 || limit > eventsPageMax {
		return &domain.ValidationError{Violations: []domain.Violation{{Field: "limit", Rule: fmt.Sprintf("must be 1 to %d", eventsPageMax)}}}
	}
	granted := s.personalGranted(who)
	var readSubjects []string
	named := map[string]bool{}
	// Bank accounts' events are the reconciliation's: a role that may not
	// read the reconciliation does not read them in the log either.
	financeReader := who.role.allows(accessFinance)
	events := app.EventsQuery{After: after, County: query.Get("county"), Campaign: query.Get("campaign"),
		Type: domain.EventType(query.Get("type")), Limit: int(limit), Personal: granted, WithoutAccounts: !financeReader,
		ScanMax: s.options.ScannedEventsMax}
	if !financeReader && events.Type != "" && domain.IsAccountEvent(events.Type) {
		return &apiError{status: http.StatusForbidden, code: "forbidden",
			message: fmt.Sprintf("%s events are the reconciliation's: finance, auditors and admins read them", events.Type)}
	}
	read, err := s.options.Ledger.EventsPage(r.Context(), events)
	if err != nil {
		return err
	}
	page := make([]storedEvent, 0, len(read.Events))
	for _, listed := range read.Events {
		for _, subject := range listed.Subjects {
			// Each subject is named once, so the access log's cap on a
			// record's subjects counts people, not events.
			if !named[subject] {
				named[subject] = true
				readSubjects = append(readSubjects, subject)
			}
		}
		page = append(page, storedEvent{Position: listed.Position, Event: listed.Event})
	}
	// Every read of personal data is itself recorded, before it is sent.
	if len(readSubjects) > 0 {
		if err := s.recordAccess(r, who, readSubjects); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": page, "next_after": read.Next, "scan_limited": read.ScanLimited})
	return nil
}

// queryFlag reads a boolean query parameter: absent, "false" or "0" is
// false, "true" or "1" is true, and anything else is refused naming the
// parameter, never taken for false: a request that meant to preview must
// not record.
func queryFlag(query url.Values, name string) (bool, error) {
	switch query.Get(name) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, &domain.ValidationError{Violations: []domain.Violation{{Field: name, Rule: "must be true or false (or 1 or 0)"}}}
}

func uintParameter(text, name string, fallback uint64) (uint64, error) {
	if text == "" {
		return fallback, nil
	}
	value, err := strconv.ParseUint(text, 10, 64)
	if err != nil {
		return 0, &domain.ValidationError{Violations: []domain.Violation{{Field: name, Rule: "must be a whole number"}}}
	}
	return value, nil
}

func (s *Server) totals(w http.ResponseWriter, r *http.Request, _ identity) error {
	parameters := r.URL.Query()
	answer, err := s.options.Ledger.Totals(r.Context(), app.TotalsRequest{County: parameters.Get("county"), Campaign: parameters.Get("campaign"),
		By: parameters.Get("by"), AsOf: parameters.Get("as_of"), KnownAt: parameters.Get("known_at")})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, answer)
	return nil
}

// monthReport is the printable monthly report (report.Paper): a
// self-contained HTML page, sent as a file to save and print. Its own
// policy lets it keep its inline style and QR image, and nothing else.
func (s *Server) monthReport(w http.ResponseWriter, r *http.Request, _ identity) error {
	parameters := r.URL.Query()
	lang, err := languageOf(parameters.Get("lang"))
	if err != nil {
		return err
	}
	monthly, err := s.options.Ledger.Report(r.Context(), app.ReportRequest{Month: r.PathValue("month"), County: parameters.Get("county"),
		Campaign: parameters.Get("campaign")})
	if err != nil {
		return err
	}
	var page bytes.Buffer
	if err := report.Paper(&page, monthly, s.options.Ledger.Catalog(), lang); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="report-%s.html"`, monthly.Month))
	_, err = w.Write(page.Bytes())
	return err
}

// liveTotals answers from the live projection, stamped with the tree.
func (s *Server) liveTotals(ctx context.Context, query projections.Query) (projections.Answer, error) {
	return s.options.Ledger.Totals(ctx, app.TotalsRequest{County: query.County, Campaign: query.Campaign, By: query.By})
}

// answerByID is the handler of a read of one entity named by the path's
// {id}: it answers what look says of it, or the error page of look's
// error. The audit trail and the trace are two such reads, and answering
// them through one handler keeps their errors and answers alike. A role
// that may not read the reconciliation reads them without bank accounts'
// events, as it lists the log.
func answerByID[T any](look func(ctx context.Context, query app.EntityQuery) (T, error)) func(w http.ResponseWriter, r *http.Request, who identity) error {
	return func(w http.ResponseWriter, r *http.Request, who identity) error {
		answer, err := look(r.Context(), app.EntityQuery{ID: r.PathValue("id"), WithoutAccounts: !who.role.allows(accessFinance)})
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, answer)
		return nil
	}
}

func (s *Server) projectionStatus(w http.ResponseWriter, r *http.Request, _ identity) error {
	status, err := s.options.Ledger.ProjectionStatus(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"projections": []projections.Status{status}})
	return nil
}
