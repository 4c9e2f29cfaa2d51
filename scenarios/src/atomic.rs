//! Files written whole or not at all.
//!
//! [`write_atomic`] writes to a fresh temporary file beside the target,
//! syncs it, and renames it over the target. A reader (or a run killed
//! half-way) sees the old file or the new one, never a truncated one; and
//! because the rename replaces the directory entry, a target that is a
//! symbolic link is replaced, not followed: a hostile run directory cannot
//! make Shakedown write through a link to another file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `contents` to `path` atomically (see the [module docs](self)).
/// The parent directory must exist.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let (tmp, mut file) = create_temp(&dir, &name.to_string_lossy())?;
    let written = file
        .write_all(contents)
        .and_then(|()| file.sync_all())
        .and_then(|()| fs::rename(&tmp, path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written?;
    // The rename is durable once the directory is synced (best effort: not
    // every platform can open a directory).
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// A new file `.<name>.tmp<N>` in `dir` that did not exist before.
fn create_temp(dir: &Path, name: &str) -> io::Result<(PathBuf, File)> {
    let pid = std::process::id();
    for n in 0u32..1000 {
        let tmp = dir.join(format!(".{name}.tmp{pid}-{n}"));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("{}: no free temporary name", dir.display()),
    ))
}

/// Reads `path` only if it is a regular file, not a link to one: a run
/// directory from elsewhere cannot point Shakedown at other files.
pub fn read_regular(path: &Path) -> io::Result<Vec<u8>> {
    let meta = fs::symlink_metadata(path)?;
    if !meta.file_type().is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (a link or a directory); refusing to read it",
        ));
    }
    fs::read(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("shakedown-atomic-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn replaces_whole_files_and_leaves_no_temporaries() {
        let d = temp_dir("whole");
        let p = d.join("a.txt");
        write_atomic(&p, b"first").unwrap();
        write_atomic(&p, b"second").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"second");
        let names: Vec<_> = fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_is_replaced_not_followed() {
        let d = temp_dir("link");
        let victim = d.join("victim.txt");
        fs::write(&victim, b"precious").unwrap();
        let link = d.join("report.html");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        assert!(read_regular(&link).is_err());
        write_atomic(&link, b"report").unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert_eq!(fs::read(&link).unwrap(), b"report");
        assert!(!fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn a_missing_directory_is_an_error_not_a_panic() {
        let d = temp_dir("missing").join("no/such/dir/x.txt");
        assert!(write_atomic(&d, b"x").is_err());
    }
}
