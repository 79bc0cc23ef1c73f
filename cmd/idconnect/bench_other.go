//go:build !linux

package main

import (
	"errors"
	"os"
	"os/exec"
	"time"
)

var errNoProc = errors.New("bench reads the service's CPU time and memory from /proc: it runs on Linux only")

func checkProc() error                              { return errNoProc }
func processCPU(int) (time.Duration, error)         { return 0, errNoProc }
func procStatusBytes(int, string) (int64, error)    { return 0, errNoProc }
func threadCPU(func() error) (time.Duration, error) { return 0, errNoProc }
func setChildAttr(*exec.Cmd)                        {}
func terminate(p *os.Process)                       { p.Kill() }
