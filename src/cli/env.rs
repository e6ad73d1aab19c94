use super::{credential_env, Global};
use crate::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: super::ProfileArgs,
}

pub fn run(global: &Global, args: Args) -> Result<i32> {
    let (chain, creds) = global.credentials(&args.target)?;
    let (vars, remove) = credential_env(&chain, &creds);
    let mut out = format!("unset {}\n", remove.join(" "));
    for (name, value) in vars {
        out.push_str(&format!(
            "export {name}={}\n",
            shell_escape::unix::escape(value.into())
        ));
    }
    print!("{out}");
    Ok(0)
}
