//! `aws-okta config init`: managed block, backups, dry runs, validation, git sources.

use std::cell::RefCell;
use std::fs;
use std::path::{Path, PathBuf};

#[path = "support/git.rs"]
mod support_git;
use support_git::git;

use aws_okta_team_config::{
    generate, init, merge_managed_block, write_files, DangerousKey, Error, InitOptions, InitReport,
    OtherTeams, ProfileChanges, RemovedTeam, BACKUP_INFIX, DEFAULT_GIT_TIMEOUT, SUMMARY_NAMES,
};

/// A source directory holding the example org's generated team configs.
fn source_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let org = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../team-configs/org.toml");
    write_files(dir.path(), &generate(&org).unwrap()).unwrap();
    dir
}

fn opts(team: &str, source: &Path, config: &Path) -> InitOptions {
    InitOptions {
        team: team.into(),
        source: source.display().to_string(),
        config_path: config.to_path_buf(),
        dry_run: false,
        keep_other_teams: false,
        allow_executable_keys: false,
        git_timeout: DEFAULT_GIT_TIMEOUT,
    }
}

/// [`opts`] with `keep_other_teams` (`--add`).
fn add(team: &str, source: &Path, config: &Path) -> InitOptions {
    InitOptions {
        keep_other_teams: true,
        ..opts(team, source, config)
    }
}

/// `merge_managed_block(...).text`, keeping other teams' blocks.
fn merge_keep(existing: &str, team: &str, block: &str) -> String {
    merge_managed_block(existing, team, block, OtherTeams::Keep)
        .unwrap()
        .text
}

fn accept(_: &str) -> Result<(), String> {
    Ok(())
}

fn backups(config: &Path) -> Vec<PathBuf> {
    let name = config.file_name().unwrap().to_string_lossy().into_owned();
    let mut v: Vec<PathBuf> = fs::read_dir(config.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!("{name}{BACKUP_INFIX}"))
        })
        .collect();
    v.sort();
    v
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

const USER: &str = "# my own settings\n[default]\nregion = eu-west-1\noutput = json   \n\n[profile personal]\nregion=eu-central-1\n; a comment\n";

#[test]
fn creates_a_private_config_in_a_new_directory() {
    let src = source_dir();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join(".aws/config");
    let report = init(&opts("oncall", src.path(), &config), &accept).unwrap();
    assert!(report.created && report.changed && !report.dry_run);
    assert_eq!(report.backup_path, None);
    assert!(report.diff.starts_with("--- /dev/null\n"));
    let text = fs::read_to_string(&config).unwrap();
    assert!(text.starts_with(
        "# BEGIN aws-okta team oncall\n# Managed by `aws-okta config init --team oncall` from "
    ));
    assert!(text.ends_with(
        "assume_role_ttl = 1h\ncredential_process = aws-okta cred-process prod-administrator\n# END aws-okta team oncall\n"
    ));
    let team = fs::read_to_string(src.path().join("teams/oncall.config")).unwrap();
    assert!(text.contains(&team), "the team config is copied verbatim");
    #[cfg(unix)]
    {
        assert_eq!(mode(&config), 0o600);
        assert_eq!(mode(config.parent().unwrap()), 0o700);
    }
    assert!(backups(&config).is_empty());
}

#[test]
fn keeps_user_lines_byte_for_byte_and_replaces_its_block() {
    let src = source_dir();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    // No trailing newline on purpose, and odd spacing: all of it must survive.
    let user = USER.trim_end_matches('\n');
    fs::write(&config, user).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&config, fs::Permissions::from_mode(0o640)).unwrap();
    }

    let first = init(&opts("product", src.path(), &config), &accept).unwrap();
    assert!(first.changed && !first.created);
    let product = [
        "product-hub",
        "dev-developer",
        "dev-readonly",
        "staging-readonly",
    ];
    assert_eq!(first.profiles.added, product);
    assert!(first.profiles.changed.is_empty() && first.profiles.unchanged.is_empty());
    assert_eq!(
        first.summary(),
        ["added 4 profiles: product-hub, dev-developer, dev-readonly, staging-readonly"]
    );
    let after_first = fs::read_to_string(&config).unwrap();
    assert!(after_first.starts_with(&format!("{user}\n\n# BEGIN aws-okta team product\n")));
    // The backup holds the old bytes.
    let b = backups(&config);
    assert_eq!(b.len(), 1);
    assert_eq!(first.backup_path.as_deref(), Some(b[0].as_path()));
    assert_eq!(fs::read_to_string(&b[0]).unwrap(), user);
    #[cfg(unix)]
    {
        assert_eq!(mode(&config), 0o640, "an existing file keeps its mode");
        assert_eq!(mode(&b[0]), 0o600);
    }

    // The user adds lines after the block; the team config changes; init again.
    let tail = "\n[profile after]\nregion = ap-south-1\n";
    fs::write(&config, format!("{after_first}{tail}")).unwrap();
    let team_file = src.path().join("teams/product.config");
    let changed_team = fs::read_to_string(&team_file)
        .unwrap()
        .replace("region = us-west-2", "region = us-east-2");
    fs::write(&team_file, &changed_team).unwrap();
    let second = init(&opts("product", src.path(), &config), &accept).unwrap();
    assert!(second.changed);
    assert_eq!(
        second.summary(),
        [
            "changed 3 profiles: dev-developer, dev-readonly, staging-readonly",
            "unchanged: 1"
        ]
    );
    assert!(
        second
            .diff
            .contains("-region = us-west-2\n+region = us-east-2\n"),
        "{}",
        second.diff
    );
    let after_second = fs::read_to_string(&config).unwrap();
    assert!(after_second.starts_with(&format!("{user}\n\n# BEGIN aws-okta team product\n")));
    assert!(after_second.ends_with(&format!("# END aws-okta team product\n{tail}")));
    assert_eq!(
        after_second
            .matches("# BEGIN aws-okta team product")
            .count(),
        1
    );
    assert!(
        after_second.contains("region = us-east-2") && !after_second.contains("region = us-west-2")
    );
    assert_eq!(backups(&config).len(), 2);

    // Up to date: nothing is written, no backup.
    let third = init(&opts("product", src.path(), &config), &accept).unwrap();
    assert!(!third.changed && third.diff.is_empty() && third.backup_path.is_none());
    assert_eq!(third.profiles.unchanged, product);
    assert_eq!(third.summary(), ["unchanged: 4"]);
    assert_eq!(backups(&config).len(), 2);

    // With --add a second team gets its own block; the first is untouched.
    let fourth = init(&add("finance", src.path(), &config), &accept).unwrap();
    assert!(fourth.removed_teams.is_empty());
    let after_fourth = fs::read_to_string(&config).unwrap();
    assert!(after_fourth.starts_with(&after_second));
    assert!(after_fourth.contains("# BEGIN aws-okta team finance\n"));

    // Without it, product's block goes: the user's lines stay, finance's block stays in place.
    let fifth = init(&opts("finance", src.path(), &config), &accept).unwrap();
    assert_eq!(
        fifth.removed_teams,
        [RemovedTeam {
            team: "product".into(),
            profiles: product.map(String::from).to_vec(),
        }]
    );
    assert_eq!(
        fifth.summary(),
        ["removed team product (4 profiles)", "unchanged: 1"]
    );
    let after_fifth = fs::read_to_string(&config).unwrap();
    let finance_block =
        &after_fourth[after_fourth.find("# BEGIN aws-okta team finance").unwrap()..];
    assert_eq!(
        after_fifth,
        format!("{user}\n\n{tail}\n{finance_block}"),
        "every byte outside the blocks kept"
    );
    assert_eq!(backups(&config).len(), 4);
}

#[test]
fn merge_replaces_in_place_and_keeps_everything_else() {
    let old_block = "# BEGIN aws-okta team x\n[profile old]\nregion = a\n# END aws-okta team x\n";
    let before = "top\r\n  # indented comment\n\n";
    let after = "[profile z]\nk=v\n\n\n";
    let merged = merge_keep(
        &format!("{before}{old_block}{after}"),
        "x",
        "[profile new]\nregion = b\n",
    );
    assert_eq!(
        merged,
        format!("{before}# BEGIN aws-okta team x\r\n[profile new]\r\nregion = b\r\n# END aws-okta team x\r\n{after}")
    );
    // Kept, other teams' blocks are other lines.
    let other = "# BEGIN aws-okta team y\n[profile y]\n# END aws-okta team y\n";
    let merged = merge_keep(other, "x", "[profile x]");
    assert_eq!(
        merged,
        format!("{other}\n# BEGIN aws-okta team x\n[profile x]\n# END aws-okta team x\n")
    );
    // Empty file: just the block.
    assert_eq!(
        merge_keep("", "x", "a\n"),
        "# BEGIN aws-okta team x\na\n# END aws-okta team x\n"
    );
    // Already ends with a blank line: no second one.
    assert_eq!(
        merge_keep("a\n\n", "x", "b"),
        "a\n\n# BEGIN aws-okta team x\nb\n# END aws-okta team x\n"
    );
}

#[test]
fn profile_changes_compare_the_old_block_with_the_new_one() {
    let old = "# BEGIN aws-okta team x\n# a comment\n[okta]\naws_saml_url = a\n\n\
               [profile gone]\nregion = a\n\n\
               [profile same]\nregion=us-east-1\nsession_ttl = 1h\n\n\
               [ profile  edited ]\nregion = a\n\n\
               [default]\noutput = json\n\n\
               [profile moved]\nregion = a\noutput = json\n\
               # END aws-okta team x\n";
    // Spaces, blank lines and comments do not count; another value or another order does.
    // `[okta]` is not a profile.
    let new = "[okta]\naws_saml_url = b\n\n\
               [profile same]\n  region =   us-east-1\n\n; note\nsession_ttl = 1h\n\n\
               [profile edited]\nregion = b\n\n\
               [profile new]\nregion = a\n\n\
               [default]\noutput = json\n\n\
               [profile moved]\noutput = json\nregion = a\n\n\
               [profile nested]\ns3 =\n  region = a\n";
    let c = ProfileChanges::between(old, new);
    assert_eq!(c.added, ["new", "nested"]);
    assert_eq!(c.changed, ["same", "edited", "moved"]);
    assert_eq!(c.removed, ["gone"]);
    assert_eq!(c.unchanged, ["default"]);

    // Indentation is a subsection: the same key at the top is another setting.
    let c = ProfileChanges::between(
        "[profile p]\ns3 =\n  region = a\n",
        "[profile p]\ns3 =\nregion = a\n",
    );
    assert_eq!(c.changed, ["p"]);
    // No old block: everything is added.
    let c = ProfileChanges::between("", "[okta]\n[profile a]\n[profile b]\nk = v\n");
    assert_eq!(c.added, ["a", "b"]);
    assert!(c.changed.is_empty() && c.removed.is_empty() && c.unchanged.is_empty());
}

#[test]
fn the_summary_is_short_however_many_profiles_there_are() {
    let names = |prefix: &str, n: usize| -> Vec<String> {
        (1..=n).map(|i| format!("{prefix}{i}")).collect()
    };
    let mut report = InitReport {
        config_path: PathBuf::from("config"),
        team_file: "src: teams/x.config".into(),
        created: false,
        changed: true,
        backup_path: None,
        diff: String::new(),
        dry_run: false,
        findings: Vec::new(),
        removed_teams: Vec::new(),
        profiles: ProfileChanges {
            added: names("a", 3),
            changed: names("c", 1),
            removed: names("r", 2),
            unchanged: names("u", 12),
        },
    };
    assert_eq!(
        report.summary(),
        [
            "added 3 profiles: a1, a2, a3",
            "changed 1 profile: c1",
            "removed 2 profiles: r1, r2",
            "unchanged: 12",
        ]
    );

    report.profiles = ProfileChanges {
        added: names("p", 5000),
        changed: names("c", SUMMARY_NAMES),
        removed: names("r", SUMMARY_NAMES + 1),
        unchanged: names("u", 5000),
    };
    let lines = report.summary();
    assert_eq!(
        lines[0],
        "added 5000 profiles: p1, p2, p3, p4, p5, p6, p7, p8, p9, p10 and 4990 more"
    );
    assert_eq!(
        lines[1],
        "changed 10 profiles: c1, c2, c3, c4, c5, c6, c7, c8, c9, c10"
    );
    assert_eq!(
        lines[2],
        "removed 11 profiles: r1, r2, r3, r4, r5, r6, r7, r8, r9, r10 and 1 more"
    );
    assert_eq!(lines[3], "unchanged: 5000");
    assert_eq!(lines.len(), 4);

    // Removed teams come first.
    report.removed_teams = vec![
        RemovedTeam {
            team: "finance".into(),
            profiles: names("f", 1),
        },
        RemovedTeam {
            team: "oncall".into(),
            profiles: names("o", 7),
        },
    ];
    report.profiles = ProfileChanges {
        added: names("a", 1),
        ..ProfileChanges::default()
    };
    assert_eq!(
        report.summary(),
        [
            "removed team finance (1 profile)",
            "removed team oncall (7 profiles)",
            "added 1 profile: a1",
        ]
    );

    // Nothing to say: no lines.
    report.removed_teams.clear();
    report.profiles = ProfileChanges::default();
    assert!(report.summary().is_empty());
}

/// A team's block as `merge_managed_block` writes it (`\n` endings).
fn blk(team: &str, body: &str) -> String {
    format!("# BEGIN aws-okta team {team}\n{body}# END aws-okta team {team}\n")
}

fn removed(team: &str, profiles: &[&str]) -> RemovedTeam {
    RemovedTeam {
        team: team.into(),
        profiles: profiles.iter().map(|p| p.to_string()).collect(),
    }
}

#[test]
fn merge_without_other_blocks_is_the_same_either_way() {
    for existing in ["", "a\n", "a", "[profile me]\nk = v\n\n", "x\r\ny\r\n"] {
        let keep = merge_managed_block(existing, "x", "[profile x]\n", OtherTeams::Keep).unwrap();
        let replace =
            merge_managed_block(existing, "x", "[profile x]\n", OtherTeams::Replace).unwrap();
        assert_eq!(keep, replace, "{existing:?}");
        assert!(replace.removed_teams.is_empty());
        assert!(replace.text.starts_with(existing));
    }
    // The team's own block is replaced in place either way.
    let existing = format!("a\n{}b\n", blk("x", "[profile old]\n"));
    let m = merge_managed_block(&existing, "x", "[profile x]\n", OtherTeams::Replace).unwrap();
    assert_eq!(m.text, format!("a\n{}b\n", blk("x", "[profile x]\n")));
    assert!(m.removed_teams.is_empty());
}

#[test]
fn merge_replaces_the_one_other_teams_block_in_its_place() {
    let head = "# mine\n[profile me]\nregion = a   \n\n";
    let tail = "\n[profile after]\nk=v";
    let existing = format!(
        "{head}{}{tail}",
        blk(
            "finance",
            "[okta]\nx = 1\n\n[profile finance-hub]\nk = v\n[default]\n"
        )
    );
    let m = merge_managed_block(
        &existing,
        "oncall",
        "[profile oncall-hub]\n",
        OtherTeams::Replace,
    )
    .unwrap();
    assert_eq!(
        m.text,
        format!("{head}{}{tail}", blk("oncall", "[profile oncall-hub]\n"))
    );
    assert_eq!(
        m.removed_teams,
        [removed("finance", &["finance-hub", "default"])]
    );

    // Kept with OtherTeams::Keep: the new block is appended after a blank line.
    let m = merge_managed_block(
        &existing,
        "oncall",
        "[profile oncall-hub]\n",
        OtherTeams::Keep,
    )
    .unwrap();
    assert_eq!(
        m.text,
        format!("{existing}\n\n{}", blk("oncall", "[profile oncall-hub]\n"))
    );
    assert!(m.removed_teams.is_empty());
}

#[test]
fn merge_with_two_other_blocks_removes_both_and_appends() {
    let a = blk("a", "[profile a1]\n[profile a2]\n");
    let c = blk("c", "[profile c1]\n");
    let existing = format!("top\n\n{a}middle\n\n{c}bottom\n");
    let m = merge_managed_block(&existing, "b", "[profile b1]\n", OtherTeams::Replace).unwrap();
    // Every byte outside the blocks stays; the new block is appended after a blank line.
    assert_eq!(
        m.text,
        format!("top\n\nmiddle\n\nbottom\n\n{}", blk("b", "[profile b1]\n"))
    );
    assert_eq!(
        m.removed_teams,
        [removed("a", &["a1", "a2"]), removed("c", &["c1"])]
    );

    // The team's own block among them: it stays where it is, the others go.
    let b = blk("b", "[profile old]\n");
    let existing = format!("top\n{a}{b}{c}bottom\n");
    let m = merge_managed_block(&existing, "b", "[profile b1]\n", OtherTeams::Replace).unwrap();
    assert_eq!(
        m.text,
        format!("top\n{}bottom\n", blk("b", "[profile b1]\n"))
    );
    assert_eq!(m.removed_teams.len(), 2);
    // With Keep only the team's own block changes.
    let m = merge_managed_block(&existing, "b", "[profile b1]\n", OtherTeams::Keep).unwrap();
    assert_eq!(
        m.text,
        format!("top\n{a}{}{c}bottom\n", blk("b", "[profile b1]\n"))
    );
    assert!(m.removed_teams.is_empty());

    // Nothing but other teams' blocks: just the new one is left.
    let m = merge_managed_block(
        &format!("{a}{c}"),
        "b",
        "[profile b1]\n",
        OtherTeams::Replace,
    )
    .unwrap();
    assert_eq!(m.text, blk("b", "[profile b1]\n"));
}

#[test]
fn merge_keeps_crlf_files_crlf_and_their_bytes() {
    let head = "[default]\r\nregion = a\r\n\r\n";
    let other = "# BEGIN aws-okta team y\r\n[profile y]\r\nk = v\r\n# END aws-okta team y\r\n";
    let tail = "\r\n[profile mine]\r\nk = v\r\n";
    let existing = format!("{head}{other}{tail}");
    let m =
        merge_managed_block(&existing, "x", "[profile x]\nk = v\n", OtherTeams::Replace).unwrap();
    assert_eq!(
        m.text,
        format!("{head}# BEGIN aws-okta team x\r\n[profile x]\r\nk = v\r\n# END aws-okta team x\r\n{tail}")
    );
    assert_eq!(m.removed_teams, [removed("y", &["y"])]);

    let m = merge_managed_block(&existing, "x", "[profile x]\n", OtherTeams::Keep).unwrap();
    assert_eq!(
        m.text,
        format!(
            "{existing}\r\n# BEGIN aws-okta team x\r\n[profile x]\r\n# END aws-okta team x\r\n"
        )
    );
    // A block written with CRLF is found and replaced in place.
    let m = merge_managed_block(&m.text, "x", "[profile x2]\n", OtherTeams::Replace).unwrap();
    assert_eq!(
        m.text,
        format!(
            "{head}{tail}\r\n# BEGIN aws-okta team x\r\n[profile x2]\r\n# END aws-okta team x\r\n"
        )
    );
    assert_eq!(m.removed_teams, [removed("y", &["y"])]);
}

#[test]
fn removing_a_team_the_users_profiles_need_is_refused_with_a_hint() {
    let src = source_dir();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    fs::write(&config, "").unwrap();
    init(&opts("finance", src.path(), &config), &accept).unwrap();
    let mine = "\n[profile mine]\nokta_source_profile = finance-hub\n";
    let before = format!("{}{mine}", fs::read_to_string(&config).unwrap());
    fs::write(&config, &before).unwrap();
    // Stands in for the CLI's validator: `mine` needs finance-hub.
    let needs_finance_hub = |s: &str| {
        if s.contains("okta_source_profile = finance-hub") && !s.contains("[profile finance-hub]") {
            Err("profile 'mine': source_profile 'finance-hub' does not exist".to_string())
        } else {
            Ok(())
        }
    };
    let e = init(&opts("oncall", src.path(), &config), &needs_finance_hub).unwrap_err();
    assert!(matches!(e, Error::Validation { .. }));
    assert!(
        e.to_string().ends_with(
            "source_profile 'finance-hub' does not exist\n(this would remove the managed block of team finance; --add keeps it)"
        ),
        "{e}"
    );
    assert_eq!(fs::read_to_string(&config).unwrap(), before);
    assert_eq!(
        backups(&config).len(),
        1,
        "only the backup of the first init"
    );
    // With --add it goes through.
    let r = init(&add("oncall", src.path(), &config), &needs_finance_hub).unwrap();
    assert!(r.changed && r.removed_teams.is_empty());
}

#[test]
fn malformed_markers_are_refused_with_their_line() {
    for (text, line, what) in [
        ("a\n# BEGIN aws-okta team x\nb\n", 2, "has no `# END aws-okta team x`"),
        ("a\n# END aws-okta team x\n", 2, "without a `# BEGIN aws-okta team x`"),
        (
            "# BEGIN aws-okta team x\n# END aws-okta team x\n# BEGIN aws-okta team x\n# END aws-okta team x\n",
            3,
            "a second managed block for team x",
        ),
        (
            "# BEGIN aws-okta team x\n# BEGIN aws-okta team y\n# END aws-okta team y\n# END aws-okta team x\n",
            2,
            "inside the managed block of team x",
        ),
        // Another team's markers are checked just as strictly: its block may be removed.
        ("a\n# BEGIN aws-okta team y\nb\n", 2, "`# BEGIN aws-okta team y` has no `# END aws-okta team y`"),
        ("a\r\n# END aws-okta team y\r\n", 2, "`# END aws-okta team y` without a `# BEGIN aws-okta team y`"),
        (
            "# BEGIN aws-okta team y\n# END aws-okta team y\n# BEGIN aws-okta team y\n# END aws-okta team y\n",
            3,
            "a second managed block for team y (the first is at line 1)",
        ),
        (
            "# BEGIN aws-okta team y\n[profile y]\n# END aws-okta team z\n",
            3,
            "`# END aws-okta team z` inside the managed block of team y that starts at line 1",
        ),
    ] {
        for others in [OtherTeams::Keep, OtherTeams::Replace] {
            match merge_managed_block(text, "x", "new", others) {
                Err(Error::ManagedBlock { line: l, message }) => {
                    assert_eq!(l, line, "{text}");
                    assert!(message.contains(what), "{message}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    // Through init: reported as path:line, and nothing is written.
    let src = source_dir();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    let text = "[profile a]\n# BEGIN aws-okta team oncall\n";
    fs::write(&config, text).unwrap();
    let e = init(&opts("oncall", src.path(), &config), &accept).unwrap_err();
    assert!(
        e.to_string()
            .starts_with(&format!("{}:2: ", config.display())),
        "{e}"
    );
    assert_eq!(fs::read_to_string(&config).unwrap(), text);
    assert!(backups(&config).is_empty());
}

#[test]
fn dry_run_writes_nothing() {
    let src = source_dir();
    let home = tempfile::tempdir().unwrap();

    // Missing file and directory: neither is created.
    let config = home.path().join(".aws/config");
    let mut o = opts("finance", src.path(), &config);
    o.dry_run = true;
    let r = init(&o, &accept).unwrap();
    assert!(r.dry_run && r.created && r.changed && r.backup_path.is_none());
    assert!(r.diff.contains("+[profile finance-hub]\n"), "{}", r.diff);
    assert!(!config.parent().unwrap().exists());

    // Existing file: unchanged, no backup, no temporary file.
    let config = home.path().join("config");
    fs::write(&config, USER).unwrap();
    let mtime = fs::metadata(&config).unwrap().modified().unwrap();
    let mut o = opts("finance", src.path(), &config);
    o.dry_run = true;
    let r: InitReport = init(&o, &accept).unwrap();
    assert!(r.changed && !r.created);
    assert!(
        r.diff
            .starts_with(&format!("--- {0}\n+++ {0}\n@@ -6,3 +6,", config.display())),
        "{}",
        r.diff
    );
    assert!(
        r.diff
            .contains(" ; a comment\n+\n+# BEGIN aws-okta team finance\n"),
        "{}",
        r.diff
    );
    assert_eq!(fs::read_to_string(&config).unwrap(), USER);
    assert_eq!(fs::metadata(&config).unwrap().modified().unwrap(), mtime);
    assert_eq!(
        fs::read_dir(home.path()).unwrap().count(),
        1,
        "no backup, no temporary file, no .aws/"
    );
}

#[test]
fn the_validator_sees_the_merged_file_and_can_refuse_it() {
    let src = source_dir();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    fs::write(&config, USER).unwrap();

    let seen = RefCell::new(String::new());
    let record = |s: &str| {
        *seen.borrow_mut() = s.to_string();
        Ok(())
    };
    init(&opts("oncall", src.path(), &config), &record).unwrap();
    assert_eq!(*seen.borrow(), fs::read_to_string(&config).unwrap());

    let before = fs::read_to_string(&config).unwrap();
    fs::write(
        src.path().join("teams/oncall.config"),
        "[profile oncall-hub]\nrole_arn = broken\n",
    )
    .unwrap();
    let refuse = |s: &str| {
        if s.contains("role_arn = broken") {
            Err("profile oncall-hub: role_arn `broken` is not an ARN".to_string())
        } else {
            Ok(())
        }
    };
    let e = init(&opts("oncall", src.path(), &config), &refuse).unwrap_err();
    assert!(matches!(e, Error::Validation { .. }));
    assert!(
        e.to_string().contains("role_arn `broken` is not an ARN"),
        "{e}"
    );
    assert_eq!(fs::read_to_string(&config).unwrap(), before);
    assert_eq!(
        backups(&config).len(),
        1,
        "only the backup of the first init"
    );
}

#[test]
fn clashes_with_the_users_own_sections_are_refused() {
    let src = source_dir();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");

    let text = "[profile x]\n\n[profile  dev-readonly ]\nregion = us-east-1\n";
    fs::write(&config, text).unwrap();
    let e = init(&opts("product", src.path(), &config), &accept).unwrap_err();
    assert!(
        e.to_string().starts_with(&format!(
            "{}:3: profile `dev-readonly` is already defined here",
            config.display()
        )),
        "{e}"
    );
    assert_eq!(fs::read_to_string(&config).unwrap(), text);

    // With --add, another team's block defining the same profile is a clash too, naming
    // both teams; without --add that block is replaced.
    fs::write(&config, "").unwrap();
    init(&opts("oncall", src.path(), &config), &accept).unwrap();
    let with_oncall = fs::read_to_string(&config).unwrap();
    let e = init(&add("product", src.path(), &config), &accept).unwrap_err();
    let line = |p: &str| {
        with_oncall
            .lines()
            .position(|l| l == format!("[profile {p}]"))
            .unwrap()
            + 1
    };
    let d = e.diagnostics();
    assert_eq!(d.len(), 2, "{e}");
    for (d, p) in d.iter().zip(["dev-readonly", "staging-readonly"]) {
        assert_eq!(d.path, config);
        assert_eq!(d.line, line(p));
        assert_eq!(
            d.message,
            format!("profile `{p}` is already defined here by team oncall; team product defines it too: a profile can come from one team only (without --add, team product replaces team oncall)")
        );
    }
    assert_eq!(fs::read_to_string(&config).unwrap(), with_oncall);
    let r = init(&opts("product", src.path(), &config), &accept).unwrap();
    assert_eq!(r.removed_teams.len(), 1);
    assert_eq!(r.removed_teams[0].team, "oncall");
    assert_eq!(r.removed_teams[0].profiles.len(), 7);

    // An [okta] section pointing elsewhere.
    fs::write(&config, "[okta]\naws_saml_url = home/amazon_aws/other/1\n").unwrap();
    let e = init(&opts("finance", src.path(), &config), &accept).unwrap_err();
    assert!(
        e.to_string().starts_with(&format!(
            "{}:1: this [okta] section has aws_saml_url = home/amazon_aws/other/1",
            config.display()
        )),
        "{e}"
    );
    // ... but the same app link is fine.
    fs::write(
        &config,
        "[okta]\naws_saml_url = home/amazon_aws/0oa1abcdEFGH/272\n",
    )
    .unwrap();
    init(&opts("finance", src.path(), &config), &accept).unwrap();
}

#[test]
fn unknown_team_and_bad_team_name() {
    let src = source_dir();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    let e = init(&opts("nobody", src.path(), &config), &accept).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "team `nobody` not found in {}: no teams/nobody.config (available: finance, oncall, product)",
            src.path().display()
        )
    );
    let e = init(&opts("../etc/passwd", src.path(), &config), &accept).unwrap_err();
    assert!(matches!(e, Error::InvalidTeamName(_)));
    let e = init(
        &opts("x", Path::new("/nonexistent/team-configs"), &config),
        &accept,
    )
    .unwrap_err();
    assert!(
        e.to_string().starts_with("/nonexistent/team-configs: "),
        "{e}"
    );
    assert!(!config.exists());
}

#[test]
fn a_repository_root_works_as_source() {
    // `--source .` from a checkout of this repository: team-configs/teams/<team>.config.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    let r = init(&opts("finance", &root, &config), &accept).unwrap();
    assert!(
        r.team_file.ends_with("team-configs/teams/finance.config"),
        "{}",
        r.team_file
    );
}

#[cfg(unix)]
#[test]
fn a_symlinked_config_is_written_through() {
    let src = source_dir();
    let home = tempfile::tempdir().unwrap();
    let real = home.path().join("dotfiles-aws-config");
    fs::write(&real, USER).unwrap();
    let link = home.path().join("config");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let r = init(&opts("finance", src.path(), &link), &accept).unwrap();
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(fs::read_to_string(&real)
        .unwrap()
        .contains("[profile finance-hub]"));
    assert_eq!(r.config_path, fs::canonicalize(&real).unwrap());
}

/// A source directory whose only team, `evil`, has the given config: what a compromised
/// team-config repository would serve.
fn hostile_source(team_config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("teams")).unwrap();
    fs::write(dir.path().join("teams/evil.config"), team_config).unwrap();
    dir
}

const HOSTILE: &str = "# Team evil\n[okta]\naws_saml_url = home/amazon_aws/0oa1abcdEFGH/272\n\n[profile evil-hub]\nrole_arn = arn:aws:iam::123456789012:role/x\ncredential_process = /tmp/evil\n";

fn finding(line: usize, section: &str, key: &str, value: &str) -> DangerousKey {
    DangerousKey {
        line,
        section: section.into(),
        key: key.into(),
        value: value.into(),
    }
}

/// Refused without the flag: the error names every finding, the config is byte-for-byte
/// unchanged, and there is no backup.
fn assert_refused(team_config: &str, expected: &[DangerousKey]) {
    let src = hostile_source(team_config);
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    fs::write(&config, USER).unwrap();
    let e = init(&opts("evil", src.path(), &config), &accept).unwrap_err();
    let team_file = format!("{}: teams/evil.config", src.path().display());
    match &e {
        Error::DangerousKeys {
            team_file: t,
            findings,
        } => {
            assert_eq!(t, &team_file);
            assert_eq!(findings, expected);
        }
        other => panic!("{other:?}"),
    }
    let text = e.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), expected.len() + 2, "{text}");
    for (l, f) in lines[1..].iter().zip(expected) {
        assert_eq!(*l, format!("{team_file}:{}: {f}", f.line));
    }
    assert!(
        lines[lines.len() - 1].contains("re-run with --allow-executable-keys"),
        "{text}"
    );
    assert_eq!(fs::read(&config).unwrap(), USER.as_bytes());
    assert!(backups(&config).is_empty());
    assert_eq!(
        fs::read_dir(home.path()).unwrap().count(),
        1,
        "no temporary file"
    );
}

#[test]
fn a_credential_process_from_the_team_repository_is_refused() {
    assert_refused(
        HOSTILE,
        &[finding(
            7,
            "profile evil-hub",
            "credential_process",
            "/tmp/evil",
        )],
    );
    // The Display line is exactly `<team file>:<line>: [<section>] <key> = <value>`.
    let src = hostile_source(HOSTILE);
    let home = tempfile::tempdir().unwrap();
    let e = init(
        &opts("evil", src.path(), &home.path().join("config")),
        &accept,
    )
    .unwrap_err();
    assert!(e.to_string().contains(&format!(
        "\n{}: teams/evil.config:7: [profile evil-hub] credential_process = /tmp/evil\n",
        src.path().display()
    )));
    assert!(!home.path().join("config").exists(), "not created either");
}

#[test]
fn endpoints_services_and_foreign_saml_urls_are_refused() {
    assert_refused(
        "[services evil]\nsts =\n  endpoint_url = https://sts.evil.example\n\n[profile p]\nrole_arn = arn:aws:iam::123456789012:role/x\nservices = evil\nendpoint_url = https://evil.example\nca_bundle = /tmp/evil-ca.pem\n",
        &[
            finding(1, "services evil", "", ""),
            finding(3, "services evil", "endpoint_url", "https://sts.evil.example"),
            finding(8, "profile p", "endpoint_url", "https://evil.example"),
            finding(9, "profile p", "ca_bundle", "/tmp/evil-ca.pem"),
        ],
    );
    assert_refused(
        "[okta]\naws_saml_url = https://evil.example/x\n[profile p]\nrole_arn = arn:aws:iam::123456789012:role/x\n",
        &[finding(2, "okta", "aws_saml_url", "https://evil.example/x")],
    );
    assert_refused(
        "[okta]\naws_saml_url = \\\\evil.example\\x\n[profile p]\nrole_arn = arn:aws:iam::123456789012:role/x\n",
        &[finding(2, "okta", "aws_saml_url", "\\\\evil.example\\x")],
    );
    // Written the way Python's configparser also reads: `:` delimiter, any case, after a lone \r.
    assert_refused(
        "[profile p]\nrole_arn = arn:aws:iam::123456789012:role/x\rCredential_Process: /tmp/evil\n",
        &[finding(2, "profile p", "Credential_Process", "/tmp/evil")],
    );
}

#[test]
fn allow_executable_keys_installs_and_reports_the_findings() {
    let src = hostile_source(HOSTILE);
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    fs::write(&config, USER).unwrap();
    let mut o = opts("evil", src.path(), &config);
    o.allow_executable_keys = true;
    let r = init(&o, &accept).unwrap();
    assert!(r.changed && r.backup_path.is_some());
    assert_eq!(
        r.findings,
        vec![finding(
            7,
            "profile evil-hub",
            "credential_process",
            "/tmp/evil"
        )]
    );
    assert!(fs::read_to_string(&config)
        .unwrap()
        .contains("\ncredential_process = /tmp/evil\n# END aws-okta team evil\n"));
}

#[test]
fn aws_okta_cred_process_is_not_a_finding() {
    let src = hostile_source(&HOSTILE.replace("/tmp/evil", "aws-okta cred-process evil-hub"));
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    let r = init(&opts("evil", src.path(), &config), &accept).unwrap();
    assert!(r.findings.is_empty() && r.created);
    assert!(fs::read_to_string(&config)
        .unwrap()
        .contains("\ncredential_process = aws-okta cred-process evil-hub\n"));
    // Anything more than that one command is a finding again.
    assert_refused(
        &HOSTILE.replace(
            "/tmp/evil",
            "aws-okta cred-process evil-hub; curl evil.example",
        ),
        &[finding(
            7,
            "profile evil-hub",
            "credential_process",
            "aws-okta cred-process evil-hub; curl evil.example",
        )],
    );
}

#[test]
fn a_dry_run_reports_the_findings_and_writes_nothing() {
    let src = hostile_source(HOSTILE);
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    fs::write(&config, USER).unwrap();
    let mut o = opts("evil", src.path(), &config);
    o.dry_run = true;
    let r = init(&o, &accept).unwrap();
    assert_eq!(
        r.findings,
        vec![finding(
            7,
            "profile evil-hub",
            "credential_process",
            "/tmp/evil"
        )]
    );
    assert!(
        r.diff.contains("+credential_process = /tmp/evil\n"),
        "{}",
        r.diff
    );
    assert_eq!(fs::read(&config).unwrap(), USER.as_bytes());
    assert!(backups(&config).is_empty());
    // The generated team configs have no findings.
    let src = source_dir();
    o.team = "oncall".into();
    o.source = src.path().display().to_string();
    assert!(init(&o, &accept).unwrap().findings.is_empty());
}

#[test]
fn git_sources_are_cloned_with_git() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    let bare = tmp.path().join("team-configs.git");
    fs::create_dir(&work).unwrap();
    let org = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../team-configs/org.toml");
    write_files(&work, &generate(&org).unwrap()).unwrap();
    git(
        tmp.path(),
        &["init", "--quiet", "--bare", bare.to_str().unwrap()],
    );
    git(&work, &["init", "--quiet"]);
    git(&work, &["add", "."]);
    git(&work, &["commit", "--quiet", "-m", "team configs"]);
    git(
        &work,
        &[
            "push",
            "--quiet",
            bare.to_str().unwrap(),
            "HEAD:refs/heads/main",
        ],
    );
    // The bare repository's HEAD must name the pushed branch for a clone to check it out.
    git(&bare, &["symbolic-ref", "HEAD", "refs/heads/main"]);

    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    let temp_before = clone_dirs();

    // A bare repository path, and the same as a file:// URL.
    let r = init(&opts("oncall", &bare, &config), &accept).unwrap();
    assert_eq!(
        r.team_file,
        format!("{}: teams/oncall.config", bare.display())
    );
    let first = fs::read_to_string(&config).unwrap();
    assert!(first.contains("[profile prod-administrator]"));

    let url = format!("file://{}", bare.display());
    let mut o = opts("oncall", &bare, &config);
    o.source = url.clone();
    let r = init(&o, &accept).unwrap();
    assert!(r.changed, "the source line in the block changed");
    assert!(fs::read_to_string(&config)
        .unwrap()
        .contains(&format!("from {url}.")));

    // A repository without the team, and one that does not exist.
    o.team = "nobody".into();
    assert!(matches!(init(&o, &accept), Err(Error::TeamNotFound { .. })));
    o.source = format!("file://{}/missing.git", tmp.path().display());
    match init(&o, &accept) {
        Err(Error::Git { url, message }) => {
            assert!(url.ends_with("missing.git"));
            assert!(!message.is_empty());
        }
        other => panic!("{other:?}"),
    }
    // Every clone was removed again.
    assert_eq!(clone_dirs(), temp_before);
}

/// This process's temporary clone directories.
fn clone_dirs() -> Vec<PathBuf> {
    let prefix = format!("aws-okta-init-{}-", std::process::id());
    let mut v: Vec<PathBuf> = fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

#[cfg(unix)]
#[test]
fn a_source_url_cannot_make_git_run_a_command() {
    let tmp = tempfile::tempdir().unwrap();
    let pwned = tmp.path().join("pwned");
    // `% ` is a space inside one argument of ext::; the trailing `#.git` makes init take it for
    // a git source and is a shell comment to `sh -c`.
    let source = format!("ext::sh -c touch% {}% #.git", pwned.display());
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    let mut o = opts("oncall", tmp.path(), &config);
    o.source = source;
    match init(&o, &accept) {
        Err(Error::Git { message, .. }) => {
            assert!(message.contains("transport 'ext' not allowed"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert!(!pwned.exists(), "git ran the ext:: command");
    assert!(!config.exists());
}

#[test]
fn git_protocol_urls_are_refused() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    let mut o = opts("oncall", home.path(), &config);
    o.source = "git://git.example.com/team-configs.git".into();
    let e = init(&o, &accept).unwrap_err();
    assert!(matches!(e, Error::Git { .. }));
    assert_eq!(
        e.to_string(),
        "cannot clone git://git.example.com/team-configs.git: git:// is unauthenticated and unencrypted, so anyone on the network path could change the team config: use an https:// or ssh:// URL"
    );
    assert!(!config.exists());
}
