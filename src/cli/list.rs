use super::Global;
use crate::config::Chain;
use crate::Result;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(global: &Global, _args: Args) -> Result<i32> {
    let cfg = global.load_config()?;
    let mut rows = vec![[
        "PROFILE".to_string(),
        "ROLE_ARN".to_string(),
        "SOURCE".to_string(),
    ]];
    for (name, section) in &cfg.profiles()? {
        let role = section.get("role_arn").unwrap_or("-").to_string();
        let source = match (section.get("source_profile"), Chain::resolve(&cfg, name)) {
            (_, Err(e)) => format!("invalid: {e}"),
            (Some(source), Ok(_)) => source.to_string(),
            (None, Ok(chain)) => match crate::okta::oie::describe_flow(&chain.okta) {
                Some(flow) => format!("okta ({}; flow {flow})", chain.okta.aws_saml_url),
                None => format!("okta ({})", chain.okta.aws_saml_url),
            },
        };
        rows.push([name.clone(), role, source]);
    }
    print!("{}", super::table(&rows));
    Ok(0)
}
