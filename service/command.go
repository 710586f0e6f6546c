package service

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DefaultName is the service's name when none is given.
const DefaultName = "ledger"

// ErrUsage marks a service command line that cannot work: the operator
// asked for something impossible, and nothing was installed or removed.
var ErrUsage = errors.New("usage")

// UsageError says what is wrong with the command line, in words a front
// end shows as they are (a usage error on the command line). It matches
// ErrUsage.
type UsageError struct{ Message string }

func (e *UsageError) Error() string { return e.Message }

// Is makes errors.Is(err, ErrUsage) true.
func (e *UsageError) Is(target error) bool { return target == ErrUsage }

func usagef(format string, args ...any) error {
	return &UsageError{Message: fmt.Sprintf(format, args...)}
}

// Arguments are what `ledger service install` and `uninstall` are given:
// the service's name, its data directory, and the arguments its serve
// command line carries.
type Arguments struct {
	Name    string
	DataDir string
	// ServeArgs are every argument but --data and --name, handed to serve
	// untouched.
	ServeArgs []string
}

// ParseArguments takes --data and --name and leaves every other argument
// to serve, which checks them when the service starts: serve's flags are
// many, and repeating them here would let the two drift apart. The data
// directory is made absolute here, where the operator's working directory
// is known: a service starts in the system directory. --service is
// refused: Install adds it. A command line that cannot work is a
// UsageError.
func ParseArguments(args []string) (Arguments, error) {
	arguments := Arguments{Name: DefaultName}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		flagName, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if !strings.HasPrefix(arg, "-") || (flagName != "data" && flagName != "name" && flagName != "service") {
			arguments.ServeArgs = append(arguments.ServeArgs, arg)
			continue
		}
		if flagName == "service" {
			return arguments, usagef("--service is added to the service's command line; leave it out")
		}
		if !hasValue {
			if i+1 == len(args) {
				return arguments, usagef("flag needs an argument: %s", arg)
			}
			i++
			value = args[i]
		}
		switch flagName {
		case "data":
			absolute, err := filepath.Abs(value)
			if err != nil {
				return arguments, usagef("--data %q: %v", value, err)
			}
			arguments.DataDir = absolute
		case "name":
			if value == "" || strings.ContainsAny(value, `\/ `) {
				return arguments, usagef("--name %q: a service name has no spaces or slashes", value)
			}
			arguments.Name = value
		}
	}
	return arguments, nil
}

// InstallServe installs this program's `serve --service --data DIR
// [serve arguments...]` as the service (Install), and returns what it
// registered, also when Install refused (ErrUnsupported off Windows). A
// service without a data directory is a UsageError: it would keep its
// ledger wherever the system starts it.
func (a Arguments) InstallServe() (Installation, error) {
	if a.DataDir == "" {
		return Installation{}, usagef("service install needs --data DIR: the service's data directory")
	}
	executable, err := os.Executable()
	if err != nil {
		return Installation{}, err
	}
	installation := Installation{Name: a.Name, Executable: executable, DataDir: a.DataDir,
		Args: append([]string{"serve", "--service", "--data", a.DataDir}, a.ServeArgs...)}
	return installation, Install(installation)
}

// UninstallServe removes the service (Uninstall); its data directory is
// left as it was. Arguments other than the name are a UsageError: they
// would say something uninstalling does not do.
func (a Arguments) UninstallServe() error {
	if a.DataDir != "" || len(a.ServeArgs) > 0 {
		return usagef("service uninstall takes only --name")
	}
	return Uninstall(a.Name)
}
