//! The QI Groups static site generator: `content/` (Markdown with TOML front
//! matter and shortcodes) + `site/templates/` (tera) + `site/static/` → a
//! complete static site.
//!
//! A build loads everything into a [`library::Library`] first (so links, URL
//! collisions and anchors are checked in one place), then renders pages in
//! parallel. Every problem a content author can cause is a [`Problem`] with
//! `file:line:col`.
pub mod assets;
pub mod config;
pub mod error;
pub mod front_matter;
pub mod incremental;
pub mod library;
pub mod markdown;
pub mod outputs;
pub mod render;
pub mod shortcode;
pub mod site;
pub mod slug;
pub mod templates;

pub use error::{Problem, Problems};
pub use incremental::{Incremental, Rebuild};
pub use site::{build, build_to_dir, DirSink, MemorySink, NullSink, Options, Sink, Summary};
