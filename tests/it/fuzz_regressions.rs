//! Replays, in the normal test suite, the fuzzers' seed inputs (`fuzz/seeds/<target>/`) and
//! every input a fuzzer ever found a failure with (`fuzz/regressions/<target>/`), through the
//! same code the fuzz targets run (`aws_okta::fuzzing`). A panic fails the test.
use std::path::{Path, PathBuf};

fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind)
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// A fuzz target: its name (the folder of its inputs) and its body.
type Target = (&'static str, fn(&[u8]));

#[test]
fn every_seed_and_every_past_failure_runs_without_a_panic() {
    let targets: [Target; 3] = [
        ("saml", aws_okta::fuzzing::saml),
        ("config", aws_okta::fuzzing::config),
        ("okta_json", aws_okta::fuzzing::okta_json),
    ];
    for (target, run) in targets {
        let seeds = inputs("seeds", target);
        assert!(!seeds.is_empty(), "fuzz/seeds/{target} is empty");
        for path in seeds.iter().chain(&inputs("regressions", target)) {
            let data = std::fs::read(path).unwrap();
            // Name the input if it panics.
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{target} panicked on {}", path.display());
        }
    }
}

/// The seeds reach deep into each parser (an empty or broken seed would fuzz only the surface).
#[test]
fn the_seeds_are_valid_inputs() {
    let read = |target: &str, name: &str| {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fuzz/seeds/{target}/{name}")),
        )
        .unwrap()
    };
    let page = read("saml", "okta-app-page.html");
    let encoded = aws_okta::saml::extract_saml_response(&page).expect("SAMLResponse in the page");
    let assertion = aws_okta::saml::SamlAssertion::parse(encoded).unwrap();
    assert_eq!(
        format!("{assertion:?}").matches("hub-team").count(),
        1,
        "{assertion:?}"
    );

    let cfg = aws_okta::config::ConfigFile::parse(
        Path::new("seed"),
        &read("config", "hub-and-spoke.config"),
    )
    .unwrap();
    let chain = aws_okta::config::Chain::resolve(&cfg, "spoke").unwrap();
    assert_eq!(chain.hops.len(), 1);
    assert!(aws_okta::config::Chain::resolve(&cfg, "loop").is_err());

    for name in ["mfa-required.json", "push-challenge.json", "success.json"] {
        let json = read("okta_json", name);
        assert!(
            serde_json::from_str::<aws_okta::okta::wire::AuthnResponse>(&json).is_ok(),
            "{name}"
        );
    }
}
