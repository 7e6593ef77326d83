//! The Markdown dialect: the pulldown-cmark options every pass parses with
//! (the shortcode scanner must see code spans exactly where the renderer does).
use pulldown_cmark::Options;

pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}
