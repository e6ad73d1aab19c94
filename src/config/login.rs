//! The login settings a profile chooses by name (`okta_auth_flow`, `okta_hub_trust`), parsed
//! into enums while the config is resolved, so a typo is a config error before any keychain
//! read or request. They live here, not in `okta::oie`, so the config layer does not depend
//! on the Okta client.
use crate::{Error, Result};

/// Which login a profile uses (`okta_auth_flow`, `--auth-flow`, `AWS_OKTA_AUTH_FLOW`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlowSetting {
    #[default]
    Auto,
    Classic,
    Direct,
    Device,
}

impl std::str::FromStr for FlowSetting {
    type Err = Error;
    fn from_str(s: &str) -> Result<FlowSetting> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Ok(FlowSetting::Auto),
            "classic" => Ok(FlowSetting::Classic),
            "direct" => Ok(FlowSetting::Direct),
            "device" => Ok(FlowSetting::Device),
            other => Err(Error::Config(format!(
                "okta_auth_flow '{other}' is not one of auto, classic, direct, device"
            ))),
        }
    }
}

/// How the hub role trusts Okta (`okta_hub_trust`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HubTrust {
    #[default]
    Saml,
    Oidc,
}

impl HubTrust {
    pub fn name(self) -> &'static str {
        match self {
            HubTrust::Saml => "saml",
            HubTrust::Oidc => "oidc",
        }
    }
}

impl std::str::FromStr for HubTrust {
    type Err = Error;
    fn from_str(s: &str) -> Result<HubTrust> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "saml" => Ok(HubTrust::Saml),
            "oidc" => Ok(HubTrust::Oidc),
            other => Err(Error::Config(format!(
                "okta_hub_trust '{other}' is not one of saml, oidc"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_case_and_space_insensitively() {
        assert_eq!(
            " Device ".parse::<FlowSetting>().unwrap(),
            FlowSetting::Device
        );
        assert_eq!("".parse::<FlowSetting>().unwrap(), FlowSetting::Auto);
        assert_eq!("OIDC".parse::<HubTrust>().unwrap(), HubTrust::Oidc);
        assert_eq!("".parse::<HubTrust>().unwrap(), HubTrust::Saml);
    }

    #[test]
    fn a_bad_name_is_a_config_error_naming_key_and_value() {
        let e = "oidcc".parse::<HubTrust>().unwrap_err();
        assert!(
            matches!(&e, Error::Config(m) if m == "okta_hub_trust 'oidcc' is not one of saml, oidc"),
            "{e}"
        );
        let e = "pkce".parse::<FlowSetting>().unwrap_err();
        assert!(
            matches!(&e, Error::Config(m) if m.starts_with("okta_auth_flow 'pkce'")),
            "{e}"
        );
    }
}
