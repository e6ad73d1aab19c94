//! The config parser and the chain resolver (every profile of whatever parses).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(cfg) = aws_okta::config::ConfigFile::parse(std::path::Path::new("fuzz"), &text) {
        for name in cfg.profiles.keys() {
            if let Ok(chain) = aws_okta::config::Chain::resolve(&cfg, name) {
                let _ = aws_okta::cache::CacheKey::for_chain(&chain);
                let _ = chain.final_role_arn();
            }
        }
    }
});
