use super::Global;
use crate::config::{self, Chain};
use crate::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Also list the profiles aws-okta does not serve (SSO, static keys, other programs).
    #[arg(long)]
    all: bool,
}

/// The profiles aws-okta serves, with their role and where their credentials come from; a
/// profile that only aws-okta can use (segmentio-style keys) is marked, and with `--all` the
/// profiles of other tools are listed too, marked as such.
pub fn run(global: &Global, args: Args) -> Result<i32> {
    let cfg = global.load_config()?;
    let mut rows = vec![[
        "PROFILE".to_string(),
        "ROLE_ARN".to_string(),
        "SOURCE".to_string(),
    ]];
    let profiles = cfg.profile_map()?;
    let mut hidden = 0;
    for (name, section) in profiles {
        let role = config::role_of(section).unwrap_or("-").to_string();
        if !config::served_by_aws_okta(profiles, name) {
            if args.all {
                rows.push([name.clone(), role, "not aws-okta's".to_string()]);
            } else {
                hidden += 1;
            }
            continue;
        }
        let mut source = match (config::source_of(section), Chain::resolve(&cfg, name)) {
            (_, Err(e)) => format!("invalid: {e}"),
            (Some(source), Ok(_)) => source.to_string(),
            (None, Ok(chain)) => match crate::okta::oie::describe_flow(&chain.okta) {
                Some(flow) => format!("okta ({}; flow {flow})", chain.okta.aws_saml_url),
                None => format!("okta ({})", chain.okta.aws_saml_url),
            },
        };
        if config::sdk_problem(section, name).is_some() {
            source.push_str(
                "  [aws-okta only: `aws-okta config migrate` makes it work with AWS_PROFILE]",
            );
        }
        rows.push([name.clone(), role, source]);
    }
    // A reader that stops early (`aws-okta list | head`) closes the pipe: that ends the
    // listing quietly, as it does for `ls`, instead of a panic from `print!`.
    let mut out = std::io::stdout().lock();
    match std::io::Write::write_all(&mut out, super::table(&rows).as_bytes())
        .and_then(|()| std::io::Write::flush(&mut out))
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(0),
        Err(e) => return Err(crate::Error::io("writing the profile list", e)),
        Ok(()) => {}
    }
    if hidden > 0 {
        crate::notice!(
            "({hidden} profile{} of other tools not shown: `aws-okta list --all`)",
            if hidden == 1 { "" } else { "s" }
        );
    }
    Ok(0)
}
