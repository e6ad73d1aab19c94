//! Console login, the refreshing credential server, write-to-credentials, cache management,
//! completions and the man page, run as black boxes against the fake Okta, moto and a canned
//! federation endpoint.

use crate::common::*;
use fake_okta::{Config, SamlRole};

fn ready() -> TestEnv {
    let env = TestEnv::new(Config::default());
    env.add();
    env
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let value = parsed
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned());
    value
}

fn federation(env: &mut TestEnv, status: u16, body: &str) -> CannedServer {
    let server = CannedServer::start(status, "application/json", body);
    env.extra_env.push((
        "AWS_OKTA_FEDERATION_ENDPOINT".into(),
        format!("{}/federation", server.url),
    ));
    server
}

#[test]
fn login_builds_the_console_url_for_the_profile_region() {
    let mut env = ready();
    let fed = federation(&mut env, 200, r#"{"SigninToken":"tok-123"}"#);
    let out = env.run(&["login", "spoke", "--stdout"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let url = stdout(&out).trim().to_string();
    assert!(
        url.starts_with(&format!(
            "{}/federation?Action=login&Issuer=aws-okta&",
            fed.url
        )),
        "{url}"
    );
    assert_eq!(query_param(&url, "SigninToken").as_deref(), Some("tok-123"));
    assert_eq!(
        query_param(&url, "Destination").as_deref(),
        Some("https://us-west-2.console.aws.amazon.com/console/home?region=us-west-2")
    );
    // The token request carried the spoke credentials as the Session JSON.
    let request = fed.requests.lock().unwrap()[0].clone();
    let target = request.split(' ').nth(1).unwrap();
    let session = query_param(&format!("http://x{target}"), "Session").unwrap();
    let session: serde_json::Value = serde_json::from_str(&session).unwrap();
    let creds = cred_process_json(&env.run(&["cred-process", "spoke"]));
    assert_eq!(session["sessionId"], creds["AccessKeyId"]);
    assert_eq!(session["sessionKey"], creds["SecretAccessKey"]);
    assert_eq!(session["sessionToken"], creds["SessionToken"]);
    assert_eq!(
        query_param(&format!("http://x{target}"), "Action").as_deref(),
        Some("getSigninToken")
    );

    let out = env.run(&["login", "spoke", "--stdout", "--path", "/s3/home"]);
    let url = stdout(&out);
    assert_eq!(
        query_param(url.trim(), "Destination").as_deref(),
        Some("https://us-west-2.console.aws.amazon.com/s3/home?region=us-west-2")
    );
}

#[test]
fn login_without_region_uses_the_global_console() {
    let mut env = ready();
    federation(&mut env, 200, r#"{"SigninToken":"t"}"#);
    env.write_config(
        &config_text()
            .replace("region = us-east-1\n", "")
            .replace("region = us-west-2\n", ""),
    );
    let out = env.run(&["login", "hub", "--stdout"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        query_param(stdout(&out).trim(), "Destination").as_deref(),
        Some("https://console.aws.amazon.com/console/home")
    );
}

#[test]
fn login_in_govcloud_and_china_uses_their_consoles() {
    for (partition, region, console) in [
        (
            "aws-us-gov",
            "us-gov-west-1",
            "https://console.amazonaws-us-gov.com/console/home?region=us-gov-west-1",
        ),
        (
            "aws-cn",
            "cn-north-1",
            "https://console.amazonaws.cn/console/home?region=cn-north-1",
        ),
    ] {
        let role = format!("arn:{partition}:iam::111111111111:role/hub-team");
        let mut env = TestEnv::new(Config {
            roles: vec![SamlRole {
                role_arn: role.clone(),
                provider_arn: format!("arn:{partition}:iam::111111111111:saml-provider/okta"),
            }],
            ..Config::default()
        });
        env.add();
        federation(&mut env, 200, r#"{"SigninToken":"t"}"#);
        env.write_config(&format!(
            "[okta]\naws_saml_url = {}\n[profile gov]\nrole_arn = {role}\nregion = {region}\n",
            fake_okta::DEFAULT_SAML_PATH
        ));
        let out = env.run(&["login", "gov", "--stdout"]);
        assert!(out.status.success(), "{partition}: {}", stderr(&out));
        assert_eq!(
            query_param(stdout(&out).trim(), "Destination").as_deref(),
            Some(console),
            "{partition}"
        );
    }
}

#[test]
fn login_fails_clearly_without_a_signin_token() {
    let mut env = ready();
    federation(&mut env, 200, r#"{"Other":"x"}"#);
    let out = env.run(&["login", "spoke", "--stdout"]);
    assert_exit(&out, exit::FEDERATION, "without a SigninToken");
    assert!(stdout(&out).is_empty());

    let mut env = ready();
    federation(&mut env, 400, r#"{"message":"bad"}"#);
    let out = env.run(&["login", "spoke", "--stdout"]);
    assert_exit(&out, exit::FEDERATION, "HTTP 400");
}

#[test]
fn login_opens_the_okta_app_for_a_profile_with_its_own_saml_url() {
    let env = ready();
    env.write_config(&format!(
        "{}aws_saml_url = home/amazon_aws/0oaOTHER/99\n",
        config_text()
    ));
    let out = env.run(&["login", "sub", "--stdout"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        format!("{}/home/amazon_aws/0oaOTHER/99", env.okta.url())
    );
    assert_eq!(
        env.okta.counters().total,
        0,
        "no login needed to open the Okta app"
    );
}

#[test]
fn write_to_credentials_keeps_everything_else_byte_for_byte() {
    let env = ready();
    env.write_config(&sdk_native_config_text());
    let path = env.home().join(".aws/credentials");
    let original = "# my credentials\n[default]\naws_access_key_id = AKIAKEEP\naws_secret_access_key = keep\n\n[spoke]\n; old ones\naws_access_key_id = OLD\n\n[zeta]\nregion=x\n";
    std::fs::write(&path, original).unwrap();
    let out = env.run(&["write-to-credentials", "spoke"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written = std::fs::read_to_string(&path).unwrap();
    let creds = cred_process_json(&env.run(&["cred-process", "spoke"]));
    let key = creds["AccessKeyId"].as_str().unwrap();
    assert!(written.starts_with("# my credentials\n[default]\naws_access_key_id = AKIAKEEP\naws_secret_access_key = keep\n\n[spoke]\n"), "{written}");
    assert!(
        written.contains(&format!("aws_access_key_id = {key}\n")),
        "{written}"
    );
    assert!(
        written.contains("aws_session_token = ") && written.contains("x_security_token_expires = "),
        "{written}"
    );
    assert!(
        written.ends_with("; old ones\n\n[zeta]\nregion=x\n"),
        "{written}"
    );
    assert!(!written.contains("OLD"));
    let backup = env.home().join(".aws/credentials.aws-okta.bak");
    assert_eq!(std::fs::read_to_string(backup).unwrap(), original);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn write_to_credentials_creates_a_missing_file_at_0600() {
    let env = ready();
    env.write_config(&sdk_native_config_text());
    let path = env.home().join("elsewhere/creds");
    let out = env.run(&["write-to-credentials", "hub", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("[hub]\naws_access_key_id = "), "{text}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn cache_list_clear_and_logout() {
    let env = ready();
    let creds = cred_process_json(&env.run(&["cred-process", "spoke"]));
    let list = env.run(&["cache", "list"]);
    let text = stdout(&list);
    assert!(
        text.lines()
            .any(|l| l.starts_with("hub ") && l.contains("assumed-role/hub-team/")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("spoke ") && l.contains("(in ")),
        "{text}"
    );
    assert!(text.contains("Okta session of account 'default'"), "{text}");
    for key in ["AccessKeyId", "SecretAccessKey", "SessionToken"] {
        assert!(
            !text.contains(creds[key].as_str().unwrap()),
            "cache list shows a secret: {text}"
        );
    }

    let out = env.run(&["cache", "clear", "spoke"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&env.run(&["cache", "list"]))
        .lines()
        .any(|l| l.starts_with("spoke ")));
    env.okta.reset_counters();
    let again = cred_process_json(&env.run(&["cred-process", "spoke"]));
    assert_ne!(
        again["AccessKeyId"], creds["AccessKeyId"],
        "spoke credentials were fetched again"
    );
    assert_eq!(
        env.okta.counters().total,
        0,
        "the hub credentials stayed cached"
    );

    let out = env.run(&["logout"]);
    assert_exit(&out, 0, "Forgot 1 Okta session(s)");
    env.okta.reset_counters();
    cred_process_json(&env.run(&["cred-process", "spoke"]));
    let c = env.okta.counters();
    assert_eq!(
        (c.authn, c.pushes),
        (1, 1),
        "logged out: a fresh login {c:?}"
    );

    let out = env.run(&["logout", "--all"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.run(&["cred-process", "spoke"]);
    assert_eq!(
        code(&out),
        exit::KEYCHAIN,
        "password forgotten: {}",
        stderr(&out)
    );
}

#[test]
fn no_cache_forces_a_fresh_login() {
    let env = ready();
    cred_process_json(&env.run(&["cred-process", "hub"]));
    env.okta.reset_counters();
    cred_process_json(&env.run(&["cred-process", "--no-cache", "hub"]));
    let c = env.okta.counters();
    assert_eq!((c.authn, c.pushes), (1, 1), "{c:?}");
}

const BOTO_PROBE: &str = r#"
import boto3, os, sys, urllib.request, urllib.error
uri = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
print("uri", uri)
print("static", os.environ.get("AWS_ACCESS_KEY_ID", "none"))
for n in (1, 2):
    session = boto3.session.Session()  # a new session re-reads the endpoint
    arn = session.client("sts").get_caller_identity()["Arn"]
    print("call", n, arn, session.get_credentials().get_frozen_credentials().access_key)
req = urllib.request.Request(uri, headers={"Authorization": "wrong"})
try:
    urllib.request.urlopen(req)
    print("wrong-token", 200)
except urllib.error.HTTPError as e:
    print("wrong-token", e.code)
sys.exit(5)
"#;

#[test]
fn exec_server_serves_credentials_to_a_real_sdk_without_a_refresh_loop() {
    let mut env = ready();
    // Treat credentials as expiring at once. The endpoint refreshes them once (the cache cannot
    // keep them), then answers from memory until half their life is over, instead of logging
    // in again for every request (tests/it/trust_server.rs and src/server.rs test the rest).
    env.extra_env
        .push(("AWS_OKTA_EXPIRY_WINDOW".into(), "2h".into()));
    let python = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    let out = env.run(&[
        "exec",
        "--server",
        "spoke",
        "--",
        python.to_str().unwrap(),
        "-c",
        BOTO_PROBE,
    ]);
    let text = stdout(&out);
    assert_eq!(
        code(&out),
        5,
        "exit code passed through; stdout: {text} stderr: {}",
        stderr(&out)
    );
    assert!(
        text.contains("static none"),
        "no static keys in the environment: {text}"
    );
    let calls: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| l.starts_with("call "))
        .map(|l| l.split(' ').collect())
        .collect();
    assert_eq!(calls.len(), 2, "{text}");
    for call in &calls {
        assert!(
            call[2].starts_with("arn:aws:sts::222222222222:assumed-role/spoke-admin/"),
            "{text}"
        );
    }
    assert_eq!(
        calls[0][3], calls[1][3],
        "the second session got the credentials in memory: {text}"
    );
    assert!(text.contains("wrong-token 401"), "{text}");
    let c = env.okta.counters();
    assert_eq!(
        (c.authn, c.pushes),
        (1, 1),
        "refreshes reuse the Okta session: {c:?}"
    );

    // The endpoint lived exactly as long as the child.
    let uri = text.lines().find_map(|l| l.strip_prefix("uri ")).unwrap();
    let addr = uri.trim_start_matches("http://").trim_end_matches('/');
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "server still listening at {addr}"
    );
}

#[test]
fn completion_scripts_and_profile_completion() {
    let env = ready();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = env.run(&["completion", shell]);
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        assert!(
            stdout(&out).contains("COMPLETE"),
            "{shell}: {}",
            stdout(&out)
        );
    }
    let out = env.run(&["completion", "tcsh"]);
    assert_eq!(code(&out), exit::USAGE);

    let out = env
        .cmd(&["--", "aws-okta", "exec", "sp"])
        .env("COMPLETE", "fish")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        "spoke",
        "profiles come from the config"
    );
}

#[test]
fn man_page_is_roff() {
    let env = ready();
    let out = env.run(&["man"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.starts_with(".ie") || text.contains(".TH aws-okta"),
        "{}",
        &text[..200.min(text.len())]
    );
    assert!(
        text.contains("cred\\-process") || text.contains("cred-process"),
        "subcommands listed"
    );
}

/// Two backends cache items of the same name; clearing one (and logging out of it) leaves the
/// other's cache and session alone, and really clears its own.
#[test]
fn cache_clear_and_logout_act_on_their_own_backend_only() {
    let mut env = TestEnv::new(Config::default());
    // keyutils items outlive the test (the keyring crate links them to the persistent
    // keyring): an account name of this run's own keeps them apart from every other run's.
    let dir_name = env
        .home()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    let account = format!("two-backends-{}", dir_name.trim_start_matches('.'));
    let account = account.as_str();
    env.write_config(&format!(
        "{}\n[okta]\nokta_account_name = {account}\n",
        config_text()
    ));
    let add = |env: &TestEnv| {
        let out = env.add_account(account);
        assert!(out.status.success(), "{}", stderr(&out));
    };
    add(&env); // file backend
    let file_creds = cred_process_json(&env.run(&["cred-process", "hub"]));
    env.backend = "keyutils".into();
    add(&env);
    let kernel_creds = cred_process_json(&env.run(&["cred-process", "hub"]));
    assert_ne!(file_creds["AccessKeyId"], kernel_creds["AccessKeyId"]);

    // The file backend logs in last: its index entries must not hide keyutils' items.
    env.backend = "file".into();
    env.clear_aws_cache();
    cred_process_json(&env.run(&["cred-process", "hub"]));

    env.backend = "keyutils".into();
    let out = env.run(&["logout"]);
    assert_exit(
        &out,
        0,
        "Forgot 1 Okta session(s) and 1 cached credential set(s)",
    );
    env.okta.reset_counters();
    cred_process_json(&env.run(&["cred-process", "hub"]));
    let c = env.okta.counters();
    assert_eq!(
        (c.authn, c.pushes),
        (1, 1),
        "keyutils logged in afresh: {c:?}"
    );

    env.backend = "file".into();
    env.okta.reset_counters();
    cred_process_json(&env.run(&["cred-process", "hub"]));
    assert_eq!(
        env.okta.counters().total,
        0,
        "the file backend is still warm"
    );

    env.backend = "keyutils".into();
    let out = env.run(&["logout", "--all", "--account", account]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// What the file backend holds, as item names (its files are `<name>.enc`, bytes outside
/// `[A-Za-z0-9._-]` percent-encoded).
fn stored_items(env: &TestEnv) -> Vec<String> {
    let mut names: Vec<String> = env
        .file_backend_dirs()
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flat_map(|entries| entries.flatten())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            // `.passphrase-check` and the like are the backend's own files, not items.
            let name = name.strip_suffix(".enc").filter(|n| !n.starts_with('.'))?;
            let bytes = name.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'%' && i + 3 <= bytes.len() {
                    out.push(u8::from_str_radix(&name[i + 1..i + 3], 16).unwrap());
                    i += 3;
                } else {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
            Some(String::from_utf8(out).unwrap())
        })
        .collect();
    names.sort();
    names
}

/// Every item a login leaves is in the keychain catalogue, and `cache clear`, `logout` and
/// `logout --all` each delete exactly what the catalogue says they delete.
#[test]
fn cache_clear_and_logout_delete_what_the_item_catalogue_says() {
    use aws_okta::keychain::items::{deleted_by, entry_of, Deleter, Item};
    let env = ready();
    cred_process_json(&env.run(&["cred-process", "spoke"]));
    let before = stored_items(&env);
    for name in &before {
        assert!(entry_of(name).is_some(), "not in the catalogue: {name}");
    }
    for kind in [
        Item::OktaCredentials,
        Item::OktaSession,
        Item::AwsCredentials,
    ] {
        assert!(
            before.iter().any(|n| entry_of(n).unwrap().item == kind),
            "{kind:?} missing from {before:?}"
        );
    }
    let mut expected = before.clone();
    for (args, deleter) in [
        (&["cache", "clear"][..], Deleter::CacheClear),
        (&["logout"][..], Deleter::Logout),
        (&["logout", "--all"][..], Deleter::LogoutAll),
    ] {
        let out = env.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        expected.retain(|name| !deleted_by(name, deleter));
        assert_eq!(stored_items(&env), expected, "after {args:?}");
    }
    assert!(expected.is_empty(), "logout --all left {expected:?}");
}
