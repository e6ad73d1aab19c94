#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal and answers its secret prompts, for a peer that reads a
password or passphrase from the terminal only (segmentio/aws-okta v1.0.11: its `add` asks the
Okta password, its `file` keyring the passphrase, both with terminal.ReadPassword; it has no
environment variable for either).

    pty-answer.py COMMAND ARGS...

Answers from the environment: a prompt containing "passphrase" gets $PTY_PASSPHRASE, one
containing "password" gets $PTY_PASSWORD. The command's stdout is its terminal, so its output
is passed to our stdout with prompts left out; exits with the command's status.
"""
import os
import pty
import re
import select
import sys

pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])

answers = [(re.compile(rb"passphrase[^\n]*: ?$", re.I), os.environ.get("PTY_PASSPHRASE", "")),
           (re.compile(rb"password[^\n]*: ?$", re.I), os.environ.get("PTY_PASSWORD", ""))]
pending = b""
out = bytearray()
while True:
    try:
        ready, _, _ = select.select([fd], [], [], 30)
        if not ready:
            break
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    pending += chunk
    for pattern, answer in answers:
        if pattern.search(pending):
            os.write(fd, answer.encode() + b"\n")
            pending = b""
            break
    else:
        if b"\n" in pending:
            line, _, pending = pending.rpartition(b"\n")
            out += line + b"\n"
out += pending
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out.replace(b"\r\n", b"\n"))
sys.exit(os.waitstatus_to_exitcode(status))
