package main

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/internal/jwx"
	"github.com/idconnect/idconnect/provider/myinfo"
)

// maxDecodeInput caps what decode reads from stdin.
const maxDecodeInput = 8 << 20

// decode verifies a captured Myinfo person answer and prints its data.
func decode(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "myinfo-v3" {
		fmt.Fprintln(stderr, "usage: idconnect decode myinfo-v3 --cert PEM [--key PEM] [--raw] [--attributes a,b,c] < answer")
		return errUsage
	}
	fs := flag.NewFlagSet("decode myinfo-v3", flag.ContinueOnError)
	fs.SetOutput(stderr)
	certPath := fs.String("cert", "", "Myinfo's signing `certificate` or public key (PEM file); required")
	keyPath := fs.String("key", "", "the client's private `key` (PEM file); when given, stdin is a JWE, else a JWS")
	raw := fs.Bool("raw", false, "print the verified person JSON instead of the flattened sodata")
	attrs := fs.String("attributes", "", "comma-separated attributes to flatten, in output order (default: all, in the answer's order)")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	if *certPath == "" || fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	certPEM, err := os.ReadFile(*certPath)
	if err != nil {
		return fmt.Errorf("reading certificate: %w", err)
	}
	providerKey, err := jwx.ParseRSAPublicKey(certPEM)
	if err != nil {
		return fmt.Errorf("certificate %s: %w", *certPath, err)
	}
	var clientKey *rsa.PrivateKey
	if *keyPath != "" {
		keyPEM, err := os.ReadFile(*keyPath)
		if err != nil {
			return fmt.Errorf("reading key: %w", err)
		}
		if clientKey, err = jwx.ParseRSAPrivateKey(keyPEM); err != nil {
			return fmt.Errorf("key %s: %w", *keyPath, err)
		}
	}
	input, err := io.ReadAll(io.LimitReader(stdin, maxDecodeInput+1))
	if err != nil {
		return fmt.Errorf("reading stdin: %w", err)
	}
	if len(input) > maxDecodeInput {
		return fmt.Errorf("format: input larger than %d bytes", maxDecodeInput)
	}
	person, err := myinfo.DecodePerson(input, providerKey, clientKey)
	if err != nil {
		return fmt.Errorf("%s: %w", decodeStage(err), err)
	}
	out := json.RawMessage(person)
	if !*raw {
		names := splitList(*attrs)
		if len(names) == 0 {
			if names, err = objectKeys(person); err != nil {
				return fmt.Errorf("format: %w", err)
			}
		}
		if out, err = myinfo.Flatten(names, person); err != nil {
			return fmt.Errorf("format: %w", err)
		}
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, out, "", "  "); err != nil {
		return fmt.Errorf("format: %w", err)
	}
	pretty.WriteByte('\n')
	_, err = stdout.Write(pretty.Bytes())
	return err
}

// decodeStage names the step that failed, for the first word of the message.
func decodeStage(err error) string {
	switch {
	case errors.Is(err, idconnect.ErrDecrypt):
		return "decrypt failed"
	case errors.Is(err, idconnect.ErrSignature):
		return "signature check failed"
	default:
		return "format error"
	}
}

// objectKeys lists a JSON object's keys in document order.
func objectKeys(obj []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}
