use super::{credential_env, Global};
use crate::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: super::PickProfileArgs,
}

impl Args {
    pub fn flags(&self) -> &super::CredentialFlags {
        &self.target.flags
    }
}

pub fn run(global: &Global, args: Args) -> Result<i32> {
    let target = args.target.resolve("env")?;
    let (chain, creds) = global.credentials(&target)?;
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
