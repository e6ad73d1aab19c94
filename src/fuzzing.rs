//! The bodies of the fuzz targets (`fuzz/`), here so the normal test suite can replay every
//! input the fuzzers ever found (`fuzz/regressions/<target>/`, `tests/it/fuzz_regressions.rs`).
//! Each must never panic, whatever the bytes; the config target also checks the lazy
//! per-profile parse against the whole-file parse.

/// SAML extraction from Okta's HTML page, then base64 + XML attribute parsing.
pub fn saml(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Some(encoded) = crate::saml::extract_saml_response(&text) {
        let _ = crate::saml::SamlAssertion::parse(encoded);
    }
    // The XML parser directly, on the input as base64.
    use base64::Engine;
    let _ =
        crate::saml::SamlAssertion::parse(base64::engine::general_purpose::STANDARD.encode(data));
}

/// The config parser and the chain resolver, for every profile of whatever parses.
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(cfg) = crate::config::ConfigFile::parse(std::path::Path::new("fuzz"), &text) else {
        return;
    };
    let all = cfg.profiles();
    for name in cfg.profile_names() {
        let one = cfg.profile(name);
        if let (Ok(all), Ok(Some(one))) = (&all, &one) {
            assert_eq!(
                all.get(name).map(|s| &s.values),
                Some(&one.values),
                "{name}"
            );
        }
        if let Ok(chain) = crate::config::Chain::resolve(&cfg, name) {
            let identity = crate::okta::identity::Identity {
                domain: "https://example.okta.com/".into(),
                username: "fuzz".into(),
            };
            let _ = crate::cache::CacheKey::for_chain(&chain, &identity);
            let _ = chain.final_role_arn();
        }
    }
}

/// Okta's authn JSON answers, the accessors the state machine uses, and domain parsing.
pub fn okta_json(data: &[u8]) {
    if let Ok(r) = serde_json::from_slice::<crate::okta::wire::AuthnResponse>(data) {
        let _ = r.factors();
        let _ = r.correct_answer();
        let _ = r.state_token();
        let _ = format!("{r:?}");
    }
    let _ = crate::okta::parse_domain(&String::from_utf8_lossy(data));
}
