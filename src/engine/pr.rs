//! PR description -> `Source` named "PR description", so findings can point into it.
//!
//! Reading only; what the description claims (INV mapping, checklist, N/A lines) is parsed by the
//! PR-checklist checks. Absent in pre-commit runs.

use std::io::Read;
use std::sync::Arc;

use crate::engine::error::Error;
use crate::engine::source::Source;

/// The name every PR-description span is shown under.
pub const PR_SOURCE_NAME: &str = "PR description";

/// Largest description we read (GitHub caps PR bodies at 65,536 characters).
pub const MAX_PR_BYTES: usize = 1 << 20;

/// Reads a PR description from a file, or from stdin when `path` is `-`.
pub fn read(path: &str) -> Result<Arc<Source>, Error> {
    let mut bytes = Vec::new();
    let result = if path == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_PR_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_PR_BYTES as u64 + 1).read_to_end(&mut bytes))
    };
    result.map_err(|e| Error::PrBody {
        path: path.to_string(),
        message: e.to_string(),
    })?;
    if bytes.len() > MAX_PR_BYTES {
        return Err(Error::PrBody {
            path: path.to_string(),
            message: format!("larger than {} bytes", MAX_PR_BYTES),
        });
    }
    let text = String::from_utf8(bytes).map_err(|e| Error::PrBody {
        path: path.to_string(),
        message: format!(
            "not UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })?;
    Ok(Arc::new(Source::new(PR_SOURCE_NAME, text)))
}

/// Wraps text already in memory (tests, demo, commit messages).
pub fn from_text(text: &str) -> Arc<Source> {
    Arc::new(Source::new(PR_SOURCE_NAME, text))
}
