//! `qi build --output`: the output folder is replaced only by a whole,
//! successful build, and only when an earlier `qi build` made it.
use std::path::Path;

use crate::build::{build, Summary};
use crate::error::{fail, Problem, Problems};
use crate::prepare::Options;
use crate::sink::DirSink;

/// Marker file telling a later build that the output folder is ours to replace.
pub const OUTPUT_MARKER: &str = ".qi-build";

/// Build into `out`, replacing it only when the whole build succeeded: the
/// site is built in a sibling folder first, so a failed build leaves the
/// previous output untouched.
pub fn build_to_dir(opts: &Options, out: &Path) -> Result<Summary, Problems> {
    let problem = |m: String| fail(vec![Problem::in_file("", m)]);
    if out.exists() {
        let empty = std::fs::read_dir(out).map(|mut d| d.next().is_none()).unwrap_or(false);
        if !empty && !out.join(OUTPUT_MARKER).exists() {
            return Err(problem(format!(
                "the output folder {} already exists and was not made by `qi build`; remove it or choose another --output",
                out.display()
            )));
        }
    }
    let name = out.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "public".into());
    let staging = out.with_file_name(format!(".{name}.building-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| problem(format!("cannot create {}: {e}", staging.display())))?;
    let summary = match build(opts, &DirSink(staging.clone())) {
        Ok(s) => s,
        Err(p) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(p);
        }
    };
    let finish = || -> std::io::Result<()> {
        std::fs::write(staging.join(OUTPUT_MARKER), b"")?;
        if out.exists() {
            std::fs::remove_dir_all(out)?;
        }
        std::fs::rename(&staging, out)
    };
    finish().map_err(|e| {
        let _ = std::fs::remove_dir_all(&staging);
        problem(format!("cannot move the built site into {}: {e}", out.display()))
    })?;
    Ok(summary)
}
