//! The real keychains: Secret Service (gnome-keyring on a private D-Bus session) and the
//! kernel keyring (keyutils). `scripts/test` runs the suite under `dbus-run-session` with an
//! unlocked gnome-keyring and inside `keyctl session`, so these use the real stores.
// Linux-only parts (gnome-keyring, keyutils, Debian shells, mount namespaces, the AWS CLI and
// JavaScript SDK that scripts/install-test-deps installs): other platforms compile it out.
#![cfg(target_os = "linux")]

use crate::common::*;
use fake_okta::Config;

fn require_session_bus() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no D-Bus session: run the suite with ./scripts/test (it starts dbus-run-session and gnome-keyring)"
    );
}

fn full_flow_with(backend: &str) {
    let mut env = TestEnv::new(Config::default());
    env.use_backend(backend);
    env.add();
    let first = cred_process_json(&env.run(&["cred-process", "spoke"]));
    env.okta.reset_counters();
    let second = cred_process_json(&env.run(&["cred-process", "spoke"]));
    assert_eq!(
        first, second,
        "{backend}: the cache is served (sealed by the kernel session key)"
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
    assert_exit(&out, exit::USAGE, "use one of secret-service, keyutils");
}

#[test]
fn unreachable_secret_service_names_the_backend_and_the_fallback() {
    let mut env = TestEnv::new(Config::default());
    env.use_backend("secret-service");
    env.extra_env.push((
        "DBUS_SESSION_BUS_ADDRESS".into(),
        "unix:path=/nonexistent/bus".into(),
    ));
    let out = env.run_with_stdin(
        &["add", "--domain", &env.okta.url(), "--username", USERNAME],
        "pw\n",
    );
    assert_eq!(code(&out), exit::KEYCHAIN, "{}", stderr(&out));
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
    assert_exit(&out, exit::KEYCHAIN, "wrong passphrase");
    env.extra_env.clear();
    cred_process_json(&env.run(&["cred-process", "hub"]));
}

/// A locked Secret Service (the login keyring locked, no display to prompt on): one line naming
/// the backend, that it is locked, and the `file` fallback, exit 4, no hang; the stored
/// password survives and works once the keyring is unlocked again. It runs its own private
/// D-Bus session and gnome-keyring, since locking the shared one would disturb other tests.
#[test]
fn a_locked_secret_service_says_so_and_loses_nothing() {
    let env = TestEnv::new(Config::default());
    let template = env.cmd(&["cred-process", "spoke"]);
    let script = r#"
        set -u
        export XDG_DATA_HOME="$KEYRING_DIR"
        start() { eval "$(printf 'keyring pw' | gnome-keyring-daemon --replace --unlock --components=secrets 2>/dev/null | sed 's/^/export /')"; }
        start
        printf '%s\n' "$OKTA_PASSWORD" | "$BIN" add --domain "$OKTA_URL" --username "$OKTA_USER" || exit 90
        "$BIN" cred-process spoke > "$KEYRING_DIR/first.json" || exit 91
        dbus-send --session --dest=org.freedesktop.secrets --print-reply /org/freedesktop/secrets \
            org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login >/dev/null || exit 92
        # Cached AWS credentials are sealed by the kernel session key, not kept in the
        # Secret Service: a warm run still works while the keychain is locked.
        "$BIN" cred-process spoke > "$KEYRING_DIR/warm.json" || exit 94
        "$BIN" cred-process spoke --no-cache > "$KEYRING_DIR/locked.out" 2> "$KEYRING_DIR/locked.err"
        echo $? > "$KEYRING_DIR/locked.code"
        start  # a new daemon unlocks the same keyring files, as logging in to the desktop would
        "$BIN" cred-process spoke > "$KEYRING_DIR/after.json" || exit 93
    "#;
    let keyring_dir = env.home().join("gnome-keyring");
    let runtime_dir = keyring_dir.join("run"); // so --replace only ever sees our daemon
    std::fs::create_dir_all(&runtime_dir).unwrap();
    let out = std::process::Command::new("timeout")
        .args(["60", "dbus-run-session", "--", "sh", "-c", script])
        .env_clear()
        .envs(template.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("AWS_OKTA_BACKEND", "secret-service")
        .env("BIN", env!("CARGO_BIN_EXE_aws-okta"))
        .env("KEYRING_DIR", &keyring_dir)
        .env("XDG_RUNTIME_DIR", &runtime_dir)
        .env("OKTA_URL", env.okta.url())
        .env("OKTA_USER", USERNAME)
        .env("OKTA_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let read = |name: &str| std::fs::read_to_string(keyring_dir.join(name)).unwrap();
    assert_eq!(read("locked.code").trim(), "4", "{}", read("locked.err"));
    assert!(read("locked.out").is_empty());
    let err = read("locked.err");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("aws-okta:")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains("keychain (secret-service)")
            && lines[0].contains("locked")
            && lines[0].contains("--backend file"),
        "{err}"
    );
    assert_eq!(
        read("warm.json"),
        read("first.json"),
        "served from the sealed cache"
    );
    let after: serde_json::Value = serde_json::from_str(&read("after.json")).unwrap();
    assert!(after["AccessKeyId"].as_str().is_some_and(|k| !k.is_empty()));
}

/// With the Linux default backend a warm run reads no D-Bus: the cached AWS credentials are
/// sealed by the kernel session key (the Okta password stays in the Secret Service). Another
/// login session, `cache clear` and `logout` each end what was sealed.
#[test]
fn a_warm_secret_service_run_needs_no_d_bus_and_each_end_of_the_cache_is_honoured() {
    require_session_bus();
    let mut env = TestEnv::new(Config::default());
    env.use_backend("secret-service");
    env.add();
    let first = cred_process_json(&env.run(&["cred-process", "spoke"]));
    let no_bus = |env: &TestEnv| {
        env.cmd(&["cred-process", "spoke"])
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/aws-okta-test-bus",
            )
            .output()
            .unwrap()
    };
    env.okta.reset_counters();
    let warm = no_bus(&env);
    assert_eq!(cred_process_json(&warm), first, "{}", stderr(&warm));
    assert_eq!(env.okta.counters().total, 0);

    // Another login session has no key: a miss, which needs the keychain, which it cannot reach.
    let inner = env.cmd(&["cred-process", "spoke"]);
    let other_session = std::process::Command::new("keyctl")
        .args([
            "session",
            "-",
            env!("CARGO_BIN_EXE_aws-okta"),
            "cred-process",
            "spoke",
        ])
        .env_clear()
        .envs(inner.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/aws-okta-test-bus",
        )
        .output()
        .unwrap();
    assert_exit(&other_session, exit::KEYCHAIN, "secret-service");

    // `cache clear` ends it in this session too.
    assert!(env.run(&["cache", "clear"]).status.success());
    assert_exit(&no_bus(&env), 4, "secret-service");

    // So does `logout` (after a new login fills the cache again).
    let again = cred_process_json(&env.run(&["cred-process", "spoke"]));
    assert_ne!(again["AccessKeyId"], first["AccessKeyId"]);
    assert_eq!(cred_process_json(&no_bus(&env)), again);
    assert!(env.run(&["logout"]).status.success());
    assert_exit(&no_bus(&env), 4, "secret-service");
}

/// A cold login stores its Okta session in the Secret Service (over the process's one D-Bus
/// connection, after the password and device-token reads), so once the AWS credentials are
/// gone the next login reuses the session: no password, no push.
#[test]
fn a_secret_service_login_stores_its_okta_session_before_it_ends() {
    require_session_bus();
    let mut env = TestEnv::new(Config::default());
    env.use_backend("secret-service");
    env.add();
    assert_exit(&env.run(&["cred-process", "spoke"]), 0, "");
    assert!(env.run(&["cache", "clear"]).status.success());
    env.okta.reset_counters();
    let out = env.run(&["cred-process", "spoke"]);
    assert_exit(&out, 0, "");
    let c = env.okta.counters();
    assert_eq!((c.authn, c.pushes, c.app_link), (0, 0, 1), "{c:?}");
}
