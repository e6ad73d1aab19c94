//! Talking to the person at the keyboard: everything goes to stderr so stdout stays for
//! `env`/`cred-process` output.
use std::io::IsTerminal;
use zeroize::Zeroizing;

/// True when both stdin and stderr are terminals (we may prompt).
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

pub fn password(prompt: &str) -> Result<Zeroizing<String>, String> {
    dialoguer::Password::new()
        .with_prompt(prompt)
        .interact()
        .map(Zeroizing::new)
        .map_err(|e| format!("cannot read from the terminal: {e}"))
}

pub fn input(prompt: &str) -> Result<String, String> {
    dialoguer::Input::<String>::new()
        .with_prompt(prompt)
        .interact_text()
        .map_err(|e| format!("cannot read from the terminal: {e}"))
}

pub fn select(prompt: &str, items: &[String]) -> Result<usize, String> {
    dialoguer::Select::new()
        .with_prompt(prompt)
        .items(items)
        .default(0)
        .interact()
        .map_err(|e| format!("cannot read from the terminal: {e}"))
}

/// Reads one line from stdin (for scripts piping a password in), without the newline.
pub fn read_stdin_line() -> Result<Zeroizing<String>, String> {
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
        if !stderr_is_terminal() {
            eprintln!("{message}");
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
            None => eprintln!("{line}"),
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
