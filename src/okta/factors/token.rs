//! Hardware or software tokens of RSA SecurID and Symantec VIP (`token`).
use super::code::{self, Prompt};
use super::{MfaFactor, Step, VerifyFuture};
use crate::okta::wire::Factor;

/// The code shown by an RSA SecurID or Symantec VIP token.
pub struct HardToken;

impl MfaFactor for HardToken {
    fn serves(&self, factor_type: &str, provider: &str) -> bool {
        factor_type == "token" && matches!(provider, "RSA" | "SYMANTEC")
    }
    fn name(&self, factor: &Factor) -> String {
        if factor.provider.eq_ignore_ascii_case("RSA") {
            "RSA SecurID".into()
        } else {
            "Symantec VIP".into()
        }
    }
    fn verify<'a>(&'a self, step: Step<'a>) -> VerifyFuture<'a> {
        let prompt = Prompt::typed(
            format!("Enter the code from your {} token", self.name(step.factor)),
            "passCode",
            false,
        );
        code::verify_typed(step, prompt)
    }
}
