//! Cached secrets belong to one Okta identity (org and user), played as attacks against the
//! built binary: an account name pointed at another org by `aws-okta add` (and keychain items
//! left behind, as by an interrupted `add` or a copied keychain) must never send the old org's
//! `sid`, device token or refresh token to the new org, nor serve the old org's cached AWS
//! credentials. Also: `logout` ends the Okta session at Okta and `--all` leaves no remembered
//! device behind; a login waiting for another process's login says whom it waits for and
//! gives up.

use crate::common::*;
use fake_okta::{Config, FakeOkta, OAuthConfig, PushBehavior, DEFAULT_CLIENT_ID};
use std::io::BufRead;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// An org whose MFA policy remembers devices: a login leaves a `sid` and a `DT`.
fn remembering() -> Config {
    Config {
        allow_remember_device: true,
        ..Config::default()
    }
}

/// `aws-okta add` of the default account at `url`; the output, to check.
fn add_at(env: &TestEnv, url: &str) -> std::process::Output {
    let out = env.run_with_stdin(
        &["add", "--domain", url, "--username", USERNAME],
        &format!("{PASSWORD}\n"),
    );
    assert!(out.status.success(), "add failed: {}", stderr(&out));
    out
}

/// The line of `add` that says what of the old identity was forgotten.
fn forgot_line(out: &std::process::Output) -> String {
    let err = stderr(out);
    err.lines()
        .find(|l| l.contains("forgot"))
        .unwrap_or_else(|| panic!("no line about forgetting the old identity: {err}"))
        .to_string()
}

/// Asserts `org` never received any secret `from` issued.
fn assert_nothing_of(from: &FakeOkta, org: &FakeOkta) {
    let received = org.state().received().join("\n");
    let secrets = from.state().issued_secrets();
    assert!(!secrets.is_empty());
    for secret in secrets {
        assert!(
            !received.contains(&secret),
            "the new org received {secret} of the old one: {received}"
        );
    }
}

/// The file backend's item file of `item`.
fn item_file(env: &TestEnv, item: &str) -> PathBuf {
    env.home()
        .join(".aws-okta/keyring")
        .join(format!("{item}.enc"))
}

/// Copies of the given keychain items, to put back later: what an interrupted `add` or a
/// keychain copied from another machine leaves.
fn snapshot(env: &TestEnv, items: &[&str]) -> Vec<(PathBuf, Vec<u8>)> {
    items
        .iter()
        .map(|item| {
            let path = item_file(env, item);
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{item}: {e}"));
            (path, data)
        })
        .collect()
}

fn restore(files: &[(PathBuf, Vec<u8>)]) {
    for (path, data) in files {
        std::fs::write(path, data).unwrap();
    }
}

#[test]
fn add_for_another_org_forgets_the_old_identity_and_sends_it_nothing() {
    let env = TestEnv::new(remembering());
    env.add();
    let first = cred_process_json(&env.run(&["cred-process", "spoke"]));
    let a = env.okta.counters();
    assert_eq!(
        (a.authn, a.pushes, a.devices_remembered),
        (1, 1, 1),
        "{a:?}"
    );

    // The same account name, now at another org.
    let b = FakeOkta::start(remembering());
    let added = add_at(&env, &b.url());

    env.okta.reset_counters();
    let second = cred_process_json(&env.run(&["cred-process", "spoke"]));
    assert_ne!(
        second["AccessKeyId"], first["AccessKeyId"],
        "the old org's cached credentials are not served"
    );
    assert_nothing_of(&env.okta, &b);
    let c = b.counters();
    // One app-link request (after the login; an old sid tried there would be a second) and
    // one Sessions API read of the new org's own new session.
    assert_eq!(
        (c.authn, c.pushes, c.saml_issued, c.app_link, c.sessions_me),
        (1, 1, 1, 1, 1),
        "a full login at the new org, no session cookie sent there: {c:?}"
    );
    assert_eq!(
        b.state().authn_cookies(),
        vec![Vec::<String>::new()],
        "no device token sent to the new org"
    );
    assert_eq!(env.okta.counters().total, 0, "nothing sent to the old org");

    let line = forgot_line(&added);
    for words in [
        format!("was {USERNAME} at {}", env.okta.url()),
        "the Okta session".to_string(),
        "the remembered device".to_string(),
        "2 cached credential set(s)".to_string(),
        b.url(),
    ] {
        assert!(line.contains(&words), "wanted {words:?}: {line}");
    }
}

#[test]
fn another_username_at_the_same_org_is_another_identity() {
    let env = TestEnv::new(remembering());
    env.add();
    cred_process_json(&env.run(&["cred-process", "hub"]));
    let added = env.run_with_stdin(
        &[
            "add",
            "--domain",
            &env.okta.url(),
            "--username",
            "mallory@example.com",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(added.status.success(), "{}", stderr(&added));
    env.okta.reset_counters();
    // The fake knows only alice: a login as mallory is refused; what matters is that it was
    // tried, and nothing of alice's cache, session or device was used for mallory.
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::AUTH_FAILED, "mallory@example.com");
    let c = env.okta.counters();
    assert_eq!((c.authn, c.sessions_me, c.app_link), (1, 0, 0), "{c:?}");
    let cookies = env.okta.state().authn_cookies();
    assert!(
        cookies.last().unwrap().is_empty(),
        "alice's device token is not sent for mallory: {cookies:?}"
    );
    let line = forgot_line(&added);
    assert!(line.contains("the Okta session"), "{line}");
}

#[test]
fn leftover_items_of_another_org_are_never_sent_to_the_new_one() {
    let env = TestEnv::new(remembering());
    env.add();
    cred_process_json(&env.run(&["cred-process", "hub"]));
    let left = snapshot(&env, &["okta-session-default", "okta-device-default"]);

    let b = FakeOkta::start(remembering());
    add_at(&env, &b.url());
    // As if `add` had been interrupted before it forgot them, or the keychain was copied.
    restore(&left);
    env.clear_aws_cache();

    cred_process_json(&env.run(&["cred-process", "hub"]));
    assert_nothing_of(&env.okta, &b);
    let c = b.counters();
    assert_eq!(
        (c.authn, c.pushes, c.app_link, c.sessions_me),
        (1, 1, 1, 1),
        "the old sid is not tried at the new org (only the new session is read once): {c:?}"
    );
    assert_eq!(b.state().authn_cookies(), vec![Vec::<String>::new()]);
    for (path, old) in &left {
        // Seen for the wrong identity: deleted (the new org's own items replace them).
        let now = std::fs::read(path).ok();
        assert_ne!(now.as_deref(), Some(old.as_slice()), "{path:?}");
    }
}

#[test]
fn a_refresh_token_of_another_org_is_never_sent_to_the_new_one() {
    let idx = || Config {
        pipeline: "idx".into(),
        oauth: OAuthConfig::default(),
        ..Config::default()
    };
    let env = TestEnv::new(idx());
    env.write_config(&config_text().replacen(
        "[okta]\n",
        &format!("[okta]\nokta_oidc_client_id = {DEFAULT_CLIENT_ID}\n"),
        1,
    ));
    env.add();
    cred_process_json(&env.run(&["cred-process", "hub"]));
    assert_eq!(env.okta.oauth_counters().password_grants, 1);
    let left = snapshot(&env, &["okta-oauth-default", "okta-org-default"]);

    let b = FakeOkta::start(idx());
    let added = add_at(&env, &b.url());
    // As if `add` had been interrupted before it forgot them, or the keychain was copied.
    restore(&left);
    env.clear_aws_cache();

    cred_process_json(&env.run(&["cred-process", "hub"]));
    assert_nothing_of(&env.okta, &b);
    let o = b.oauth_counters();
    assert_eq!(
        (o.refresh_grants, o.password_grants),
        (0, 1),
        "a full login at the new org, the old refresh token not tried there: {o:?}"
    );
    let received = b.state().received().join("\n");
    assert!(
        received.contains("GET /.well-known/okta-organization"),
        "the new org's pipeline is read, not the old org's cached one: {received}"
    );
    let line = forgot_line(&added);
    for words in ["the OAuth tokens", "the org document"] {
        assert!(line.contains(words), "wanted {words:?}: {line}");
    }
}

#[test]
fn a_password_update_keeps_the_session_and_the_cache() {
    let env = TestEnv::new(remembering());
    env.add();
    let first = cred_process_json(&env.run(&["cred-process", "spoke"]));
    let out = add_at(&env, &env.okta.url());
    assert!(
        !stderr(&out).contains("forgot"),
        "same identity: nothing forgotten: {}",
        stderr(&out)
    );
    env.okta.reset_counters();
    let again = cred_process_json(&env.run(&["cred-process", "spoke"]));
    assert_eq!(again["AccessKeyId"], first["AccessKeyId"], "cache kept");
    assert_eq!(env.okta.counters().total, 0);
    env.clear_aws_cache();
    cred_process_json(&env.run(&["cred-process", "spoke"]));
    let c = env.okta.counters();
    assert_eq!(
        (c.authn, c.pushes, c.app_link),
        (0, 0, 1),
        "the Okta session was kept: {c:?}"
    );
}

/// The warm path computes the identity-bound cache key from the account record, not from the
/// keychain's password item: no passphrase (no Argon2id) needed. Without the record (an
/// install from before it existed) the cold path reads the item once and writes the record.
#[test]
fn warm_runs_read_the_account_record_and_never_the_password() {
    let env = TestEnv::new(Config::default());
    env.add();
    let record = env.home().join(".aws-okta/accounts/default.json");
    let text = std::fs::read_to_string(&record).unwrap();
    assert!(
        text.contains(USERNAME) && text.contains(&env.okta.url()) && !text.contains(PASSWORD),
        "{text}"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&record).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let first = cred_process_json(&env.run(&["cred-process", "spoke"]));
    let no_passphrase = |env: &TestEnv| {
        env.cmd(&["cred-process", "spoke"])
            .env_remove("AWS_OKTA_FILE_PASSPHRASE")
            .output()
            .unwrap()
    };
    let warm = no_passphrase(&env);
    assert_eq!(cred_process_json(&warm), first, "{}", stderr(&warm));

    std::fs::remove_file(&record).unwrap();
    let out = no_passphrase(&env);
    assert_eq!(
        code(&out),
        exit::KEYCHAIN,
        "no record: the identity comes from the keychain item: {}",
        stderr(&out)
    );
    env.okta.reset_counters();
    let again = cred_process_json(&env.run(&["cred-process", "spoke"]));
    assert_eq!(again, first, "same identity: same cache entries");
    assert_eq!(env.okta.counters().total, 0);
    assert!(record.exists(), "written back by the cold path");
    let warm = no_passphrase(&env);
    assert_eq!(cred_process_json(&warm), first, "{}", stderr(&warm));
}

#[test]
fn logout_ends_the_session_at_okta_and_all_forgets_the_remembered_device() {
    let env = TestEnv::new(remembering());
    env.add();
    cred_process_json(&env.run(&["cred-process", "hub"]));
    assert_eq!(env.okta.state().session_seconds_left().len(), 1);

    let out = env.run(&["logout"]);
    assert_exit(&out, 0, "Ended 1 Okta session(s) at Okta");
    assert!(
        env.okta.state().session_seconds_left().is_empty(),
        "plain logout ends the session at Okta"
    );
    // Plain logout keeps the remembered device: the next login skips MFA.
    env.okta.reset_counters();
    cred_process_json(&env.run(&["cred-process", "hub"]));
    let c = env.okta.counters();
    assert_eq!(
        (c.authn, c.pushes, c.remembered_device_logins),
        (1, 0, 1),
        "{c:?}"
    );
    assert_eq!(env.okta.state().session_seconds_left().len(), 1);

    let out = env.run(&["logout", "--all"]);
    assert_exit(&out, 0, "Ended 1 Okta session(s) at Okta");
    assert!(
        stderr(&out).contains("Forgot the remembered device of Okta account 'default'"),
        "{}",
        stderr(&out)
    );
    assert!(env.okta.state().session_seconds_left().is_empty());
    for item in ["okta-device-default", "okta-session-default", "okta-creds"] {
        assert!(!item_file(&env, item).exists(), "{item} left behind");
    }
    assert!(!env.home().join(".aws-okta/accounts/default.json").exists());

    // Added again, the device is a new one: MFA is asked for, no device token is sent.
    env.add();
    env.okta.reset_counters();
    let before = env.okta.state().authn_cookies().len();
    cred_process_json(&env.run(&["cred-process", "hub"]));
    let c = env.okta.counters();
    assert_eq!((c.authn, c.pushes), (1, 1), "{c:?}");
    let cookies = env.okta.state().authn_cookies();
    assert!(!cookies[before].contains(&"DT".to_string()), "{cookies:?}");
}

#[test]
fn logout_without_okta_still_forgets_the_session() {
    let mut env = TestEnv::new(Config::default());
    env.add();
    cred_process_json(&env.run(&["cred-process", "hub"]));
    // Okta stops answering (offline, VPN down): its address now holds a listener that never
    // answers.
    let addr = env.okta.addr();
    drop(std::mem::replace(
        &mut env.okta,
        FakeOkta::start(Config::default()),
    ));
    let _silent = std::net::TcpListener::bind(addr);
    let started = Instant::now();
    let out = env.run(&["logout"]);
    assert_exit(&out, 0, "Forgot 1 Okta session(s)");
    assert!(
        stderr(&out).contains("could not end the Okta session of account 'default'"),
        "{}",
        stderr(&out)
    );
    assert!(started.elapsed() < Duration::from_secs(15));
    assert!(!item_file(&env, "okta-session-default").exists());
    let list = stdout(&env.run(&["cache", "list"]));
    assert!(!list.contains("Okta session"), "{list}");
}

/// A login that holds the account's lock (its push not yet approved) and one that waits: the
/// waiter names the holder's pid after 2 s and gives up after `AWS_OKTA_LOCK_TIMEOUT`.
#[test]
fn a_waiting_login_names_the_holder_and_gives_up_after_the_lock_timeout() {
    let env = TestEnv::new(Config {
        factors: vec![fake_okta::Factor::Push {
            id: "opf1pushfactor".into(),
            behavior: PushBehavior::ApproveAfter(80),
            number_challenge: None,
        }],
        ..Config::default()
    });
    env.add();
    // ~8 s of polling at 100 ms: the holder keeps the lock that long.
    let holder = env
        .cmd(&["cred-process", "hub"])
        .env("AWS_OKTA_POLL_INTERVAL", "100ms")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while env.okta.counters().pushes == 0 {
        assert!(Instant::now() < deadline, "the holder never sent its push");
        std::thread::sleep(Duration::from_millis(20));
    }

    let started = Instant::now();
    let mut waiter = env
        .cmd(&["cred-process", "hub"])
        .env("AWS_OKTA_LOCK_TIMEOUT", "3s")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    for line in std::io::BufReader::new(waiter.stderr.take().unwrap()).lines() {
        lines.push((started.elapsed(), line.unwrap()));
    }
    let status = waiter.wait().unwrap();
    let took = started.elapsed();
    let all: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(status.code(), Some(exit::MFA_TIMEOUT), "{all:?}");

    let pid = format!("pid {}", holder.id());
    let (at, notice) = lines
        .iter()
        .find(|(_, l)| l.contains("is logging in to Okta"))
        .unwrap_or_else(|| panic!("no line about the other login: {all:?}"));
    assert!(notice.contains(&pid), "{notice}");
    assert!(
        *at >= Duration::from_millis(1900) && *at < Duration::from_secs(3),
        "printed after 2 s of waiting, before giving up: {at:?}"
    );
    let (_, error) = lines.last().unwrap();
    assert!(
        error.contains("gave up after 3s") && error.contains(&pid) && error.contains("kill"),
        "{error}"
    );
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(8),
        "{took:?}"
    );
    assert_eq!(env.okta.counters().authn, 1, "the waiter never logged in");

    let out = holder.wait_with_output().unwrap();
    cred_process_json(&out);
}
