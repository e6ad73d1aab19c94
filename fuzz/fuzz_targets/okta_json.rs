//! Okta's authn JSON answers and the accessors the state machine uses.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = serde_json::from_slice::<aws_okta::okta::authn::AuthnResponse>(data) {
        let _ = r.factors();
        let _ = r.correct_answer();
        let _ = r.state_token();
        let _ = format!("{r:?}");
    }
    let _ = aws_okta::okta::parse_domain(&String::from_utf8_lossy(data));
});
