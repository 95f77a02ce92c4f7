//! Writing files so that a crash never leaves a half-written output.
//!
//! Every output (dataset artifacts, exports) is written to a temporary file in
//! the destination's directory, flushed and synced, then renamed over the
//! destination. A failure at any point removes the temporary file and leaves
//! whatever stood at the destination untouched. A destination that exists
//! and is not a regular file (a device, a FIFO, a directory) is refused
//! before anything is written, since the rename would replace it with a
//! file ([`crate::file_checks`]; the CLI also refuses an output that is one
//! of the run's inputs).
//!
//! A writer that is killed outright (`kill -9`, power loss) cannot remove its
//! temporary file. On Unix each writer therefore holds an exclusive lock on
//! its temporary file until the rename, and the next write into the same
//! directory removes any `.dxmap-*.tmp` file whose lock it can take: the
//! kernel drops a lock when its holder dies, so only dead writers' files go.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;
use std::time::Duration;

use crate::file_checks::check_output;

const TEMP_PREFIX: &str = ".dxmap-";
const TEMP_SUFFIX: &str = ".tmp";

/// A leftover younger than this is kept even when unlocked: it may belong to
/// a writer between creating its file and locking it.
const LEFTOVER_MIN_AGE: Duration = Duration::from_secs(10);

/// Writes `path` atomically through `fill`, which receives a buffered writer.
pub fn write_atomic<F>(path: &Path, fill: F) -> io::Result<()>
where
    F: FnOnce(&mut BufWriter<File>) -> io::Result<()>,
{
    refuse_non_regular(path)?;
    let (file, tmp_path) = temp_beside(path)?.into_parts();
    hold(&file);
    let mut w = BufWriter::new(file);
    fill(&mut w)?;
    let file = w.into_inner().map_err(|e| e.into_error())?;
    if let Some(p) = permissions_for(path) {
        file.set_permissions(p)?;
    }
    file.sync_all()?;
    tmp_path.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Refuses a destination that exists and is not a regular file.
fn refuse_non_regular(path: &Path) -> io::Result<()> {
    check_output(path, &[]).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))
}

/// A temporary file in the destination's directory, so the final rename
/// stays on one file system and is atomic. Dead writers' leftovers in that
/// directory are removed first.
fn temp_beside(path: &Path) -> io::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    remove_dead_leftovers(dir);
    tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)
}

/// Locks a temporary file for as long as `file` stays open, marking its
/// writer alive. Best effort: a file system without locks only means a
/// killed writer's file is not cleaned up.
fn hold(file: &File) {
    #[cfg(unix)]
    let _ = file.try_lock();
    #[cfg(not(unix))]
    let _ = file;
}

/// Removes `.dxmap-*.tmp` files in `dir` that no live writer holds. Never
/// fails: cleaning up is not worth failing a write for. (Unix only: Windows
/// locks are mandatory and would lock SQLite out of its own file.)
fn remove_dead_leftovers(dir: &Path) {
    #[cfg(unix)]
    {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                continue;
            };
            if !(name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX)) {
                continue;
            }
            let path = entry.path();
            let old_enough = entry
                .metadata()
                .ok()
                .filter(|m| m.is_file())
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age >= LEFTOVER_MIN_AGE);
            if !old_enough {
                continue;
            }
            let Ok(file) = File::open(&path) else {
                continue;
            };
            if file.try_lock().is_ok() && std::fs::remove_file(&path).is_ok() {
                tracing::info!(
                    "removed {}, left by a write that was killed",
                    path.display()
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Temporary files are created private (0600); the output should instead keep
/// the permissions of the file it replaces, or be readable like any new file.
fn permissions_for(path: &Path) -> Option<std::fs::Permissions> {
    if let Ok(meta) = std::fs::metadata(path) {
        return Some(meta.permissions());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Some(std::fs::Permissions::from_mode(0o644))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Like [`write_atomic`], for writers that need a finished file path rather
/// than a stream (SQLite): `fill` gets the temporary path to create.
pub fn write_atomic_path<F, E>(path: &Path, fill: F) -> Result<(), E>
where
    F: FnOnce(&Path) -> Result<(), E>,
    E: From<io::Error>,
{
    refuse_non_regular(path)?;
    // On Unix the open, locked handle marks this writer alive while `fill`
    // writes through the path; elsewhere it is closed so SQLite can open it.
    let (file, tmp_path) = temp_beside(path)?.into_parts();
    let lock = cfg!(unix).then(|| {
        hold(&file);
        file
    });
    fill(&tmp_path)?;
    let file = File::open(&tmp_path)?;
    if let Some(p) = permissions_for(path) {
        file.set_permissions(p)?;
    }
    file.sync_all()?;
    tmp_path.persist(path).map_err(|e| e.error)?;
    drop(lock);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn failure_leaves_previous_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.txt");
        write_atomic(&p, |w| w.write_all(b"good")).unwrap();
        let r = write_atomic(&p, |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("boom"))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"good");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temporary file removed");
    }

    #[cfg(unix)]
    #[test]
    fn outputs_are_readable_and_keep_the_mode_they_replace() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.txt");
        write_atomic(&p, |w| w.write_all(b"a")).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&p), 0o644);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&p, |w| w.write_all(b"b")).unwrap();
        assert_eq!(mode(&p), 0o640);
        let q = dir.path().join("db.sqlite");
        write_atomic_path(&q, |t: &Path| std::fs::write(t, b"x")).unwrap();
        assert_eq!(mode(&q), 0o644);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_or_directory_destination_is_refused_and_kept() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success(), "mkfifo");
        let e = write_atomic(&fifo, |w| w.write_all(b"a")).unwrap_err();
        assert!(
            e.to_string()
                .contains("is a FIFO (named pipe), not a regular file"),
            "{e}"
        );
        let e = write_atomic_path(&fifo, |t: &Path| std::fs::write(t, b"x")).unwrap_err();
        assert!(e.to_string().contains("refusing to replace it"), "{e}");
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        assert!(write_atomic(&sub, |w| w.write_all(b"a")).is_err());
        assert!(sub.is_dir());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temporary file"
        );
    }

    /// Whether another handle can lock `path` now (as a cleaner would).
    #[cfg(unix)]
    fn unlocked(path: &Path) -> bool {
        File::open(path).unwrap().try_lock().is_ok()
    }

    #[cfg(unix)]
    #[test]
    fn dead_writers_leftovers_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let minute_ago = std::time::SystemTime::now() - Duration::from_secs(60);
        let leftover = |name: &str| {
            let p = d.join(name);
            std::fs::write(&p, b"x").unwrap();
            let f = File::options().write(true).open(&p).unwrap();
            f.set_modified(minute_ago).unwrap();
            p
        };
        let dead = leftover(".dxmap-dead01.tmp");
        let live = leftover(".dxmap-live01.tmp");
        let held = File::open(&live).unwrap();
        held.try_lock().unwrap();
        let not_ours = leftover(".other-dead1.tmp");
        let fresh = d.join(".dxmap-fresh1.tmp");
        std::fs::write(&fresh, b"x").unwrap();

        write_atomic(&d.join("out.txt"), |w| w.write_all(b"a")).unwrap();
        assert!(!dead.exists(), "an unlocked old leftover is removed");
        assert!(live.exists(), "a locked one belongs to a live writer");
        assert!(not_ours.exists() && fresh.exists());

        drop(held);
        write_atomic_path(&d.join("db"), |t: &Path| std::fs::write(t, b"x")).unwrap();
        assert!(!live.exists(), "removed once its writer is gone");
        assert!(fresh.exists(), "too young to tell");
    }

    #[cfg(unix)]
    #[test]
    fn writers_lock_their_temporary_file_until_the_rename() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut seen = 0;
        let mut check = |dir: &Path| {
            for entry in std::fs::read_dir(dir).unwrap() {
                let p = entry.unwrap().path();
                let name = p.file_name().unwrap().to_str().unwrap().to_owned();
                if name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX) {
                    assert!(!unlocked(&p), "{name} is not locked while written");
                    seen += 1;
                }
            }
        };
        write_atomic(&d.join("a.txt"), |w| {
            check(d);
            w.write_all(b"a")
        })
        .unwrap();
        write_atomic_path(&d.join("b.db"), |t: &Path| {
            check(d);
            std::fs::write(t, b"b")
        })
        .unwrap();
        assert_eq!(seen, 2);
        assert!(unlocked(&d.join("a.txt")) && unlocked(&d.join("b.db")));
    }
}
