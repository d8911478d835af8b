//! Where topic 22's uploads live: one temporary directory per sandbox, removed on a reset
//! of the topic and when the sandbox stops. Inside it:
//!
//! - `uploads/`: stored files, each under a random name that no client chose;
//! - `victim/`: stands for the rest of a server's disk. Only the `upload-trust-client-filename`
//!   switch writes there, so a traversal can be watched without leaving the temp dir.

use std::collections::HashMap;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest as _, Sha256};
use tempfile::TempDir;
use tokio::io::AsyncWriteExt as _;

/// The largest file accepted.
pub const FILE_MAX_BYTES: u64 = 2 * 1024 * 1024;
/// Where a server that trusts client names believes it writes (shown, never used on disk).
pub const PRETEND_UPLOAD_DIR: &str = "/srv/app/uploads";
/// A file the traversal demonstration can overwrite: `../config.json` reaches it.
const VICTIM_FILE: &str = "srv/app/config.json";
/// What the victim file holds until a traversal overwrites it.
const VICTIM_CONTENT: &str =
    "{\"note\": \"outside the upload directory\", \"admins\": [\"grace@dojo.test\"]}\n";
/// Bytes kept from the start of a file to tell its type.
const HEAD_BYTES: usize = 512;

/// One stored file.
#[derive(Debug, Clone)]
pub struct FileRecord {
    /// Where it is on disk, inside the sandbox's temp dir.
    pub path: PathBuf,
    /// The client's name, for display and `Content-Disposition` only.
    pub name: String,
    pub size: u64,
    /// Told from the first bytes at upload.
    pub content_type: &'static str,
    /// Hex SHA-256 of the content; the download's ETag.
    pub sha256: String,
}

/// The temp dir and what is stored in it.
#[derive(Debug, Default)]
pub struct FileStore {
    root: Mutex<Option<Arc<TempDir>>>,
    records: Mutex<HashMap<String, FileRecord>>,
}

impl FileStore {
    /// The sandbox's temp dir, made (with `uploads/` and the seeded `victim/`) on first use.
    /// An upload in flight keeps its own handle, so a reset cannot pull it from under it.
    pub fn root(&self) -> io::Result<Arc<TempDir>> {
        let mut root = self.root.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(dir) = root.as_ref() {
            return Ok(dir.clone());
        }
        let dir = tempfile::Builder::new()
            .prefix("backend-dojo-uploads-")
            .tempdir()?;
        std::fs::create_dir(dir.path().join("uploads"))?;
        let victim = dir.path().join("victim").join(VICTIM_FILE);
        if let Some(parent) = victim.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&victim, VICTIM_CONTENT)?;
        let dir = Arc::new(dir);
        *root = Some(dir.clone());
        Ok(dir)
    }

    /// The upload directory, if the temp dir exists yet.
    pub fn upload_dir(&self) -> Option<PathBuf> {
        let root = self.root.lock().unwrap_or_else(|e| e.into_inner());
        root.as_ref().map(|dir| dir.path().join("uploads"))
    }

    /// The temp dir's path, if it exists yet.
    pub fn root_path(&self) -> Option<PathBuf> {
        let root = self.root.lock().unwrap_or_else(|e| e.into_inner());
        root.as_ref().map(|dir| dir.path().to_path_buf())
    }

    /// Removes the temp dir with everything in it and forgets every file.
    pub fn clear(&self) {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        // Dropping the last handle deletes the directory.
        self.root.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    pub(crate) fn insert(&self, id: String, record: FileRecord) {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, record);
    }

    pub(crate) fn get(&self, id: &str) -> Option<FileRecord> {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    /// Where a stored file is, by id (for tests that plant a symlink in its place).
    pub fn path_of(&self, id: &str) -> Option<PathBuf> {
        self.get(id).map(|record| record.path)
    }
}

/// A random name of 128 bits, as 32 hex digits: the only kind of name the upload
/// directory holds (and the only kind of id a download accepts).
pub fn random_name() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

pub fn is_random_name(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Why a client's file name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRefused {
    Empty,
    TooLong,
    ControlCharacter,
    Absolute,
    Traversal,
    Directory,
}

impl NameRefused {
    pub fn reason(self) -> &'static str {
        match self {
            NameRefused::Empty => "the file name is empty",
            NameRefused::TooLong => "the file name is longer than 255 bytes",
            NameRefused::ControlCharacter => {
                "the file name contains a control character (NUL, a newline, ...)"
            }
            NameRefused::Absolute => "the file name is an absolute path",
            NameRefused::Traversal => "the file name climbs out of its directory with `..`",
            NameRefused::Directory => "the file name contains a directory",
        }
    }
}

// region: file-name-check
/// Accepts a plain file name such as `report.pdf`. The name is only ever shown and sent
/// back in `Content-Disposition`; the file is stored under a random name. A name with a
/// path in it is still refused: no browser sends one, so it is a crafted request.
pub fn check_name(name: &str) -> Result<(), NameRefused> {
    let is_separator = |c: char| c == '/' || c == '\\';
    if name.is_empty() || name == "." {
        return Err(NameRefused::Empty);
    }
    if name.chars().any(char::is_control) {
        return Err(NameRefused::ControlCharacter);
    }
    let drive_letter =
        matches!(name.as_bytes(), [letter, b':', ..] if letter.is_ascii_alphabetic());
    if name.starts_with(is_separator) || drive_letter {
        return Err(NameRefused::Absolute);
    }
    if name.split(is_separator).any(|segment| segment == "..") {
        return Err(NameRefused::Traversal);
    }
    if name.contains(is_separator) {
        return Err(NameRefused::Directory);
    }
    if name.len() > 255 {
        return Err(NameRefused::TooLong);
    }
    Ok(())
}
// endregion

/// Where a server that joins the client's name to its upload directory would write:
/// `PRETEND_UPLOAD_DIR` joined with `name`, `.` and `..` folded the way the file system
/// would, an absolute name replacing the directory. Never touches the disk.
pub fn pretend_path(name: &str) -> PathBuf {
    let mut resolved = PathBuf::from(PRETEND_UPLOAD_DIR);
    for component in Path::new(name).components() {
        match component {
            Component::RootDir | Component::Prefix(_) => resolved = PathBuf::from("/"),
            Component::CurDir => {}
            Component::ParentDir => {
                resolved.pop();
            }
            Component::Normal(part) => resolved.push(part),
        }
    }
    resolved
}

/// Where the sandbox really writes for a pretend path: inside `uploads/` when the path
/// stayed in the upload directory, else the same path under `victim/`. Both are inside
/// the temp dir whatever the name, because a folded path has no `..` left.
pub fn contained_path(root: &Path, pretend: &Path) -> (PathBuf, bool) {
    match pretend.strip_prefix(PRETEND_UPLOAD_DIR) {
        Ok(rest) if !rest.as_os_str().is_empty() => (root.join("uploads").join(rest), false),
        _ => {
            let relative = pretend.strip_prefix("/").unwrap_or(pretend);
            (root.join("victim").join(relative), true)
        }
    }
}

/// Whether any part of `path` below `root` is a symbolic link. Writing through a link
/// could leave the directory it seems to be in.
pub fn has_symlink_below(root: &Path, path: &Path) -> bool {
    let Ok(relative) = path.strip_prefix(root) else {
        return true;
    };
    let mut current = root.to_path_buf();
    for component in relative.components() {
        current.push(component);
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    false
}

/// A file being received: written under a `.part` name next to where it will be kept,
/// and removed when dropped unless kept, so a refused or abandoned upload leaves nothing.
#[derive(Debug)]
pub struct Incoming {
    path: PathBuf,
    file: tokio::fs::File,
    size: u64,
    limit: u64,
    sha256: Sha256,
    head: Vec<u8>,
    kept: bool,
}

/// Why writing stopped.
#[derive(Debug)]
pub enum WriteError {
    TooLarge,
    Io(io::Error),
}

/// A file received in full.
#[derive(Debug, Clone)]
pub struct Saved {
    pub size: u64,
    pub sha256: String,
    pub content_type: &'static str,
}

// region: file-stream-to-disk
impl Incoming {
    /// Starts a `.part` file in `dir`. `create_new` fails if anything (a file, a planted
    /// symlink) already has the name.
    pub async fn start(dir: &Path, limit: u64) -> io::Result<Incoming> {
        let path = dir.join(format!("{}.part", random_name()));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await?;
        Ok(Incoming {
            path,
            file,
            size: 0,
            limit,
            sha256: Sha256::new(),
            head: Vec::new(),
            kept: false,
        })
    }

    /// Appends one chunk as it arrives; only this chunk is in memory. Refuses the chunk
    /// that would take the file past the limit.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), WriteError> {
        let size = self.size + chunk.len() as u64;
        if size > self.limit {
            return Err(WriteError::TooLarge);
        }
        self.file.write_all(chunk).await.map_err(WriteError::Io)?;
        self.sha256.update(chunk);
        let room = HEAD_BYTES.saturating_sub(self.head.len());
        self.head.extend_from_slice(&chunk[..room.min(chunk.len())]);
        self.size = size;
        Ok(())
    }

    /// Finishes the file and renames it to `path` (atomic on one file system), so a
    /// reader never sees half a file under its final name.
    pub async fn keep_as(mut self, path: &Path) -> io::Result<Saved> {
        self.file.flush().await?;
        self.file.sync_data().await?;
        tokio::fs::rename(&self.path, path).await?;
        self.kept = true;
        Ok(Saved {
            size: self.size,
            sha256: hex(&self.sha256.clone().finalize()),
            content_type: content_type_of(&self.head),
        })
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        if !self.kept {
            // Runs on every early return, refusal, error or dropped request.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
// endregion

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The type of a file from its first bytes: a few well-known signatures, UTF-8 text, or
/// `application/octet-stream`. HTML is sent as text: downloads are attachments anyway.
pub fn content_type_of(head: &[u8]) -> &'static str {
    const SIGNATURES: [(&[u8], &str); 7] = [
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xFF\xD8\xFF", "image/jpeg"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"%PDF-", "application/pdf"),
        (b"PK\x03\x04", "application/zip"),
        (b"\x1F\x8B", "application/gzip"),
    ];
    if let Some((_, found)) = SIGNATURES.iter().find(|(magic, _)| head.starts_with(magic)) {
        return found;
    }
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return "image/webp";
    }
    let text = match std::str::from_utf8(head) {
        Ok(_) => true,
        // The head may end in the middle of a character; only an error before that counts.
        Err(error) => error.error_len().is_none(),
    };
    if text && !head.is_empty() && !head.contains(&0) {
        "text/plain; charset=utf-8"
    } else {
        "application/octet-stream"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass_and_paths_are_refused_with_their_reason() {
        for name in [
            "report.pdf",
            "notes v2.txt",
            "a..b.txt",
            ".env",
            "résumé.pdf",
        ] {
            assert_eq!(check_name(name), Ok(()), "{name}");
        }
        for (name, refused) in [
            ("", NameRefused::Empty),
            ("../../etc/passwd", NameRefused::Traversal),
            ("..", NameRefused::Traversal),
            ("notes/../../x", NameRefused::Traversal),
            ("..\\..\\boot.ini", NameRefused::Traversal),
            ("/etc/passwd", NameRefused::Absolute),
            ("\\\\server\\share", NameRefused::Absolute),
            ("C:\\Windows\\win.ini", NameRefused::Absolute),
            ("docs/report.pdf", NameRefused::Directory),
            ("evil\0.png", NameRefused::ControlCharacter),
            ("line\nbreak", NameRefused::ControlCharacter),
        ] {
            assert_eq!(check_name(name), Err(refused), "{name:?}");
        }
        assert_eq!(check_name(&"a".repeat(256)), Err(NameRefused::TooLong));
    }

    #[test]
    fn pretend_paths_fold_like_a_file_system() {
        assert_eq!(
            pretend_path("report.txt"),
            Path::new("/srv/app/uploads/report.txt")
        );
        assert_eq!(
            pretend_path("../config.json"),
            Path::new("/srv/app/config.json")
        );
        assert_eq!(
            pretend_path("../../../../../etc/passwd"),
            Path::new("/etc/passwd")
        );
        assert_eq!(
            pretend_path("/etc/cron.d/job"),
            Path::new("/etc/cron.d/job")
        );
        assert_eq!(pretend_path("./a/./b"), Path::new("/srv/app/uploads/a/b"));
    }

    #[test]
    fn contained_paths_never_leave_the_root() {
        let root = Path::new("/tmp/dojo");
        assert_eq!(
            contained_path(root, &pretend_path("report.txt")),
            (root.join("uploads/report.txt"), false)
        );
        assert_eq!(
            contained_path(root, &pretend_path("../config.json")),
            (root.join("victim/srv/app/config.json"), true)
        );
        assert_eq!(
            contained_path(root, &pretend_path("../../../../../../etc/passwd")),
            (root.join("victim/etc/passwd"), true)
        );
        // The upload directory itself is not a file in it.
        assert_eq!(
            contained_path(root, &pretend_path(".")),
            (root.join("victim/srv/app/uploads"), true)
        );
    }

    #[test]
    fn content_types_come_from_the_bytes() {
        assert_eq!(content_type_of(b"\x89PNG\r\n\x1a\n...."), "image/png");
        assert_eq!(content_type_of(b"%PDF-1.7"), "application/pdf");
        assert_eq!(content_type_of(b"hello\n"), "text/plain; charset=utf-8");
        assert_eq!(
            content_type_of("caf\u{e9}".as_bytes()),
            "text/plain; charset=utf-8"
        );
        // Cut inside a two-byte character: still text.
        assert_eq!(
            content_type_of(&"caf\u{e9}".as_bytes()[..4]),
            "text/plain; charset=utf-8"
        );
        assert_eq!(content_type_of(b"\x00\x01\x02"), "application/octet-stream");
        assert_eq!(content_type_of(b""), "application/octet-stream");
    }
}
