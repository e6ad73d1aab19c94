//! Property tests: configs written from a model read back as that model, the lazy per-profile
//! parse agrees with rust-ini reading the whole file, and chain resolution follows
//! `source_profile` exactly (cycles and gaps are errors, never hangs or panics).
use super::*;
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_.-]{0,8}".prop_filter("reserved", |n| n != "okta")
}

fn key() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,10}"
}

/// Any value as people write them: words, paths, ARNs, quotes and backslashes kept verbatim.
fn raw_value() -> impl Strategy<Value = String> {
    "[A-Za-z0-9:/_.@\"\\\\-]([A-Za-z0-9 :/_.@\"\\\\=\\[\\]-]{0,20}[A-Za-z0-9:/_.@\"\\\\-])?"
}

/// Not ending in a backslash: rust-ini (unlike the AWS CLI) reads that as a line continuation.
fn value() -> impl Strategy<Value = String> {
    raw_value().prop_filter("continuation", |v| !v.ends_with('\\'))
}

type Model = BTreeMap<String, BTreeMap<String, String>>;

fn model() -> impl Strategy<Value = (BTreeMap<String, String>, Model)> {
    (
        btree_map(key(), value(), 0..4),
        btree_map(name(), btree_map(key(), value(), 0..5), 0..8),
    )
}

/// How one `key = value` line is spelled.
fn spelling() -> impl Strategy<Value = (&'static str, &'static str, bool)> {
    (
        prop::sample::select(vec!["", " ", "  ", "\t"]),
        prop::sample::select(vec!["=", " = ", "= ", " =", ":"]),
        any::<bool>(),
    )
}

fn render(
    okta: &BTreeMap<String, String>,
    profiles: &Model,
    styles: &[(&str, &str, bool)],
    crlf: bool,
) -> String {
    let nl = if crlf { "\r\n" } else { "\n" };
    let mut out = String::new();
    let mut style = styles.iter().cycle();
    let mut section = |out: &mut String, header: String, values: &BTreeMap<String, String>| {
        out.push_str(&format!("{header}{nl}"));
        for (k, v) in values {
            let (indent, sep, comment) = style.next().copied().unwrap_or(("", "=", false));
            if comment {
                out.push_str(&format!("# a comment{nl}; another{nl}"));
            }
            out.push_str(&format!("{indent}{k}{sep}{v}{nl}"));
        }
        out.push_str(nl);
    };
    section(&mut out, "[okta]".into(), okta);
    for (name, values) in profiles {
        let header = if name == "default" {
            "[default]".to_string()
        } else {
            format!("[profile {name}]")
        };
        section(&mut out, header, values);
    }
    section(&mut out, "[sso-session corp]".into(), &BTreeMap::new());
    out
}

/// The whole-file reading the lazy parser replaced: rust-ini over everything.
fn reference(text: &str) -> (Section, BTreeMap<String, Section>) {
    let ini = Ini::load_from_str_opt(text, parse_option()).unwrap();
    let (mut okta, mut profiles) = (Section::default(), BTreeMap::<String, Section>::new());
    for (raw, props) in ini.iter() {
        let Some(raw) = raw.map(str::trim) else {
            continue;
        };
        let values = props
            .iter()
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()));
        let target = if raw == "okta" || raw == "profile okta" {
            &mut okta
        } else if let Some(p) = raw.strip_prefix("profile ") {
            profiles.entry(p.trim().to_string()).or_default()
        } else if raw == "default" {
            profiles.entry("default".into()).or_default()
        } else {
            continue;
        };
        target.values.extend(values);
    }
    (okta, profiles)
}

fn values(section: &Section) -> &BTreeMap<String, String> {
    &section.values
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_written_config_reads_back_as_its_model(
        (okta, profiles) in model(),
        styles in vec(spelling(), 1..6),
        crlf in any::<bool>(),
    ) {
        let text = render(&okta, &profiles, &styles, crlf);
        let cfg = ConfigFile::parse(Path::new("p"), &text).unwrap();
        let expected_okta: BTreeMap<String, String> =
            okta.iter().map(|(k, v)| (k.clone(), v.trim().to_string())).collect();
        prop_assert_eq!(values(&cfg.okta), &expected_okta);
        let names: Vec<&str> = profiles.keys().map(String::as_str).collect();
        prop_assert_eq!(cfg.profile_names(), names);
        for (name, expected) in &profiles {
            let expected: BTreeMap<String, String> =
                expected.iter().map(|(k, v)| (k.clone(), v.trim().to_string())).collect();
            let got = cfg.profile(name).unwrap().unwrap();
            prop_assert_eq!(values(&got), &expected);
            prop_assert!(text.lines().nth(got.line - 1).unwrap().contains(name.as_str()));
        }
    }

    #[test]
    fn the_lazy_parse_agrees_with_rust_ini_on_the_whole_file(
        blocks in vec(
            (
                prop::sample::select(vec!["okta", "profile okta", "default", "profile a", "profile  b ", "profile c", "sso-session s", "services x"]),
                prop::sample::select(vec!["", "  "]),
                vec((key(), raw_value(), spelling()), 0..4),
            ),
            0..10,
        ),
    ) {
        let mut text = String::from("; preamble\n");
        for (header, indent, lines) in &blocks {
            text.push_str(&format!("{indent}[{header}]\n"));
            for (k, v, (ind, sep, comment)) in lines {
                if *comment {
                    text.push_str("#x [profile z]\n\n");
                }
                // Mixed-case keys are read lower-cased by both.
                text.push_str(&format!("{ind}{}{sep}{v}\n", k.to_uppercase()));
            }
        }
        let cfg = ConfigFile::parse(Path::new("p"), &text).unwrap();
        let (okta, profiles) = reference(&text);
        prop_assert_eq!(values(&cfg.okta), values(&okta));
        // One copy reads profiles one by one (lazily), the other parses them all first and
        // then answers lookups from that map: both must agree with the reference.
        let lazy_cfg = cfg.clone();
        let all = cfg.profiles().unwrap();
        prop_assert_eq!(all.keys().collect::<Vec<_>>(), profiles.keys().collect::<Vec<_>>());
        for (name, expected) in &profiles {
            let lazy = lazy_cfg.profile(name).unwrap().unwrap();
            prop_assert_eq!(values(&lazy), values(expected));
            prop_assert_eq!(values(&all[name]), values(expected));
            let cached = cfg.profile(name).unwrap().unwrap();
            prop_assert_eq!(values(&cached), values(expected));
            prop_assert_eq!((cached.line, cfg.location(name)), (lazy.line, lazy_cfg.location(name)));
        }
        prop_assert!(cfg.profile("no-such-profile").unwrap().is_none());
    }

    /// Each profile has an optional source (another profile, itself, or a missing one).
    #[test]
    fn chains_follow_source_profile_and_report_cycles_and_gaps(
        sources in vec(prop::option::of(0usize..12), 1..10),
    ) {
        let n = sources.len();
        let mut text = String::from("[okta]\naws_saml_url = home/amazon_aws/app/1\n");
        for (i, source) in sources.iter().enumerate() {
            text.push_str(&format!("[profile p{i}]\nrole_arn = arn:aws:iam::{:012}:role/r{i}\n", i + 1));
            if let Some(s) = source {
                text.push_str(&format!("source_profile = p{s}\n"));
            }
        }
        let cfg = ConfigFile::parse(Path::new("p"), &text).unwrap();
        for target in 0..n {
            // The reference walk.
            let mut path = vec![target];
            let outcome = loop {
                match sources[*path.last().unwrap()] {
                    None => break Ok(()),
                    Some(s) if s >= n => break Err("does not exist"),
                    Some(s) if path.contains(&s) => break Err("cycle"),
                    Some(s) => path.push(s),
                }
            };
            let resolved = Chain::resolve(&cfg, &format!("p{target}"));
            match outcome {
                Ok(()) => {
                    let chain = resolved.unwrap();
                    let root = *path.last().unwrap();
                    prop_assert_eq!(chain.saml.profile, format!("p{root}"));
                    let hops: Vec<String> = chain.hops.iter().map(|h| h.profile.clone()).collect();
                    let expected: Vec<String> =
                        path.iter().rev().skip(1).map(|i| format!("p{i}")).collect();
                    prop_assert_eq!(hops, expected);
                }
                Err(what) => {
                    let msg = resolved.unwrap_err().to_string();
                    prop_assert!(msg.contains(what), "{}", msg);
                }
            }
        }
    }
}
