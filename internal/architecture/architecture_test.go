package architecture

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/ordos-union/ledger"

// storeClients are the libraries that talk to a store's wire protocol.
var storeClients = []string{"github.com/nats-io/", "github.com/EventStore/"}

// storeClientUsers are the packages allowed to import a store client: the
// adapters, the node that starts and wires them (the embedded server is
// its to run), backup (which reads JetStream's raw messages, and refuses
// EventStoreDB), and the example programs a user runs against the NATS
// port.
var storeClientUsers = []string{"eventstore/natsjs", "eventstore/natsjs/natsjstest", "eventstore/esdb", "node", "backup",
	"examples/watch-totals"}

// adapters are the packages in which a store's client lives.
var adapters = []string{"eventstore/natsjs", "eventstore/esdb"}

// packageImports maps each package of the module (without the module
// prefix) to what its non-test files import.
func packageImports(t *testing.T) map[string][]string {
	t.Helper()
	listed, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	imports := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(listed)), "\n") {
		fields := strings.Fields(line)
		name := strings.TrimPrefix(strings.TrimPrefix(fields[0], module), "/")
		imports[name] = fields[1:]
	}
	if len(imports) < 20 {
		t.Fatalf("go list named only %d packages", len(imports))
	}
	return imports
}

func isStandard(path string) bool { return !strings.Contains(strings.Split(path, "/")[0], ".") }

func isStoreClient(path string) bool {
	return slices.ContainsFunc(storeClients, func(prefix string) bool { return strings.HasPrefix(path, prefix) })
}

// domain is the bottom of the module: the standard library and uuid only.
func TestDomainImportsOnlyTheStandardLibraryAndUUID(t *testing.T) {
	imports := packageImports(t)["domain"]
	if len(imports) == 0 {
		t.Fatal("domain imports nothing: the listing is wrong")
	}
	for _, path := range imports {
		if !isStandard(path) && path != "github.com/google/uuid" {
			t.Errorf("domain imports %s", path)
		}
	}
}

// Only the adapters, the node and backup talk to a store's wire protocol;
// everything else reaches the log through eventstore.Store.
func TestStoreClientsStayInTheirAdapters(t *testing.T) {
	for name, imports := range packageImports(t) {
		for _, path := range imports {
			if isStoreClient(path) && !slices.Contains(storeClientUsers, name) {
				t.Errorf("%s imports the store client %s", name, path)
			}
		}
	}
}

// The command line and the HTTP API are front ends over the application
// layer: neither reaches a store adapter, and the application layer knows
// neither front end nor the node that runs it.
func TestFrontEndsReachNoAdapter(t *testing.T) {
	imports := packageImports(t)
	forbidden := map[string][]string{
		"cmd/ledger": adapters,
		"httpapi":    append([]string{"node"}, adapters...),
		"app":        append([]string{"node", "httpapi"}, adapters...),
	}
	for name, paths := range forbidden {
		if len(imports[name]) == 0 {
			t.Fatalf("no imports listed for %s", name)
		}
		for _, path := range imports[name] {
			if slices.Contains(paths, strings.TrimPrefix(path, module+"/")) {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}

// commandFunctionLinesMax bounds a function of cmd/ledger: a command there
// parses its flags, calls one use case and prints; anything longer is a
// use case that belongs in the application layer.
const commandFunctionLinesMax = 80

// Every function of cmd/ledger, and every function literal a command is
// declared with, is at most commandFunctionLinesMax lines.
func TestCommandFunctionsAreShort(t *testing.T) {
	files, err := filepath.Glob("../../cmd/ledger/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no files in cmd/ledger: %v", err)
	}
	fileSet := token.NewFileSet()
	measured := 0
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(fileSet, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, declaration := range parsed.Decls {
			name, body := "", ast.Node(nil)
			switch declaration := declaration.(type) {
			case *ast.FuncDecl:
				name, body = declaration.Name.Name, declaration
			case *ast.GenDecl:
				// A command declared as a value: the function literals in
				// its initializer are its body.
				ast.Inspect(declaration, func(node ast.Node) bool {
					if literal, ok := node.(*ast.FuncLit); ok {
						lines := fileSet.Position(literal.End()).Line - fileSet.Position(literal.Pos()).Line + 1
						measured++
						if lines > commandFunctionLinesMax {
							t.Errorf("%s: a function literal of %d lines (at most %d)", fileSet.Position(literal.Pos()), lines,
								commandFunctionLinesMax)
						}
						return false
					}
					return true
				})
				continue
			}
			lines := fileSet.Position(body.End()).Line - fileSet.Position(body.Pos()).Line + 1
			measured++
			if lines > commandFunctionLinesMax {
				t.Errorf("%s: %s is %d lines (at most %d)", fileSet.Position(body.Pos()), name, lines, commandFunctionLinesMax)
			}
		}
	}
	if measured < 40 {
		t.Fatalf("measured only %d functions in cmd/ledger", measured)
	}
}
