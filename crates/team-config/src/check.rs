//! Small hand-written validators for the identifiers that appear in `org.toml`.

/// AWS partitions we know the SAML sign-in endpoint of.
pub(crate) const PARTITIONS: &[&str] = &["aws", "aws-us-gov", "aws-cn"];

/// Team and account names: they become profile names, file names and Terraform keys.
pub(crate) fn name(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 40
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid name `{s}`: use 1-40 lowercase letters, digits and `-` (not at either end)"
        ))
    }
}

pub(crate) fn account_id(s: &str) -> Result<(), String> {
    if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!(
            "invalid AWS account id `{s}`: expected exactly 12 digits (as a quoted string)"
        ))
    }
}

fn iam_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}

/// IAM role names: 1-64 of `[A-Za-z0-9+=,.@_-]`.
pub(crate) fn role_name(s: &str) -> Result<(), String> {
    if !s.is_empty() && s.len() <= 64 && s.chars().all(iam_char) {
        Ok(())
    } else {
        Err(format!(
            "invalid IAM role name `{s}`: use 1-64 letters, digits and `+=,.@_-`"
        ))
    }
}

/// IAM paths: `/` or `/a/b/`.
pub(crate) fn iam_path(s: &str) -> Result<(), String> {
    let ok = s.len() <= 512
        && s.starts_with('/')
        && s.ends_with('/')
        && (s == "/"
            || s[1..s.len() - 1]
                .split('/')
                .all(|seg| !seg.is_empty() && seg.chars().all(iam_char)));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid IAM path `{s}`: expected `/` or `/segment/.../` with letters, digits and `+=,.@_-`"
        ))
    }
}

/// A managed (`arn:<p>:iam::aws:policy/...`) or customer (`arn:<p>:iam::<12 digits>:policy/...`)
/// policy ARN in the org's partition (any known partition when `partition` is empty).
pub(crate) fn policy_arn(s: &str, partition: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("invalid policy ARN `{s}`: {why}"));
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || parts[2] != "iam" || !parts[3].is_empty() {
        return bad("expected arn:<partition>:iam::<account id or `aws`>:policy/<name>");
    }
    if partition.is_empty() {
        // The org's partition is itself invalid (reported already): accept any known one.
        if !PARTITIONS.contains(&parts[1]) {
            return bad(&format!("unknown partition `{}`", parts[1]));
        }
    } else if parts[1] != partition {
        return bad(&format!(
            "partition `{}` is not the org's partition `{partition}`",
            parts[1]
        ));
    }
    if parts[4] != "aws" && account_id(parts[4]).is_err() {
        return bad("the account must be `aws` or 12 digits");
    }
    let Some(rest) = parts[5].strip_prefix("policy/") else {
        return bad("the resource must be `policy/<name>`");
    };
    let ok = !rest.is_empty()
        && !rest.ends_with('/')
        && rest
            .split('/')
            .all(|seg| !seg.is_empty() && seg.chars().all(iam_char));
    if !ok {
        return bad("the policy name may only contain letters, digits, `+=,.@_-` and `/`");
    }
    Ok(())
}

/// `us-east-1`, `us-gov-west-1`, `cn-north-1`, `ap-southeast-2`, ...
pub(crate) fn region(s: &str) -> Result<(), String> {
    let parts: Vec<&str> = s.split('-').collect();
    let ok = parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty();
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid AWS region `{s}`: expected something like `us-east-1`"
        ))
    }
}

/// The region's partition, to catch `cn-north-1` in an `aws` org.
pub(crate) fn region_partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// Profile names written into `~/.aws/config` (`[profile NAME]`).
pub(crate) fn profile_name(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid profile name `{s}`: use 1-64 letters, digits and `._-`, starting with a letter or digit"
        ))
    }
}

/// The Okta org's host name, e.g. `example.okta.com`.
pub(crate) fn domain(s: &str) -> Result<(), String> {
    let ok = s.len() <= 253
        && s.contains('.')
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid Okta domain `{s}`: expected a host name such as `example.okta.com` (no scheme, no path)"
        ))
    }
}

/// The AWS app's link below the Okta domain, as segmentio/aws-okta writes it:
/// `home/amazon_aws/<app id>/<number>`.
pub(crate) fn saml_url(s: &str) -> Result<(), String> {
    let parts: Vec<&str> = s.split('/').collect();
    let ok = parts.len() == 4
        && parts[0] == "home"
        && parts[1..].iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid aws_saml_url `{s}`: expected the app link path `home/amazon_aws/<app id>/<number>` (no scheme, no host)"
        ))
    }
}

/// Free text that ends up in a `#` comment: one line, printable.
pub(crate) fn one_line(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Parses the durations the CLI accepts for `session_ttl`/`assume_role_ttl`, in the subset
/// `1h`, `90m`, `1h30m`, `3600s` or plain seconds (`3600`); returns seconds.
pub(crate) fn duration(s: &str) -> Result<u64, String> {
    let bad = || {
        format!("invalid duration `{s}`: expected hours, minutes and seconds such as `1h`, `90m`, `1h30m` or `3600s`, or plain seconds")
    };
    if s.is_empty() {
        return Err(bad());
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        // A plain number of seconds, as the CLI also accepts.
        return s.parse().map_err(|_| bad());
    }
    let mut total: u64 = 0;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(bad()),
        };
        let n: u64 = num.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        num.clear();
    }
    if !num.is_empty() {
        return Err(bad());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validators() {
        assert!(name("on-call").is_ok());
        assert!(name("On-call").is_err());
        assert!(name("-x").is_err());
        assert!(account_id("012345678901").is_ok());
        assert!(account_id("01234567890").is_err());
        assert!(account_id("01234567890a").is_err());
        assert!(role_name("Admin+x@y").is_ok());
        assert!(role_name("a/b").is_err());
        assert!(iam_path("/").is_ok());
        assert!(iam_path("/teams/").is_ok());
        assert!(iam_path("/teams").is_err());
        assert!(iam_path("//").is_err());
        assert!(policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess", "aws").is_ok());
        assert!(policy_arn("arn:aws:iam::aws:policy/job-function/Billing", "aws").is_ok());
        assert!(policy_arn("arn:aws:iam::123456789012:policy/x", "aws").is_ok());
        assert!(policy_arn("arn:aws:iam::aws:policy/*", "aws").is_err());
        assert!(policy_arn("arn:aws:iam::aws:role/x", "aws").is_err());
        assert!(policy_arn("arn:aws-cn:iam::aws:policy/x", "aws").is_err());
        assert!(policy_arn("arn:aws:iam::12:policy/x", "aws").is_err());
        assert!(region("us-east-1").is_ok());
        assert!(region("us-gov-west-1").is_ok());
        assert!(region("useast1").is_err());
        assert!(region("us-east-").is_err());
        assert_eq!(region_partition("cn-north-1"), "aws-cn");
        assert!(profile_name("prod-readonly").is_ok());
        assert!(profile_name("prod readonly").is_err());
        assert!(domain("example.okta.com").is_ok());
        assert!(domain("https://example.okta.com").is_err());
        assert!(saml_url("home/amazon_aws/0oa1abcdEFGH/272").is_ok());
        assert!(saml_url("https://x/home/amazon_aws/0oa1/272").is_err());
        assert_eq!(duration("1h30m"), Ok(5400));
        assert_eq!(duration("3600s"), Ok(3600));
        assert!(duration("1d").is_err());
        assert_eq!(duration("900"), Ok(900));
        assert!(duration("1x").is_err());
        assert!(duration("h").is_err());
        assert!(duration("99999999999999999999h").is_err());
        assert_eq!(one_line(" a\n  b\u{7} "), "a b");
    }
}
