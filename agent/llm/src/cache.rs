//! The response cache: answers keyed by (model, prompt hash, schema hash), one JSON file each
//! under a directory, so a re-run of the same document with the same model and schema makes no
//! model call and gives the same result. Prompts are redacted before hashing, so the cache holds
//! the model's (redacted) answers only. Extra samples (agreement) have keys of their own.

use docket_core::hash::sha256_parts;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A directory of cached answers.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

/// The cache key of a request.
pub fn key(model: &str, prompt_hash: &str, schema_hash: &str) -> String {
    sha256_parts(&[
        model.as_bytes(),
        prompt_hash.as_bytes(),
        schema_hash.as_bytes(),
    ])
}

/// The cache key of sample `sample` of a request: [`key`] for the first sample (so caches
/// written before sampling existed stay valid), the sample index mixed in for later ones.
pub fn sample_key(model: &str, prompt_hash: &str, schema_hash: &str, sample: u32) -> String {
    if sample == 0 {
        return key(model, prompt_hash, schema_hash);
    }
    sha256_parts(&[
        model.as_bytes(),
        prompt_hash.as_bytes(),
        schema_hash.as_bytes(),
        format!("sample:{sample}").as_bytes(),
    ])
}

impl Cache {
    /// A cache in `dir` (created on first write).
    pub fn new(dir: &Path) -> Self {
        Cache {
            dir: dir.to_path_buf(),
        }
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    /// The cached answer, if any (an unreadable entry counts as a miss).
    pub fn get(&self, key: &str) -> Option<Value> {
        let text = std::fs::read_to_string(self.path(key)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Stores an answer atomically (write to a temporary file, then rename).
    pub fn put(&self, key: &str, answer: &Value) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let tmp = self.dir.join(format!(".{key}.{}.tmp", std::process::id()));
        std::fs::write(&tmp, serde_json::to_vec(answer)?)?;
        std::fs::rename(&tmp, self.path(key))
    }
}
