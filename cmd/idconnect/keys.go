package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/idconnect/idconnect/keyset"
)

// maxKeysFile caps what keys public reads.
const maxKeysFile = 1 << 20

const keysUsage = `usage:
  idconnect keys generate [-out file] [-force]   write a new private key set (mode 0600) and print its public set
  idconnect keys public -in file                 print the public set of a private key set
`

// keys manages a relying party's key set (see package keyset).
func keys(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, keysUsage)
		return errUsage
	}
	switch args[0] {
	case "generate":
		return keysGenerate(args[1:], stdout, stderr)
	case "public":
		return keysPublic(args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, keysUsage)
	return errUsage
}

func keysGenerate(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keys generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "keys.json", "`file` to write the private key set to (mode 0600)")
	force := fs.Bool("force", false, "overwrite an existing file")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return errUsage
	}
	set, err := keyset.Generate(nil)
	if err != nil {
		return err
	}
	private, err := set.MarshalPrivate()
	if err != nil {
		return err
	}
	public, err := set.PublicJSON()
	if err != nil {
		return err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if *force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(*out, flags, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s exists; use -force to replace it (its keys are then lost)", *out)
	}
	if err != nil {
		return err
	}
	// An existing file keeps its mode under -force; make it private.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(private); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote the private key set to %s; its public set follows (serve it at /.well-known/jwks.json)\n", *out)
	_, err = stdout.Write(public)
	return err
}

func keysPublic(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keys public", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "the private key set `file` (required)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 || *in == "" {
		if *in == "" {
			fs.Usage()
		}
		return errUsage
	}
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeysFile+1))
	if err != nil {
		return err
	}
	if len(data) > maxKeysFile {
		return fmt.Errorf("%s is larger than %d bytes", *in, maxKeysFile)
	}
	set, err := keyset.Parse(data)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	public, err := set.PublicJSON()
	if err != nil {
		return err
	}
	_, err = stdout.Write(public)
	return err
}
