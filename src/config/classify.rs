//! Which profiles aws-okta serves, and whether AWS SDKs can use them as they are (no I/O).
use super::keys;
use super::Section;
use std::collections::{BTreeMap, BTreeSet};

/// Whether `name` is one of aws-okta's profiles: it (or a profile it chains from) uses an
/// aws-okta key other than `region` and the console settings, and none of them gets
/// credentials by other means (SSO, static keys, another program); our own
/// `credential_process` does not count as other means.
pub fn served_by_aws_okta(profiles: &BTreeMap<String, Section>, name: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut current = Some(name);
    let mut ours = false;
    while let Some(p) = current {
        if !seen.insert(p) {
            break; // a cycle: resolving reports it
        }
        let Some(section) = profiles.get(p) else {
            break; // a missing source: resolving reports it
        };
        let foreign = keys::FOREIGN.iter().any(|k| match section.get(k) {
            Some(v) if *k == keys::CREDENTIAL_PROCESS => !keys::is_own_credential_process(v, p),
            Some(_) => true,
            None => false,
        });
        if foreign {
            return false;
        }
        ours |= keys::KNOWN
            .iter()
            // Keys that only describe a profile (its region, account name, console) do not make
            // it aws-okta's.
            .any(|k| {
                *k != keys::REGION
                    && *k != keys::OKTA_AWS_ACCOUNT_NAME
                    && !keys::CONSOLE.contains(k)
                    && section.get(k).is_some()
            });
        current = super::source_of(section);
    }
    ours
}

/// Why AWS SDKs and the AWS CLI cannot use an aws-okta profile as it is (`None`: they can,
/// through `credential_process = aws-okta cred-process <name>`).
pub fn sdk_problem(section: &Section, name: &str) -> Option<String> {
    let own_process = section
        .get(keys::CREDENTIAL_PROCESS)
        .is_some_and(|v| keys::is_own_credential_process(v, name));
    let role = section.get(keys::ROLE_ARN).is_some();
    let source = section.get(keys::SOURCE_PROFILE).is_some();
    if role && !source {
        Some(
            "AWS SDKs read its role_arn as an AssumeRole profile with no source (\"Partial credentials found in assume-role\")"
                .to_string(),
        )
    } else if role || source {
        Some(
            "AWS SDKs would assume its role_arn themselves from source_profile, whose credentials they cannot get"
                .to_string(),
        )
    } else if !own_process {
        Some(format!(
            "AWS SDKs find no credentials in it (no credential_process = {})",
            keys::credential_process_for(name)
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profiles(text: &str) -> BTreeMap<String, Section> {
        crate::config::ConfigFile::parse(std::path::Path::new("c"), text)
            .unwrap()
            .profiles()
            .unwrap()
    }

    #[test]
    fn sdk_native_and_segmentio_profiles_are_served_others_are_not() {
        let p = profiles(
            "[okta]\naws_saml_url = a/b/c/1\n\
             [profile hub]\nokta_role_arn = arn:aws:iam::111111111111:role/h\ncredential_process = aws-okta cred-process hub\n\
             [profile prod]\nokta_source_profile = hub\nokta_role_arn = arn:aws:iam::222222222222:role/p\ncredential_process = aws-okta cred-process prod\n\
             [profile old]\nrole_arn = arn:aws:iam::111111111111:role/h\n\
             [profile vault]\ncredential_process = aws-vault exec x --json\n\
             [profile sso]\nsso_session = corp\nregion = us-east-1\n",
        );
        assert!(served_by_aws_okta(&p, "hub"));
        assert!(served_by_aws_okta(&p, "prod"));
        assert!(served_by_aws_okta(&p, "old"));
        assert!(!served_by_aws_okta(&p, "vault"));
        assert!(!served_by_aws_okta(&p, "sso"));
        assert_eq!(sdk_problem(&p["hub"], "hub"), None);
        assert_eq!(sdk_problem(&p["prod"], "prod"), None);
        assert!(sdk_problem(&p["old"], "old")
            .unwrap()
            .contains("Partial credentials"));
    }
}
