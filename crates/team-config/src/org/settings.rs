//! The org-wide settings: `[aws]` (partition, SAML provider, role path) and `[okta]`.

use super::diags::Diags;
use super::raw::{AwsToml, OktaToml};
use super::{text, Okta};
use crate::check;

/// `[aws]`, validated.
pub(super) struct AwsSettings {
    pub(super) partition: String,
    /// `partition` when it is valid, else empty: partition-dependent checks use this one (so
    /// one typo is one error, not one per ARN and region).
    pub(super) checked_partition: String,
    pub(super) saml_provider_name: String,
    pub(super) role_path: String,
}

pub(super) fn aws(d: &mut Diags<'_>, aws: &AwsToml) -> AwsSettings {
    let partition = aws
        .partition
        .as_ref()
        .map(|p| p.get_ref().clone())
        .unwrap_or_else(|| "aws".to_string());
    let mut checked_partition = partition.clone();
    if let Some(p) = &aws.partition {
        if !check::PARTITIONS.contains(&p.get_ref().as_str()) {
            checked_partition.clear();
        }
        d.check(p, |s| {
            if check::PARTITIONS.contains(&s) {
                Ok(())
            } else {
                Err(format!(
                    "unknown partition `{s}`: expected one of {}",
                    check::PARTITIONS.join(", ")
                ))
            }
        });
    }
    let saml_provider_name = text(&aws.saml_provider_name).unwrap_or_else(|| "okta".into());
    if let Some(n) = &aws.saml_provider_name {
        d.check(n, |s| {
            if !s.is_empty()
                && s.len() <= 128
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            {
                Ok(())
            } else {
                Err(format!(
                    "invalid SAML provider name `{s}`: use 1-128 letters, digits and `._-`"
                ))
            }
        });
    }
    let role_path = text(&aws.role_path).unwrap_or_else(|| "/".into());
    if let Some(p) = &aws.role_path {
        d.check(p, check::iam_path);
    }
    AwsSettings {
        partition,
        checked_partition,
        saml_provider_name,
        role_path,
    }
}

pub(super) fn okta(d: &mut Diags<'_>, okta: &OktaToml) -> Okta {
    d.check(&okta.domain, check::domain);
    d.check(&okta.aws_saml_url, check::saml_url);
    for v in [
        &okta.okta_account_name,
        &okta.mfa_provider,
        &okta.mfa_factor_type,
    ]
    .into_iter()
    .flatten()
    {
        d.check(v, |s| {
            if !s.is_empty() && s.chars().all(|c| c.is_ascii_graphic()) {
                Ok(())
            } else {
                Err(format!(
                    "invalid value `{s}`: expected one word without spaces"
                ))
            }
        });
    }
    Okta {
        domain: okta.domain.get_ref().clone(),
        aws_saml_url: okta.aws_saml_url.get_ref().clone(),
        okta_account_name: text(&okta.okta_account_name),
        mfa_provider: text(&okta.mfa_provider),
        mfa_factor_type: text(&okta.mfa_factor_type),
    }
}
