//! YubiKey one-time passwords (`token:hardware`, provider YUBICO): the key types them.
use super::code::{self, Prompt};
use super::{MfaFactor, Step, VerifyFuture};
use crate::okta::wire::Factor;

/// A YubiKey's OTP, typed by touching the key (hidden: it is a one-time secret).
pub struct YubiKey;

impl MfaFactor for YubiKey {
    fn serves(&self, factor_type: &str, provider: &str) -> bool {
        factor_type == "token:hardware" && provider == "YUBICO"
    }
    fn name(&self, factor: &Factor) -> String {
        let _ = factor;
        "YubiKey".into()
    }
    fn verify<'a>(&'a self, step: Step<'a>) -> VerifyFuture<'a> {
        let prompt = Prompt::typed(
            "Touch your YubiKey (or type its one-time password)",
            "passCode",
            true,
        );
        code::verify_typed(step, prompt)
    }
}
