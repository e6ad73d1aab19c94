//! Time-based one-time codes from an authenticator app (`token:software:totp`, provider OKTA
//! or GOOGLE).
use super::code::{self, Prompt};
use super::{MfaFactor, Step, VerifyFuture};
use crate::okta::wire::Factor;

/// Okta Verify's or Google Authenticator's six-digit code.
pub struct Totp;

impl MfaFactor for Totp {
    fn serves(&self, factor_type: &str, provider: &str) -> bool {
        factor_type == "token:software:totp" && matches!(provider, "OKTA" | "GOOGLE")
    }
    fn name(&self, factor: &Factor) -> String {
        if factor.provider.eq_ignore_ascii_case("GOOGLE") {
            "Google Authenticator".into()
        } else {
            "Okta Verify (code)".into()
        }
    }
    fn verify<'a>(&'a self, step: Step<'a>) -> VerifyFuture<'a> {
        let prompt = Prompt::typed(
            "Enter the 6-digit code from your authenticator app",
            "passCode",
            false,
        );
        code::verify_typed(step, prompt)
    }
}
