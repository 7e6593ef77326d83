//! `qi check`: everything the build checks, plus malformed external links,
//! without writing anything. Lists every problem as `file:line:col: message`,
//! and, when there is none, every warning as `file:line:col: warning: message`
//! (warnings do not fail the check).
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Include pages marked `draft = true`.
    #[arg(long)]
    pub drafts: bool,
    /// The site root (holds site.toml, content/ and site/).
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let opts = qi_site::Options { root: args.root, base_url: None, drafts: args.drafts, check: true, progress: false };
    match qi_site::build(&opts, &qi_site::NullSink) {
        Ok(summary) => {
            for w in &summary.warnings {
                println!("{}", qi_site::Problem { message: format!("warning: {}", w.message), ..w.clone() });
            }
            match summary.warnings.len() {
                0 => eprintln!("No problems: {summary}"),
                n => eprintln!("No problems, {n} warning{}: {summary}", if n == 1 { "" } else { "s" }),
            }
            Ok(())
        }
        Err(problems) => {
            for p in problems.iter() {
                println!("{p}");
            }
            anyhow::bail!("found {} problem{}", problems.len(), if problems.len() == 1 { "" } else { "s" })
        }
    }
}
