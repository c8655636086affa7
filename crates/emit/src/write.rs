//! Writing an artefact set into the output folder: all of it or none of it,
//! never through a symbolic link, removing only what smbguard wrote before.
//!
//! 1. Check: every folder on the way to every artefact, every artefact path
//!    and `index.json` is a real folder or file (or absent); a symbolic link
//!    or a file where a folder must be is refused before anything is done.
//! 2. Stage: every file is written (`create_new`) into a fresh folder beside
//!    `--out` on the same file system, as it is produced (the checks of step
//!    1 and of the naming authority run once the whole set is known; what
//!    they refuse is never moved). A full disk fails here, with the output
//!    folder untouched.
//! 3. Move: each existing file about to be replaced, and each stale file (in
//!    the previous `index.json`, not re-emitted), is renamed into the staging
//!    folder; each new file is renamed into place; `index.json` last. Renames
//!    on one file system neither copy nor follow a final symbolic link. Any
//!    failure undoes every rename done so far, in reverse.
//!
//! Durability: staged files are not flushed one by one (`fsync` per file
//! made an estate of 30,000 files take minutes on a virtual disk). Readers
//! never see a partial set, whatever happens to the process; a power loss
//! shortly after an emit may leave files the file system had not yet
//! written, and emitting again (deterministic output) repairs them.
//!
//! Files in `--out` that no `index.json` lists were not written by smbguard:
//! they are left alone and reported. Known limit: the checks and the renames
//! are separate system calls, so a local user racing the writer inside
//! `--out` between them is not defended against (that needs `openat`).

use std::collections::HashSet;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Component, Path, PathBuf};

use crate::artifact::{Artifact, ArtifactEntry, EmitError};

/// The manifest smbguard writes beside its artefacts.
pub const INDEX: &str = "index.json";

/// What a write did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteReport {
    /// Files written (artefacts and `index.json`).
    pub written: usize,
    /// Stale files of a previous emit (listed in its `index.json`, not
    /// emitted this time) that were removed.
    pub removed: Vec<String>,
    /// Files in the output folder that smbguard did not write: left alone.
    pub foreign: Vec<String>,
}

/// Writes `artifacts` and `index` (the new `index.json`) into `out`
/// atomically (see the module documentation). On error nothing in `out`
/// has changed.
pub fn write_artifacts(
    out: &Path,
    artifacts: &[Artifact],
    index: &str,
) -> Result<WriteReport, EmitError> {
    write_with_faults(out, artifacts, index, Faults::none())
}

/// An emitted artefact set whose files are already written into a staging
/// folder beside the output folder, and dropped from memory: what
/// [`emit_staged`](crate::emit_staged) returns. [`Staged::commit`] moves it
/// into place; dropping it instead removes the staging folder and leaves
/// the output folder as it was.
#[derive(Debug)]
pub struct Staged {
    writer: Writer,
    entries: Vec<ArtifactEntry>,
}

impl Staged {
    pub(crate) fn new(writer: Writer, entries: Vec<ArtifactEntry>) -> Self {
        Self { writer, entries }
    }

    /// Every artefact, sorted by path, without its bytes.
    pub fn artifacts(&self) -> &[ArtifactEntry] {
        &self.entries
    }

    /// Moves the staged set and `index` (the new `index.json`, see
    /// [`index_json`](crate::index_json)) into the output folder, as
    /// [`write_artifacts`] does. On error nothing in the output folder has
    /// changed.
    pub fn commit(self, index: &str) -> Result<WriteReport, EmitError> {
        let paths: Vec<&str> = self.entries.iter().map(|e| e.path.as_str()).collect();
        self.writer.finish(&paths, index)
    }
}

/// Injected failures, so tests can fail the `n`-th file-system step (a full
/// disk while staging, a failed rename while moving) without a full disk.
#[derive(Debug)]
pub(crate) struct Faults {
    fail_at: Option<usize>,
    steps: usize,
}

impl Faults {
    pub(crate) fn none() -> Self {
        Self {
            fail_at: None,
            steps: 0,
        }
    }
    #[cfg(test)]
    pub(crate) fn at(step: usize) -> Self {
        Self {
            fail_at: Some(step),
            steps: 0,
        }
    }
    /// Counts one step; fails it when it is the chosen one.
    fn step(&mut self) -> io::Result<()> {
        self.steps += 1;
        if self.fail_at == Some(self.steps) {
            return Err(io::Error::other("no space left on device (injected)"));
        }
        Ok(())
    }
}

pub(crate) fn write_with_faults(
    out: &Path,
    artifacts: &[Artifact],
    index: &str,
    faults: Faults,
) -> Result<WriteReport, EmitError> {
    let mut w = Writer::begin(out, faults);
    for a in artifacts {
        w.stage(&a.path, &a.contents);
    }
    let paths: Vec<&str> = artifacts.iter().map(|a| a.path.as_str()).collect();
    w.finish(&paths, index)
}

/// The writer behind [`write_artifacts`] and [`Staged`]: files are staged
/// as they arrive (and can then be dropped), the checks and the move run
/// at [`Writer::finish`]. Errors found while staging are kept and reported
/// in the order the checks would meet them on the whole set: a path
/// outside the folder, then what `out` is, then each destination, then the
/// staging failure.
#[derive(Debug)]
pub(crate) struct Writer {
    out: PathBuf,
    /// The paths the previous `index.json` lists when `out` exists, `None`
    /// when it does not, or why `out` cannot be written into.
    found: Result<Option<Vec<String>>, EmitError>,
    /// Created with the first file, so an emit that fails before any
    /// artefact creates nothing.
    staging: Option<Staging>,
    stage_error: Option<EmitError>,
    faults: Faults,
}

impl Writer {
    pub(crate) fn begin(out: &Path, faults: Faults) -> Self {
        Self {
            out: out.to_path_buf(),
            found: inspect(out),
            staging: None,
            stage_error: None,
            faults,
        }
    }

    fn staging(&mut self) -> Result<&Staging, EmitError> {
        if self.staging.is_none() {
            self.staging = Some(Staging::create(&self.out)?);
        }
        self.staging
            .as_ref()
            .ok_or_else(|| refused(&self.out, "no staging folder"))
    }

    /// Writes one file into the staging folder (nothing once `out` has
    /// been found unwritable or a file has failed).
    pub(crate) fn stage(&mut self, rel: &str, bytes: &[u8]) {
        if self.found.is_err() || self.stage_error.is_some() {
            return;
        }
        let mut faults = std::mem::replace(&mut self.faults, Faults::none());
        let staged = relative(rel)
            .and_then(|_| self.staging())
            .and_then(|s| s.put(rel, bytes, &mut faults));
        self.faults = faults;
        if let Err(e) = staged {
            self.stage_error = Some(e);
        }
    }

    /// Checks every path (`paths` and `index.json`), then moves the staged
    /// files and `index` into `out`.
    pub(crate) fn finish(mut self, paths: &[&str], index: &str) -> Result<WriteReport, EmitError> {
        let mut files: Vec<&str> = paths.to_vec();
        files.push(INDEX);
        for rel in &files {
            relative(rel)?;
        }
        let previous = std::mem::replace(&mut self.found, Ok(None))?;
        let exists = previous.is_some();
        let previous = previous.unwrap_or_default();
        let out = self.out.clone();
        if exists {
            for rel in &files {
                check_destination(&out, rel)?;
            }
        }
        if let Some(e) = self.stage_error.take() {
            return Err(e);
        }
        // index.json is staged last: a crash before it leaves the old index
        // describing what is there.
        self.stage(INDEX, index.as_bytes());
        if let Some(e) = self.stage_error.take() {
            return Err(e);
        }
        let mut faults = std::mem::replace(&mut self.faults, Faults::none());
        let staging = self.staging()?;
        let new: HashSet<&str> = files.iter().copied().collect();
        let moved = if exists {
            let stale: Vec<&str> = previous
                .iter()
                .map(String::as_str)
                .filter(|p| !new.contains(p) && stale_file(&out, p))
                .collect();
            staging.move_into(&out, &files, &stale, &mut faults)
        } else {
            staging.rename_whole(&out, &mut faults).map(|()| Vec::new())
        };
        let result = moved.map(|removed| WriteReport {
            written: files.len(),
            foreign: foreign_files(&out, &new, &previous.iter().map(String::as_str).collect()),
            removed,
        });
        if let Some(s) = self.staging.take() {
            s.remove();
        }
        if let Ok(report) = &result {
            prune_empty_folders(&out, &report.removed);
        }
        result
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if let Some(s) = self.staging.take() {
            s.remove();
        }
    }
}

/// What `out` is: absent (`None`), a folder with the paths its previous
/// `index.json` lists, or refused.
fn inspect(out: &Path) -> Result<Option<Vec<String>>, EmitError> {
    match fs::symlink_metadata(out) {
        Ok(m) if m.file_type().is_symlink() => Err(refused(out, "it is a symbolic link")),
        Ok(m) if !m.is_dir() => Err(refused(out, "it is not a folder")),
        Ok(_) => previous_index(out).map(Some),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(out, &e)),
    }
}

/// `rel` as a path of plain components, or an error.
fn relative(rel: &str) -> Result<&Path, EmitError> {
    let p = Path::new(rel);
    if rel.is_empty() || !p.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(EmitError::Refused {
            path: rel.to_owned(),
            why: "an artefact path must stay inside the output folder".into(),
        });
    }
    Ok(p)
}

fn refused(path: &Path, why: &str) -> EmitError {
    EmitError::Refused {
        path: path.display().to_string(),
        why: why.to_owned(),
    }
}

fn io_error(path: &Path, e: &io::Error) -> EmitError {
    EmitError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Every folder on the way to `rel` must be a real folder (or absent), and
/// `rel` itself a regular file (or absent).
fn check_destination(out: &Path, rel: &str) -> Result<(), EmitError> {
    let mut at = out.to_path_buf();
    let parts: Vec<Component<'_>> = Path::new(rel).components().collect();
    for (i, part) in parts.iter().enumerate() {
        at.push(part);
        let last = i + 1 == parts.len();
        match fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(refused(
                    &at,
                    "it is a symbolic link smbguard did not create; remove it",
                ));
            }
            Ok(m) if last && !m.is_file() => {
                return Err(refused(&at, "it is not a regular file"));
            }
            Ok(m) if !last && !m.is_dir() => {
                return Err(refused(&at, "a folder is needed there, but it is a file"));
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_error(&at, &e)),
        }
    }
    Ok(())
}

/// The paths the previous `index.json` lists; none when there is none. An
/// index that is a link or not smbguard's JSON is refused: smbguard would
/// otherwise lose track of its own files.
fn previous_index(out: &Path) -> Result<Vec<String>, EmitError> {
    let path = out.join(INDEX);
    match fs::symlink_metadata(&path) {
        Ok(m) if m.is_file() => {}
        Ok(_) => return Err(refused(&path, "it is not a regular file")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error(&path, &e)),
    }
    let text = fs::read_to_string(&path).map_err(|e| io_error(&path, &e))?;
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|_| {
        refused(
            &path,
            "it is not an index.json written by smbguard; move it away",
        )
    })?;
    let listed = doc
        .get("artifacts")
        .and_then(serde_json::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|e| e.get("path").and_then(serde_json::Value::as_str))
                .filter(|p| relative(p).is_ok() && *p != INDEX)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Ok(listed)
}

/// A stale entry is removed only when it is a regular file reached through
/// real folders: a link or folder at that path is not smbguard's.
fn stale_file(out: &Path, rel: &str) -> bool {
    check_destination(out, rel).is_ok()
        && fs::symlink_metadata(out.join(rel)).is_ok_and(|m| m.is_file())
}

/// Files under `out` that neither this emit nor the previous index names.
fn foreign_files(out: &Path, new: &HashSet<&str>, previous: &HashSet<&str>) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![(out.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = format!("{prefix}{name}");
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push((e.path(), format!("{rel}/"))),
                _ if new.contains(rel.as_str()) || previous.contains(rel.as_str()) => {}
                _ => found.push(rel),
            }
        }
    }
    found.sort();
    found
}

/// Removes folders left empty by removed stale files (best effort: a folder
/// that is not empty, or not a folder, stays).
fn prune_empty_folders(out: &Path, removed: &[String]) {
    for rel in removed {
        let mut p = Path::new(rel).parent();
        while let Some(dir) = p.filter(|d| !d.as_os_str().is_empty()) {
            if fs::remove_dir(out.join(dir)).is_err() {
                break;
            }
            p = dir.parent();
        }
    }
}

/// One step of the move phase, recorded so it can be undone.
#[derive(Debug)]
enum Done {
    /// `from` (in `out`) was renamed to `to` (in the staging folder).
    Saved { from: PathBuf, to: PathBuf },
    /// A staged file `from` was renamed into place at `to`.
    Placed { from: PathBuf, to: PathBuf },
    /// smbguard created this folder in `out`.
    Created(PathBuf),
}

/// The staging folder beside `--out`, created fresh (never reused).
#[derive(Debug)]
struct Staging {
    root: PathBuf,
}

impl Staging {
    fn create(out: &Path) -> Result<Self, EmitError> {
        // An absolute, `.`-free path, so that `--out .` or `--out dir/..`
        // still stages beside the folder, never inside it.
        let out = match fs::canonicalize(out) {
            Ok(p) => p,
            Err(_) => std::path::absolute(out).map_err(|e| io_error(out, &e))?,
        };
        let out = out.as_path();
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !parent.is_dir() {
            fs::create_dir_all(&parent).map_err(|e| io_error(&parent, &e))?;
        }
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        for attempt in 0..100u32 {
            let root = parent.join(format!(
                ".{name}.smbguard-staging-{}-{attempt}",
                std::process::id()
            ));
            match fs::create_dir(&root) {
                Ok(()) => return Ok(Self { root }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_error(&root, &e)),
            }
        }
        Err(refused(&parent, "no staging folder name is free"))
    }

    fn new_dir(&self) -> PathBuf {
        self.root.join("new")
    }

    /// Writes one file under `new/`.
    fn put(&self, rel: &str, bytes: &[u8], faults: &mut Faults) -> Result<(), EmitError> {
        let path = self.new_dir().join(rel);
        let mut write = || -> io::Result<()> {
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir)?;
            }
            faults.step()?;
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)?;
            // No fsync per file: at tens of thousands of files it cost
            // minutes of wall time (one flush each) for nothing a reader can
            // see; renames keep the set all or nothing (module docs).
            f.write_all(bytes)
        };
        write().map_err(|e| io_error(&path, &e))
    }

    /// `out` did not exist: the staged folder becomes it in one rename.
    fn rename_whole(&self, out: &Path, faults: &mut Faults) -> Result<(), EmitError> {
        faults
            .step()
            .and_then(|()| fs::rename(self.new_dir(), out))
            .map_err(|e| io_error(out, &e))
    }

    /// Moves the staged files into `out`, saving what they replace and the
    /// stale files; undoes everything on the first failure.
    fn move_into(
        &self,
        out: &Path,
        files: &[&str],
        stale: &[&str],
        faults: &mut Faults,
    ) -> Result<Vec<String>, EmitError> {
        let mut done: Vec<Done> = Vec::new();
        let result = self.moves(out, files, stale, faults, &mut done);
        if result.is_err() {
            undo(done);
        }
        result.map(|()| stale.iter().map(|s| (*s).to_owned()).collect())
    }

    fn moves(
        &self,
        out: &Path,
        files: &[&str],
        stale: &[&str],
        faults: &mut Faults,
        done: &mut Vec<Done>,
    ) -> Result<(), EmitError> {
        let saved = self.root.join("saved");
        fs::create_dir(&saved).map_err(|e| io_error(&saved, &e))?;
        let mut n = 0usize;
        let mut save = |to_save: PathBuf, done: &mut Vec<Done>, faults: &mut Faults| {
            n += 1;
            let to = saved.join(n.to_string());
            faults
                .step()
                .and_then(|()| fs::rename(&to_save, &to))
                .map_err(|e| io_error(&to_save, &e))?;
            done.push(Done::Saved { from: to_save, to });
            Ok::<(), EmitError>(())
        };
        for rel in stale {
            save(out.join(rel), done, faults)?;
        }
        // index.json is last in `files`: a crash before it leaves the old
        // index describing what is there.
        for rel in files {
            let dest = out.join(rel);
            create_parents(out, rel, done, faults)?;
            if fs::symlink_metadata(&dest).is_ok() {
                save(dest.clone(), done, faults)?;
            }
            let from = self.new_dir().join(rel);
            faults
                .step()
                .and_then(|()| fs::rename(&from, &dest))
                .map_err(|e| io_error(&dest, &e))?;
            done.push(Done::Placed { from, to: dest });
        }
        Ok(())
    }

    /// Removes the staging folder (and the saved old files in it).
    fn remove(&self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// Creates the missing folders on the way to `rel`, one at a time (never
/// through a link: they were checked, and `create_dir` does not follow).
fn create_parents(
    out: &Path,
    rel: &str,
    done: &mut Vec<Done>,
    faults: &mut Faults,
) -> Result<(), EmitError> {
    let mut at = out.to_path_buf();
    let parts: Vec<Component<'_>> = Path::new(rel).components().collect();
    for part in parts.iter().take(parts.len().saturating_sub(1)) {
        at.push(part);
        if fs::symlink_metadata(&at).is_ok() {
            continue;
        }
        faults
            .step()
            .and_then(|()| fs::create_dir(&at))
            .map_err(|e| io_error(&at, &e))?;
        done.push(Done::Created(at.clone()));
    }
    Ok(())
}

/// Undoes the move phase in reverse order (best effort: each step is a
/// rename back on the same file system).
fn undo(done: Vec<Done>) {
    for step in done.into_iter().rev() {
        let _ = match step {
            Done::Saved { from, to } => fs::rename(to, from),
            Done::Placed { from, to } => fs::rename(to, from),
            Done::Created(dir) => fs::remove_dir(dir),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Target;

    fn artifact(path: &str, body: &str) -> Artifact {
        Artifact {
            path: path.into(),
            target: Target::Nftables,
            group: None,
            description: String::new(),
            contents: body.as_bytes().to_vec(),
        }
    }

    fn index(paths: &[&str]) -> String {
        let list: Vec<serde_json::Value> = paths
            .iter()
            .map(|p| serde_json::json!({ "path": p }))
            .collect();
        serde_json::json!({ "artifacts": list }).to_string()
    }

    fn temp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("smbguard-write-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).expect("dir").flatten() {
                if e.file_type().expect("type").is_dir() {
                    stack.push(e.path());
                } else {
                    out.push((
                        e.path().display().to_string(),
                        fs::read(e.path()).unwrap_or_default(),
                    ));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn emit_full_disk_leaves_out_unchanged() {
        let out = temp("full-disk");
        let old = [
            artifact("a/x.nft", "old x"),
            artifact("a/stale.nft", "stale"),
        ];
        write_artifacts(&out, &old, &index(&["a/x.nft", "a/stale.nft"])).expect("first write");
        fs::write(out.join("mine.txt"), "not smbguard's").expect("foreign");
        let before = snapshot(&out);
        let new = [
            artifact("a/x.nft", "new x"),
            artifact("b/y.nft", "new y"),
            artifact("z.nft", "new z"),
        ];
        let idx = index(&["a/x.nft", "b/y.nft", "z.nft"]);
        let mut failed_somewhere = false;
        for step in 1..40 {
            let r = write_with_faults(&out, &new, &idx, Faults::at(step));
            if r.is_err() {
                failed_somewhere = true;
                assert_eq!(snapshot(&out), before, "step {step} changed --out");
            } else {
                // Past the last step: the write went through; start again.
                write_artifacts(&out, &old, &index(&["a/x.nft", "a/stale.nft"])).expect("restore");
                fs::create_dir_all(out.join("a")).expect("a");
                assert_eq!(snapshot(&out), before);
            }
        }
        assert!(failed_somewhere);
        let staging_left = fs::read_dir(std::env::temp_dir())
            .expect("tmp")
            .flatten()
            .any(|e| {
                e.file_name()
                    .to_string_lossy()
                    .contains("full-disk.smbguard-staging")
            });
        assert!(!staging_left, "a staging folder was left behind");
        let _ = fs::remove_dir_all(&out);
    }

    #[test]
    fn stale_files_are_removed_and_foreign_files_reported() {
        let out = temp("stale");
        write_artifacts(
            &out,
            &[artifact("g/old.nft", "old")],
            &index(&["g/old.nft"]),
        )
        .expect("first");
        fs::write(out.join("mine.txt"), "keep").expect("foreign");
        let r = write_artifacts(&out, &[artifact("new.nft", "new")], &index(&["new.nft"]))
            .expect("second");
        assert_eq!(r.removed, vec!["g/old.nft".to_string()]);
        assert_eq!(r.foreign, vec!["mine.txt".to_string()]);
        assert!(!out.join("g").exists(), "the emptied folder stays");
        assert_eq!(
            fs::read_to_string(out.join("mine.txt")).expect("kept"),
            "keep"
        );
        let _ = fs::remove_dir_all(&out);
    }

    #[test]
    fn out_given_as_dot_stages_beside_it() {
        let out = temp("dot");
        fs::create_dir_all(&out).expect("out");
        let dotted = out.join(".");
        write_artifacts(&dotted, &[artifact("x.nft", "x")], &index(&["x.nft"])).expect("first");
        let r = write_artifacts(&dotted, &[artifact("x.nft", "y")], &index(&["x.nft"]))
            .expect("second");
        assert!(r.foreign.is_empty(), "{r:?}");
        let names: Vec<String> = snapshot(&out).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        let _ = fs::remove_dir_all(&out);
    }

    #[test]
    fn symlinks_in_out_are_refused() {
        let out = temp("link");
        let victim = temp("link-victim");
        fs::create_dir_all(&out).expect("out");
        fs::create_dir_all(&victim).expect("victim");
        std::os::unix::fs::symlink(&victim, out.join("gpo")).expect("link");
        let r = write_artifacts(&out, &[artifact("gpo/x/y.xml", "evil")], &index(&[]));
        assert!(matches!(r, Err(EmitError::Refused { .. })), "{r:?}");
        assert!(snapshot(&victim).is_empty());
        let _ = fs::remove_dir_all(&out);
        let _ = fs::remove_dir_all(&victim);
    }
}
