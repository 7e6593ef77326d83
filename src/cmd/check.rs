//! `qi check`: everything the build checks, plus malformed external links,
//! without writing anything. Lists every problem as `file:line:col: message`.
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
            eprintln!("No problems: {summary}");
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
