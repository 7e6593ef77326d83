//! The `qi` binary as a user runs it: exit codes and where its output goes.
//!
//! Being an integration test of the root package, this also makes
//! `cargo test --workspace --release` build `target/release/qi` with the very
//! features and profile of the test build, so the site and browser suites
//! (scripts/test.d/20-site.sh, 30-browser.sh) run that binary without a second,
//! differently-featured build.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test, with its message
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn qi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qi")).args(args).current_dir(root()).output().unwrap_or_else(|e| panic!("cannot run qi: {e}"))
}

fn fixture(name: &str) -> String {
    root().join("tests/sites").join(name).display().to_string()
}

#[test]
fn version_names_the_crate_version() {
    let out = qi(&["--version"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("qi {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn an_unknown_command_is_a_usage_error() {
    let out = qi(&["publish"]);
    assert_eq!(out.status.code(), Some(2), "clap's usage error status");
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage:"));
}

#[test]
fn check_lists_problems_on_stdout_and_fails() {
    let out = qi(&["check", "--root", &fixture("broken-link")]);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("content/links.md:7:5: "), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("found 1 problem"));
}

#[test]
fn build_writes_the_site_and_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let public: PathBuf = dir.path().join("public");
    let out = qi(&["build", "--root", &fixture("good"), "--output", &public.display().to_string()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(public.join("index.html").is_file());
    assert!(public.join("sitemap.xml").is_file());
}

#[test]
fn admin_invitations_need_the_address_on_file_and_staff_commands_name_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let csv = dir.path().join("list.csv");
    std::fs::write(&csv, "cpso,name,email\n12345,Dr. Ada,\n").unwrap();
    let out = qi(&["admin", "--data-dir", &data, "invitations", "import", &csv.display().to_string()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(":2: email: every invited physician needs the email address on file"), "{err}");
    std::fs::write(&csv, "cpso,name,email\n12345,Dr. Ada,ada@example.org\n").unwrap();
    let out = qi(&["admin", "--data-dir", &data, "invitations", "import", &csv.display().to_string()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // No such group: a clear error, nothing written.
    let out = qi(&["admin", "--data-dir", &data, "members", "reissue", "--group", "nosuchgroup", "--cpso", "12345"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("reading the group"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = qi(&["admin", "--data-dir", &data, "export", "--what", "audit"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "group_id,group_name,at,by,event\r\n");
}

#[test]
fn admin_measures_exports_and_a_reminders_dry_run_on_an_empty_store() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let out = qi(&["admin", "--data-dir", &data, "export", "--what", "measures"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("group_id,phase,goal_id,goal_number,kind,"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = qi(&["admin", "--data-dir", &data, "export", "--what", "measures-summary"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("what,count\r\ngroups,0\r\n"), "{}", String::from_utf8_lossy(&out.stdout));
    let out = qi(&["admin", "--data-dir", &data, "reminders", "run", "--dry-run"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "dry run: 0 member(s) would be reminded, in 0 group(s) read; nothing was written or sent"
    );
    assert!(!dir.path().join("outbox").exists(), "a dry run opens no outbox");
    let out = qi(&["admin", "--data-dir", &data, "reminders", "run", "--after-periods", "0"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--after-periods: a whole number of periods from 1 to 52"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
