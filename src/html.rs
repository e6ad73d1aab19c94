//! The HTML aws-okta reads: Okta's page that posts the SAML assertion, Duo's prompt pages and
//! AWS's role picker. One tokenizer for all of them, html5gum (the WHATWG tokenizer: comments,
//! `<script>` contents, character references and attribute quoting as a browser reads them),
//! rather than a scanner of our own per page.
use html5gum::{DefaultEmitter, Token, Tokenizer};

/// A start tag: its name and attributes (names lowercase, values with character references
/// decoded; of a repeated attribute the first counts, as in a browser).
#[derive(Debug)]
pub struct Tag {
    pub name: String,
    attrs: Vec<(String, String)>,
}

impl Tag {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What a page is made of, in order.
#[derive(Debug)]
pub enum Piece {
    Start(Tag),
    /// An end tag's name.
    End(String),
    Text(String),
}

/// The start tags, end tags and text of a page (comments, doctypes and parse errors left
/// out; the tokenizer recovers from errors as a browser does).
pub fn pieces(html: &str) -> impl Iterator<Item = Piece> + '_ {
    let mut emitter = DefaultEmitter::default();
    // `<script>`, `<style>`, `<title>` and `<textarea>` hold text, not markup.
    emitter.naively_switch_states(true);
    let text = |s: &[u8]| String::from_utf8_lossy(s).into_owned();
    Tokenizer::new_with_emitter(html, emitter).filter_map(move |token| match token.ok()? {
        Token::StartTag(tag) => Some(Piece::Start(Tag {
            name: text(&tag.name),
            attrs: tag
                .attributes
                .iter()
                .map(|(k, v)| (text(k), text(v)))
                .collect(),
        })),
        Token::EndTag(tag) => Some(Piece::End(text(&tag.name))),
        Token::String(s) => Some(Piece::Text(text(&s))),
        _ => None,
    })
}

/// The value of the page's first `<input>` named `name` (empty when it has none).
pub fn input_value(html: &str, name: &str) -> Option<String> {
    pieces(html).find_map(|piece| match piece {
        Piece::Start(tag) if tag.name == "input" && tag.attr("name") == Some(name) => {
            Some(tag.attr("value").unwrap_or("").to_string())
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_read_as_a_browser_reads_them() {
        let page = r#"<!-- <input name="a" value="in a comment"> -->
            <script>var s = '<input name="a" value="in a script">';</script>
            <form><INPUT type=hidden NAME='a' value="x&amp;y" value="second"><input name=b value=plain></form>"#;
        assert_eq!(input_value(page, "a").as_deref(), Some("x&y"));
        assert_eq!(input_value(page, "b").as_deref(), Some("plain"));
        assert_eq!(input_value(page, "c"), None);
    }

    #[test]
    fn pieces_keep_text_between_tags() {
        let found: Vec<String> =
            pieces("<select><option value=1>Phone &lt;1&gt;</option></select>")
                .map(|p| format!("{p:?}"))
                .collect();
        assert_eq!(found.len(), 5, "{found:?}");
        assert!(found[2].contains("Phone <1>"), "{found:?}");
    }
}
