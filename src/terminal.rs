//! Talking to the person at the keyboard: everything goes to stderr so stdout stays for
//! `env`/`cred-process` output.
//!
//! `exec --server` hands the terminal to its command and keeps logging in from a background
//! thread. From then on nothing here may prompt or read stdin: a prompt would interleave with
//! the command's own output, and the answer (or a line of stdin) would be stolen from the
//! command. [`hand_over`] flips the whole process into that mode; every prompt then fails with
//! [`Error::NeedsInput`], which tells the user where to log in instead.
use crate::{Error, Result};
use std::io::IsTerminal;
use std::sync::OnceLock;
use zeroize::Zeroizing;

/// Who owns the terminal once `exec --server` started its command, and what the user can run
/// elsewhere to log in. Process-wide, set once: the process never gets the terminal back
/// (it exits with the command).
struct HandedOver {
    command: String,
    instead: String,
}

static HANDED_OVER: OnceLock<HandedOver> = OnceLock::new();

/// From now on, no prompt and no read of stdin in this process: `command` owns both.
/// `instead` is the command line that logs in from another terminal.
pub fn hand_over(command: &str, instead: &str) {
    let _ = HANDED_OVER.set(HandedOver {
        command: command.to_string(),
        instead: instead.to_string(),
    });
}

fn handed_over() -> bool {
    HANDED_OVER.get().is_some()
}

/// `Ok` when the user may be asked for `what` now; else the [`Error::NeedsInput`] to return.
/// Called where a login would ask, before it sends anything that only makes sense with an
/// answer (an SMS, say), and again inside every prompt as a backstop.
pub fn may_ask(what: &str) -> Result<()> {
    match HANDED_OVER.get() {
        None => Ok(()),
        Some(h) => Err(Error::NeedsInput(refusal(what, &h.command, &h.instead))),
    }
}

fn refusal(what: &str, command: &str, instead: &str) -> String {
    format!(
        "a login needs your input ({what}), but the terminal belongs to {command}: run `{instead}` in another terminal, then retry"
    )
}

/// True when both stdin and stderr are terminals (we may prompt), and they are still ours.
pub fn interactive() -> bool {
    !handed_over() && std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// Reads a secret without echo. On Unix echo goes off before the prompt is shown (as
/// getpass(3) does); dialoguer shows the prompt first and then flushes pending input, which
/// drops whatever was typed or pasted in between.
pub fn password(prompt: &str) -> Result<Zeroizing<String>, String> {
    may_ask(prompt).map_err(|e| e.to_string())?;
    #[cfg(unix)]
    if let Some(tty) = hidden::ControllingTerminal::open() {
        return tty
            .read_hidden(prompt)
            .map_err(|e| format!("cannot read from the terminal: {e}"));
    }
    dialoguer::Password::new()
        .with_prompt(prompt)
        .interact()
        .map(Zeroizing::new)
        .map_err(|e| format!("cannot read from the terminal: {e}"))
}

#[cfg(unix)]
mod hidden {
    use std::fs::File;
    use std::io::{self, Read, Write};
    use std::os::fd::AsRawFd;
    use zeroize::Zeroizing;

    pub struct ControllingTerminal(File);

    impl ControllingTerminal {
        pub fn open() -> Option<ControllingTerminal> {
            File::options()
                .read(true)
                .write(true)
                .open("/dev/tty")
                .ok()
                .map(ControllingTerminal)
        }

        pub fn read_hidden(mut self, prompt: &str) -> io::Result<Zeroizing<String>> {
            let echo_off = EchoOff::set(&self.0)?;
            write!(self.0, "{prompt}: ")?;
            self.0.flush()?;
            let mut line = read_line(&mut self.0)?;
            drop(echo_off);
            String::from_utf8(std::mem::take(&mut *line))
                .map(Zeroizing::new)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "input is not UTF-8"))
        }
    }

    /// Byte by byte straight into a zeroized buffer, so no reader keeps a copy of the secret.
    fn read_line(tty: &mut File) -> io::Result<Zeroizing<Vec<u8>>> {
        // Room for any real secret up front: growing would leave copies in freed memory.
        let mut line = Zeroizing::new(Vec::with_capacity(1024));
        let mut byte = [0u8; 1];
        loop {
            match tty.read(&mut byte) {
                Ok(0) if line.is_empty() => {
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "no input"))
                }
                Ok(0) => break,
                Ok(_) if byte[0] == b'\n' => break,
                Ok(_) => line.push(byte[0]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        byte.fill(0);
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Ok(line)
    }

    /// Echo off (the newline still echoes) until dropped. TCSAFLUSH discards type-ahead made
    /// before the prompt, which was typed without knowing it would be a secret.
    struct EchoOff {
        fd: std::os::fd::RawFd,
        saved: libc::termios,
    }

    impl EchoOff {
        fn set(tty: &File) -> io::Result<EchoOff> {
            let fd = tty.as_raw_fd();
            let mut saved = std::mem::MaybeUninit::<libc::termios>::uninit();
            // SAFETY: tcgetattr fills the struct on success, which is checked before reading it.
            if unsafe { libc::tcgetattr(fd, saved.as_mut_ptr()) } != 0 {
                return Err(io::Error::last_os_error());
            }
            let saved = unsafe { saved.assume_init() };
            let mut quiet = saved;
            quiet.c_lflag &= !libc::ECHO;
            quiet.c_lflag |= libc::ECHONL;
            // SAFETY: fd is open for the lifetime of `tty`; `quiet` is a valid termios.
            if unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, &quiet) } != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(EchoOff { fd, saved })
        }
    }

    impl Drop for EchoOff {
        fn drop(&mut self) {
            // SAFETY: restores the settings read in `set` on the same, still open, fd.
            unsafe { libc::tcsetattr(self.fd, libc::TCSANOW, &self.saved) };
        }
    }
}

pub fn input(prompt: &str) -> Result<String, String> {
    may_ask(prompt).map_err(|e| e.to_string())?;
    dialoguer::Input::<String>::new()
        .with_prompt(prompt)
        .interact_text()
        .map_err(|e| format!("cannot read from the terminal: {e}"))
}

pub fn select(prompt: &str, items: &[String]) -> Result<usize, String> {
    may_ask(prompt).map_err(|e| e.to_string())?;
    dialoguer::Select::new()
        .with_prompt(prompt)
        .items(items)
        .default(0)
        .interact()
        .map_err(|e| format!("cannot read from the terminal: {e}"))
}

/// A list the user filters by typing (fuzzy match) and picks from with the arrows and Enter.
pub fn fuzzy_select(prompt: &str, items: &[String]) -> Result<usize, String> {
    may_ask(prompt).map_err(|e| e.to_string())?;
    dialoguer::FuzzySelect::new()
        .with_prompt(prompt)
        .items(items)
        .default(0)
        .max_length(15)
        .interact()
        .map_err(|e| format!("cannot read from the terminal: {e}"))
}

/// Reads one line from stdin (for scripts piping a password in), without the newline.
pub fn read_stdin_line() -> Result<Zeroizing<String>, String> {
    // After the hand-over stdin is the command's: a line read here would be lost to it.
    may_ask("a line of stdin").map_err(|e| e.to_string())?;
    let mut line = Zeroizing::new(String::new());
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read stdin: {e}"))?;
    let trimmed = line.trim_end_matches(['\n', '\r']).len();
    line.truncate(trimmed);
    Ok(line)
}

/// A spinner on stderr while waiting (only on a terminal); cleared when dropped.
pub struct Spinner(Option<indicatif::ProgressBar>);

impl Spinner {
    pub fn start(message: &str) -> Spinner {
        // A spinner redraws its line: on a terminal another program is writing to, it would
        // garble that program's output. Plain lines only, then.
        if !stderr_is_terminal() || handed_over() {
            crate::notice!("{message}");
            return Spinner(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(message.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Spinner(Some(bar))
    }

    /// Prints a line above the spinner (or plainly without a terminal).
    pub fn println(&self, line: &str) {
        match &self.0 {
            Some(bar) => bar.println(line),
            None => crate::notice!("{line}"),
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    // `hand_over` is process-wide and final, so it is exercised by the black-box tests
    // (tests/it/trust_server.rs); here only the message.
    #[test]
    fn the_refusal_says_what_was_asked_who_owns_the_terminal_and_what_to_run() {
        let msg = super::refusal(
            "Enter the 6-digit code",
            "terraform",
            "aws-okta exec prod -- true",
        );
        assert_eq!(
            msg,
            "a login needs your input (Enter the 6-digit code), but the terminal belongs to terraform: run `aws-okta exec prod -- true` in another terminal, then retry"
        );
    }
}
