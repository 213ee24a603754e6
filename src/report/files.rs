//! Writing report files: each one complete or not at all (a temporary file in the same
//! directory, renamed over the old one), so that Ctrl-C or a later failure never leaves a
//! half-written file.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// Writes `bytes` to `dir/name` atomically.
pub fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let path = dir.join(name);
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .tempfile_in(dir)
        .with_context(|| format!("{}: cannot create a file in this directory", dir.display()))?;
    tmp.write_all(bytes)
        .with_context(|| format!("{}: write failed", path.display()))?;
    // The temporary file is private (0600); a report is for reading.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .ok();
    }
    tmp.as_file().sync_all().ok();
    tmp.persist(&path)
        .with_context(|| format!("{}: cannot replace the file", path.display()))?;
    Ok(())
}
