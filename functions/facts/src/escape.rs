//! HTML escaping for text placed in HTML (element content and quoted
//! attribute values), shared by the generator and the functions.
use pulldown_cmark_escape::{escape_html as escape_into, FmtWriter};

/// `s` with `&`, `<`, `>` and `"` escaped (what pulldown-cmark escapes in
/// its own output), safe inside element content and double-quoted attributes.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    // Writing into a String cannot fail.
    let _ = escape_into(FmtWriter(&mut out), s);
    out
}

#[cfg(test)]
mod tests {
    use super::escape_html;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escape_html(r#"<a href="x">Tom & Jerry</a>"#), "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&lt;/a&gt;");
        assert_eq!(escape_html("plain"), "plain");
    }
}
