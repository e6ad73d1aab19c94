//! `aws-okta config generate|init|validate`: thin wrappers over the `aws-okta-team-config` crate.
use super::Global;
use crate::{Error, Result};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Generate every team's config and the Terraform input from the source of truth.
    Generate,
}

pub fn run(_global: &Global, command: Command) -> Result<i32> {
    match command {
        Command::Generate => Err(Error::Usage("config generate is not wired yet".into())),
    }
}
