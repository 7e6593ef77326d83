//! Slugs for URLs and heading ids: lowercase ASCII letters, digits and single
//! hyphens (`Qualité des soins` → `qualite-des-soins`).
//!
//! Ours rather than the `slug` crate (which Zola uses): an apostrophe is
//! dropped, not turned into a hyphen (`member's` → `members`, where `slug`
//! gives `member-s`), and every published URL and heading id was made by
//! these rules, so links into the site stay valid. `deunicode` does the
//! transliteration, the part a crate does better.

pub fn slugify(text: &str) -> String {
    let ascii = deunicode::deunicode(text);
    let mut out = String::with_capacity(ascii.len());
    let mut pending_hyphen = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_hyphen && !out.is_empty() {
                out.push('-');
            }
            pending_hyphen = false;
            out.push(c.to_ascii_lowercase());
        } else if c == '\'' || c == '\u{2019}' {
            // "member's" → "members", not "member-s".
        } else {
            pending_hyphen = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::slugify;

    #[test]
    fn slugs() {
        assert_eq!(slugify("How do I form a group?"), "how-do-i-form-a-group");
        assert_eq!(slugify("  Qualité des soins  "), "qualite-des-soins");
        assert_eq!(slugify("The member's plan"), "the-members-plan");
        assert_eq!(slugify("PIP: goals & measures"), "pip-goals-measures");
        assert_eq!(slugify("!!!"), "");
    }
}
