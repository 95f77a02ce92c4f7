//! Writing files so that a crash never leaves a half-written output.
//!
//! Every output (dataset artifacts, exports) is written to a temporary file in
//! the destination's directory, flushed and synced, then renamed over the
//! destination. A failure at any point removes the temporary file and leaves
//! whatever stood at the destination untouched.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;

/// Writes `path` atomically through `fill`, which receives a buffered writer.
pub fn write_atomic<F>(path: &Path, fill: F) -> io::Result<()>
where
    F: FnOnce(&mut BufWriter<File>) -> io::Result<()>,
{
    let tmp = temp_beside(path)?;
    let (file, tmp_path) = tmp.into_parts();
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

/// A temporary file in the destination's directory, so the final rename
/// stays on one file system and is atomic.
fn temp_beside(path: &Path) -> io::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    tempfile::Builder::new()
        .prefix(".dxmap-")
        .suffix(".tmp")
        .tempfile_in(dir)
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
    let tmp = temp_beside(path)?;
    let tmp_path = tmp.into_temp_path();
    fill(&tmp_path)?;
    let file = File::open(&tmp_path)?;
    if let Some(p) = permissions_for(path) {
        file.set_permissions(p)?;
    }
    file.sync_all()?;
    tmp_path.persist(path).map_err(|e| e.error)?;
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
}
