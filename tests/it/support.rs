//! Shared test helpers: the shipped content (loaded once), and temporary copies of it that a
//! test can break on purpose.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use firstline::content::Content;
use firstline::engine::{self, ConversationState, Customer, Decision, Inbound};

/// The repository root, where the shipped content lives.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped content, loaded once per test binary.
pub fn shipped() -> &'static Content {
    static CONTENT: OnceLock<Content> = OnceLock::new();
    CONTENT.get_or_init(|| match Content::load(&repo().join("firstline.yaml")) {
        Ok(content) => content,
        Err(diagnostics) => panic!("shipped content must load:\n{diagnostics}"),
    })
}

/// A temporary copy of the shipped content; edit files under `dir()` and `load()` it.
pub struct ContentCopy {
    dir: tempfile::TempDir,
}

impl ContentCopy {
    pub fn new() -> ContentCopy {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_tree(
            &repo().join("firstline.yaml"),
            &dir.path().join("firstline.yaml"),
        );
        for folder in ["flows", "templates", "kb"] {
            copy_tree(&repo().join(folder), &dir.path().join(folder));
        }
        ContentCopy { dir }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("firstline.yaml")
    }

    pub fn write(&self, relative: &str, text: &str) {
        let path = self.dir.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(relative)).unwrap()
    }

    /// Replaces `from` with `to` in a file, failing the test if `from` is absent.
    pub fn edit(&self, relative: &str, from: &str, to: &str) {
        let text = self.read(relative);
        assert!(text.contains(from), "{relative} does not contain {from:?}");
        self.write(relative, &text.replacen(from, to, 1));
    }

    pub fn load(&self) -> Result<Content, firstline::diag::Diagnostics> {
        Content::load(&self.config())
    }
}

fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::copy(from, to).unwrap();
    }
}

/// An instant from RFC 3339 text.
pub fn at(text: &str) -> jiff::Timestamp {
    text.parse()
        .unwrap_or_else(|e| panic!("bad instant {text}: {e}"))
}

/// A message on a plain-text channel from a customer with an optional locale.
pub fn message(text: &str, locale: Option<&str>) -> Inbound {
    Inbound {
        channel: "whatsapp".into(),
        text: text.into(),
        customer: Customer {
            id: "c1".into(),
            name: None,
            locale: locale.map(str::to_string),
            timezone: None,
        },
    }
}

/// A Monday morning when every shipped queue is open (Amsterdam, winter time).
pub const OPEN: &str = "2026-11-23T10:00:00+01:00";
/// A Sunday night when every shipped queue is closed.
pub const CLOSED: &str = "2026-11-22T03:00:00+01:00";

/// Plays a conversation: each message decided with the state the previous one left.
pub fn converse(
    content: &Content,
    messages: &[(&str, &str)],
    locale: Option<&str>,
) -> Vec<Decision> {
    let mut state = ConversationState::default();
    let mut out = Vec::new();
    for (time, text) in messages {
        let decision = engine::decide(content, &state, &message(text, locale), at(time));
        state = decision.state.clone();
        out.push(decision);
    }
    out
}

/// Runs the `firstline` binary in the repository: (exit code, stdout, stderr).
pub fn firstline(args: &[&str]) -> (i32, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_firstline"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("run firstline");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
