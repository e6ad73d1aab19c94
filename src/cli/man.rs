use crate::{Error, Result};

/// Writes the man page (roff) to stdout: `aws-okta man > aws-okta.1`.
pub fn run() -> Result<i32> {
    let mut out = Vec::new();
    clap_mangen::Man::new(crate::cli::command())
        .render(&mut out)
        .map_err(|e| Error::io("cannot render the man page", e))?;
    print!("{}", String::from_utf8_lossy(&out));
    Ok(0)
}
