// Command idconnect runs the idconnect service, the provider emulators and
// the developer tools:
//
//	idconnect [serve]                   the service (default); env configures it
//	idconnect emulate myinfo|singpass|corppass|oneid [flags]
//	                                    a provider emulator on its own
//	idconnect decode myinfo-v3 [flags]  decrypt and verify a captured person answer
//	idconnect bench [flags]             the load harness: emulators and service on loopback
//	idconnect version
//
// Environment variables and flags are read here and nowhere else.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

// errUsage marks an error already explained by a usage message.
var errUsage = errors.New("usage")

// run is main without the process: testable with any arguments,
// environment and streams. It returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args, getenv, stderr)
	case "emulate":
		err = emulate(ctx, args, stderr)
	case "decode":
		err = decode(args, stdin, stdout, stderr)
	case "keys":
		err = keys(args, getenv, stdout, stderr)
	case "bench":
		err = bench(ctx, args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "idconnect", version(), "crypto:", cryptoBackend())
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "idconnect: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if errors.Is(err, errUsage) {
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "idconnect %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

const usage = `Usage:
  idconnect [serve]                      run the service (configured by environment; with none, on embedded emulators)
  idconnect emulate myinfo|singpass|corppass|oneid [flags]
                                         run a provider emulator alone (idconnect emulate myinfo -h)
  idconnect decode myinfo-v3 [flags]     decrypt and verify a Myinfo person answer read on stdin
  idconnect keys generate|public|rotate|check  make, publish, rotate or check a relying-party key set (JWKS)
  idconnect bench [flags]                drive logins through the service and its emulators on loopback; report
                                         throughput, latency, CPU and memory per login (idconnect bench -h)
  idconnect version                      print the version
`

func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}
