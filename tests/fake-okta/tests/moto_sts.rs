//! The fake's SAML assertion is accepted by a real STS emulator: moto 5.2.5's
//! `AssumeRoleWithSAML` (`moto_server` from the venv `scripts/install-test-deps` creates).
//!
//! The venv is `$AWS_OKTA_TEST_VENV`, else `<repo>/.venv`. Without it this test fails (run
//! `scripts/install-test-deps`), unless `FAKE_OKTA_SKIP_MOTO=1` is set.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use fake_okta::{Config, FakeOkta, SamlRole, DEFAULT_HUB_ROLE, DEFAULT_PROVIDER};
use serde_json::Value;

fn venv() -> PathBuf {
    match std::env::var_os("AWS_OKTA_TEST_VENV") {
        Some(v) => PathBuf::from(v),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv"),
    }
}

struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

fn start_moto(moto_server: &PathBuf) -> Moto {
    let port = free_port();
    let child = Command::new(moto_server)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn moto_server");
    let moto = Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto_server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    moto
}

/// Logs in against the fake and returns the base64 SAMLResponse of the SSO page.
fn assertion_from(fake: &FakeOkta) -> String {
    let token = login_with_push(fake);
    let (_, html) = saml_page(fake, &token);
    saml_b64(&html).expect("SAMLResponse")
}

fn assume_role_with_saml(
    python: &PathBuf,
    moto: &Moto,
    role: &str,
    provider: &str,
    saml: &str,
) -> Value {
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sts_assume_role_with_saml.py");
    let mut child = Command::new(python)
        .arg(&script)
        .args([moto.url.as_str(), role, provider])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn python");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(saml.as_bytes())
        .expect("write assertion");
    let out = child.wait_with_output().expect("python output");
    assert!(
        out.status.success(),
        "AssumeRoleWithSAML failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("script prints JSON")
}

#[test]
fn moto_sts_accepts_the_saml_assertion() {
    let venv = venv();
    let moto_server = venv.join("bin/moto_server");
    let python = venv.join("bin/python");
    if !moto_server.exists() {
        if std::env::var("FAKE_OKTA_SKIP_MOTO").as_deref() == Ok("1") {
            eprintln!(
                "skipping: no moto_server in {} (FAKE_OKTA_SKIP_MOTO=1)",
                venv.display()
            );
            return;
        }
        panic!(
            "no moto_server in {}: run scripts/install-test-deps (or set AWS_OKTA_TEST_VENV)",
            venv.display()
        );
    }
    let moto = start_moto(&moto_server);

    // Okta's order (provider,role), default SessionDuration 43200.
    let fake = FakeOkta::start(Config::default());
    let saml = assertion_from(&fake);
    let before = chrono::Utc::now().timestamp() as f64;
    let r = assume_role_with_saml(&python, &moto, DEFAULT_HUB_ROLE, DEFAULT_PROVIDER, &saml);
    assert_eq!(
        r["Arn"], "arn:aws:sts::111111111111:assumed-role/hub-team/alice@example.com",
        "{r}"
    );
    assert!(
        r["AccessKeyId"].as_str().is_some_and(|k| k.len() >= 16),
        "{r}"
    );
    assert!(r["SessionToken"].is_string(), "{r}");
    let ttl = r["Expiration"].as_f64().expect("expiration") - before;
    assert!(
        (43200.0 - 120.0..=43200.0 + 120.0).contains(&ttl),
        "SessionDuration ignored: {ttl}"
    );

    // role,provider order, another role and account, a shorter SessionDuration.
    let role = "arn:aws:iam::222222222222:role/spoke-admin";
    let provider = "arn:aws:iam::222222222222:saml-provider/okta";
    let fake = FakeOkta::start(Config {
        role_first: true,
        session_duration: Some(1800),
        username: "bob@example.com".into(),
        roles: vec![SamlRole {
            role_arn: role.into(),
            provider_arn: provider.into(),
        }],
        ..Config::default()
    });
    let saml = {
        // login_with_push logs in as alice; bob needs his own authn.
        let a = post_json(
            &fake,
            "/api/v1/authn",
            serde_json::json!({ "username": "bob@example.com", "password": PASSWORD }),
        );
        let st = state_token(&a);
        let url = verify_url(&fake, "opf1pushfactor");
        post_json(&fake, &url, serde_json::json!({ "stateToken": st }));
        let done = post_json(&fake, &url, serde_json::json!({ "stateToken": st }));
        let token = done.body["sessionToken"]
            .as_str()
            .expect("token")
            .to_string();
        let (_, html) = saml_page(&fake, &token);
        saml_b64(&html).expect("SAMLResponse")
    };
    let before = chrono::Utc::now().timestamp() as f64;
    let r = assume_role_with_saml(&python, &moto, role, provider, &saml);
    assert_eq!(
        r["Arn"], "arn:aws:sts::222222222222:assumed-role/spoke-admin/bob@example.com",
        "{r}"
    );
    let ttl = r["Expiration"].as_f64().expect("expiration") - before;
    assert!(
        (1800.0 - 120.0..=1800.0 + 120.0).contains(&ttl),
        "SessionDuration ignored: {ttl}"
    );
}
