package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/domain"
)

func testEnvironment() (*Environment, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	return &Environment{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Logger: NewLogger(&stderr, false)}, &stdout, &stderr
}

// echo is a command that takes one argument and a --loud flag.
func echo(ctx context.Context, env *Environment, args []string) error {
	spec := Spec{Name: "echo", Usage: "WORD [--loud]", Args: 1, ArgsWanted: "give one WORD"}
	c := NewCall(ctx, env, spec.NewFlags(env, "prog"))
	loud := c.Flags.Bool("loud", false, "shout")
	return c.Run(spec, args, func() error {
		switch word := c.Arg(0); {
		case word == "fail":
			return errors.New("it failed")
		case *loud:
			c.Printf("%s!\n", strings.ToUpper(word))
		default:
			c.Printf("%s\n", word)
		}
		return nil
	})
}

func TestProgramRunExitCodes(t *testing.T) {
	program := Program{Name: "prog", Title: "prog: a test", Commands: []Command{{Name: "echo", Summary: "print a word", Run: echo}}}
	cases := []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{"echo", "hi", "--loud"}, ExitOK, "HI!\n", ""},
		{[]string{"echo", "--loud", "--", "--hi"}, ExitOK, "--HI!\n", ""},
		{[]string{"echo"}, ExitUsage, "", "prog echo: give one WORD\nRun 'prog echo --help' for usage.\n"},
		{[]string{"echo", "a", "--nope"}, ExitUsage, "", "flag provided but not defined: -nope"},
		{[]string{"echo", "fail"}, ExitFailure, "", "prog echo: it failed\n"},
		{[]string{"echo", "--help"}, ExitOK, "", "Usage: prog echo WORD [--loud]"},
		{[]string{"nope"}, ExitUsage, "", `prog: unknown command "nope"`},
		{[]string{"help"}, ExitOK, "  echo     print a word", ""},
		{nil, ExitUsage, "Exit status: 0 ok, 1 failure, 2 usage.", ""},
	}
	for _, c := range cases {
		env, stdout, stderr := testEnvironment()
		code := program.Run(context.Background(), env, c.args)
		if code != c.code || !strings.Contains(stdout.String(), c.stdout) || !strings.Contains(stderr.String(), c.stderr) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit %d with %q and %q", c.args, code, stdout, stderr, c.code, c.stdout, c.stderr)
		}
	}
}

// A group hands its first argument's subcommand the rest; without one it
// runs its own command when it has one, and otherwise names its
// subcommands; its help lists them.
func TestProgramRunsSubcommands(t *testing.T) {
	named := func(name string) RunFunc {
		return func(ctx context.Context, env *Environment, args []string) error {
			if len(args) > 0 && args[0] == "fail" {
				return Usagef("bad %s", name)
			}
			_, err := io.WriteString(env.Stdout, name+" "+strings.Join(args, " ")+"\n")
			return err
		}
	}
	program := Program{Name: "prog", Title: "prog: a test", Commands: []Command{
		{Name: "book", Summary: "the books", Subcommands: []Command{
			{Name: "open", Summary: "open a book", Run: named("open")},
			{Name: "close", Summary: "close a book", Run: named("close")},
		}},
		{Name: "write", Summary: "write a file", Run: named("write"), Subcommands: []Command{{Name: "line", Summary: "write a line", Run: named("line")}}},
	}}
	cases := []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{"book", "open", "A"}, ExitOK, "open A\n", ""},
		{[]string{"book", "close", "fail"}, ExitUsage, "", "prog book close: bad close\nRun 'prog book close --help' for usage.\n"},
		{[]string{"book"}, ExitUsage, "", "prog book: needs a subcommand: open or close\n"},
		{[]string{"book", "burn"}, ExitUsage, "", `prog book: unknown subcommand "burn": give open or close`},
		{[]string{"book", "--help"}, ExitOK, "Subcommands:\n  open     open a book\n  close    close a book\n", ""},
		{[]string{"write", "F"}, ExitOK, "write F\n", ""},
		{[]string{"write", "line", "L"}, ExitOK, "line L\n", ""},
		{[]string{"write", "--help"}, ExitOK, "  line     write a line\n", ""},
	}
	for _, c := range cases {
		env, stdout, stderr := testEnvironment()
		code := program.Run(context.Background(), env, c.args)
		if code != c.code || !strings.Contains(stdout.String(), c.stdout) || !strings.Contains(stderr.String(), c.stderr) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit %d with %q and %q", c.args, code, stdout, stderr, c.code, c.stdout, c.stderr)
		}
	}
	var paths []string
	for _, path := range program.Paths() {
		paths = append(paths, strings.Join(path, " "))
	}
	if got := strings.Join(paths, ", "); got != "book open, book close, write, write line" {
		t.Errorf("paths %s", got)
	}
}

func TestParseTakesFlagsAnywhere(t *testing.T) {
	flags := flag.NewFlagSet("t", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	data := flags.String("data", "", "")
	if err := Parse(flags, []string{"a", "--data", "D", "b", "--", "--c"}); err != nil {
		t.Fatal(err)
	}
	if *data != "D" || strings.Join(flags.Args(), " ") != "a b --c" {
		t.Fatalf("data %q, args %q", *data, flags.Args())
	}
	var usage UsageError
	if err := ParseArgs(flags, []string{"x"}, 0, ""); !errors.As(err, &usage) || usage.Message != "unexpected arguments [x]" {
		t.Fatalf("extra argument: %v", err)
	}
	if err := ParseArgs(flags, []string{"x", "y", "z"}, AnyArgs, ""); err != nil {
		t.Fatalf("any number: %v", err)
	}
	if given := Given(flags, func(name string) bool { return name == "data" || name == "nope" }); len(given) != 1 || given[0].Name != "data" {
		t.Fatalf("given %v, want --data alone", given)
	}
}

func TestCallClosesLastFirstAndOnce(t *testing.T) {
	env, _, _ := testEnvironment()
	c := NewCall(context.Background(), env, flag.NewFlagSet("t", flag.ContinueOnError))
	var closed []string
	c.OnClose(func() { closed = append(closed, "first") })
	c.OnClose(func() { closed = append(closed, "second") })
	err := c.Run(Spec{Args: AnyArgs}, nil, func() error { c.Close(); return nil })
	if err != nil || strings.Join(closed, ",") != "second,first" {
		t.Fatalf("closed %v, %v", closed, err)
	}
}

func TestWriteFileRefusesLinksAndExistingFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.csv")
	if err := WriteFile(path, []byte("one"), false); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", info.Mode().Perm())
	}
	var usage UsageError
	if err := WriteFile(path, []byte("two"), false); !errors.As(err, &usage) || !strings.Contains(err.Error(), "give --force") {
		t.Fatalf("existing file: %v", err)
	}
	if err := WriteFile(dir, []byte("two"), true); !errors.As(err, &usage) || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("directory: %v", err)
	}
	if err := WriteFile(path, []byte("two"), true); err != nil {
		t.Fatal(err)
	}
	if content, _ := os.ReadFile(path); string(content) != "two" {
		t.Fatalf("content %q after --force", content)
	}
	link := filepath.Join(dir, "link.csv")
	if err := os.Symlink(path, link); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	if err := WriteFile(link, []byte("three"), true); !errors.As(err, &usage) || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("link: %v", err)
	}
	if content, _ := os.ReadFile(path); string(content) != "two" {
		t.Fatalf("written through the link: %q", content)
	}
}

func TestOutputWritesToStandardOutputWithoutAPath(t *testing.T) {
	env, stdout, _ := testEnvironment()
	var out Output
	if err := out.Write(env, []byte("proof\n")); err != nil || stdout.String() != "proof\n" {
		t.Fatalf("stdout %q, %v", stdout, err)
	}
}

func TestHTTPServerServesUntilShutdown(t *testing.T) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "up") })
	server, err := ServeHTTP(context.Background(), "127.0.0.1:0", &http.Server{Handler: handler})
	if err != nil {
		t.Fatal(err)
	}
	response, err := http.Get(server.Address)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(response.Body)
	response.Body.Close()
	if string(body) != "up" {
		t.Fatalf("body %q", body)
	}
	if err := server.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-server.Failed; !errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("after shutdown: %v", err)
	}
}

// Shutdown lets a request in flight finish even though the interrupt that
// asked for the shutdown ended the serve context: the requests' contexts
// do not derive their cancellation from it, so a write in progress is not
// cut off as "context canceled".
func TestHTTPShutdownLetsRequestsInFlightFinish(t *testing.T) {
	serveCtx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	started, release := make(chan struct{}), make(chan struct{})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		if err := r.Context().Err(); err != nil {
			http.Error(w, "request context ended: "+err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, "finished")
	})
	server, err := ServeHTTP(serveCtx, "127.0.0.1:0", &http.Server{Handler: handler})
	if err != nil {
		t.Fatal(err)
	}
	type answer struct {
		status int
		body   string
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		response, err := http.Get(server.Address)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer response.Body.Close()
		body, err := io.ReadAll(response.Body)
		answered <- answer{status: response.StatusCode, body: string(body), err: err}
	}()
	<-started
	interrupt()
	shutdown := make(chan error, 1)
	go func() { shutdown <- server.Shutdown(serveCtx) }()
	close(release)
	if got := <-answered; got.err != nil || got.status != http.StatusOK || got.body != "finished" {
		t.Errorf("a request in flight at shutdown: status %d, body %q, error %v; want 200 finished", got.status, got.body, got.err)
	}
	if err := <-shutdown; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// A refusal of flags alone is a usage error naming them; one that also
// names other fields keeps its kind with the flags' fields renamed, and
// RefusedFlags leaves it as it was.
func TestFlaggedNamesTheFlags(t *testing.T) {
	names := map[string]string{"reason": "--reason"}
	alone := &domain.ValidationError{Violations: []domain.Violation{{Field: "reason", Rule: "is required"}}}
	var usage UsageError
	if err := Flagged(alone, names); !errors.As(err, &usage) || usage.Message != "--reason is required" {
		t.Fatalf("Flagged(reason alone) = %v, want the usage error --reason is required", err)
	}
	if err := RefusedFlags(alone, names); !errors.As(err, &usage) || usage.Message != "--reason is required" {
		t.Fatalf("RefusedFlags(reason alone) = %v, want the usage error --reason is required", err)
	}
	mixed := &domain.ValidationError{Violations: []domain.Violation{{Field: "reason", Rule: "is required"}, {Field: "occurred_at", Rule: "is required"}}}
	if err := Flagged(mixed, names); errors.As(err, &usage) || !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), "--reason is required") {
		t.Fatalf("Flagged(mixed) = %v, want the validation error with --reason named", err)
	}
	if err := RefusedFlags(mixed, names); err != error(mixed) {
		t.Fatalf("RefusedFlags(mixed) = %v, want the error as it was", err)
	}
	if Flagged(nil, names) != nil || RefusedFlags(nil, names) != nil {
		t.Fatal("no error is no error")
	}
	// A refusal of what the ledger holds at a flag (a target not found, a
	// match decided already) is a failure naming the flag, not a usage
	// error: the command was called right. Before, it was exit 2 with a
	// pointer to --help.
	for _, refusal := range []error{
		&domain.RuleError{Field: "reason", Rule: "names no event", Cause: domain.ErrNotFound},
		&domain.RuleError{Field: "reason", Rule: "is decided already"},
	} {
		if err := Flagged(refusal, names); errors.As(err, &usage) || !strings.HasPrefix(err.Error(), "--reason: ") || !errors.Is(err, domain.ErrRejected) {
			t.Errorf("Flagged(%v) = %#v, want a refusal naming --reason", refusal, err)
		}
		if err := RefusedFlags(refusal, names); errors.As(err, &usage) {
			t.Errorf("RefusedFlags(%v) = %#v, want no usage error", refusal, err)
		}
	}
}

// A command refused by what the ledger holds exits 1 with its refusal and
// no pointer to its help; one called wrong exits 2 with the pointer.
func TestARefusalIsAFailureNotAUsageError(t *testing.T) {
	names := map[string]string{"target": "--target"}
	refusal := &domain.RuleError{Field: "target", Rule: "no event has the id X", Cause: domain.ErrNotFound}
	missing := &domain.ValidationError{Violations: []domain.Violation{{Field: "target", Rule: "is required"}}}
	for _, test := range []struct {
		err  error
		code int
		said string
	}{
		{refusal, ExitFailure, "demo void: --target: no event has the id X\n"},
		{missing, ExitUsage, "demo void: --target is required\nRun 'demo void --help' for usage.\n"},
	} {
		program := Program{Name: "demo", Commands: []Command{{Name: "void", Run: func(context.Context, *Environment, []string) error {
			return Flagged(test.err, names)
		}}}}
		var out bytes.Buffer
		env := &Environment{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out}
		if code := program.Run(context.Background(), env, []string{"void"}); code != test.code || out.String() != test.said {
			t.Errorf("%v: exit %d, said %q; want %d, %q", test.err, code, out.String(), test.code, test.said)
		}
	}
}
