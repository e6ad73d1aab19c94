//! Okta's security question (`question`): the answer is typed hidden.
use super::code::{self, Prompt};
use super::{MfaFactor, Step, VerifyFuture};
use crate::okta::wire::Factor;

/// The security question the user enrolled (Okta sends its text in the factor's profile).
pub struct SecurityQuestion;

impl MfaFactor for SecurityQuestion {
    fn serves(&self, factor_type: &str, provider: &str) -> bool {
        let _ = provider;
        factor_type == "question"
    }
    fn name(&self, factor: &Factor) -> String {
        let _ = factor;
        "Security Question".into()
    }
    fn verify<'a>(&'a self, step: Step<'a>) -> VerifyFuture<'a> {
        let prompt = Prompt::typed(
            step.factor
                .profile
                .question_text
                .clone()
                .unwrap_or_else(|| "Answer your Okta security question".into()),
            "answer",
            true,
        );
        code::verify_typed(step, prompt)
    }
}
