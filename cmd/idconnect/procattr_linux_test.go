package main

import (
	"os/exec"
	"syscall"
)

// setProcAttr has the kernel kill a test's child process if the test
// process dies first, so that no instance outlives a crashed test.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
