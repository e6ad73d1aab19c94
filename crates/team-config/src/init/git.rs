//! `git clone` of a team source: a private temporary directory, the protocol policy, no
//! prompts, a timeout.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::source::redact;
use super::GIT_TIMEOUT_ENV;
use crate::error::Error;

/// A private (0700) temporary directory for the clone, removed on drop.
pub(super) use tempfile::TempDir;

fn temp_dir() -> io::Result<TempDir> {
    tempfile::Builder::new().prefix("aws-okta-init-").tempdir()
}

/// The transports `git clone` may use, as `-c` options (which beat every config file and
/// `GIT_CONFIG_*` variable). A team source names a URL, and git turns some URLs into programs:
/// `ext::<command>` runs the command, other `<helper>::` forms run `git-remote-<helper>`.
/// `protocol.allow=never` refuses every transport not named here; ext, git and http are named
/// as well so that a permissive `protocol.<name>.allow` in the user's own config cannot
/// re-enable them (git:// and http:// are unauthenticated and unencrypted: anyone on the path
/// can change the team config). A helper the user trusts (say `codecommit`) can still be
/// allowed in their git config with `protocol.<name>.allow=always`.
pub(super) const GIT_PROTOCOL_POLICY: &[&str] = &[
    "protocol.allow=never",
    "protocol.https.allow=always",
    "protocol.ssh.allow=always",
    "protocol.file.allow=always",
    "protocol.ext.allow=never",
    "protocol.git.allow=never",
    "protocol.http.allow=never",
];

/// Clones `url` into a fresh temporary directory with the user's `git`; returns its guard and
/// the clone's path.
pub(super) fn git_clone(url: &str, timeout: Duration) -> Result<(TempDir, PathBuf), Error> {
    git_clone_with(Path::new("git"), url, timeout)
}

/// [`git_clone`] with another `git` program (tests use a fake one).
pub(super) fn git_clone_with(
    program: &Path,
    url: &str,
    timeout: Duration,
) -> Result<(TempDir, PathBuf), Error> {
    refuse_plaintext(url)?;
    let tmp = temp_dir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let dest = tmp.path().join("repo");
    run_git(clone_command(program, url, &dest), url, timeout)?;
    Ok((tmp, dest))
}

/// `git://` and `http://` are refused with a clear message before git runs (git would refuse
/// them too, through [`GIT_PROTOCOL_POLICY`], but with a terse "transport not allowed").
pub(super) fn refuse_plaintext(url: &str) -> Result<(), Error> {
    let lower = url.to_ascii_lowercase();
    let scheme = if lower.starts_with("git://") {
        "git://"
    } else if lower.starts_with("http://") {
        "http://"
    } else {
        return Ok(());
    };
    Err(Error::Git {
        url: redact(url),
        message: format!(
            "{scheme} is unauthenticated and unencrypted, so anyone on the network path could change the team config: use an https:// or ssh:// URL"
        ),
    })
}

/// `git clone` of `url` into `dest`, hardened: only the transports of [`GIT_PROTOCOL_POLICY`],
/// no prompts (stdin is empty, `GIT_TERMINAL_PROMPT=0`, no Git Credential Manager dialog, no
/// `SSH_ASKPASS` window): credentials must come from a credential helper or an ssh agent/key.
/// ssh itself may still ask on the terminal (host key, passphrase), which the timeout allows
/// for. `GIT_SSH_COMMAND` and the rest of the user's setup are left alone.
pub(super) fn clone_command(program: &Path, url: &str, dest: &Path) -> Command {
    let mut cmd = Command::new(program);
    for policy in GIT_PROTOCOL_POLICY {
        cmd.arg("-c").arg(policy);
    }
    cmd.args(["clone", "--quiet", "--depth", "1", "--"])
        .arg(url)
        .arg(dest)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GCM_INTERACTIVE", "never")
        .env_remove("SSH_ASKPASS")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// At most this much of git's stderr is kept for the error message.
pub(super) const STDERR_LIMIT: usize = 64 * 1024;
/// How often a running git is checked on.
pub(super) const POLL: Duration = Duration::from_millis(20);
/// How long to wait, once git has failed, for the rest of its stderr.
pub(super) const STDERR_GRACE: Duration = Duration::from_secs(2);

/// Runs `cmd` (from [`clone_command`]), killing it after `timeout`.
///
/// Only std: spawn, then `try_wait` with short sleeps until the deadline. stderr is drained by
/// a thread so a chatty server cannot fill the pipe and stall git. On timeout only git itself
/// is killed, not a process group: putting git in a group of its own would take it out of the
/// terminal's foreground group, and ssh's passphrase or host-key prompt would then stop it
/// (SIGTTIN). git's children (ssh, git-remote-https, index-pack) see their pipes to git close
/// and exit on their own; as they may hold the stderr pipe a while longer, the reader thread
/// is never waited for without a bound.
pub(super) fn run_git(mut cmd: Command, url: &str, timeout: Duration) -> Result<(), Error> {
    let git_error = |message: String| Error::Git {
        url: redact(url),
        message,
    };
    let mut child = cmd.spawn().map_err(|e| {
        git_error(format!(
            "cannot run `{}`: {e}",
            Path::new(cmd.get_program()).display()
        ))
    })?;

    let stderr_buf = Arc::new(Mutex::new(Vec::new()));
    // Dropped (so `done` disconnects) when the reader reaches the end of stderr.
    let (done_tx, done) = mpsc::channel::<()>();
    if let Some(mut stderr) = child.stderr.take() {
        let buf = Arc::clone(&stderr_buf);
        thread::spawn(move || {
            let _done = done_tx;
            let mut chunk = [0u8; 4096];
            loop {
                match stderr.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => {
                        if let Ok(mut b) = buf.lock() {
                            let room = STDERR_LIMIT.saturating_sub(b.len());
                            b.extend_from_slice(&chunk[..n.min(room)]);
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        });
    }

    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(git_error(format!("cannot wait for git: {e}")));
            }
        }
        let now = Instant::now();
        if now >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(git_error(format!(
                "timed out after {}: git was stopped (it cannot prompt for a password here: use an ssh key or agent or a credential helper; {GIT_TIMEOUT_ENV} sets the limit in seconds)",
                seconds(timeout)
            )));
        }
        thread::sleep(POLL.min(deadline - now));
    };
    if status.success() {
        return Ok(());
    }

    let _ = done.recv_timeout(STDERR_GRACE);
    let stderr = stderr_buf.lock().map(|b| b.clone()).unwrap_or_default();
    let stderr = String::from_utf8_lossy(&stderr);
    let mut message = stderr
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.contains("--depth is ignored"))
        .collect::<Vec<_>>()
        .join("; ");
    if message.is_empty() {
        message = format!("git exited with {status}");
    }
    if message.contains("transport '") && message.contains("not allowed") {
        message.push_str(" (config init clones over https, ssh and file only)");
    }
    Err(git_error(message))
}

/// `120 s`, `1.5 s`.
pub(super) fn seconds(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DEFAULT_GIT_TIMEOUT;
    use std::fs;
    use std::time::Duration;
    #[test]
    fn plaintext_transports_are_refused_before_git_runs() {
        for url in [
            "git://git.example.com/aws.git",
            "HTTP://me:tok@git.example.com/aws",
        ] {
            // A program that does not exist: had git been run, the error would say so.
            match git_clone_with(Path::new("/nonexistent/git"), url, DEFAULT_GIT_TIMEOUT) {
                Err(Error::Git { url: u, message }) => {
                    assert!(!u.contains("tok"), "{u}");
                    assert!(
                        message.contains("is unauthenticated and unencrypted")
                            && message.contains("use an https:// or ssh:// URL"),
                        "{message}"
                    );
                }
                other => panic!("{url}: {other:?}"),
            }
        }
    }

    /// Writes an executable shell script standing in for `git`.
    #[cfg(unix)]
    fn fake_git(dir: &Path, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("git");
        fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[cfg(unix)]
    /// `f`, again while it fails with ETXTBSY: a thread of the test harness that forks while
    /// the script is open for writing keeps it busy until that child execs.
    fn unless_busy<T>(f: impl Fn() -> Result<T, Error>) -> Result<T, Error> {
        for _ in 0..50 {
            match f() {
                Err(Error::Git { message, .. }) if message.contains("Text file busy") => {
                    thread::sleep(Duration::from_millis(20))
                }
                r => return r,
            }
        }
        f()
    }

    #[cfg(unix)]
    #[test]
    fn a_hung_git_is_killed_at_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        // `sleep` is a child of the script: it keeps the stderr pipe open after the script is
        // killed, which must not keep init waiting either.
        let git = fake_git(dir.path(), "sleep 30");
        let start = Instant::now();
        let r = unless_busy(|| {
            git_clone_with(
                &git,
                "https://git.example.com/aws.git",
                Duration::from_secs(1),
            )
        });
        let took = start.elapsed();
        match r {
            Err(Error::Git { message, .. }) => {
                assert!(message.starts_with("timed out after 1 s: "), "{message}");
                assert!(message.contains(GIT_TIMEOUT_ENV), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            took >= Duration::from_secs(1) && took < Duration::from_secs(5),
            "{took:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn git_runs_with_the_protocol_policy_and_no_prompts() {
        let dir = tempfile::tempdir().unwrap();
        let seen = dir.path().join("seen");
        let git = fake_git(
            dir.path(),
            &format!(
                "{{ echo \"args=$*\"; echo \"prompt=$GIT_TERMINAL_PROMPT gcm=$GCM_INTERACTIVE askpass=${{SSH_ASKPASS-unset}}\"; \
                 if read line; then echo stdin=data; else echo stdin=empty; fi; }} > '{}'\n\
                 echo 'fatal: repository not found' >&2\nexit 128",
                seen.display()
            ),
        );
        let url = "https://me:tok@git.example.com/aws.git";
        match unless_busy(|| git_clone_with(&git, url, DEFAULT_GIT_TIMEOUT)) {
            Err(Error::Git { url, message }) => {
                assert_eq!(url, "https://git.example.com/aws.git");
                assert_eq!(message, "fatal: repository not found");
            }
            other => panic!("{other:?}"),
        }
        let seen = fs::read_to_string(&seen).unwrap();
        let mut lines = seen.lines();
        let args = lines.next().unwrap();
        assert!(
            args.starts_with(
                "args=-c protocol.allow=never -c protocol.https.allow=always -c protocol.ssh.allow=always \
                 -c protocol.file.allow=always -c protocol.ext.allow=never -c protocol.git.allow=never \
                 -c protocol.http.allow=never clone --quiet --depth 1 -- https://me:tok@git.example.com/aws.git "
            ),
            "{args}"
        );
        assert_eq!(lines.next(), Some("prompt=0 gcm=never askpass=unset"));
        assert_eq!(lines.next(), Some("stdin=empty"));
    }

    /// The attack: a team source URL that makes git run a command. A user config that allows
    /// `ext` (here through `GIT_CONFIG_*`, which beats the config files) does not let it
    /// through, while a plain `git clone` with the same config runs the command.
    #[cfg(unix)]
    #[test]
    fn ext_urls_cannot_run_commands_even_if_the_users_config_allows_them() {
        let dir = tempfile::tempdir().unwrap();
        let pwned = dir.path().join("pwned");
        let url = format!("ext::sh -c touch% {}", pwned.display());
        let permissive = |cmd: &mut Command| {
            cmd.env("GIT_CONFIG_COUNT", "1")
                .env("GIT_CONFIG_KEY_0", "protocol.ext.allow")
                .env("GIT_CONFIG_VALUE_0", "always");
        };

        let mut cmd = clone_command(Path::new("git"), &url, &dir.path().join("a"));
        permissive(&mut cmd);
        match run_git(cmd, &url, DEFAULT_GIT_TIMEOUT) {
            Err(Error::Git { message, .. }) => assert!(
                message.contains("transport 'ext' not allowed")
                    && message.contains("https, ssh and file only"),
                "{message}"
            ),
            other => panic!("{other:?}"),
        }
        assert!(!pwned.exists(), "the ext:: command ran");

        // The control: without the policy, the same URL and config run the command.
        let mut plain = Command::new("git");
        plain
            .args(["clone", "--quiet", "--"])
            .arg(&url)
            .arg(dir.path().join("b"))
            .stdin(Stdio::null())
            .stderr(Stdio::null());
        permissive(&mut plain);
        let _ = plain.status().unwrap();
        assert!(pwned.exists(), "the control should have run the command");
    }
}
