//! SDK-native profiles used by real AWS clients nobody here wrote, with no wrapper: the AWS
//! CLI (PyPI), boto3 and the AWS SDK for JavaScript v3 (npm) read `AWS_PROFILE`, find
//! `credential_process = aws-okta cred-process <profile>` and get the whole hub → spoke chain
//! from aws-okta. Cold once, then warm with no request to Okta and no AssumeRole to STS.
// Linux-only parts (gnome-keyring, keyutils, Debian shells, mount namespaces, the AWS CLI and
// JavaScript SDK that scripts/install-test-deps installs): other platforms compile it out.
#![cfg(target_os = "linux")]

use crate::common::chaos;

use crate::common::*;
use fake_okta::Config;
use std::path::PathBuf;
use std::process::{Command, Output};

fn venv_bin(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(".venv/bin")
        .join(name)
}

/// A TestEnv whose STS endpoint is a proxy in front of moto that records every call, so
/// the test can tell aws-okta's AssumeRole calls from the client's own GetCallerIdentity.
struct SdkEnv {
    env: TestEnv,
    sts: chaos::Chaos,
}

impl SdkEnv {
    fn new() -> SdkEnv {
        let mut env = TestEnv::new(Config::default());
        let sts = chaos::Chaos::start(&env.sts_url, |_, _| chaos::Fault::Pass);
        env.sts_url = sts.url.clone();
        env.write_config(&sdk_native_config_text());
        env.add();
        SdkEnv { env, sts }
    }

    /// `program` with the harness's environment, `AWS_PROFILE=profile`, and aws-okta on PATH
    /// (as an installed aws-okta would be).
    fn client(&self, program: &std::path::Path, profile: &str) -> Command {
        let bin_dir = PathBuf::from(env!("CARGO_BIN_EXE_aws-okta"));
        let path = format!(
            "{}:{}",
            bin_dir.parent().unwrap().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .envs(
                self.env
                    .cmd(&[])
                    .get_envs()
                    .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))),
            )
            .env("PATH", path)
            .env("AWS_PROFILE", profile);
        cmd
    }

    fn assume_role_calls(&self) -> usize {
        self.sts.transcript().matches("Action=AssumeRole").count()
    }

    /// Runs `cmd` cold (one login) then warm (nothing to Okta, no AssumeRole), expecting the
    /// spoke role's ARN on stdout each time.
    fn cold_then_warm(&self, mut cmd: impl FnMut() -> Command) {
        let out = cmd().output().unwrap();
        assert_assumed_spoke(&out);
        let c = self.env.okta.counters();
        assert_eq!((c.authn, c.pushes), (1, 1), "one login: {c:?}");
        assert_eq!(self.assume_role_calls(), 2, "{}", self.sts.transcript());

        self.env.okta.reset_counters();
        let out = cmd().output().unwrap();
        assert_assumed_spoke(&out);
        assert_eq!(self.env.okta.counters().total, 0, "warm: nothing to Okta");
        assert_eq!(self.assume_role_calls(), 2, "warm: no AssumeRole");
    }
}

fn assert_assumed_spoke(out: &Output) {
    assert!(out.status.success(), "{}\n{}", stdout(out), stderr(out));
    let text = stdout(out);
    assert!(
        text.contains("assumed-role/spoke-admin/"),
        "not the spoke role: {text}"
    );
}

#[test]
fn the_aws_cli_uses_an_sdk_native_profile_with_no_wrapper() {
    let sdk = SdkEnv::new();
    sdk.cold_then_warm(|| {
        let mut cmd = sdk.client(&venv_bin("aws"), "spoke");
        cmd.args([
            "sts",
            "get-caller-identity",
            "--output",
            "text",
            "--query",
            "Arn",
        ]);
        cmd
    });
}

#[test]
fn boto3_uses_an_sdk_native_profile_with_no_wrapper() {
    let sdk = SdkEnv::new();
    sdk.cold_then_warm(|| {
        let mut cmd = sdk.client(&venv_bin("python"), "spoke");
        cmd.args([
            "-c",
            "import boto3; print(boto3.Session().client('sts', region_name='us-east-1').get_caller_identity()['Arn'])",
        ]);
        cmd
    });
}

#[test]
fn the_aws_sdk_for_javascript_uses_an_sdk_native_profile_with_no_wrapper() {
    let js = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    assert!(
        js.join("node_modules/@aws-sdk/client-sts").is_dir(),
        "run ./scripts/install-test-deps (npm ci in tests/js)"
    );
    let sdk = SdkEnv::new();
    sdk.cold_then_warm(|| {
        let mut cmd = sdk.client(std::path::Path::new("node"), "spoke");
        cmd.arg(js.join("caller-identity.mjs"));
        cmd
    });
}

#[test]
fn aws_okta_commands_work_on_sdk_native_profiles() {
    let sdk = SdkEnv::new();
    let env = &sdk.env;
    let out = env.run(&[
        "exec",
        "spoke",
        "--",
        "sh",
        "-c",
        "echo $AWS_OKTA_ASSUMED_ROLE_ARN; echo profile=${AWS_PROFILE:-unset}",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("assumed-role/spoke-admin/"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("profile=unset"));
    let out = env.run(&["env", "spoke"]);
    assert!(
        stdout(&out).contains("AWS_SECRET_ACCESS_KEY="),
        "{}",
        stderr(&out)
    );
    let out = env.run(&["list"]);
    let list = stdout(&out);
    let spoke = list.lines().find(|l| l.starts_with("spoke")).unwrap();
    assert!(
        spoke.contains(SPOKE_ROLE) && spoke.contains("hub"),
        "{list}"
    );
    assert!(!list.contains("aws-okta only"), "{list}");
    let out = env.run(&["config", "validate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    assert!(stdout(&out).contains("OK: 3 profiles"), "{}", stdout(&out));
}

/// The trap the issue describes: a segmentio-style config fails in the AWS CLI; `validate`
/// says why and `config migrate` fixes it, keeping every other byte.
#[test]
fn migrate_turns_a_segmentio_config_into_one_the_aws_cli_uses() {
    let sdk = SdkEnv::new();
    let env = &sdk.env;
    let segmentio = format!(
        "# my own notes\n{}\n[profile personal]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n",
        config_text()
    );
    env.write_config(&segmentio);
    let aws = || {
        let mut cmd = sdk.client(&venv_bin("aws"), "spoke");
        cmd.args([
            "sts",
            "get-caller-identity",
            "--output",
            "text",
            "--query",
            "Arn",
        ]);
        cmd.output().unwrap()
    };
    let before = aws();
    assert!(
        !before.status.success(),
        "the AWS CLI misreads it: {}",
        stdout(&before)
    );

    let out = env.run(&["config", "validate"]);
    assert!(out.status.success(), "warnings only: {}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: profile 'hub'"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("config migrate"), "{}", stderr(&out));

    let out = env.run(&["config", "migrate", "--dry-run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("+okta_role_arn = "),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        std::fs::read_to_string(env.config_path()).unwrap(),
        segmentio
    );

    let out = env.run(&["config", "migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("backup of the old file"),
        "{}",
        stderr(&out)
    );
    let after = std::fs::read_to_string(env.config_path()).unwrap();
    // Every line that is not a chain key is kept; the static-key profile is not touched.
    let kept = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| {
                !l.starts_with("role_arn")
                    && !l.starts_with("source_profile")
                    && !l.starts_with("okta_role_arn")
                    && !l.starts_with("okta_source_profile")
                    && !l.starts_with("credential_process")
            })
            .map(str::to_string)
            .collect()
    };
    assert_eq!(kept(&after), kept(&segmentio));
    assert!(after.contains("[profile personal]\naws_access_key_id = AKIAEXAMPLE\n"));
    let backups: Vec<_> = std::fs::read_dir(env.config_path().parent().unwrap())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("aws-okta-backup"))
        .collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(
        std::fs::read_to_string(backups[0].path()).unwrap(),
        segmentio
    );

    assert_assumed_spoke(&aws());
    let out = env.run(&["config", "validate"]);
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
}

/// `write-to-credentials` writes what the AWS CLI then uses by itself: for an SDK-native
/// profile under its own name (the credentials file comes before credential_process), for a
/// segmentio-style one (whose role_arn the CLI would use first) only under another name.
#[test]
fn write_to_credentials_writes_what_the_aws_cli_uses() {
    let sdk = SdkEnv::new();
    let env = &sdk.env;
    // Without aws-okta on PATH, the CLI can only succeed from the credentials file.
    let aws_alone = |profile: &str| {
        let mut cmd = sdk.client(&venv_bin("aws"), profile);
        cmd.env("PATH", "/usr/bin:/bin").args([
            "--region",
            "us-east-1",
            "sts",
            "get-caller-identity",
            "--output",
            "text",
            "--query",
            "Arn",
        ]);
        cmd.output().unwrap()
    };
    assert!(!aws_alone("spoke").status.success(), "needs aws-okta first");
    let out = env.run(&["write-to-credentials", "spoke"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_assumed_spoke(&aws_alone("spoke"));

    env.write_config(&config_text());
    let out = env.run(&["write-to-credentials", "spoke"]);
    assert_exit(&out, exit::CONFIG, "--as spoke-creds");
    assert!(stderr(&out).contains("sets role_arn"), "{}", stderr(&out));
    let out = env.run(&["write-to-credentials", "spoke", "--as", "spoke-creds"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_assumed_spoke(&aws_alone("spoke-creds"));
}
