//! The QI Groups static site generator: `content/` (Markdown with TOML front
//! matter and shortcodes) + `site/templates/` (tera) + `site/static/` → a
//! complete static site.
//!
//! A build loads everything into a [`library::Library`] first (so links, URL
//! collisions and anchors are checked in one place), then renders pages in
//! parallel. Every problem a content author can cause is a [`Problem`] with
//! `file:line:col`.
//!
//! Modules, in the order data flows: `config`, `library` (with
//! `front_matter`), `shortcode` and `markdown` (with `cmark`, `slug`),
//! `templates`, `render` (contexts), `outputs`; a build is `build` over
//! `prepare`, `links` and `write`, into a `sink`; `output_dir` swaps the
//! output folder; `incremental` rebuilds after an edit.
pub mod assets;
pub mod build;
pub mod cmark;
pub mod config;
pub mod error;
pub mod front_matter;
pub mod incremental;
pub mod library;
mod links;
pub mod markdown;
pub mod output_dir;
pub mod outputs;
mod prepare;
pub mod render;
pub mod shortcode;
pub mod sink;
pub mod slug;
pub mod templates;
mod write;

pub use build::{build, Summary};
pub use error::{Problem, Problems};
pub use incremental::{Incremental, Rebuild};
pub use output_dir::{build_to_dir, OUTPUT_MARKER};
pub use prepare::{Options, SEARCH_INDEX, SEARCH_PATH};
pub use sink::{DirSink, MemorySink, NullSink, Sink};
