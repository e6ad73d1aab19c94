//! The config parser and the chain resolver (every profile of whatever parses), and the lazy
//! per-profile parse against the whole-file parse.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(cfg) = aws_okta::config::ConfigFile::parse(std::path::Path::new("fuzz"), &text) else {
        return;
    };
    let all = cfg.profiles();
    for name in cfg.profile_names() {
        let one = cfg.profile(name);
        if let (Ok(all), Ok(Some(one))) = (&all, &one) {
            assert_eq!(all.get(name).map(|s| &s.values), Some(&one.values), "{name}");
        }
        if let Ok(chain) = aws_okta::config::Chain::resolve(&cfg, name) {
            let _ = aws_okta::cache::CacheKey::for_chain(&chain);
            let _ = chain.final_role_arn();
        }
    }
});
