//! The SAML assertion Okta hands out for the AWS app: pulled from the auto-post HTML page,
//! decoded, and read for the attributes AWS uses. AWS verifies the signature; we only read.
use crate::{Error, Result};
use base64::Engine;
use quick_xml::events::Event;
use quick_xml::Reader;
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

const ROLE_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/Role";
const SESSION_DURATION_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/SessionDuration";
const ROLE_SESSION_NAME_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlRole {
    pub role_arn: String,
    pub principal_arn: String,
}

#[derive(Debug)]
pub struct SamlAssertion {
    /// The base64 text exactly as Okta sent it (after HTML entity decoding), for STS.
    pub encoded: SecretString,
    pub roles: Vec<SamlRole>,
    pub session_duration: Option<Duration>,
    pub role_session_name: Option<String>,
}

/// The `SAMLResponse` hidden input's value, entity-decoded; `None` when the page has none
/// (Okta served a sign-in page: the session is not valid).
pub fn extract_saml_response(html: &str) -> Option<String> {
    let value = crate::html::input_value(html, "SAMLResponse")?;
    // Base64 may be wrapped over lines.
    Some(value.split_whitespace().collect())
}

impl SamlAssertion {
    pub fn parse(encoded: String) -> Result<SamlAssertion> {
        let xml = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_bytes())
            .map_err(|e| {
                Error::Saml(format!(
                    "the SAMLResponse from Okta is not valid base64 ({e})"
                ))
            })?;
        let xml = String::from_utf8(xml).map_err(|_| {
            Error::Saml("the SAML assertion from Okta is not UTF-8 XML".to_string())
        })?;
        let attributes = read_attributes(&xml)?;
        let mut roles = Vec::new();
        let mut session_duration = None;
        let mut role_session_name = None;
        for (name, values) in attributes {
            match name.as_str() {
                ROLE_ATTRIBUTE => roles.extend(values.iter().filter_map(|v| parse_role_pair(v))),
                SESSION_DURATION_ATTRIBUTE => {
                    session_duration = values
                        .first()
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs)
                }
                ROLE_SESSION_NAME_ATTRIBUTE => {
                    role_session_name = values.first().map(|v| v.trim().to_string())
                }
                _ => {}
            }
        }
        Ok(SamlAssertion {
            encoded: SecretString::from(encoded),
            roles,
            session_duration,
            role_session_name,
        })
    }

    /// The role asked for; an error listing what the assertion offers when it is not there.
    pub fn role(&self, role_arn: &str) -> Result<&SamlRole> {
        self.roles
            .iter()
            .find(|r| r.role_arn.eq_ignore_ascii_case(role_arn))
            .ok_or_else(|| {
                let offered: Vec<&str> = self.roles.iter().map(|r| r.role_arn.as_str()).collect();
                Error::Saml(format!(
                    "Okta's SAML assertion does not offer role {role_arn} (offered: {}): ask your Okta admin to assign it, or fix role_arn",
                    if offered.is_empty() { "none".to_string() } else { offered.join(", ") }
                ))
            })
    }

    pub fn encoded(&self) -> &str {
        self.encoded.expose_secret()
    }
}

/// `provider,role` or `role,provider`: Okta sends the provider first, other IdPs the role.
fn parse_role_pair(value: &str) -> Option<SamlRole> {
    let (a, b) = value.trim().split_once(',')?;
    let (a, b) = (a.trim(), b.trim());
    let is_provider = |s: &str| s.contains(":saml-provider/");
    let is_role = |s: &str| s.contains(":role/");
    if is_provider(a) && is_role(b) {
        Some(SamlRole {
            role_arn: b.to_string(),
            principal_arn: a.to_string(),
        })
    } else if is_role(a) && is_provider(b) {
        Some(SamlRole {
            role_arn: a.to_string(),
            principal_arn: b.to_string(),
        })
    } else {
        None
    }
}

/// All `<Attribute Name=...>` elements with their `<AttributeValue>` texts (any namespace prefix).
fn read_attributes(xml: &str) -> Result<Vec<(String, Vec<String>)>> {
    let mut reader = Reader::from_str(xml);
    let mut attributes: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_attribute = false;
    let mut in_value = false;
    let mut text = String::new();
    loop {
        let event = reader.read_event().map_err(|e| {
            Error::Saml(format!(
                "the SAML assertion from Okta is not well-formed XML ({e})"
            ))
        })?;
        match event {
            Event::Start(e) if e.local_name().as_ref() == b"Attribute" => {
                let name = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.local_name().as_ref() == b"Name")
                    .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
                    .unwrap_or_default();
                attributes.push((name, Vec::new()));
                in_attribute = true;
            }
            Event::End(e) if e.local_name().as_ref() == b"Attribute" => in_attribute = false,
            Event::Start(e) if in_attribute && e.local_name().as_ref() == b"AttributeValue" => {
                in_value = true;
                text.clear();
            }
            Event::Text(t) if in_value => {
                let s = t.unescape().map_err(|e| {
                    Error::Saml(format!("bad XML text in the SAML assertion ({e})"))
                })?;
                text.push_str(&s);
            }
            Event::CData(t) if in_value => text.push_str(&String::from_utf8_lossy(&t)),
            Event::End(e) if in_value && e.local_name().as_ref() == b"AttributeValue" => {
                in_value = false;
                if let Some((_, values)) = attributes.last_mut() {
                    values.push(std::mem::take(&mut text));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(attributes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assertion_xml(roles: &[&str], duration: Option<&str>) -> String {
        let values: String = roles
            .iter()
            .map(|r| format!(r#"<saml2:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xsi:type="xs:string">{r}</saml2:AttributeValue>"#))
            .collect();
        let duration = duration.map_or(String::new(), |d| {
            format!(r#"<saml2:Attribute Name="{SESSION_DURATION_ATTRIBUTE}"><saml2:AttributeValue>{d}</saml2:AttributeValue></saml2:Attribute>"#)
        });
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><saml2p:Response xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol"><saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><saml2:AttributeStatement><saml2:Attribute Name="{ROLE_ATTRIBUTE}">{values}</saml2:Attribute><saml2:Attribute Name="{ROLE_SESSION_NAME_ATTRIBUTE}"><saml2:AttributeValue>alice@example.com</saml2:AttributeValue></saml2:Attribute>{duration}</saml2:AttributeStatement></saml2:Assertion></saml2p:Response>"#
        )
    }

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    const HUB: &str = "arn:aws:iam::111111111111:role/hub-team";
    const IDP: &str = "arn:aws:iam::111111111111:saml-provider/okta";

    #[test]
    fn extracts_entity_encoded_value_from_okta_page() {
        let page = r#"<html><body><form id="appForm" action="https://signin.aws.amazon.com/saml" method="POST">
            <input name="SAMLResponse" type="hidden" value="PHNh&#x2b;bWw&#x2f;&#x3d;"/>
            <input name="RelayState" type="hidden" value=""/></form></body></html>"#;
        assert_eq!(extract_saml_response(page).as_deref(), Some("PHNh+bWw/="));
        let reordered = "<INPUT type='hidden' value='abc&#x3d;' name='SAMLResponse'>";
        assert_eq!(extract_saml_response(reordered).as_deref(), Some("abc="));
    }

    #[test]
    fn sign_in_page_has_no_saml_response() {
        let page = r#"<html><form><input name="username" value=""><input name="password" type="password"></form></html>"#;
        assert_eq!(extract_saml_response(page), None);
        assert_eq!(extract_saml_response("<input"), None);
    }

    #[test]
    fn reads_roles_in_either_order_and_session_attributes() {
        let xml = assertion_xml(
            &[
                &format!("{IDP},{HUB}"),
                &format!("arn:aws:iam::1:role/other,{IDP}"),
            ],
            Some("43200"),
        );
        let a = SamlAssertion::parse(b64(&xml)).unwrap();
        assert_eq!(a.roles.len(), 2);
        assert_eq!(a.role(HUB).unwrap().principal_arn, IDP);
        assert_eq!(
            a.role("arn:aws:iam::1:role/other").unwrap().principal_arn,
            IDP
        );
        assert_eq!(a.session_duration, Some(Duration::from_secs(43200)));
        assert_eq!(a.role_session_name.as_deref(), Some("alice@example.com"));
    }

    #[test]
    fn missing_role_lists_what_is_offered() {
        let a =
            SamlAssertion::parse(b64(&assertion_xml(&[&format!("{IDP},{HUB}")], None))).unwrap();
        let msg = a
            .role("arn:aws:iam::111111111111:role/nope")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("does not offer") && msg.contains(HUB), "{msg}");
        assert_eq!(a.session_duration, None);
    }

    #[test]
    fn garbage_is_a_saml_error_not_a_panic() {
        assert!(matches!(
            SamlAssertion::parse("!!!".into()),
            Err(Error::Saml(_))
        ));
        assert!(matches!(
            SamlAssertion::parse(b64("<a><b></a>")),
            Err(Error::Saml(_))
        ));
    }
}
