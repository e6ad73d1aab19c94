//! The real keychains: Secret Service (gnome-keyring on a private D-Bus session) and the
//! kernel keyring (keyutils). `scripts/test` runs the suite under `dbus-run-session` with an
//! unlocked gnome-keyring and inside `keyctl session`, so these use the real stores.
mod common;

use common::*;
use fake_okta::Config;

fn require_session_bus() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no D-Bus session: run the suite with ./scripts/test (it starts dbus-run-session and gnome-keyring)"
    );
}

fn full_flow_with(backend: &str) {
    let mut env = TestEnv::new(Config::default());
    env.backend = backend.into();
    env.add();
    let first = cred_process_json(&env.run(&["cred-process", "spoke"]));
    env.okta.reset_counters();
    let second = cred_process_json(&env.run(&["cred-process", "spoke"]));
    assert_eq!(
        first, second,
        "{backend}: the cache is served from the keychain"
    );
    assert_eq!(
        env.okta.counters().total,
        0,
        "{backend}: warm run made requests"
    );
    // Nothing of ours landed on disk: the secrets are in the OS store.
    assert!(
        !env.home().join(".aws-okta/keyring").exists(),
        "{backend}: file keychain used"
    );
}

#[test]
fn secret_service_backend_stores_credentials_and_cache() {
    require_session_bus();
    full_flow_with("secret-service");
}

#[test]
fn keyutils_backend_stores_credentials_and_cache() {
    full_flow_with("keyutils");
}

#[test]
fn unknown_backend_is_a_usage_error() {
    let mut env = TestEnv::new(Config::default());
    env.backend = "floppy".into();
    let out = env.run(&["cred-process", "hub"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("use one of secret-service, keyutils"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unreachable_secret_service_names_the_backend_and_the_fallback() {
    let mut env = TestEnv::new(Config::default());
    env.backend = "secret-service".into();
    env.extra_env.push((
        "DBUS_SESSION_BUS_ADDRESS".into(),
        "unix:path=/nonexistent/bus".into(),
    ));
    let out = env.run_with_stdin(
        &["add", "--domain", &env.okta.url(), "--username", USERNAME],
        "pw\n",
    );
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("keychain (secret-service)") && err.contains("--backend file"),
        "{err}"
    );
}

#[test]
fn file_backend_with_a_wrong_passphrase_fails_clearly_and_keeps_the_data() {
    let mut env = TestEnv::new(Config::default());
    env.add();
    env.extra_env.push((
        "AWS_OKTA_FILE_PASSPHRASE".into(),
        "not the passphrase".into(),
    ));
    let out = env.run(&["cred-process", "hub"]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("wrong passphrase"),
        "{}",
        stderr(&out)
    );
    env.extra_env.clear();
    cred_process_json(&env.run(&["cred-process", "hub"]));
}
