//! Black-box tests of `aws-okta config generate|init|validate`.

use crate::common::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

#[path = "../../crates/team-config/tests/support/git.rs"]
mod support_git;
use support_git::git;

fn env() -> TestEnv {
    TestEnv::new(fake_okta::Config::default())
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The committed team configs (`team-configs/`).
fn team_configs() -> PathBuf {
    repo().join("team-configs")
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file under `dir`, relative, with its contents.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for entry in fs::read_dir(dir).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push((
                    p.strip_prefix(base).unwrap().to_path_buf(),
                    fs::read(&p).unwrap(),
                ));
            }
        }
    }
    let mut out = Vec::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out.sort();
    out
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {}\nstdout: {}\nstderr: {}",
        code(out),
        stdout(out),
        stderr(out)
    );
    stdout(out)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Backups beside the config file.
fn backups(config: &Path) -> Vec<PathBuf> {
    let prefix = format!(
        "{}.aws-okta-backup-",
        config.file_name().unwrap().to_string_lossy()
    );
    let mut v: Vec<PathBuf> = fs::read_dir(config.parent().unwrap())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

// ---------------------------------------------------------------- generate

#[test]
fn generate_writes_the_committed_files_from_org_toml() {
    let env = env();
    let dir = env.home().join("work/team-configs");
    fs::create_dir_all(&dir).unwrap();
    fs::copy(team_configs().join("org.toml"), dir.join("org.toml")).unwrap();
    let source = dir.join("org.toml");

    let out = env.run(&["config", "generate", "--source", s(&source)]);
    ok(&out);
    let err = stderr(&out);
    for f in [
        "teams/finance.config",
        "teams/oncall.config",
        "teams/product.config",
        "generated/terraform.json",
    ] {
        assert!(
            err.contains(&format!("wrote {}", dir.join(f).display())),
            "{err}"
        );
    }
    // Golden: the committed files, byte for byte, and nothing else.
    assert_eq!(tree(&dir), tree(&team_configs()));

    // Deterministic: a second run changes nothing, and --check passes.
    let out = env.run(&["config", "generate", "--source", s(&source)]);
    ok(&out);
    assert!(stderr(&out).contains("up to date"), "{}", stderr(&out));
    assert_eq!(tree(&dir), tree(&team_configs()));
    ok(&env.run(&["config", "generate", "--check", "--source", s(&source)]));
}

#[test]
fn generate_defaults_to_team_configs_org_toml_in_the_current_directory() {
    let env = env();
    let work = env.home().join("work");
    fs::create_dir_all(work.join("team-configs")).unwrap();
    fs::copy(
        team_configs().join("org.toml"),
        work.join("team-configs/org.toml"),
    )
    .unwrap();
    let out = env
        .cmd(&["config", "generate"])
        .current_dir(&work)
        .output()
        .unwrap();
    ok(&out);
    assert_eq!(tree(&work.join("team-configs")), tree(&team_configs()));
    let out = env
        .cmd(&["config", "generate", "--check"])
        .current_dir(&work)
        .output()
        .unwrap();
    ok(&out);
}

#[test]
fn generate_check_fails_on_a_stale_tree_listing_the_files_and_writes_nothing() {
    let env = env();
    let dir = env.home().join("tc");
    copy_dir(&team_configs(), &dir);
    let oncall = dir.join("teams/oncall.config");
    let edited = fs::read_to_string(&oncall)
        .unwrap()
        .replace("session_ttl = 12h", "session_ttl = 2h");
    fs::write(&oncall, edited).unwrap();
    fs::remove_file(dir.join("generated/terraform.json")).unwrap();
    // A generated config of a team that no longer exists.
    fs::copy(
        dir.join("teams/finance.config"),
        dir.join("teams/gone.config"),
    )
    .unwrap();
    // A hand-written file is not ours.
    fs::write(dir.join("teams/notes.config"), "[profile mine]\n").unwrap();
    let before = tree(&dir);

    let source = dir.join("org.toml");
    let out = env.run(&["config", "generate", "--check", "--source", s(&source)]);
    assert_eq!(code(&out), exit::CONFIG, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("out of date"), "{err}");
    for stale in [
        "generated/terraform.json",
        "teams/gone.config",
        "teams/oncall.config",
    ] {
        assert!(
            err.contains(&format!("  {}\n", dir.join(stale).display())),
            "{stale} missing in {err}"
        );
    }
    for fresh in ["finance.config", "product.config", "notes.config"] {
        assert!(!err.contains(fresh), "{fresh} listed in {err}");
    }
    assert_eq!(tree(&dir), before, "--check wrote something");

    // Without --check the tree is fixed; the hand-written file stays.
    ok(&env.run(&["config", "generate", "--source", s(&source)]));
    ok(&env.run(&["config", "generate", "--check", "--source", s(&source)]));
    assert!(!dir.join("teams/gone.config").exists());
    assert!(dir.join("teams/notes.config").exists());
}

/// The team-config crate's small valid org.
const VALID_ORG: &str = include_str!("../../crates/team-config/tests/support/valid-org.toml");

/// 1-based line of the last line containing `needle`.
fn line_of(src: &str, needle: &str) -> usize {
    src.lines()
        .collect::<Vec<_>>()
        .iter()
        .rposition(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in\n{src}"))
        + 1
}

/// Runs `config generate` on `src` (and `--check`): both exit 3 with exactly `expected`
/// (`(needle of the line, message)`) as `path:line: message` lines, and nothing is written.
fn assert_invalid(env: &TestEnv, src: &str, expected: &[(&str, &str)]) {
    let dir = tempfile::tempdir_in(env.home()).unwrap();
    let source = dir.path().join("org.toml");
    fs::write(&source, src).unwrap();
    for check in [false, true] {
        let mut args = vec!["config", "generate", "--source", s(&source)];
        if check {
            args.push("--check");
        }
        let out = env.run(&args);
        assert_eq!(code(&out), exit::CONFIG, "{src}\n{}", stderr(&out));
        let err = stderr(&out);
        let lines: Vec<&str> = err
            .lines()
            .map(|l| l.strip_prefix("aws-okta: ").unwrap_or(l))
            .collect();
        assert_eq!(lines.len(), expected.len(), "{err}");
        for (line, (needle, message)) in lines.iter().zip(expected) {
            let want = format!("{}:{}: ", source.display(), line_of(src, needle));
            assert!(
                line.starts_with(&want) && line.contains(message),
                "want `{want}...{message}...`, got `{line}`"
            );
        }
        assert_eq!(
            tree(dir.path()).len(),
            1,
            "something was written for invalid input"
        );
    }
}

#[test]
fn generate_reports_each_invalid_input_with_file_and_line() {
    let env = env();
    let grant = "{ account = \"prod\", role = \"ReadOnly\" },";
    let cases: Vec<(String, &str, &str)> = vec![
        (
            VALID_ORG.replace(
                grant,
                &format!("{grant}\n  {{ account = \"produ\", role = \"ReadOnly\" }},"),
            ),
            "produ",
            "unknown account `produ` (spoke accounts: prod)",
        ),
        (
            VALID_ORG.replace(
                grant,
                &format!("{grant}\n  {{ account = \"*\", role = \"ReadOnly\" }},"),
            ),
            "\"*\"",
            "duplicate profile name `prod-readonly` in team `ops`",
        ),
        (
            VALID_ORG.replace("\"222222222222\"", "\"22222222222\""),
            "22222222222",
            "invalid AWS account id `22222222222`",
        ),
        (
            VALID_ORG.replace(
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
                "arn:aws:iam::aws:policy/*",
            ),
            "policy/*",
            "invalid policy ARN `arn:aws:iam::aws:policy/*`",
        ),
        (
            VALID_ORG.replace(
                "[team.hub_role]\npolicies = [\"arn:aws:iam::aws:policy/job-function/ViewOnlyAccess\"]\n",
                "",
            ),
            "name = \"ops\"",
            "team `ops` has no hub role",
        ),
        (
            VALID_ORG.replace("[hub]", "[hub"),
            "[hub",
            "",
        ),
        (
            VALID_ORG.replace("region = \"us-west-2\"", "region = \"mars\""),
            "mars",
            "invalid AWS region `mars`",
        ),
    ];
    for (src, needle, message) in &cases {
        assert_invalid(&env, src, &[(needle, message)]);
    }

    // Every problem at once, one line each, in line order.
    let all = VALID_ORG
        .replace("\"222222222222\"", "\"2222\"")
        .replace("role = \"ReadOnly\"", "role = \"Nope\"")
        .replace(
            "domain = \"example.okta.com\"",
            "domain = \"https://example.okta.com\"",
        );
    assert_invalid(
        &env,
        &all,
        &[
            ("domain =", "invalid Okta domain"),
            ("\"2222\"", "invalid AWS account id `2222`"),
            ("Nope", "account `prod` has no role `Nope`"),
        ],
    );
}

#[test]
fn generate_of_a_missing_source_names_it() {
    let env = env();
    let missing = env.home().join("nope/org.toml");
    let out = env.run(&["config", "generate", "--source", s(&missing)]);
    assert_exit(&out, exit::INTERNAL, &missing.display().to_string());
}

// ---------------------------------------------------------------- init

#[cfg(unix)]
#[test]
fn init_creates_a_private_config_with_the_team_block() {
    let env = env();
    fs::remove_dir_all(env.home().join(".aws")).unwrap();
    let tc = team_configs();
    let out = env.run(&["config", "init", "--team", "finance", "--source", s(&tc)]);
    ok(&out);
    let config = env.config_path();
    assert_eq!(mode(&config), 0o600);
    let text = fs::read_to_string(&config).unwrap();
    assert!(
        text.starts_with("# BEGIN aws-okta team finance\n"),
        "{text}"
    );
    assert!(text.ends_with("# END aws-okta team finance\n"), "{text}");
    let team = fs::read_to_string(tc.join("teams/finance.config")).unwrap();
    assert!(
        text.contains(team.trim_end()),
        "team config copied verbatim"
    );
    let err = stderr(&out);
    assert!(
        err.contains(&format!("created {}", config.display())),
        "{err}"
    );
    assert!(err.contains("finance-hub"), "{err}");
    assert!(backups(&config).is_empty(), "no backup of a new file");
}

#[test]
fn init_replaces_its_block_keeps_user_lines_byte_for_byte_and_backs_up() {
    let env = env();
    let config = env.config_path();
    let head = "# my own settings\r\n[default]\r\nregion = eu-west-1   \r\n\r\n[profile personal]\r\ncredential_process = /usr/bin/get-creds --x \"a b\"\r\n\r\n";
    let old_block = "# BEGIN aws-okta team oncall\r\n[profile stale-profile]\r\nrole_arn = arn:aws:iam::111111111111:role/old\r\n# END aws-okta team oncall\r\n";
    let tail = "\r\n; trailing comment without newline\t";
    let before = format!("{head}{old_block}{tail}");
    fs::write(&config, &before).unwrap();

    let out = env.run(&[
        "config",
        "init",
        "--team",
        "oncall",
        "--source",
        s(&team_configs()),
    ]);
    ok(&out);
    let after = fs::read_to_string(&config).unwrap();
    assert!(after.starts_with(head), "head changed:\n{after:?}");
    assert!(after.ends_with(tail), "tail changed:\n{after:?}");
    let block = &after[head.len()..after.len() - tail.len()];
    assert!(
        block.starts_with("# BEGIN aws-okta team oncall\r\n"),
        "{block:?}"
    );
    assert!(
        block.ends_with("# END aws-okta team oncall\r\n"),
        "{block:?}"
    );
    assert!(!block.contains("stale-profile"), "old block replaced");
    assert!(
        block.contains("[profile prod-administrator]\r\n"),
        "{block:?}"
    );
    assert_eq!(after.matches("# BEGIN aws-okta").count(), 1);

    // A timestamped backup of the old file, named in the summary.
    let b = backups(&config);
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(fs::read_to_string(&b[0]).unwrap(), before);
    let stamp = b[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .rsplit('-')
        .next()
        .unwrap()
        .to_string();
    assert!(
        stamp.len() == 16
            && stamp.as_bytes()[8] == b'T'
            && stamp.ends_with('Z')
            && stamp[..8].bytes().all(|c| c.is_ascii_digit())
            && stamp[9..15].bytes().all(|c| c.is_ascii_digit()),
        "{stamp}"
    );
    let err = stderr(&out);
    assert!(
        err.contains(&format!("updated {}", config.display())),
        "{err}"
    );
    assert!(err.contains(&b[0].display().to_string()), "{err}");

    // Running it again changes nothing and makes no second backup.
    let out = env.run(&[
        "config",
        "init",
        "--team",
        "oncall",
        "--source",
        s(&team_configs()),
    ]);
    ok(&out);
    assert!(stderr(&out).contains("nothing written"), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&config).unwrap(), after);
    assert_eq!(backups(&config).len(), 1);

    // With --add, a second team (without profiles in common) gets its own block; the first
    // one stays.
    ok(&env.run(&[
        "config",
        "init",
        "--team",
        "finance",
        "--add",
        "--source",
        s(&team_configs()),
    ]));
    let both = fs::read_to_string(&config).unwrap();
    assert!(both.starts_with(&after[..after.len() - tail.len()]));
    assert!(both.contains("# BEGIN aws-okta team finance\r\n"));
}

#[test]
fn init_dry_run_prints_the_diff_and_writes_nothing() {
    let env = env();
    let config = env.config_path();
    let before = fs::read(&config).unwrap();
    let out = env.run(&[
        "config",
        "init",
        "--team",
        "product",
        "--source",
        s(&team_configs()),
        "--dry-run",
    ]);
    let diff = ok(&out);
    assert!(
        diff.contains(&format!("+++ {}", config.display())),
        "{diff}"
    );
    assert!(diff.contains("+# BEGIN aws-okta team product\n"), "{diff}");
    assert!(diff.contains("+[profile product-hub]\n"), "{diff}");
    assert!(stderr(&out).contains("dry run"), "{}", stderr(&out));
    assert_eq!(fs::read(&config).unwrap(), before);
    assert!(backups(&config).is_empty());

    // Nor is a missing file created.
    fs::remove_dir_all(env.home().join(".aws")).unwrap();
    let out = env.run(&[
        "config",
        "init",
        "--team",
        "product",
        "--source",
        s(&team_configs()),
        "--dry-run",
    ]);
    assert!(ok(&out).contains("--- /dev/null"));
    assert!(!env.home().join(".aws").exists());
}

#[test]
fn init_clones_a_git_source_from_a_local_bare_repository() {
    let env = env();
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    let bare = tmp.path().join("infra.git");
    // A repository laid out like this one: team-configs/teams/<team>.config.
    copy_dir(&team_configs(), &work.join("team-configs"));
    git(tmp.path(), &["init", "--quiet", "--bare", s(&bare)]);
    git(&work, &["init", "--quiet"]);
    git(&work, &["add", "."]);
    git(&work, &["commit", "--quiet", "-m", "team configs"]);
    git(
        &work,
        &["push", "--quiet", s(&bare), "HEAD:refs/heads/main"],
    );
    git(&bare, &["symbolic-ref", "HEAD", "refs/heads/main"]);

    let config = env.config_path();
    let url = format!("file://{}", bare.display());
    for source in [s(&bare).to_string(), url.clone()] {
        let out = env.run(&["config", "init", "--team", "oncall", "--source", &source]);
        ok(&out);
        let text = fs::read_to_string(&config).unwrap();
        assert!(text.contains("[profile dev-readonly]"), "{text}");
        assert!(text.contains(&format!("from {source}.")), "{text}");
        assert!(
            stderr(&out).contains(&format!("{source}: team-configs/teams/oncall.config")),
            "{}",
            stderr(&out)
        );
    }

    // A team the repository does not have, and a repository that does not exist.
    let out = env.run(&["config", "init", "--team", "nobody", "--source", &url]);
    assert_eq!(code(&out), exit::CONFIG);
    assert!(
        stderr(&out).contains("available: finance, oncall, product"),
        "{}",
        stderr(&out)
    );
    let missing = format!("file://{}/missing.git", tmp.path().display());
    let out = env.run(&["config", "init", "--team", "oncall", "--source", &missing]);
    assert_eq!(code(&out), exit::CONFIG);
    assert!(stderr(&out).contains("cannot clone"), "{}", stderr(&out));
}

#[test]
fn init_takes_the_team_from_aws_okta_team_and_the_source_from_the_environment() {
    let mut env = env();
    let config = env.config_path();

    // No team at all: a usage error.
    let out = env.run(&["config", "init", "--source", s(&team_configs())]);
    assert_exit(&out, exit::USAGE, "AWS_OKTA_TEAM");

    env.extra_env
        .push(("AWS_OKTA_TEAM".into(), "finance".into()));
    ok(&env.run(&["config", "init", "--source", s(&team_configs())]));
    assert!(fs::read_to_string(&config)
        .unwrap()
        .contains("# BEGIN aws-okta team finance"));

    // --team wins over AWS_OKTA_TEAM; AWS_OKTA_TEAM_CONFIGS is the default source.
    env.extra_env.push((
        "AWS_OKTA_TEAM_CONFIGS".into(),
        s(&team_configs()).to_string(),
    ));
    ok(&env.run(&["config", "init", "--team", "product"]));
    assert!(fs::read_to_string(&config)
        .unwrap()
        .contains("# BEGIN aws-okta team product"));

    // Without it, the current directory (here: the repository root) is the source.
    // (oncall shares profile names with product, so start from an empty file.)
    env.extra_env.pop();
    fs::remove_file(&config).unwrap();
    let out = env
        .cmd(&["config", "init", "--team", "oncall", "--dry-run"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(ok(&out).contains("+# BEGIN aws-okta team oncall"));

    // An invalid team name is a usage error.
    let out = env.run(&[
        "config",
        "init",
        "--team",
        "../x",
        "--source",
        s(&team_configs()),
    ]);
    assert_eq!(code(&out), exit::USAGE, "{}", stderr(&out));
}

#[test]
fn init_refuses_a_result_exec_could_not_use() {
    let env = env();
    let config = env.config_path();
    fs::write(&config, "[profile mine]\nregion = eu-west-1\n").unwrap();
    let before = fs::read(&config).unwrap();
    let source = tempfile::tempdir_in(env.home()).unwrap();
    fs::create_dir(source.path().join("teams")).unwrap();
    fs::write(
        source.path().join("teams/broken.config"),
        "[okta]\naws_saml_url = home/amazon_aws/0oa1/272\n\n\
         [profile broken-hub]\nrole_arn = arn:aws:iam::111111111111:role/team-broken\n\n\
         [profile broken-spoke]\nsource_profile = broken-hb\nrole_arn = arn:aws:iam::222222222222:role/ReadOnly\n\n\
         [profile broken-ttl]\nsource_profile = broken-hub\nrole_arn = arn:aws:iam::222222222222:role/x\nassume_role_ttl = soon\n",
    )
    .unwrap();
    let out = env.run(&[
        "config",
        "init",
        "--team",
        "broken",
        "--source",
        s(source.path()),
    ]);
    assert_eq!(code(&out), exit::CONFIG, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("refusing to write"), "{err}");
    assert!(
        err.contains("source_profile 'broken-hb' does not exist"),
        "{err}"
    );
    assert!(err.contains("assume_role_ttl"), "{err}");
    assert_eq!(fs::read(&config).unwrap(), before);
    assert!(backups(&config).is_empty());

    // A profile of the user's that clashes with the team's is refused with its line.
    fs::write(
        &config,
        "[profile a]\nregion = x\n\n[profile finance-hub]\nregion = eu-west-1\n",
    )
    .unwrap();
    let out = env.run(&[
        "config",
        "init",
        "--team",
        "finance",
        "--source",
        s(&team_configs()),
    ]);
    assert_exit(
        &out,
        3,
        &format!(
            "{}:4: profile `finance-hub` is already defined here",
            config.display()
        ),
    );
}

#[test]
fn init_keeps_going_past_problems_that_were_already_in_the_file() {
    let env = env();
    let config = env.config_path();
    let before =
        "[profile old]\nrole_arn = arn:aws:iam::111111111111:role/x\nsource_profile = ghost\n";
    fs::write(&config, before).unwrap();
    let out = env.run(&[
        "config",
        "init",
        "--team",
        "finance",
        "--source",
        s(&team_configs()),
    ]);
    ok(&out);
    assert!(
        stderr(&out).contains("warning") && stderr(&out).contains("'ghost'"),
        "{}",
        stderr(&out)
    );
    assert!(fs::read_to_string(&config).unwrap().starts_with(before));
}

// ---------------------------------------------------------------- validate and end to end

#[test]
fn validate_lists_every_problem_at_once() {
    let env = env();
    let file = env.home().join("broken-config");
    let text = "[okta]\naws_saml_url = home/amazon_aws/0oa1/272\n\
                [profile bad-arn]\nrole_arn = arn:aws:iam::12:role/x\n\
                [profile unclosed\n\
                [profile ghost-source]\nsource_profile = ghost\nrole_arn = arn:aws:iam::111111111111:role/x\n\
                [profile loop-a]\nsource_profile = loop-b\nrole_arn = arn:aws:iam::111111111111:role/x\n\
                [profile loop-b]\nsource_profile = loop-a\nrole_arn = arn:aws:iam::111111111111:role/x\n\
                [profile bad-ttl]\nrole_arn = arn:aws:iam::111111111111:role/x\nsession_ttl = forever\n\
                stray words\n\
                [profile sso]\nsso_session = corp\n";
    fs::write(&file, text).unwrap();
    let out = env.run(&["config", "validate", s(&file)]);
    assert_eq!(code(&out), exit::CONFIG, "{}", stderr(&out));
    let err = stderr(&out);
    let f = file.display();
    let expected = [
        format!("{f}:5: malformed config: section header '[profile unclosed' is missing ']'"),
        format!("{f}:18: malformed config: 'stray words' is not a `key = value` line"),
        format!(
            "profile 'bad-arn' ({f}:3): role_arn 'arn:aws:iam::12:role/x' is not an IAM role ARN"
        ),
        format!("profile 'ghost-source' ({f}:6): source_profile 'ghost' does not exist"),
        "source_profile cycle loop-a -> loop-b -> loop-a".to_string(),
        "source_profile cycle loop-b -> loop-a -> loop-b".to_string(),
        format!("profile 'bad-ttl' ({f}:15): session_ttl: invalid duration 'forever'"),
        format!("{f}: 7 problems"),
    ];
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), expected.len(), "{err}");
    for (line, want) in lines.iter().zip(&expected) {
        assert!(
            line.contains(want.as_str()),
            "want `{want}` in `{line}`\n{err}"
        );
    }

    // No aws_saml_url anywhere.
    fs::write(
        &file,
        "[profile hub]\nrole_arn = arn:aws:iam::111111111111:role/x\n",
    )
    .unwrap();
    let out = env.run(&["config", "validate", s(&file)]);
    assert_eq!(code(&out), exit::CONFIG);
    assert!(
        stderr(&out).contains("has no way to reach Okta"),
        "{}",
        stderr(&out)
    );

    // A missing file.
    let out = env.run(&["config", "validate", s(&env.home().join("nope"))]);
    assert_eq!(code(&out), exit::CONFIG);
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
}

#[test]
fn a_bad_hub_trust_is_a_config_error_before_any_keychain_read_or_request() {
    let env = env();
    env.add();
    let mut text = config_text();
    text.push_str("okta_hub_trust = oidcc\n"); // in [profile sub], the last section
    env.write_config(&text);
    let sub_line = line_of(&text, "[profile sub]");
    let want = format!(
        "profile 'sub' ({}:{sub_line}): okta_hub_trust 'oidcc' is not one of saml, oidc",
        env.config_path().display()
    );

    let out = env.run(&["config", "validate"]);
    assert_eq!(code(&out), exit::CONFIG, "{}", stderr(&out));
    assert!(stderr(&out).contains(&want), "{}", stderr(&out));

    let before = env.okta.counters().total;
    let out = env.run(&["cred-process", "sub"]);
    assert_eq!(code(&out), exit::CONFIG, "{}", stderr(&out));
    assert!(stderr(&out).contains(&want), "{}", stderr(&out));
    assert_eq!(env.okta.counters().total, before, "no request to Okta");
    assert_eq!(env.okta.counters().total, 0);
}

#[test]
fn validate_checks_the_users_config_by_default() {
    let env = env();
    // The harness's config: hub, spoke, sub.
    let out = env.run(&["config", "validate"]);
    assert_eq!(
        ok(&out).trim(),
        format!("OK: 3 profiles in {}", env.config_path().display())
    );
    // Profiles that get credentials elsewhere are left alone.
    let mut text = config_text();
    text.push_str("\n[profile sso]\nsso_session = corp\n\n[default]\nregion = eu-west-1\n");
    env.write_config(&text);
    let out = ok(&env.run(&["config", "validate"]));
    assert!(
        out.contains("OK: 3 profiles")
            && out.contains("2 not for aws-okta, not checked: default, sso"),
        "{out}"
    );
}

#[test]
fn profiles_of_an_installed_team_config_resolve() {
    let env = env();
    let config = env.config_path();
    fs::remove_dir_all(env.home().join(".aws")).unwrap();
    // Generate into a copy, then install from it, as an engineer would.
    let dir = env.home().join("infra/team-configs");
    fs::create_dir_all(&dir).unwrap();
    fs::copy(team_configs().join("org.toml"), dir.join("org.toml")).unwrap();
    ok(&env.run(&["config", "generate", "--source", s(&dir.join("org.toml"))]));
    ok(&env.run(&[
        "config",
        "init",
        "--team",
        "oncall",
        "--source",
        s(&env.home().join("infra")),
    ]));

    let list = ok(&env.run(&["list"]));
    assert!(!list.contains("invalid"), "{list}");
    let row = |profile: &str| {
        list.lines()
            .find(|l| l.split_whitespace().next() == Some(profile))
            .unwrap_or_else(|| panic!("{profile} not listed:\n{list}"))
            .split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        row("oncall-hub")[1..],
        [
            "arn:aws:iam::111111111111:role/team-oncall",
            "okta",
            "(home/amazon_aws/0oa1abcdEFGH/272)"
        ]
    );
    for (profile, account) in [
        ("dev-readonly", "222222222222"),
        ("staging-administrator", "333333333333"),
        ("prod-administrator", "444444444444"),
    ] {
        let r = row(profile);
        assert!(r[1].contains(account), "{r:?}");
        assert_eq!(r[2], "oncall-hub", "{r:?}");
    }
    let out = ok(&env.run(&["config", "validate"]));
    assert!(out.starts_with("OK: 7 profiles"), "{out}");
    assert!(config.exists());
}

// ---------------------------------------------------------------- init: changing team, summary

const ONCALL_PROFILES: &str = "oncall-hub, dev-readonly, staging-readonly, prod-readonly, \
     dev-administrator, staging-administrator, prod-administrator";

fn init_team(env: &TestEnv, extra: &[&str]) -> Output {
    let tc = team_configs();
    let mut args = vec!["config", "init", "--source", s(&tc)];
    args.extend_from_slice(extra);
    env.run(&args)
}

#[test]
fn init_of_another_team_replaces_the_old_teams_block_in_place() {
    let env = env();
    let config = env.config_path();
    let head = "# mine\n[profile personal]\nregion = eu-west-1   \n; note\n\n";
    fs::write(&config, head).unwrap();

    ok(&init_team(&env, &["--team", "finance"]));
    assert_eq!(backups(&config).len(), 1);
    // The user adds a profile after the block.
    let tail = "\n[profile after]\nregion = ap-south-1\n";
    let with_finance = format!("{}{tail}", fs::read_to_string(&config).unwrap());
    fs::write(&config, &with_finance).unwrap();

    let out = init_team(&env, &["--team", "oncall"]);
    ok(&out);
    let after = fs::read_to_string(&config).unwrap();
    // The user's lines, byte for byte; oncall's block where finance's was.
    assert!(after.starts_with(head), "{after:?}");
    assert!(after.ends_with(tail), "{after:?}");
    let block = &after[head.len()..after.len() - tail.len()];
    assert!(
        block.starts_with("# BEGIN aws-okta team oncall\n"),
        "{block:?}"
    );
    assert!(block.ends_with("# END aws-okta team oncall\n"), "{block:?}");
    assert_eq!(block.matches("# BEGIN aws-okta team").count(), 1);
    assert!(!after.contains("finance"), "{after}");

    // One new backup, holding the file as it was before this run.
    let b = backups(&config);
    assert_eq!(b.len(), 2, "{b:?}");
    assert!(b
        .iter()
        .any(|p| fs::read_to_string(p).unwrap() == with_finance));

    // The summary: the team removed and the profiles added, not the user's own.
    let err = stderr(&out);
    assert!(err.contains("removed team finance (1 profile)"), "{err}");
    assert!(
        err.contains(&format!("added 7 profiles: {ONCALL_PROFILES}\n")),
        "{err}"
    );
    assert!(!err.contains("personal") && !err.contains("after"), "{err}");

    // The same run again changes nothing and makes no backup.
    let out = init_team(&env, &["--team", "oncall"]);
    ok(&out);
    assert!(stderr(&out).contains("nothing written"), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&config).unwrap(), after);
    assert_eq!(backups(&config).len(), 2);
}

#[test]
fn init_add_keeps_other_teams_and_refuses_a_profile_of_two_teams() {
    let env = env();
    let config = env.config_path();
    let user = fs::read_to_string(&config).unwrap();
    ok(&init_team(&env, &["--team", "finance"]));
    let with_finance = fs::read_to_string(&config).unwrap();

    let out = init_team(&env, &["--team", "oncall", "--add"]);
    ok(&out);
    let both = fs::read_to_string(&config).unwrap();
    assert!(both.starts_with(&with_finance), "finance's block kept");
    assert!(both.contains("\n# BEGIN aws-okta team oncall\n"), "{both}");
    let err = stderr(&out);
    assert!(!err.contains("removed team"), "{err}");
    assert!(err.contains("added 7 profiles: "), "{err}");
    assert_eq!(backups(&config).len(), 2);

    // product defines dev-readonly and staging-readonly, as oncall does.
    let out = init_team(&env, &["--team", "product", "--add"]);
    assert_eq!(code(&out), exit::CONFIG, "{}", stderr(&out));
    let err = stderr(&out);
    for p in ["dev-readonly", "staging-readonly"] {
        assert!(
            err.contains(&format!(
                "profile `{p}` is already defined here by team oncall"
            )) && err.contains("team product defines it too"),
            "{err}"
        );
    }
    assert_eq!(fs::read_to_string(&config).unwrap(), both);
    assert_eq!(backups(&config).len(), 2, "nothing written");

    // Without --add, finance again: its block stays in place, oncall's goes (the blank line
    // written before oncall's block is outside it, and stays like every such byte).
    let out = init_team(&env, &["--team", "finance"]);
    ok(&out);
    assert_eq!(
        fs::read_to_string(&config).unwrap(),
        format!("{with_finance}\n")
    );
    let err = stderr(&out);
    assert!(err.contains("removed team oncall (7 profiles)"), "{err}");
    assert!(err.contains("unchanged: 1\n"), "{err}");
    assert!(!err.contains("added"), "{err}");
    assert!(with_finance.starts_with(&user));
}

#[test]
fn init_will_not_remove_a_team_whose_profiles_the_users_own_need() {
    let env = env();
    let config = env.config_path();
    ok(&init_team(&env, &["--team", "finance"]));
    let mine = "\n[profile mine]\nokta_source_profile = finance-hub\n\
                okta_role_arn = arn:aws:iam::222222222222:role/x\n\
                credential_process = aws-okta cred-process mine\n";
    let before = format!("{}{mine}", fs::read_to_string(&config).unwrap());
    fs::write(&config, &before).unwrap();

    let out = init_team(&env, &["--team", "oncall"]);
    assert_eq!(code(&out), exit::CONFIG, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("refusing to write"), "{err}");
    assert!(err.contains("'finance-hub'"), "{err}");
    assert!(
        err.contains("(this would remove the managed block of team finance; --add keeps it)"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&config).unwrap(), before);
    assert_eq!(backups(&config).len(), 1);

    ok(&init_team(&env, &["--team", "oncall", "--add"]));
}

#[test]
fn init_dry_run_prints_the_summary_and_writes_nothing() {
    let env = env();
    let config = env.config_path();
    ok(&init_team(&env, &["--team", "finance"]));
    let before = fs::read(&config).unwrap();
    let backups_before = backups(&config);

    let out = init_team(&env, &["--team", "oncall", "--dry-run"]);
    let diff = ok(&out);
    assert!(
        diff.contains("\n-# BEGIN aws-okta team finance\n"),
        "{diff}"
    );
    assert!(diff.contains("\n+# BEGIN aws-okta team oncall\n"), "{diff}");
    let err = stderr(&out);
    assert!(err.contains("dry run: would update"), "{err}");
    assert!(err.contains("removed team finance (1 profile)"), "{err}");
    assert!(
        err.contains(&format!("added 7 profiles: {ONCALL_PROFILES}\n")),
        "{err}"
    );
    assert_eq!(fs::read(&config).unwrap(), before);
    assert_eq!(backups(&config), backups_before);
}

#[test]
fn init_output_stays_short_with_a_large_config() {
    let env = env();
    let config = env.config_path();
    let mut text = fs::read_to_string(&config).unwrap();
    for i in 0..2000 {
        text.push_str(&format!(
            "\n[profile user-{i:04}]\nregion = eu-west-1\noutput = json\n"
        ));
    }
    fs::write(&config, &text).unwrap();

    let out = init_team(&env, &["--team", "oncall"]);
    ok(&out);
    let err = stderr(&out);
    assert!(err.len() < 2048, "{} bytes:\n{err}", err.len());
    assert!(!err.contains("user-0"), "{err}");
    assert!(err.contains("added 7 profiles: "), "{err}");
    assert!(fs::read_to_string(&config).unwrap().starts_with(&text));

    // A team with many profiles: the list is cut after ten names.
    let src = tempfile::tempdir_in(env.home()).unwrap();
    fs::create_dir(src.path().join("teams")).unwrap();
    let mut big = String::from("[okta]\naws_saml_url = home/amazon_aws/0oa1abcdEFGH/272\n");
    for i in 1..=25 {
        big.push_str(&format!(
            "\n[profile big-{i:02}]\nokta_role_arn = arn:aws:iam::111111111111:role/r{i}\n\
             credential_process = aws-okta cred-process big-{i:02}\n"
        ));
    }
    fs::write(src.path().join("teams/big.config"), big).unwrap();
    let out = env.run(&["config", "init", "--team", "big", "--source", s(src.path())]);
    ok(&out);
    let err = stderr(&out);
    assert!(err.len() < 2048, "{} bytes:\n{err}", err.len());
    let names: Vec<String> = (1..=10).map(|i| format!("big-{i:02}")).collect();
    assert!(
        err.contains(&format!(
            "added 25 profiles: {} and 15 more\n",
            names.join(", ")
        )),
        "{err}"
    );
    assert!(err.contains("removed team oncall (7 profiles)"), "{err}");
}
