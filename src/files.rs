//! Files at rest: the data directory and every file in it readable by the service's user only.

use std::io;
use std::path::{Path, PathBuf};

/// Creates `dir` (and its parents) with mode 0700 where missing.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates an empty file at `path` with mode 0600 unless one exists (SQLite then makes its
/// database in it, and gives its `-wal` and `-shm` files the same mode).
pub fn create_private_file(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Sets mode 0600 on `path`.
pub fn make_private(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// `dir` and the files in it that other users may read, write or enter.
pub fn open_to_others(dir: &Path) -> Vec<PathBuf> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let open = |path: &Path| {
            std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0)
        };
        let mut found: Vec<PathBuf> = Vec::new();
        if open(dir) {
            found.push(dir.to_path_buf());
        }
        if let Ok(entries) = std::fs::read_dir(dir) {
            let mut files: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && open(p))
                .collect();
            files.sort();
            found.extend(files);
        }
        found
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Vec::new()
    }
}

/// Logs a warning, naming the path, for each of `dir` and its files open to other users.
pub fn warn_if_open(dir: &Path) {
    for path in open_to_others(dir) {
        tracing::warn!(
            path = %path.display(),
            "readable by other users: the data directory should be mode 0700 and its files 0600 (it holds names, document numbers and crossings)"
        );
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn private_files_and_what_is_open_to_others() {
        let root = tempfile::tempdir().expect("dir");
        let dir = root.path().join("data");
        create_private_dir(&dir).expect("dir");
        let db = dir.join("borderpass.db");
        create_private_file(&db).expect("file");
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!((mode(&dir), mode(&db)), (0o700, 0o600));
        assert!(open_to_others(&dir).is_empty());
        let loose = dir.join("copied-by-hand.db");
        std::fs::write(&loose, b"x").expect("write");
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        assert_eq!(open_to_others(&dir), vec![dir.clone(), loose.clone()]);
        make_private(&loose).expect("chmod");
        assert_eq!(mode(&loose), 0o600);
    }
}
