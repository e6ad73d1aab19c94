//! `aws-okta env --format`: each shell format is evaluated by the real shell it is for (bash,
//! zsh, fish), in a shell that already has a stale `AWS_PROFILE`, and what the shell then
//! exports must be exactly the credentials `cred-process` hands out, with the profile
//! variables gone. The profile name (exported as `AWS_OKTA_PROFILE`) holds a quote, `$`, a
//! backtick and a double quote, so a format that quotes wrongly either fails to parse or
//! changes the value. (The region cannot: it is also the region STS signs for, and STS
//! refuses such a region; the unit tests in `src/cli/env_format.rs` cover every value.)
// Linux-only parts (gnome-keyring, keyutils, Debian shells, mount namespaces, the AWS CLI and
// JavaScript SDK that scripts/install-test-deps installs): other platforms compile it out.
#![cfg(target_os = "linux")]

use crate::common::*;
use fake_okta::{Config, Factor, PushBehavior, DEFAULT_HUB_ROLE, DEFAULT_SAML_PATH};
use std::collections::HashMap;
use std::process::{Command, Output};

/// A profile name that is data in every format but code in a careless one.
const ODD_PROFILE: &str = "it's$HOME\"`id`";
const REGION: &str = "us-west-2";

/// What a shell must not keep after evaluating the output (`credential_env`'s removals).
const CLEARED: [&str; 3] = ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CREDENTIAL_FILE"];

fn ready() -> TestEnv {
    let env = TestEnv::new(Config {
        factors: vec![Factor::Push {
            id: "opf1push".into(),
            behavior: PushBehavior::ApproveAfter(1),
            number_challenge: None,
        }],
        ..Config::default()
    });
    env.write_config(&format!(
        "[okta]\naws_saml_url = {DEFAULT_SAML_PATH}\n\n\
         [profile hub]\nrole_arn = {DEFAULT_HUB_ROLE}\nregion = us-east-1\n\n\
         [profile {ODD_PROFILE}]\nsource_profile = hub\nrole_arn = {SPOKE_ROLE}\nregion = {REGION}\n"
    ));
    env.add();
    env
}

/// The credentials every format must carry: `cred-process`'s (cached by the first call, so
/// every later `env` serves the same ones).
fn expected(env: &TestEnv) -> (serde_json::Value, Vec<(&'static str, String)>) {
    let json = cred_process_json(&env.run(&["cred-process", ODD_PROFILE]));
    let s = |k: &str| json[k].as_str().unwrap().to_string();
    let vars = vec![
        ("AWS_ACCESS_KEY_ID", s("AccessKeyId")),
        ("AWS_SECRET_ACCESS_KEY", s("SecretAccessKey")),
        ("AWS_SESSION_TOKEN", s("SessionToken")),
        ("AWS_SECURITY_TOKEN", s("SessionToken")),
        ("AWS_CREDENTIAL_EXPIRATION", s("Expiration")),
        ("AWS_REGION", REGION.to_string()),
        ("AWS_DEFAULT_REGION", REGION.to_string()),
        ("AWS_OKTA_PROFILE", ODD_PROFILE.to_string()),
    ];
    (json, vars)
}

/// Runs `script` in `shell` with the test's environment for aws-okta, the binary in
/// `$AWS_OKTA`, the profile in `$P` and stale profile variables exported, and returns what
/// the shell finally exports (`env -0`).
fn shell_exports(env: &TestEnv, shell: &str, script: &str) -> HashMap<String, String> {
    let template = env.cmd(&[]);
    let mut cmd = Command::new(shell);
    cmd.env_clear();
    for (k, v) in template.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    for name in CLEARED {
        cmd.env(name, "stale");
    }
    cmd.env("AWS_OKTA", env!("CARGO_BIN_EXE_aws-okta"))
        .env("P", ODD_PROFILE)
        .arg("-c")
        .arg(format!("{script}\nenv -0"));
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{shell} failed ({}): {}\n{}",
        code(&out),
        stderr(&out),
        stdout(&out)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .split('\0')
        .filter_map(|entry| entry.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn assert_exports(shell: &str, got: &HashMap<String, String>, vars: &[(&str, String)]) {
    for (name, value) in vars {
        assert_eq!(
            got.get(*name).map(String::as_str),
            Some(value.as_str()),
            "{shell}: {name}"
        );
    }
    assert!(
        got["AWS_OKTA_ASSUMED_ROLE_ARN"].contains(":assumed-role/spoke-admin/"),
        "{shell}: {:?}",
        got.get("AWS_OKTA_ASSUMED_ROLE_ARN")
    );
    for name in CLEARED {
        assert_eq!(got.get(name), None, "{shell}: the stale {name} is gone");
    }
}

#[test]
fn bash_zsh_and_fish_evaluate_their_format_to_the_cred_process_credentials() {
    let env = ready();
    let (_, vars) = expected(&env);

    // The default format, evaluated the documented way in bash and sourced in zsh.
    let bash = shell_exports(
        &env,
        "bash",
        r#"out=$("$AWS_OKTA" env "$P") || exit 97; eval "$out""#,
    );
    assert_exports("bash", &bash, &vars);
    let zsh = shell_exports(
        &env,
        "zsh",
        r#""$AWS_OKTA" env --format env "$P" > "$HOME/creds.sh" || exit 97; source "$HOME/creds.sh""#,
    );
    assert_exports("zsh", &zsh, &vars);

    // fish: piped into `source` (the documented way) and through `eval (...)`, which joins the
    // lines with spaces and so relies on the `;` after each.
    let fish = shell_exports(
        &env,
        "fish",
        r#""$AWS_OKTA" env --format fish $P | source; or exit 97"#,
    );
    assert_exports("fish | source", &fish, &vars);
    let fish_eval = shell_exports(
        &env,
        "fish",
        r#"eval ("$AWS_OKTA" env --format fish $P); or exit 97"#,
    );
    assert_exports("fish eval", &fish_eval, &vars);
}

/// `docker --env-file` reads `KEY=VALUE` lines and takes everything after the first `=`
/// verbatim (no quote removal, no expansion): read the output the same way.
#[test]
fn env_no_export_reads_back_verbatim_as_an_env_file() {
    let env = ready();
    let (_, vars) = expected(&env);
    let out = env.run(&["env", "--format", "env-no-export", ODD_PROFILE]);
    assert_exit(&out, 0, "");
    let text = stdout(&out);
    let mut file = HashMap::new();
    for line in text.lines() {
        let (key, value) = line.split_once('=').expect("KEY=VALUE");
        assert!(
            key.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
            "{line}"
        );
        assert!(file.insert(key.to_string(), value.to_string()).is_none());
    }
    assert_exports("env-no-export", &file, &vars);
    assert!(
        !text.contains("AWS_PROFILE"),
        "an env file cannot unset, so it says nothing about AWS_PROFILE: {text}"
    );
}

#[test]
fn process_format_is_byte_for_byte_cred_process() {
    let env = ready();
    let (json, _) = expected(&env);
    let out = env.run(&["env", "--format", "process", ODD_PROFILE]);
    assert_exit(&out, 0, "");
    let cred_process = env.run(&["cred-process", ODD_PROFILE]);
    assert_eq!(stdout(&out), stdout(&cred_process));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap(),
        json
    );
}

/// The Windows formats cannot run here (their quoting has unit tests): they carry the same
/// keys, clear the profile in their own syntax, and an unknown format is a usage error.
#[test]
fn windows_formats_carry_the_credentials_and_unknown_formats_are_refused() {
    let env = ready();
    let (json, _) = expected(&env);
    let key = json["AccessKeyId"].as_str().unwrap();
    let run = |format: &str| -> Output { env.run(&["env", "--format", format, ODD_PROFILE]) };

    let ps = stdout(&run("powershell"));
    assert!(
        ps.contains(&format!("$Env:AWS_ACCESS_KEY_ID = \"{key}\"\n")),
        "{ps}"
    );
    assert!(
        ps.contains("Remove-Item Env:AWS_PROFILE -ErrorAction SilentlyContinue\n"),
        "{ps}"
    );
    assert!(
        ps.contains("$Env:AWS_OKTA_PROFILE = \"it's`$HOME`\"``id``\"\n"),
        "{ps}"
    );

    let cmd = stdout(&run("windows-cmd"));
    assert!(
        cmd.contains(&format!("set AWS_ACCESS_KEY_ID={key}\n")),
        "{cmd}"
    );
    assert!(cmd.starts_with("set AWS_PROFILE=\n"), "{cmd}");
    assert!(
        cmd.contains("set AWS_OKTA_PROFILE=it's$HOME^\"`id`\n"),
        "{cmd}"
    );

    let out = run("tcsh");
    assert_exit(&out, exit::USAGE, "invalid value 'tcsh'");
    assert!(stderr(&out).contains("env-no-export"), "{}", stderr(&out));
}
