//! The SAML 2.0 Response Okta issues for the AWS app, and the HTML pages around it.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;

use crate::{Config, AWS_SIGNIN_SAML_URL, SAML_ISSUER};

const ROLE_ATTR: &str = "https://aws.amazon.com/SAML/Attributes/Role";
const SESSION_NAME_ATTR: &str = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";
const DURATION_ATTR: &str = "https://aws.amazon.com/SAML/Attributes/SessionDuration";

fn saml_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Okta's SAML IDs look like `id` followed by decimal digits.
fn saml_id() -> String {
    let mut rng = rand::thread_rng();
    let digits: String = (0..30)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect();
    format!("id{digits}")
}

fn random_b64(len: usize) -> String {
    let mut rng = rand::thread_rng();
    let bytes: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
    B64.encode(bytes)
}

fn string_value(value: &str) -> String {
    format!(
        "<saml2:AttributeValue xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xsi:type=\"xs:string\">{}</saml2:AttributeValue>",
        xml_escape(value)
    )
}

/// A dummy enveloped signature with Okta's algorithms; nothing verifies it here.
fn signature(reference_id: &str) -> String {
    format!(
        "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>\
         <ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\
         <ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>\
         <ds:Reference URI=\"#{reference_id}\"><ds:Transforms>\
         <ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>\
         <ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\">\
         <ec:InclusiveNamespaces xmlns:ec=\"http://www.w3.org/2001/10/xml-exc-c14n#\" PrefixList=\"xs\"/>\
         </ds:Transform></ds:Transforms>\
         <ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\
         <ds:DigestValue>{digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>\
         <ds:SignatureValue>{sig}</ds:SignatureValue>\
         <ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\
         </ds:Signature>",
        digest = random_b64(32),
        sig = random_b64(256),
        cert = random_b64(700),
    )
}

/// The XML of a SAML 2.0 Response as Okta issues it for the AWS app: `saml2p:Response` with an
/// (unsigned-in-effect) `saml2:Assertion` whose AttributeStatement carries the AWS `Role`
/// (one value per role), `RoleSessionName` and, when configured, `SessionDuration` attributes.
pub fn saml_response_xml(config: &Config, now: DateTime<Utc>) -> String {
    let response_id = saml_id();
    let assertion_id = saml_id();
    let issue = saml_time(now);
    let not_before = saml_time(now - Duration::minutes(5));
    let not_after = saml_time(now + Duration::minutes(5));
    let user = xml_escape(&config.username);

    let mut roles = String::new();
    for role in &config.roles {
        let pair = if config.role_first {
            format!("{},{}", role.role_arn, role.provider_arn)
        } else {
            format!("{},{}", role.provider_arn, role.role_arn)
        };
        roles.push_str(&string_value(&pair));
    }
    let mut attributes = format!(
        "<saml2:Attribute Name=\"{ROLE_ATTR}\" \
         NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:uri\">{roles}</saml2:Attribute>\
         <saml2:Attribute Name=\"{SESSION_NAME_ATTR}\" \
         NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:basic\">{name}</saml2:Attribute>",
        name = string_value(&config.username),
    );
    if let Some(duration) = config.session_duration {
        attributes.push_str(&format!(
            "<saml2:Attribute Name=\"{DURATION_ATTR}\" \
             NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:basic\">{}</saml2:Attribute>",
            string_value(&duration.to_string())
        ));
    }

    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
<saml2p:Response xmlns:saml2p=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
Destination=\"{AWS_SIGNIN_SAML_URL}\" ID=\"{response_id}\" IssueInstant=\"{issue}\" Version=\"2.0\" \
xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\
<saml2:Issuer xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\" \
Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:entity\">{SAML_ISSUER}</saml2:Issuer>\
{response_sig}\
<saml2p:Status xmlns:saml2p=\"urn:oasis:names:tc:SAML:2.0:protocol\">\
<saml2p:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></saml2p:Status>\
<saml2:Assertion xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"{assertion_id}\" \
IssueInstant=\"{issue}\" Version=\"2.0\" xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\
<saml2:Issuer Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:entity\" \
xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\">{SAML_ISSUER}</saml2:Issuer>\
{assertion_sig}\
<saml2:Subject xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\">\
<saml2:NameID Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified\">{user}</saml2:NameID>\
<saml2:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">\
<saml2:SubjectConfirmationData NotOnOrAfter=\"{not_after}\" Recipient=\"{AWS_SIGNIN_SAML_URL}\"/>\
</saml2:SubjectConfirmation></saml2:Subject>\
<saml2:Conditions NotBefore=\"{not_before}\" NotOnOrAfter=\"{not_after}\" \
xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\">\
<saml2:AudienceRestriction><saml2:Audience>urn:amazon:webservices</saml2:Audience>\
</saml2:AudienceRestriction></saml2:Conditions>\
<saml2:AuthnStatement AuthnInstant=\"{issue}\" SessionIndex=\"{assertion_id}\" \
xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\">\
<saml2:AuthnContext><saml2:AuthnContextClassRef>\
urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport\
</saml2:AuthnContextClassRef></saml2:AuthnContext></saml2:AuthnStatement>\
<saml2:AttributeStatement xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\">{attributes}\
</saml2:AttributeStatement></saml2:Assertion></saml2p:Response>",
        response_sig = signature(&response_id),
        assertion_sig = signature(&assertion_id),
    )
}

/// Encodes an HTML attribute value the way Okta (OWASP ESAPI `encodeForHTMLAttribute`) does:
/// every character other than ASCII letters, digits and `,.-_` becomes `&#xHH;`
/// (so base64's `+`, `/`, `=` become `&#x2b;`, `&#x2f;`, `&#x3d;`).
pub fn html_attr_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, ',' | '.' | '-' | '_') {
            out.push(c);
        } else {
            out.push_str(&format!("&#x{:x};", c as u32));
        }
    }
    out
}

/// Decodes numeric (`&#x2b;`, `&#43;`) and the common named HTML entities.
/// Unknown or malformed entities are kept verbatim.
pub fn decode_html_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let decoded = after.find(';').filter(|&end| end <= 10).and_then(|end| {
            let entity = &after[..end];
            let c = if let Some(hex) = entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
            {
                u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
            } else if let Some(dec) = entity.strip_prefix('#') {
                dec.parse::<u32>().ok().and_then(char::from_u32)
            } else {
                match entity {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    _ => None,
                }
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Okta's auto-submitting "Signing in..." page for the AWS app.
pub(crate) fn saml_post_page(config: &Config, now: DateTime<Utc>, org_base: &str) -> String {
    let saml_b64 = B64.encode(saml_response_xml(config, now));
    let nonce = random_b64(16);
    format!(
        r#"<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
<head>
    <meta http-equiv="X-UA-Compatible" content="IE=edge" />
    <meta name="robots" content="none" />
    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
    <title>Amazon Web Services - Signing in...</title>
    <link href="{org_base}/assets/css/saml-signin.css" rel="stylesheet" type="text/css" />
    <script type="text/javascript" nonce="{nonce_attr}">
        window.onload = function() {{
            document.getElementById('appForm').submit();
        }};
    </script>
</head>
<body>
<div class="container">
    <div class="header"><h1>Signing in to Amazon Web Services</h1></div>
    <div class="content">
        <noscript><p>Since your browser does not support JavaScript, you must press the button below once to proceed.</p></noscript>
        <form id="appForm" action="{action}" method="POST">
            <input name="SAMLResponse" type="hidden" value="{saml}"/>
            <input name="RelayState" type="hidden" value=""/>
            <noscript><input type="submit" value="Continue"/></noscript>
        </form>
    </div>
</div>
</body>
</html>
"#,
        nonce_attr = html_attr_encode(&nonce),
        action = html_attr_encode(AWS_SIGNIN_SAML_URL),
        saml = html_attr_encode(&saml_b64),
    )
}

/// Okta's sign-in widget page (what a browser without a session lands on). No SAMLResponse.
pub(crate) fn sign_in_page(org_base: &str, from_uri: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
    <meta charset="utf-8" />
    <meta name="robots" content="none" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <title>fakeorg - Sign In</title>
    <link href="{org_base}/assets/loginpage/css/okta-sign-in.min.css" type="text/css" rel="stylesheet"/>
    <script src="{org_base}/assets/js/sdk/okta-signin-widget/okta-sign-in.min.js" type="text/javascript"></script>
</head>
<body class="auth okta-container">
<div id="okta-login-container">
    <div id="okta-sign-in" class="auth-container main-container">
        <h2 class="okta-form-title o-form-head">Sign In</h2>
        <noscript><p>JavaScript is required to sign in.</p></noscript>
    </div>
</div>
<script type="text/javascript">
    var okta = {{ baseUrl: "{org_base_js}", fromURI: "{from_uri_js}" }};
    var signIn = new OktaSignIn({{ baseUrl: okta.baseUrl, relayState: okta.fromURI }});
    signIn.renderEl({{ el: '#okta-sign-in' }});
</script>
</body>
</html>
"#,
        org_base_js = js_escape(org_base),
        from_uri_js = js_escape(from_uri),
    )
}

fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '/' | ':' | '.' | '-' | '_' | '?' | '=') {
            out.push(c);
        } else {
            out.push_str(&format!("\\x{:02x}", c as u32 & 0xff));
        }
    }
    out
}

/// Okta's app-level step-up page: the app's sign-on policy wants another factor; the page
/// carries a `stateToken` the sign-in widget would continue with.
pub(crate) fn step_up_page(org_base: &str, state_token: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8" /><title>fakeorg - Extra Verification</title></head>
<body class="auth okta-container">
<div id="okta-sign-in"><h2>Extra verification is required for this app</h2></div>
<script type="text/javascript">
    var stateToken = '{state_token}';
    var signIn = new OktaSignIn({{ baseUrl: "{org_base_js}", stateToken: stateToken,
        redirectUrl: "{org_base_js}/login/step-up/redirect?stateToken=" + stateToken }});
</script>
</body>
</html>
"#,
        org_base_js = js_escape(org_base),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attr_encoding_matches_okta() {
        assert_eq!(html_attr_encode("ab+/="), "ab&#x2b;&#x2f;&#x3d;");
        assert_eq!(
            html_attr_encode("https://signin.aws.amazon.com/saml"),
            "https&#x3a;&#x2f;&#x2f;signin.aws.amazon.com&#x2f;saml"
        );
    }

    #[test]
    fn entity_decoding_round_trips() {
        let s = "PD94+bWw/=,&<>\"' x";
        assert_eq!(decode_html_entities(&html_attr_encode(s)), s);
        assert_eq!(decode_html_entities("a&amp;b&#43;&bogus;&"), "a&b+&bogus;&");
    }

    #[test]
    fn assertion_escapes_and_orders_roles() {
        let mut config = Config {
            username: "a&b@example.com".into(),
            ..Config::default()
        };
        let xml = saml_response_xml(&config, Utc::now());
        assert!(xml.contains(">a&amp;b@example.com</saml2:NameID>"));
        assert!(xml.contains(&format!(
            ">{},{}</saml2:AttributeValue>",
            crate::DEFAULT_PROVIDER,
            crate::DEFAULT_HUB_ROLE
        )));
        assert!(xml.contains(">43200</saml2:AttributeValue>"));
        config.role_first = true;
        config.session_duration = None;
        let xml = saml_response_xml(&config, Utc::now());
        assert!(xml.contains(&format!(
            ">{},{}</saml2:AttributeValue>",
            crate::DEFAULT_HUB_ROLE,
            crate::DEFAULT_PROVIDER
        )));
        assert!(!xml.contains("SessionDuration"));
    }
}
