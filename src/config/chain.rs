//! Turns a profile into its chain of role hops: the root is the SAML hop into the hub role,
//! every further profile along `source_profile` is an AssumeRole hop.
use super::keys;
use super::{parse_duration, ConfigFile, FlowSetting, HubTrust, Section};
use crate::{Error, Result};
use std::time::Duration;

pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(3600);
pub const DEFAULT_ASSUME_ROLE_TTL: Duration = Duration::from_secs(3600);

/// How to reach Okta for this chain (looked up from the target profile outwards).
#[derive(Debug, Clone, PartialEq)]
pub struct OktaSettings {
    pub aws_saml_url: String,
    /// `okta_account_name`; `None` is the default account (`okta-creds`).
    pub account_name: Option<String>,
    pub mfa_provider: Option<String>,
    pub mfa_factor_type: Option<String>,
    pub mfa_duo_device: Option<String>,
    /// `okta_auth_flow`: auto, classic, direct or device (Identity Engine); `None` when
    /// unset, so `--auth-flow`/`AWS_OKTA_AUTH_FLOW` can tell "not configured" from `auto`.
    pub auth_flow: Option<FlowSetting>,
    /// `okta_oidc_client_id`: the OIDC native app used by the Identity Engine flows.
    pub oidc_client_id: Option<String>,
    /// `okta_aws_app_id`; derived from `aws_saml_url` when absent.
    pub aws_app_id: Option<String>,
    /// `okta_authorization_server`: a custom authorization server id (default: the org's).
    pub authorization_server: Option<String>,
    /// `okta_hub_trust`: saml (default) or oidc (AssumeRoleWithWebIdentity).
    pub hub_trust: HubTrust,
}

impl OktaSettings {
    pub fn account_label(&self) -> &str {
        self.account_name.as_deref().unwrap_or("default")
    }

    /// The settings of the `[okta]` section alone: which org, app and login `roles` and
    /// `--role` use when no profile is named.
    pub fn of_okta_section(cfg: &ConfigFile) -> Result<OktaSettings> {
        let location = format!("{}:{}", cfg.path.display(), cfg.okta.line);
        let lookup = |key: &str| cfg.okta.get(key).map(str::to_string);
        OktaSettings::read("the [okta] section", &location, &lookup, &|key| {
            lookup(key).map(|value| (value, location.clone()))
        })
    }

    /// Reads the settings through `lookup` (`word`: the value and where it was set), parsing
    /// what is named by a word; `who` and `location` say where, in error messages.
    fn read(
        who: &str,
        location: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
        word: &dyn Fn(&str) -> Option<(String, String)>,
    ) -> Result<OktaSettings> {
        let aws_saml_url = lookup(keys::AWS_SAML_URL).ok_or_else(|| {
            Error::Config(format!(
                "{who} ({location}) has no way to reach Okta: set aws_saml_url in an [okta] section or in the profile"
            ))
        })?;
        if let Some(why) = crate::config::urls::config_url_problem(&aws_saml_url) {
            return Err(Error::Config(format!(
                "{who} ({location}): aws_saml_url '{}' {why}: it must be a path on your Okta org such as home/amazon_aws/<app id>/<n>",
                aws_saml_url.escape_default()
            )));
        }
        Ok(OktaSettings {
            aws_saml_url: aws_saml_url.trim_start_matches('/').to_string(),
            account_name: lookup(keys::OKTA_ACCOUNT_NAME),
            mfa_provider: lookup(keys::MFA_PROVIDER),
            mfa_factor_type: lookup(keys::MFA_FACTOR_TYPE),
            mfa_duo_device: lookup(keys::MFA_DUO_DEVICE),
            auth_flow: parse_word(who, word(keys::OKTA_AUTH_FLOW))?,
            oidc_client_id: lookup(keys::OKTA_OIDC_CLIENT_ID),
            aws_app_id: lookup(keys::OKTA_AWS_APP_ID),
            authorization_server: lookup(keys::OKTA_AUTHORIZATION_SERVER),
            hub_trust: parse_word(who, word(keys::OKTA_HUB_TRUST))?.unwrap_or_default(),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SamlHop {
    pub profile: String,
    /// The hub role; `None` lets the user pick among the roles in the assertion.
    pub role_arn: Option<String>,
    pub session_ttl: Duration,
    pub region: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AssumeRoleHop {
    pub profile: String,
    pub role_arn: String,
    pub external_id: Option<String>,
    pub role_session_name: Option<String>,
    pub ttl: Duration,
    pub region: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    pub target: String,
    pub okta: OktaSettings,
    pub saml: SamlHop,
    pub hops: Vec<AssumeRoleHop>,
    /// Region of the target profile (exported to the command).
    pub region: Option<String>,
}

impl Chain {
    pub fn resolve(cfg: &ConfigFile, target: &str) -> Result<Chain> {
        let path = profile_path(cfg, target)?; // target first, root last
        let lookup = |from: usize, key: &str| -> Option<String> {
            path[from..]
                .iter()
                .find_map(|(_, section)| section.get(key))
                .or_else(|| cfg.okta.get(key))
                .map(str::to_string)
        };
        // Where `lookup(0, key)` found its value: the file and line of that section's header.
        let origin = |key: &str| -> String {
            let section = path
                .iter()
                .map(|(_, section)| section)
                .find(|section| section.get(key).is_some())
                .unwrap_or(&cfg.okta);
            format!("{}:{}", cfg.path.display(), section.line)
        };
        // A setting named by a word: parsed now, so a typo fails before any I/O.
        let word = |key: &str| lookup(0, key).map(|value| (value, origin(key)));
        let duration = |from: usize, key: &str, default: Duration| -> Result<Duration> {
            match lookup(from, key) {
                None => Ok(default),
                Some(v) => parse_duration(&v).map_err(|e| {
                    Error::Config(format!(
                        "profile '{}' ({}): {key}: {e}",
                        path[from].0,
                        cfg.location(&path[from].0)
                    ))
                }),
            }
        };

        let okta = OktaSettings::read(
            &format!("profile '{target}'"),
            &cfg.location(target),
            &|key| lookup(0, key),
            &|key| word(key),
        )?;

        let root_index = path.len() - 1;
        let (root, root_section) = &path[root_index];
        let root_role = role_of(root_section).map(str::to_string);
        if let Some(arn) = &root_role {
            check_role_arn(cfg, root, arn)?;
        }
        let saml = SamlHop {
            profile: root.to_string(),
            role_arn: root_role,
            session_ttl: duration(root_index, keys::SESSION_TTL, DEFAULT_SESSION_TTL)?,
            region: lookup(root_index, keys::REGION),
        };

        let mut hops = Vec::with_capacity(root_index);
        for index in (0..root_index).rev() {
            let (name, section) = &path[index];
            let role_arn = role_of(section).ok_or_else(|| {
                Error::Config(format!(
                    "profile '{name}' ({}) has source_profile but no role_arn to assume",
                    cfg.location(name)
                ))
            })?;
            check_role_arn(cfg, name, role_arn)?;
            hops.push(AssumeRoleHop {
                profile: name.clone(),
                role_arn: role_arn.to_string(),
                external_id: section.get(keys::EXTERNAL_ID).map(str::to_string),
                role_session_name: lookup(index, keys::ROLE_SESSION_NAME),
                ttl: duration(index, keys::ASSUME_ROLE_TTL, DEFAULT_ASSUME_ROLE_TTL)?,
                region: lookup(index, keys::REGION),
            });
        }
        Ok(Chain {
            target: target.to_string(),
            region: lookup(0, keys::REGION),
            okta,
            saml,
            hops,
        })
    }

    /// A chain with no profile: the SAML hop into `role_arn` of the assertion `okta` gives
    /// (none: whichever it offers), then optionally AssumeRole into `assume`. `name` stands
    /// for the profile (`AWS_OKTA_PROFILE`, cache listings).
    pub fn for_role(
        okta: OktaSettings,
        name: &str,
        role_arn: Option<&str>,
        assume: Option<&str>,
    ) -> Result<Chain> {
        let check = |arn: &str, flag: &str| {
            if is_role_arn(arn) {
                Ok(arn.to_string())
            } else {
                Err(Error::Usage(format!(
                    "{flag} '{arn}' is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)"
                )))
            }
        };
        let role_arn = role_arn.map(|arn| check(arn, "--role")).transpose()?;
        let hops = match assume {
            Some(arn) => vec![AssumeRoleHop {
                profile: format!("{name} -> {}", arn.rsplit('/').next().unwrap_or(arn)),
                role_arn: check(arn, "--assume")?,
                external_id: None,
                role_session_name: None,
                ttl: DEFAULT_ASSUME_ROLE_TTL,
                region: None,
            }],
            None => Vec::new(),
        };
        Ok(Chain {
            target: name.to_string(),
            okta,
            saml: SamlHop {
                profile: name.to_string(),
                role_arn,
                session_ttl: DEFAULT_SESSION_TTL,
                region: None,
            },
            hops,
            region: None,
        })
    }

    /// The role the final credentials belong to, when known before login.
    pub fn final_role_arn(&self) -> Option<&str> {
        match self.hops.last() {
            Some(hop) => Some(&hop.role_arn),
            None => self.saml.role_arn.as_deref(),
        }
    }
}

/// A value found at `origin` (file:line) parsed into its enum; the error names the profile,
/// where the value was set, the key and the value.
fn parse_word<T>(who: &str, found: Option<(String, String)>) -> Result<Option<T>>
where
    T: std::str::FromStr<Err = Error>,
{
    let Some((value, origin)) = found else {
        return Ok(None);
    };
    value.parse().map(Some).map_err(|e| match e {
        Error::Config(why) => Error::Config(format!("{who} ({origin}): {why}")),
        other => other,
    })
}

/// The hop's role: `okta_role_arn` (SDK-native), else `role_arn` (segmentio-style).
pub fn role_of(section: &Section) -> Option<&str> {
    section
        .get(keys::OKTA_ROLE_ARN)
        .or_else(|| section.get(keys::ROLE_ARN))
}

/// The upstream profile: `okta_source_profile` (SDK-native), else `source_profile`.
pub fn source_of(section: &Section) -> Option<&str> {
    section
        .get(keys::OKTA_SOURCE_PROFILE)
        .or_else(|| section.get(keys::SOURCE_PROFILE))
}

/// Profiles (name and parsed section) from `target` along `source_profile` to the root;
/// errors on cycles and gaps. Only these sections of the file are parsed.
fn profile_path(cfg: &ConfigFile, target: &str) -> Result<Vec<(String, Section)>> {
    let Some(first) = cfg.profile(target)? else {
        return Err(Error::Config(format!(
            "profile '{target}' not found in {}: run `aws-okta list` to see the profiles",
            cfg.path.display()
        )));
    };
    let mut path = vec![(target.to_string(), first)];
    loop {
        let (current, section) = &path[path.len() - 1];
        let Some(source) = source_of(section).map(str::to_string) else {
            break;
        };
        if path.iter().any(|(name, _)| *name == source) {
            let names: Vec<&str> = path.iter().map(|(name, _)| name.as_str()).collect();
            return Err(Error::Config(format!(
                "profile '{target}' ({}): source_profile cycle {} -> {source}",
                cfg.location(current),
                names.join(" -> ")
            )));
        }
        let Some(section) = cfg.profile(&source)? else {
            return Err(Error::Config(format!(
                "profile '{current}' ({}): source_profile '{source}' does not exist",
                cfg.location(current)
            )));
        };
        path.push((source, section));
    }
    Ok(path)
}

/// `arn:<partition>:iam::<12 digits>:role/<path and name>`.
pub fn is_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5].starts_with("role/")
        && parts[5].len() > 5
}

fn check_role_arn(cfg: &ConfigFile, profile: &str, arn: &str) -> Result<()> {
    if is_role_arn(arn) {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "profile '{profile}' ({}): role_arn '{arn}' is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)",
            cfg.location(profile)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const HUB: &str = "arn:aws:iam::111111111111:role/hub-team";
    const SPOKE: &str = "arn:aws:iam::222222222222:role/spoke-admin";

    fn cfg(text: &str) -> ConfigFile {
        ConfigFile::parse(Path::new("cfg"), text).unwrap()
    }

    fn sample() -> ConfigFile {
        cfg(&format!(
            "[okta]\naws_saml_url = home/amazon_aws/0oa/272\nmfa_factor_type = push\n\n\
             [profile hub]\nrole_arn = {HUB}\nregion = us-east-1\nsession_ttl = 2h\n\n\
             [profile spoke]\nsource_profile = hub\nrole_arn = {SPOKE}\nregion = us-west-2\nexternal_id = ext\n\n\
             [profile sub]\nsource_profile = spoke\nrole_arn = arn:aws:iam::333333333333:role/deep\nassume_role_ttl = 15m\n"
        ))
    }

    #[test]
    fn flow_and_hub_trust_are_parsed_with_their_defaults() {
        let chain = Chain::resolve(&sample(), "spoke").unwrap();
        assert_eq!(chain.okta.auth_flow, None);
        assert_eq!(chain.okta.hub_trust, HubTrust::Saml);
        let c = cfg(&format!(
            "[okta]\naws_saml_url = home/amazon_aws/0oa/272\nokta_auth_flow = Device\n\
             [profile hub]\nrole_arn = {HUB}\nokta_hub_trust = oidc\n"
        ));
        let chain = Chain::resolve(&c, "hub").unwrap();
        assert_eq!(chain.okta.auth_flow, Some(FlowSetting::Device));
        assert_eq!(chain.okta.hub_trust, HubTrust::Oidc);
    }

    #[test]
    fn a_bad_flow_or_hub_trust_names_the_profile_and_where_it_was_set() {
        let c = cfg(&format!(
            "[okta]\naws_saml_url = home/amazon_aws/0oa/272\n\
             [profile hub]\nrole_arn = {HUB}\nokta_hub_trust = oidcc\n\
             [profile spoke]\nsource_profile = hub\nrole_arn = {SPOKE}\n"
        ));
        // Inherited from the hub section (line 3), reported for the profile asked for.
        let e = Chain::resolve(&c, "spoke").unwrap_err().to_string();
        assert!(
            e.contains("profile 'spoke' (cfg:3): okta_hub_trust 'oidcc' is not one of saml, oidc"),
            "{e}"
        );
        let c = cfg(&format!(
            "[okta]\naws_saml_url = home/amazon_aws/0oa/272\nokta_auth_flow = pkce\n\
             [profile hub]\nrole_arn = {HUB}\n"
        ));
        let e = Chain::resolve(&c, "hub").unwrap_err().to_string();
        assert!(
            e.contains("profile 'hub' (cfg:1): okta_auth_flow 'pkce' is not one of auto, classic, direct, device"),
            "{e}"
        );
    }

    #[test]
    fn root_profile_is_a_saml_hop_only() {
        let chain = Chain::resolve(&sample(), "hub").unwrap();
        assert_eq!(chain.saml.role_arn.as_deref(), Some(HUB));
        assert_eq!(chain.saml.session_ttl, Duration::from_secs(7200));
        assert!(chain.hops.is_empty());
        assert_eq!(chain.okta.aws_saml_url, "home/amazon_aws/0oa/272");
        assert_eq!(chain.okta.mfa_factor_type.as_deref(), Some("push"));
        assert_eq!(chain.final_role_arn(), Some(HUB));
    }

    #[test]
    fn chains_of_any_depth_resolve_in_order_with_inheritance() {
        let chain = Chain::resolve(&sample(), "sub").unwrap();
        let roles: Vec<&str> = chain.hops.iter().map(|h| h.role_arn.as_str()).collect();
        assert_eq!(roles, [SPOKE, "arn:aws:iam::333333333333:role/deep"]);
        assert_eq!(chain.hops[0].external_id.as_deref(), Some("ext"));
        assert_eq!(
            chain.hops[1].external_id, None,
            "external_id is not inherited"
        );
        assert_eq!(chain.hops[1].ttl, Duration::from_secs(900));
        assert_eq!(chain.hops[0].ttl, DEFAULT_ASSUME_ROLE_TTL);
        assert_eq!(
            chain.region.as_deref(),
            Some("us-west-2"),
            "region inherited from spoke"
        );
        assert_eq!(chain.saml.region.as_deref(), Some("us-east-1"));
    }

    #[test]
    fn profile_value_wins_over_okta_section() {
        let c = cfg(&format!(
            "[okta]\naws_saml_url = a/1\nokta_account_name = main\n[profile hub]\naws_saml_url = b/2\nrole_arn = {HUB}\n"
        ));
        let chain = Chain::resolve(&c, "hub").unwrap();
        assert_eq!(chain.okta.aws_saml_url, "b/2");
        assert_eq!(chain.okta.account_name.as_deref(), Some("main"));
    }

    #[test]
    fn cycle_is_reported_with_the_path() {
        let c = cfg(&format!(
            "[okta]\naws_saml_url=a\n[profile a]\nsource_profile=b\nrole_arn={HUB}\n[profile b]\nsource_profile=a\nrole_arn={HUB}\n"
        ));
        let msg = Chain::resolve(&c, "a").unwrap_err().to_string();
        assert!(msg.contains("cycle a -> b -> a"), "{msg}");
        assert!(msg.contains("cfg:"), "{msg}");
        let self_loop = cfg(&format!(
            "[okta]\naws_saml_url=a\n[profile s]\nsource_profile=s\nrole_arn={HUB}\n"
        ));
        assert!(Chain::resolve(&self_loop, "s")
            .unwrap_err()
            .to_string()
            .contains("cycle"));
    }

    #[test]
    fn missing_profile_and_missing_source_are_config_errors() {
        let err = Chain::resolve(&sample(), "nope").unwrap_err();
        assert!(matches!(err, Error::Config(_)));
        assert!(err.to_string().contains("profile 'nope' not found"));
        let c = cfg(&format!(
            "[okta]\naws_saml_url=a\n[profile s]\nsource_profile=ghost\nrole_arn={HUB}\n"
        ));
        let msg = Chain::resolve(&c, "s").unwrap_err().to_string();
        assert!(
            msg.contains("source_profile 'ghost' does not exist"),
            "{msg}"
        );
        assert!(msg.contains("cfg:3"), "{msg}");
    }

    #[test]
    fn no_saml_url_anywhere_is_an_error_naming_the_profile() {
        let c = cfg(&format!("[profile hub]\nrole_arn = {HUB}\n"));
        let msg = Chain::resolve(&c, "hub").unwrap_err().to_string();
        assert!(
            msg.contains("'hub'") && msg.contains("aws_saml_url"),
            "{msg}"
        );
    }

    #[test]
    fn bad_role_arn_and_bad_duration_are_errors() {
        for evil in [
            "\\\\evil.example\\x",
            "file:///etc/passwd",
            "//evil.example/x",
        ] {
            let c = cfg(&format!(
                "[okta]\naws_saml_url={evil}\n[profile hub]\nrole_arn = {HUB}\n"
            ));
            let msg = Chain::resolve(&c, "hub").unwrap_err().to_string();
            assert!(
                msg.contains("aws_saml_url") && msg.contains("'hub'"),
                "{evil}: {msg}"
            );
        }
        let c = cfg("[okta]\naws_saml_url=a\n[profile hub]\nrole_arn = arn:aws:iam::12:user/x\n");
        assert!(Chain::resolve(&c, "hub")
            .unwrap_err()
            .to_string()
            .contains("not an IAM role ARN"));
        let c = cfg(&format!(
            "[okta]\naws_saml_url=a\nsession_ttl = forever\n[profile hub]\nrole_arn = {HUB}\n"
        ));
        assert!(Chain::resolve(&c, "hub")
            .unwrap_err()
            .to_string()
            .contains("session_ttl"));
        let c = cfg(&format!("[okta]\naws_saml_url=a\n[profile hub]\nrole_arn = {HUB}\n[profile s]\nsource_profile=hub\n"));
        assert!(Chain::resolve(&c, "s")
            .unwrap_err()
            .to_string()
            .contains("no role_arn"));
    }
}
