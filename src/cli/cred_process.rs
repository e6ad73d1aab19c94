use super::Global;
use crate::credentials::rfc3339;
use crate::credentials::Credentials;
use crate::Result;
use serde::Serialize;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: super::ProfileArgs,
    /// Indent the JSON.
    #[arg(long)]
    pretty: bool,
}

impl Args {
    pub fn flags(&self) -> &super::CredentialFlags {
        &self.target.flags
    }
}

/// The `credential_process` format of the AWS SDKs and CLI.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output<'a> {
    version: u8,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: &'a str,
    expiration: String,
}

pub fn run(global: &Global, args: Args) -> Result<i32> {
    let (_, creds) = global.credentials(&args.target)?;
    println!("{}", json(&creds, args.pretty)?);
    Ok(0)
}

/// The JSON `credential_process` expects (also `env --format process`).
pub fn json(creds: &Credentials, pretty: bool) -> Result<String> {
    let output = Output {
        version: 1,
        access_key_id: &creds.access_key_id,
        secret_access_key: &creds.secret_access_key,
        session_token: &creds.session_token,
        expiration: rfc3339(&creds.expiration),
    };
    let json = if pretty {
        serde_json::to_string_pretty(&output)
    } else {
        serde_json::to_string(&output)
    };
    json.map_err(crate::Error::encode("the credential_process output"))
}
