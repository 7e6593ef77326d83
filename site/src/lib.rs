//! The QI Groups static site generator.
