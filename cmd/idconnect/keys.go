package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/idconnect/idconnect/keyset"
)

const keysUsage = `usage:
  idconnect keys generate [-out file] [-force]   write a new private key set (mode 0600) and print its public set
  idconnect keys public -in file [-at time]      print the public set of a private key set, as published now (or at an RFC 3339 time)
  idconnect keys rotate -in file [-publish d] [-drain d]
                                                 replace the signing and decryption keys in steps the service follows by its clock
  idconnect keys check URL                       fetch a published JWKS as Singpass and Corppass do and say what they would reject
`

// keys manages a relying party's key set (see package keyset). With
// IDCONNECT_PKCS11_MODULE, _TOKEN and _PIN set, the private keys are made
// and kept in that PKCS#11 token and the file names them.
func keys(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, keysUsage)
		return errUsage
	}
	switch args[0] {
	case "generate":
		return keysGenerate(args[1:], getenv, stdout, stderr)
	case "public":
		return keysPublic(args[1:], getenv, stdout, stderr)
	case "rotate":
		return keysRotate(args[1:], getenv, stdout, stderr)
	case "check":
		return keysCheck(args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, keysUsage)
	return errUsage
}

func keysGenerate(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keys generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "keys.json", "`file` to write the private key set to (mode 0600)")
	force := fs.Bool("force", false, "overwrite an existing file")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return errUsage
	}
	tok, err := openHSM(getenv)
	if err != nil {
		return err
	}
	var set *keyset.Set
	if tok != nil {
		defer tok.Close()
		set, err = keyset.GenerateHeld(tok.Holder())
	} else {
		set, err = keyset.Generate(nil)
	}
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

func keysPublic(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keys public", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "the private key set `file` (required)")
	at := fs.String("at", "", "print the set published at this RFC 3339 `time` (default now)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 || *in == "" {
		if *in == "" {
			fs.Usage()
		}
		return errUsage
	}
	now := time.Now()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return fmt.Errorf("-at %q is not an RFC 3339 time (such as 2026-12-01T10:00:00Z)", *at)
		}
		now = t
	}
	tok, err := openHSM(getenv)
	if err != nil {
		return err
	}
	if tok != nil {
		defer tok.Close()
	}
	set, err := readKeySet("-in", *in, holderOf(tok))
	if err != nil {
		return err
	}
	public, err := set.PublicJSONAt(now)
	if err != nil {
		return err
	}
	_, err = stdout.Write(public)
	return err
}

// writeKeySet replaces path with the private set atomically (a 0600 file
// beside it, renamed over it), so a reader sees the old set or the new.
func writeKeySet(path string, set *keyset.Set) error {
	private, err := set.MarshalPrivate()
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op once renamed
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(private); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func keysRotate(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keys rotate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "the private key set `file` to rotate in place (required)")
	publish := fs.Duration("publish", keyset.DefaultPublish, "how long a change takes to reach every instance and the providers' JWKS caches (an hour at Singpass and Corppass)")
	drain := fs.Duration("drain", keyset.DefaultDrain, "how long a replaced key keeps working after its successor takes over")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 || *in == "" {
		if *in == "" {
			fs.Usage()
		}
		return errUsage
	}
	if *publish <= 0 || *drain <= 0 {
		return errors.New("-publish and -drain must be positive")
	}
	tok, err := openHSM(getenv)
	if err != nil {
		return err
	}
	if tok != nil {
		defer tok.Close()
	}
	set, err := readKeySet("-in", *in, holderOf(tok))
	if err != nil {
		return err
	}
	now := time.Now()
	r, err := set.Rotate(nil, now, keyset.RotatePolicy{Publish: *publish, Drain: *drain})
	if err != nil {
		return err
	}
	if err := writeKeySet(*in, set); err != nil {
		return err
	}
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	for _, kid := range r.Dropped {
		fmt.Fprintf(stderr, "dropped retired key %s\n", kid)
	}
	fmt.Fprintf(stderr, "new signing key %s: published now, signs from %s\n", r.Signing, stamp(r.Takeover))
	fmt.Fprintf(stderr, "new decryption key %s: published from %s, replacing the old one\n", r.Decryption, stamp(r.Takeover))
	for _, k := range r.Retiring {
		fmt.Fprintf(stderr, "old %s key %s: retires at %s\n", k.Use, k.KeyID, stamp(k.RetireAfter))
	}
	fmt.Fprintf(stderr, "restart every instance now so each holds the new keys; the service publishes and signs by these times.\n"+
		"If the JWKS is pasted into a portal instead of hosted, paste this set now and `keys public -in %s -at %s` at the takeover.\n", *in, stamp(r.Takeover))
	public, err := set.PublicJSONAt(now)
	if err != nil {
		return err
	}
	_, err = stdout.Write(public)
	return err
}

// errProblems: keys check found problems (already printed).
var errProblems = errors.New("the published JWKS would be rejected")

func keysCheck(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keys check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		fmt.Fprint(stderr, "usage: idconnect keys check https://rp.example/.well-known/jwks.json\n")
		return errUsage
	}
	target := fs.Arg(0)
	ctx, cancel := context.WithTimeout(context.Background(), 2*keyset.FetchTimeout)
	defer cancel()
	probs, err := keyset.Checker{}.Check(ctx, target)
	if err != nil {
		return err
	}
	if len(probs) == 0 {
		fmt.Fprintf(stdout, "ok: %s would be accepted by Singpass and Corppass (https, no redirect, an answer within 3 s, EC sig and enc keys, unique kids, no private parts)\n", target)
		return nil
	}
	fmt.Fprintf(stdout, "%s would be rejected:\n", target)
	for _, p := range probs {
		fmt.Fprintf(stdout, "  - %s\n    why: %s\n", p.What, p.Why)
	}
	return errProblems
}
