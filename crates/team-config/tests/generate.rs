//! `aws-okta config generate`: golden files, `--check` staleness, and every invalid input.
//!
//! Set `AWS_OKTA_UPDATE_GENERATED=1` to rewrite the committed `team-configs/` outputs and the
//! golden fixtures instead of comparing against them (then review the diff).

use std::fs;
use std::path::{Path, PathBuf};

use aws_okta_team_config::{
    generate, generate_from_str, output_dir, stale_files, write_files, Error,
};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn updating() -> bool {
    std::env::var_os("AWS_OKTA_UPDATE_GENERATED").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Generates from `source` and asserts the files beside it are exactly the output.
fn assert_up_to_date(source: &Path, how_to_fix: &str) {
    let files = generate(source).unwrap_or_else(|e| panic!("{e}"));
    let base = output_dir(source);
    if updating() {
        write_files(&base, &files).unwrap();
    }
    let stale = stale_files(&base, &files);
    assert!(
        stale.is_empty(),
        "out of date under {}: {stale:?}; {how_to_fix}",
        base.display()
    );
}

#[test]
fn committed_team_configs_are_up_to_date() {
    assert_up_to_date(
        &repo_root().join("team-configs/org.toml"),
        "run `aws-okta config generate` (or AWS_OKTA_UPDATE_GENERATED=1 cargo test -p aws-okta-team-config)",
    );
}

#[test]
fn golden_govcloud_fixture() {
    assert_up_to_date(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/govcloud/org.toml"),
        "rerun with AWS_OKTA_UPDATE_GENERATED=1 and review the diff",
    );
}

#[test]
fn example_org_has_the_promised_shape() {
    let files = generate(&repo_root().join("team-configs/org.toml")).unwrap();
    let paths: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
    assert_eq!(
        paths,
        [
            "teams/finance.config",
            "teams/oncall.config",
            "teams/product.config",
            "generated/terraform.json"
        ]
    );
    let get = |p: &str| {
        &files
            .iter()
            .find(|f| f.path == Path::new(p))
            .unwrap()
            .contents
    };

    // Finance: the hub role only.
    let finance = get("teams/finance.config");
    assert_eq!(finance.matches("[profile ").count(), 1);
    assert!(finance.contains(
        "[okta]\naws_saml_url = home/amazon_aws/0oa1abcdEFGH/272\nmfa_factor_type = push\n"
    ));
    assert!(finance.contains(
        "[profile finance-hub]\nokta_role_arn = arn:aws:iam::111111111111:role/team-finance\nregion = us-east-1\nokta_aws_account_name = hub\nsession_ttl = 8h\ncredential_process = aws-okta cred-process finance-hub\n"
    ));
    assert!(!finance.contains("source_profile"));
    // SDK-native: nothing an AWS SDK would act on by itself.
    for line in finance.lines() {
        assert!(!line.starts_with("role_arn"), "{line}");
    }

    // On-call: ReadOnly and Administrator in each of the three spokes, chained from its hub role.
    let oncall = get("teams/oncall.config");
    assert_eq!(oncall.matches("[profile ").count(), 7);
    assert_eq!(
        oncall.matches("okta_source_profile = oncall-hub\n").count(),
        6
    );
    assert_eq!(oncall.matches("\nsource_profile").count(), 0);
    assert_eq!(oncall.matches("\nrole_arn").count(), 0);
    for (acct, id) in [
        ("dev", "222222222222"),
        ("staging", "333333333333"),
        ("prod", "444444444444"),
    ] {
        for role in ["ReadOnly", "Administrator"] {
            let section = format!(
                "[profile {acct}-{r}]\nokta_source_profile = oncall-hub\nokta_role_arn = arn:aws:iam::{id}:role/{role}\n",
                r = role.to_lowercase()
            );
            let process = format!(
                "credential_process = aws-okta cred-process {acct}-{}\n",
                role.to_lowercase()
            );
            assert!(oncall.contains(&process), "{process} missing in\n{oncall}");
            assert!(oncall.contains(&section), "{section} missing in\n{oncall}");
        }
    }
    assert!(oncall.contains("assume_role_ttl = 1h\n"));

    let product = get("teams/product.config");
    assert!(product.contains("[profile dev-developer]\nokta_source_profile = product-hub\nokta_role_arn = arn:aws:iam::222222222222:role/Developer\nregion = us-west-2\nokta_aws_account_name = dev\ncredential_process = aws-okta cred-process dev-developer\n"));
    assert!(!product.contains("444444444444"));

    // The Terraform input: spoke roles trust exactly the teams granted them.
    let tf: serde_json::Value = serde_json::from_str(get("generated/terraform.json")).unwrap();
    assert_eq!(
        tf["spokes"]["dev"]["roles"]["ReadOnly"]["trusted_hub_role_names"],
        serde_json::json!(["team-oncall", "team-product"])
    );
    assert_eq!(
        tf["spokes"]["prod"]["roles"]["Administrator"]["trusted_hub_role_names"],
        serde_json::json!(["team-oncall"])
    );
    assert_eq!(
        tf["teams"]["finance"]["assumable_role_arns"],
        serde_json::json!([])
    );
    assert_eq!(
        tf["teams"]["product"]["assumable_role_arns"],
        serde_json::json!([
            "arn:aws:iam::222222222222:role/Developer",
            "arn:aws:iam::222222222222:role/ReadOnly",
            "arn:aws:iam::333333333333:role/ReadOnly"
        ])
    );
    assert_eq!(
        tf["saml_provider"]["arn"],
        "arn:aws:iam::111111111111:saml-provider/okta"
    );
    assert_eq!(tf["hub"]["account_id"], "111111111111");
}

#[test]
fn output_is_deterministic() {
    let src = repo_root().join("team-configs/org.toml");
    assert_eq!(generate(&src).unwrap(), generate(&src).unwrap());
    // Only the file name of the source matters, not where it is.
    let text = fs::read_to_string(&src).unwrap();
    let a = generate_from_str(Path::new("/x/org.toml"), &text).unwrap();
    let b = generate_from_str(Path::new("elsewhere/org.toml"), &text).unwrap();
    assert_eq!(a, b);
}

#[test]
fn check_finds_changed_missing_and_orphaned_files_and_write_fixes_them() {
    let src = repo_root().join("team-configs/org.toml");
    let files = generate(&src).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path();

    // Nothing written yet: everything is stale.
    assert_eq!(stale_files(base, &files).len(), files.len());
    let written = write_files(base, &files).unwrap();
    assert_eq!(written.len(), files.len());
    assert!(stale_files(base, &files).is_empty());
    // Writing again changes nothing.
    assert!(write_files(base, &files).unwrap().is_empty());

    // A hand edit, a deleted file, a generated config of a team that no longer exists, and a
    // file of the user's own in teams/ (never touched).
    fs::write(base.join("teams/oncall.config"), "edited\n").unwrap();
    fs::remove_file(base.join("generated/terraform.json")).unwrap();
    fs::write(
        base.join("teams/gone.config"),
        "# Generated by `aws-okta config generate` from org.toml: do not edit by hand.\n",
    )
    .unwrap();
    fs::write(base.join("teams/notes.config"), "mine\n").unwrap();
    fs::write(base.join("teams/README"), "mine\n").unwrap();
    let stale = stale_files(base, &files);
    assert_eq!(
        stale,
        [
            PathBuf::from("generated/terraform.json"),
            PathBuf::from("teams/gone.config"),
            PathBuf::from("teams/oncall.config"),
        ]
    );
    let fixed = write_files(base, &files).unwrap();
    assert_eq!(fixed, stale);
    assert!(stale_files(base, &files).is_empty());
    assert!(!base.join("teams/gone.config").exists());
    assert_eq!(
        fs::read_to_string(base.join("teams/notes.config")).unwrap(),
        "mine\n"
    );
    // No temporary files left behind.
    let leftovers: Vec<_> = fs::read_dir(base.join("teams"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Invalid input.

/// A small valid org (also read by aws-okta's own `config generate` tests).
const VALID: &str = include_str!("support/valid-org.toml");

fn errors_of(src: &str) -> Vec<String> {
    match generate_from_str(Path::new("team-configs/org.toml"), src) {
        Ok(_) => panic!("accepted:\n{src}"),
        Err(Error::Invalid(d)) => d.iter().map(|d| d.to_string()).collect(),
        Err(e) => panic!("unexpected error kind: {e}"),
    }
}

/// 1-based line of the first line containing `needle`.
fn line_of(src: &str, needle: &str) -> usize {
    src.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in\n{src}"))
        + 1
}

/// Replaces `from` in VALID, and asserts exactly one error `org.toml:<line of at>: ...message...`.
fn assert_one_error(from: &str, to: &str, at: &str, message: &str) {
    assert!(VALID.contains(from), "{from}");
    let src = VALID.replacen(from, to, 1);
    let errors = errors_of(&src);
    let want = format!("team-configs/org.toml:{}: ", line_of(&src, at));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with(&want) && errors[0].contains(message),
        "want `{want}...{message}...`, got {:?}",
        errors[0]
    );
}

#[test]
fn valid_base_is_valid() {
    let files = generate_from_str(Path::new("org.toml"), VALID).unwrap();
    assert_eq!(files.len(), 2);
    assert!(files[0]
        .contents
        .contains("[profile ops-hub]\nokta_role_arn = arn:aws:iam::111111111111:role/ops\n"));
    assert!(files[0]
        .contents
        .contains("[profile prod-readonly]\nokta_source_profile = ops-hub\n"));
}

#[test]
fn toml_syntax_error() {
    assert_one_error(
        "region = \"us-west-2\"",
        "region = \"us-west-2",
        "region = \"us-west-2",
        "",
    );
    assert_one_error("[hub]", "[hub", "[hub", "");
}

#[test]
fn unknown_and_missing_fields() {
    assert_one_error(
        "region = \"us-west-2\"",
        "region = \"us-west-2\"\nregoin = \"x\"",
        "regoin",
        "unknown field `regoin`",
    );
    let src = VALID.replace("account_id = \"111111111111\"\n", "");
    let errors = errors_of(&src);
    assert!(
        errors[0].contains("missing field `account_id`"),
        "{errors:?}"
    );
}

#[test]
fn unknown_account() {
    assert_one_error(
        "{ account = \"prod\", role = \"ReadOnly\" },",
        "{ account = \"prod\", role = \"ReadOnly\" },\n  { account = \"produ\", role = \"ReadOnly\" },",
        "produ",
        "unknown account `produ` (spoke accounts: prod)",
    );
    assert_one_error(
        "{ account = \"prod\", role = \"ReadOnly\" },",
        "{ account = \"prod\", role = \"ReadOnly\" },\n  { account = \"hub\", role = \"ReadOnly\" },",
        "\"hub\"",
        "is the hub account",
    );
}

#[test]
fn unknown_role() {
    assert_one_error(
        "{ account = \"prod\", role = \"ReadOnly\" },",
        "{ account = \"prod\", role = \"ReadOnly\" },\n  { account = \"prod\", role = \"Admin\" },",
        "\"Admin\"",
        "account `prod` has no role `Admin` (its roles: ReadOnly)",
    );
    assert_one_error(
        "{ account = \"prod\", role = \"ReadOnly\" },",
        "{ account = \"prod\", role = \"ReadOnly\" },\n  { account = \"*\", role = \"Admin\" },",
        "\"Admin\"",
        "no spoke account defines a role `Admin`",
    );
}

#[test]
fn duplicate_profile_names() {
    // The same grant twice.
    assert_one_error(
        "{ account = \"prod\", role = \"ReadOnly\" },",
        "{ account = \"prod\", role = \"ReadOnly\" },\n  { account = \"*\", role = \"ReadOnly\" },",
        "\"*\"",
        "duplicate profile name `prod-readonly` in team `ops` (first defined at line 21)",
    );
    // An explicit profile name clashing with the hub profile.
    assert_one_error(
        "{ account = \"prod\", role = \"ReadOnly\" },",
        "{ account = \"prod\", role = \"ReadOnly\", profile = \"ops-hub\" },",
        "ops-hub",
        "duplicate profile name `ops-hub`",
    );
    // Two roles that differ only in case map to one generated name.
    let src = VALID
        .replace(
            "policies = [\"arn:aws:iam::aws:policy/ReadOnlyAccess\"]\n",
            "policies = [\"arn:aws:iam::aws:policy/ReadOnlyAccess\"]\n\n[[spoke.role]]\nname = \"readonly\"\n",
        )
        .replace(
            "{ account = \"prod\", role = \"ReadOnly\" },",
            "{ account = \"prod\", role = \"ReadOnly\" },\n  { account = \"prod\", role = \"readonly\" },",
        );
    let errors = errors_of(&src);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with(&format!(
        "team-configs/org.toml:{}: duplicate profile name `prod-readonly`",
        line_of(&src, "role = \"readonly\"")
    )));
}

#[test]
fn bad_account_ids() {
    assert_one_error(
        "account_id = \"222222222222\"",
        "account_id = \"22222222222\"",
        "22222222222",
        "invalid AWS account id `22222222222`",
    );
    assert_one_error(
        "account_id = \"222222222222\"",
        "account_id = 222222222222",
        "222222222222",
        "invalid type: integer",
    );
    let src = VALID.replacen("\"222222222222\"", "\"111111111111\"", 1);
    assert_eq!(
        errors_of(&src),
        [format!(
            "team-configs/org.toml:{}: account id 111111111111 is already used by account `hub` (line 6)",
            last_line_of(&src, "111111111111")
        )]
    );
}

#[test]
fn bad_arns() {
    assert_one_error(
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "arn:aws:iam::aws:policy/*",
        "policy/*",
        "invalid policy ARN `arn:aws:iam::aws:policy/*`",
    );
    assert_one_error(
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "arn:aws:iam::aws:role/ReadOnlyAccess",
        "role/ReadOnlyAccess",
        "the resource must be `policy/<name>`",
    );
    assert_one_error(
        "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
        "arn:aws-cn:iam::aws:policy/ViewOnlyAccess",
        "aws-cn",
        "partition `aws-cn` is not the org's partition `aws`",
    );
    assert_one_error(
        "[team.hub_role]\n",
        "[team.hub_role]\npermissions_boundary = \"boundary\"\n",
        "permissions_boundary",
        "invalid policy ARN `boundary`",
    );
    assert_one_error(
        "arn:aws:iam::aws:policy/ReadOnlyAccess\"]",
        "arn:aws:iam::aws:policy/ReadOnlyAccess\", \"arn:aws:iam::aws:policy/ReadOnlyAccess\"]",
        "ReadOnlyAccess",
        "listed twice",
    );
}

#[test]
fn team_without_hub_role() {
    let src = VALID.replace(
        "[team.hub_role]\npolicies = [\"arn:aws:iam::aws:policy/job-function/ViewOnlyAccess\"]\n",
        "",
    );
    let errors = errors_of(&src);
    assert_eq!(
        errors,
        [format!(
            "team-configs/org.toml:{}: team `ops` has no hub role: add a [team.hub_role] table (every team needs one, it is what Okta signs in to)",
            line_of(&src, "name = \"ops\"")
        )]
    );
}

#[test]
fn names_regions_durations() {
    assert_one_error(
        "name = \"ops\"",
        "name = \"Ops\"",
        "Ops",
        "invalid name `Ops`",
    );
    assert_one_error(
        "region = \"us-west-2\"",
        "region = \"mars\"",
        "mars",
        "invalid AWS region `mars`",
    );
    assert_one_error(
        "region = \"us-west-2\"",
        "region = \"cn-north-1\"",
        "cn-north-1",
        "not in the org's partition `aws`",
    );
    assert_one_error(
        "name = \"ops\"\n",
        "name = \"ops\"\nsession_ttl = \"2h\"\n",
        "session_ttl",
        "must be between 15m and the hub role's max_session_duration (3600s)",
    );
    assert_one_error(
        "name = \"ops\"\n",
        "name = \"ops\"\nassume_role_ttl = \"2h\"\n",
        "assume_role_ttl",
        "AWS caps chained role sessions at one hour",
    );
    assert_one_error(
        "name = \"ops\"\n",
        "name = \"ops\"\nsession_ttl = \"1 day\"\n",
        "session_ttl",
        "invalid duration `1 day`",
    );
    assert_one_error(
        "[team.hub_role]\n",
        "[team.hub_role]\nmax_session_duration = 60\n",
        "max_session_duration",
        "must be between 3600 and 43200 seconds",
    );
    assert_one_error(
        "aws_saml_url = \"home/amazon_aws/0oa1abcdEFGH/272\"",
        "aws_saml_url = \"https://example.okta.com/home/amazon_aws/0oa1abcdEFGH/272\"",
        "aws_saml_url",
        "invalid aws_saml_url",
    );
    assert_one_error(
        "[hub]\n",
        "[aws]\npartition = \"aws-mars\"\n\n[hub]\n",
        "aws-mars",
        "unknown partition `aws-mars`",
    );
}

/// 1-based line of the last line containing `needle`.
fn last_line_of(src: &str, needle: &str) -> usize {
    src.lines()
        .collect::<Vec<_>>()
        .iter()
        .rposition(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in\n{src}"))
        + 1
}

fn assert_appended_error(extra: &str, at: &str, message: &str) {
    let src = format!("{VALID}{extra}");
    let errors = errors_of(&src);
    let want = format!(
        "team-configs/org.toml:{}: {message}",
        last_line_of(&src, at)
    );
    assert_eq!(errors, [want]);
}

#[test]
fn duplicates() {
    assert_appended_error(
        "\n[[team]]\nname = \"ops\"\n\n[team.hub_role]\nname = \"ops2\"\n",
        "name = \"ops\"",
        "duplicate team `ops` (first defined at line 19)",
    );
    assert_appended_error(
        "\n[[team]]\nname = \"ops2\"\n\n[team.hub_role]\nname = \"ops\"\n",
        "name = \"ops\"",
        "hub role `ops` is already the hub role of team `ops` (line 19)",
    );
    assert_appended_error(
        "\n[[spoke]]\nname = \"prod\"\naccount_id = \"333333333333\"\nregion = \"us-east-1\"\n",
        "name = \"prod\"",
        "duplicate account name `prod` (first defined at line 10)",
    );
    let src = VALID.replacen(
        "policies = [\"arn:aws:iam::aws:policy/ReadOnlyAccess\"]\n",
        "policies = [\"arn:aws:iam::aws:policy/ReadOnlyAccess\"]\n\n[[spoke.role]]\nname = \"ReadOnly\"\n",
        1,
    );
    assert_eq!(
        errors_of(&src),
        [format!(
            "team-configs/org.toml:{}: duplicate role `ReadOnly` in account `prod` (first defined at line 15)",
            last_line_of(&src, "name = \"ReadOnly\"")
        )]
    );
}

#[test]
fn unused_spoke_role() {
    assert_one_error(
        "policies = [\"arn:aws:iam::aws:policy/ReadOnlyAccess\"]\n",
        "policies = [\"arn:aws:iam::aws:policy/ReadOnlyAccess\"]\n\n[[spoke.role]]\nname = \"Orphan\"\n",
        "Orphan",
        "role `Orphan` in account `prod` is not granted to any team",
    );
}

#[test]
fn every_problem_is_reported_in_line_order() {
    let src = VALID
        .replace("\"222222222222\"", "\"2222\"")
        .replace("role = \"ReadOnly\"", "role = \"Nope\"")
        .replace(
            "domain = \"example.okta.com\"",
            "domain = \"https://example.okta.com\"",
        );
    let errors = errors_of(&src);
    // (ReadOnly is now unused, but that is not reported while a grant is broken.)
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(errors[0].starts_with("team-configs/org.toml:2: invalid Okta domain"));
    assert!(errors[1].starts_with("team-configs/org.toml:11: invalid AWS account id `2222`"));
    assert!(errors[2].starts_with(&format!(
        "team-configs/org.toml:{}: account `prod` has no role `Nope`",
        line_of(&src, "Nope")
    )));
    // And the error's Display is those lines.
    let e = generate_from_str(Path::new("team-configs/org.toml"), &src).unwrap_err();
    assert_eq!(e.to_string(), errors.join("\n"));
}

#[test]
fn missing_source_is_an_io_error_naming_the_file() {
    let e = generate(Path::new("/nonexistent/org.toml")).unwrap_err();
    assert!(matches!(e, Error::Io { .. }));
    assert!(e.to_string().starts_with("/nonexistent/org.toml: "), "{e}");
}
