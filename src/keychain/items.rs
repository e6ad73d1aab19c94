//! Every item aws-okta keeps in a keychain, in one catalogue: its name, what it holds and
//! which command deletes it. Item names are made only here, so `logout`, `cache clear` and
//! `add` (which forgets what another identity left) can be checked against this list, and a
//! new item is one more entry rather than a name invented where it is written.
//!
//! On Linux the AWS credentials ([`Item::AwsCredentials`]) are sealed under the kernel session
//! key in `$AWS_OKTA_HOME/cache-<backend>/` instead of the backend itself (see `cache`); their
//! names and deletion are the same.

/// What kind of item a keychain entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// `okta-creds[-ACCOUNT]`: the Okta org, username and password (`aws-okta add`).
    OktaCredentials,
    /// `okta-session-ACCOUNT`: the Okta session id (`sid`) and when it ends.
    OktaSession,
    /// `okta-device-ACCOUNT`: the device token Okta remembers this machine by (skips MFA while
    /// the policy allows).
    DeviceToken,
    /// `okta-oauth-ACCOUNT`: Identity Engine refresh/id tokens and device secret.
    OAuthTokens,
    /// `okta-org-ACCOUNT`: which pipeline (Classic or Identity Engine) the org runs. Not secret.
    OrgPipeline,
    /// `aws-creds-PROFILE-DIGEST`: temporary AWS credentials of one hop of a profile chain.
    AwsCredentials,
}

/// A command that deletes items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleter {
    /// `cache clear [PROFILE]`: the AWS credentials only; the next run hops again without a
    /// new Okta login.
    CacheClear,
    /// `logout`: everything a login left (sessions ended at Okta, tokens revoked) except the
    /// stored password and the remembered device.
    Logout,
    /// `logout --all [--account A]`: also the password and the remembered device.
    LogoutAll,
}

/// One catalogue entry.
#[derive(Debug)]
pub struct Entry {
    pub item: Item,
    /// Every name of this kind starts with this (`okta-creds` alone is the default account's).
    pub prefix: &'static str,
    pub secret: bool,
    pub deleted_by: &'static [Deleter],
}

use Deleter::*;

/// The catalogue. Prefixes are matched longest first (`okta-creds` and `okta-creds-` etc.
/// do not collide with the others).
pub const CATALOGUE: &[Entry] = &[
    Entry {
        item: Item::OktaCredentials,
        prefix: "okta-creds",
        secret: true,
        deleted_by: &[LogoutAll],
    },
    Entry {
        item: Item::OktaSession,
        prefix: "okta-session-",
        secret: true,
        deleted_by: &[Logout, LogoutAll],
    },
    Entry {
        item: Item::DeviceToken,
        prefix: "okta-device-",
        secret: true,
        deleted_by: &[LogoutAll],
    },
    Entry {
        item: Item::OAuthTokens,
        prefix: "okta-oauth-",
        secret: true,
        deleted_by: &[Logout, LogoutAll],
    },
    Entry {
        item: Item::OrgPipeline,
        prefix: "okta-org-",
        secret: false,
        deleted_by: &[Logout, LogoutAll],
    },
    Entry {
        item: Item::AwsCredentials,
        prefix: "aws-creds-",
        secret: true,
        deleted_by: &[CacheClear, Logout, LogoutAll],
    },
];

/// The catalogue entry of an item name, or `None` for a name aws-okta never writes.
pub fn entry_of(name: &str) -> Option<&'static Entry> {
    CATALOGUE
        .iter()
        .filter(|e| match e.item {
            // `okta-creds` (default account) or `okta-creds-NAME`.
            Item::OktaCredentials => name == e.prefix || name.starts_with("okta-creds-"),
            _ => name.starts_with(e.prefix) && name.len() > e.prefix.len(),
        })
        .max_by_key(|e| e.prefix.len())
}

/// Whether `deleter` removes items of this name (for tests and `doctor`).
pub fn deleted_by(name: &str, deleter: Deleter) -> bool {
    entry_of(name).is_some_and(|e| e.deleted_by.contains(&deleter))
}

fn named(item: Item, rest: &str) -> String {
    let entry = CATALOGUE
        .iter()
        .find(|e| e.item == item)
        .expect("every Item has a catalogue entry");
    format!("{}{rest}", entry.prefix)
}

/// The stored Okta password of an account (`None`: the default account).
pub fn okta_credentials(account: Option<&str>) -> String {
    match account {
        Some(name) => named(Item::OktaCredentials, &format!("-{name}")),
        None => named(Item::OktaCredentials, ""),
    }
}

pub fn okta_session(account: &str) -> String {
    named(Item::OktaSession, account)
}

pub fn device_token(account: &str) -> String {
    named(Item::DeviceToken, account)
}

pub fn oauth_tokens(account: &str) -> String {
    named(Item::OAuthTokens, account)
}

pub fn org_pipeline(account: &str) -> String {
    named(Item::OrgPipeline, account)
}

/// `digest` identifies the hop (role chain, Okta identity); 16 hex digits of it are used.
pub fn aws_credentials(profile: &str, digest: &str) -> String {
    named(
        Item::AwsCredentials,
        &format!("{profile}-{}", &digest[..digest.len().min(16)]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_made_here_maps_back_to_its_entry() {
        let names = [
            (okta_credentials(None), Item::OktaCredentials),
            (okta_credentials(Some("work")), Item::OktaCredentials),
            (okta_session("default"), Item::OktaSession),
            (device_token("work"), Item::DeviceToken),
            (oauth_tokens("default"), Item::OAuthTokens),
            (org_pipeline("default"), Item::OrgPipeline),
            (
                aws_credentials("prod", "0123456789abcdef0123"),
                Item::AwsCredentials,
            ),
        ];
        for (name, item) in names {
            assert_eq!(entry_of(&name).map(|e| e.item), Some(item), "{name}");
        }
        assert!(entry_of("something-else").is_none());
        assert!(entry_of("okta-session-").is_none());
    }

    #[test]
    fn the_deleters_cover_every_item_and_keep_what_each_command_promises_to_keep() {
        for e in CATALOGUE {
            assert!(
                e.deleted_by.contains(&LogoutAll),
                "{e:?}: logout --all leaves it"
            );
        }
        // `cache clear` never costs a new Okta login; `logout` keeps the password.
        assert!(!deleted_by(&okta_session("a"), CacheClear));
        assert!(deleted_by(
            &aws_credentials("p", "0123456789abcdef"),
            CacheClear
        ));
        assert!(!deleted_by(&okta_credentials(None), Logout));
        assert!(deleted_by(&okta_credentials(Some("a")), LogoutAll));
    }
}
