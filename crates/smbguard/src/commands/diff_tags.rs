//! `smbguard diff-tags OLD.json NEW.json [ESTATE]`: what a new Azure service
//! tag file would add to or remove from each perimeter exception (or, with
//! no estate, from each tag), so a weekly refresh is reviewed before it is
//! emitted.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use smbguard_model::{AddrSet, ServiceTagFile, parse_service_tags};

use crate::CliError;
use crate::input::{load_estate_with, read_tag_file};

/// Arguments of `diff-tags`.
#[derive(Debug, Args)]
pub(crate) struct DiffTagsArgs {
    /// The service tag file in use (ServiceTags_Public_*.json).
    #[arg(value_name = "OLD.json")]
    pub(crate) old: PathBuf,
    /// The newly downloaded file.
    #[arg(value_name = "NEW.json")]
    pub(crate) new: PathBuf,
    /// Estate whose perimeter exceptions to compare; omitted: every tag.
    #[arg(value_name = "ESTATE")]
    pub(crate) estate: Option<PathBuf>,
}

fn tag_file(path: &Path) -> Result<(String, ServiceTagFile), CliError> {
    let (name, text) =
        read_tag_file(path).map_err(|e| CliError::BadInput(format!("error: {e}")))?;
    let file =
        parse_service_tags(&text).map_err(|e| CliError::BadInput(format!("error: {name}: {e}")))?;
    Ok((name, file))
}

/// `+ prefix` / `- prefix` lines for the change from `old` to `new`.
fn changes(old: &AddrSet, new: &AddrSet) -> Vec<String> {
    let mut out: Vec<String> = new
        .difference(old)
        .to_cidrs()
        .iter()
        .map(|n| format!("  + {n}"))
        .collect();
    out.extend(
        old.difference(new)
            .to_cidrs()
            .iter()
            .map(|n| format!("  - {n}")),
    );
    out
}

pub(crate) fn run(args: &DiffTagsArgs) -> Result<ExitCode, CliError> {
    let (old_name, old) = tag_file(&args.old)?;
    let (new_name, new) = tag_file(&args.new)?;
    println!(
        "smbguard diff-tags: {old_name} (changeNumber {}) -> {new_name} (changeNumber {})",
        old.change_number, new.change_number
    );
    let mut changed = 0;
    match &args.estate {
        Some(path) => {
            let before = load_estate_with(Some(path), &|_| read_tag_file(&args.old))?;
            let after = load_estate_with(Some(path), &|_| read_tag_file(&args.new))?;
            for (b, a) in before
                .estate
                .perimeter_allow
                .iter()
                .zip(&after.estate.perimeter_allow)
            {
                let lines = changes(&b.addresses, &a.addresses);
                if !lines.is_empty() {
                    changed += 1;
                    println!("exception {}:", b.name);
                    lines.iter().for_each(|l| println!("{l}"));
                }
            }
            println!(
                "{changed} perimeter exception(s) would change; re-run `smbguard emit` to apply"
            );
        }
        None => {
            for t in &new.tags {
                let Some(o) = old.tag(&t.name) else {
                    changed += 1;
                    println!("tag {} (changeNumber {}): new", t.name, t.change_number);
                    continue;
                };
                let lines = changes(&o.addresses, &t.addresses);
                if !lines.is_empty() {
                    changed += 1;
                    println!(
                        "tag {} (changeNumber {} -> {}):",
                        t.name, o.change_number, t.change_number
                    );
                    lines.iter().for_each(|l| println!("{l}"));
                }
            }
            for o in old.tags.iter().filter(|o| new.tag(&o.name).is_none()) {
                changed += 1;
                println!("tag {}: removed", o.name);
            }
            println!("{changed} tag(s) changed");
        }
    }
    Ok(ExitCode::SUCCESS)
}
