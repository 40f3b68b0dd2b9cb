//! What the CI platform says about the change: the description, the base to compare with and
//! the author, read from the platform's own context (GitHub's event file, GitLab's predefined
//! variables). That context is written by the platform, not by the change under review; nothing
//! here reads the diff or the work tree for it.
//!
//! | platform | event | base | description | author |
//! |---|---|---|---|---|
//! | GitHub | `pull_request`, `pull_request_target` | `pull_request.base.sha` | title and body | `pull_request.user.login` |
//! | GitHub | `push` | `before` (all zeros, a new branch: `origin/<default branch>`) | none | none |
//! | GitHub | `merge_group` | `merge_group.base_sha` | none | none |
//! | GitLab | merge request pipeline | `CI_MERGE_REQUEST_DIFF_BASE_SHA` | `CI_MERGE_REQUEST_TITLE` and `_DESCRIPTION` | `GITLAB_USER_LOGIN` |

use std::path::Path;
use std::sync::Arc;

use crate::engine::error::Error;
use crate::engine::pr::{MAX_PR_BYTES, PR_SOURCE_NAME};
use crate::engine::source::Source;

/// What the CI context gives a check run.
#[derive(Debug, Clone, Default)]
pub struct CiContext {
    /// Which platform and event (`github pull_request`, `gitlab merge request`), for messages.
    pub origin: String,
    /// The description (title and body), when the event is about a pull or merge request.
    pub description: Option<Arc<Source>>,
    /// The revision to compare HEAD with (its merge base).
    pub base: Option<String>,
    /// Who opened the pull or merge request.
    pub author: Option<String>,
    /// Things the user should know (a truncated description), printed to stderr.
    pub warnings: Vec<String>,
}

/// Reads the CI context from the environment: GitHub Actions (`GITHUB_EVENT_PATH`) first, then
/// GitLab CI (`GITLAB_CI` with `CI_MERGE_REQUEST_IID`). `Ok(None)` outside CI.
pub fn from_env(root: Option<&Path>) -> Result<Option<CiContext>, Error> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let Some(path) = var("GITHUB_EVENT_PATH") {
        return github(&path, root).map(Some);
    }
    if var("GITLAB_CI").is_some() {
        return Ok(gitlab(&var));
    }
    Ok(None)
}

fn is_sha(s: &str) -> bool {
    (7..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn description(title: &str, body: &str) -> Option<Arc<Source>> {
    let mut text = String::new();
    if !title.is_empty() {
        text.push_str(&format!("# {title}\n\n"));
    }
    text.push_str(body);
    Some(Arc::new(Source::new(PR_SOURCE_NAME, text)))
}

/// A GitHub Actions event file.
pub fn github(path: &str, root: Option<&Path>) -> Result<CiContext, Error> {
    // The pull request's description and base, read and capped as before.
    let pr = crate::engine::pr::from_github_event(path, root)?;
    let bytes = crate::engine::bounded::read(Path::new(path), 64 * MAX_PR_BYTES as u64, root)
        .map_err(|e| Error::GithubEvent {
            path: path.to_string(),
            message: format!("{e}"),
        })?;
    let event: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| Error::GithubEvent {
            path: path.to_string(),
            message: format!("not JSON ({e})"),
        })?;
    let text = |p: &str| event.pointer(p).and_then(|v| v.as_str());
    if let Some(pr) = pr {
        return Ok(CiContext {
            origin: "github pull_request".into(),
            description: Some(pr.description),
            base: pr.base_sha,
            author: text("/pull_request/user/login").map(str::to_string),
            warnings: Vec::new(),
        });
    }
    if let Some(group) = event.get("merge_group").filter(|g| g.is_object()) {
        return Ok(CiContext {
            origin: "github merge_group".into(),
            base: group
                .get("base_sha")
                .and_then(|v| v.as_str())
                .filter(|s| is_sha(s))
                .map(str::to_string),
            ..CiContext::default()
        });
    }
    if let Some(before) = text("/before") {
        let base = if before.bytes().all(|b| b == b'0') {
            // A new branch: its first push is compared with the default branch, when the clone
            // has it; else with the usual defaults (origin/HEAD, main, master).
            text("/repository/default_branch")
                .filter(|b| git_ref_name_ok(b))
                .map(|b| format!("origin/{b}"))
                .filter(|rev| root.is_some_and(|r| resolves(r, rev)))
        } else if is_sha(before) {
            Some(before.to_string())
        } else {
            None
        };
        return Ok(CiContext {
            origin: "github push".into(),
            base,
            ..CiContext::default()
        });
    }
    Ok(CiContext {
        origin: "github".into(),
        ..CiContext::default()
    })
}

/// A branch name that cannot be read as an option or a revision expression.
fn git_ref_name_ok(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && !name.contains("..")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_.-".contains(&b))
}

fn resolves(root: &Path, rev: &str) -> bool {
    git2::Repository::open(root)
        .ok()
        .is_some_and(|r| r.revparse_single(rev).is_ok())
}

/// GitLab CI's predefined variables (`var` reads one, empty as absent). Outside a merge request
/// pipeline (`CI_MERGE_REQUEST_IID` unset) there is no description and no base.
pub fn gitlab(var: &dyn Fn(&str) -> Option<String>) -> Option<CiContext> {
    var("CI_MERGE_REQUEST_IID")?;
    let mut ctx = CiContext {
        origin: "gitlab merge request".into(),
        base: var("CI_MERGE_REQUEST_DIFF_BASE_SHA").filter(|s| is_sha(s)),
        author: var("GITLAB_USER_LOGIN"),
        ..CiContext::default()
    };
    let title = var("CI_MERGE_REQUEST_TITLE").unwrap_or_default();
    let body = var("CI_MERGE_REQUEST_DESCRIPTION").unwrap_or_default();
    let body: String = if body.len() > MAX_PR_BYTES {
        body[..body.floor_char_boundary_compat(MAX_PR_BYTES)].to_string()
    } else {
        body
    };
    if var("CI_MERGE_REQUEST_DESCRIPTION_IS_TRUNCATED").as_deref() == Some("true") {
        ctx.warnings.push(
            "GitLab truncated CI_MERGE_REQUEST_DESCRIPTION (2700 characters): checklist items after the cut are not seen; pass the full description with --pr-body".into(),
        );
    }
    ctx.description = description(&title, &body);
    Some(ctx)
}

trait FloorCharBoundary {
    fn floor_char_boundary_compat(&self, at: usize) -> usize;
}

impl FloorCharBoundary for str {
    fn floor_char_boundary_compat(&self, mut at: usize) -> usize {
        while !self.is_char_boundary(at) {
            at -= 1;
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
                .filter(|v| !v.is_empty())
        }
    }

    #[test]
    fn gitlab_merge_request_variables() {
        let sha = "0123456789abcdef0123456789abcdef01234567";
        let vars = [
            ("CI_MERGE_REQUEST_IID", "7"),
            ("CI_MERGE_REQUEST_TITLE", "khala: SSE"),
            (
                "CI_MERGE_REQUEST_DESCRIPTION",
                "Invariant impact: INV-03 affected.",
            ),
            ("CI_MERGE_REQUEST_DIFF_BASE_SHA", sha),
            ("GITLAB_USER_LOGIN", "renovate-bot"),
        ];
        let ctx = gitlab(&env(&vars)).unwrap();
        assert_eq!(ctx.base.as_deref(), Some(sha));
        assert_eq!(ctx.author.as_deref(), Some("renovate-bot"));
        assert_eq!(
            ctx.description.unwrap().text(),
            "# khala: SSE\n\nInvariant impact: INV-03 affected."
        );
        assert!(ctx.warnings.is_empty());
        // A base that is not a SHA is not taken as a revision expression.
        let vars = [
            ("CI_MERGE_REQUEST_IID", "7"),
            ("CI_MERGE_REQUEST_DIFF_BASE_SHA", "--all"),
            ("CI_MERGE_REQUEST_DESCRIPTION_IS_TRUNCATED", "true"),
        ];
        let ctx = gitlab(&env(&vars)).unwrap();
        assert_eq!(ctx.base, None);
        assert_eq!(ctx.warnings.len(), 1);
        // A branch pipeline has no merge request.
        assert!(gitlab(&env(&[("CI_COMMIT_SHA", sha)])).is_none());
    }

    #[test]
    fn github_push_and_merge_group_events() {
        let dir = tempfile::tempdir().unwrap();
        let ev = dir.path().join("event.json");
        let before = "1111111111111111111111111111111111111111";
        std::fs::write(&ev, format!(r#"{{"before":"{before}","after":"2222222"}}"#)).unwrap();
        let ctx = github(ev.to_str().unwrap(), None).unwrap();
        assert_eq!(ctx.base.as_deref(), Some(before));
        assert!(ctx.description.is_none());
        // A new branch: all-zero `before`; without a clone holding the default branch, no base.
        std::fs::write(
            &ev,
            r#"{"before":"0000000000000000000000000000000000000000","repository":{"default_branch":"main"}}"#,
        )
        .unwrap();
        assert_eq!(github(ev.to_str().unwrap(), None).unwrap().base, None);
        std::fs::write(
            &ev,
            r#"{"merge_group":{"base_sha":"abcdef1234567","head_sha":"1234567abcdef"}}"#,
        )
        .unwrap();
        let ctx = github(ev.to_str().unwrap(), None).unwrap();
        assert_eq!(ctx.base.as_deref(), Some("abcdef1234567"));
        assert_eq!(ctx.origin, "github merge_group");
        std::fs::write(
            &ev,
            r#"{"pull_request":{"title":"t","body":"b","user":{"login":"dependabot[bot]"},"base":{"sha":"abcdef1234567"}}}"#,
        )
        .unwrap();
        let ctx = github(ev.to_str().unwrap(), None).unwrap();
        assert_eq!(ctx.author.as_deref(), Some("dependabot[bot]"));
        assert_eq!(ctx.base.as_deref(), Some("abcdef1234567"));
        assert!(!git_ref_name_ok("--upload-pack=x"));
        assert!(!git_ref_name_ok("a..b"));
    }
}
