//! Where built files go: a folder (`qi build`), memory (`qi serve`) or
//! nowhere (`qi check`).
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Where built files go. Paths are relative, with `/`: `groups/index.html`.
pub trait Sink: Sync {
    fn write(&self, path: &str, bytes: &[u8]) -> std::io::Result<()>;
    fn copy(&self, path: &str, from: &Path) -> std::io::Result<()> {
        self.write(path, &std::fs::read(from)?)
    }
}

/// Discards everything (`qi check`).
pub struct NullSink;
impl Sink for NullSink {
    fn write(&self, _: &str, _: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
    fn copy(&self, _: &str, _: &Path) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes into a folder.
pub struct DirSink(pub PathBuf);

impl DirSink {
    fn target(&self, path: &str) -> std::io::Result<PathBuf> {
        let target = self.0.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        Ok(target)
    }
}

impl Sink for DirSink {
    fn write(&self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
        std::fs::write(self.target(path)?, bytes)
    }
    fn copy(&self, path: &str, from: &Path) -> std::io::Result<()> {
        std::fs::copy(from, self.target(path)?).map(|_| ())
    }
}

/// Keeps every file in memory (`qi serve`).
#[derive(Default)]
pub struct MemorySink(pub Mutex<HashMap<String, Arc<Vec<u8>>>>);
impl Sink for MemorySink {
    fn write(&self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
        // A writer that panicked left whole files behind: the map is still usable.
        let mut files = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        files.insert(path.to_string(), Arc::new(bytes.to_vec()));
        Ok(())
    }
}
