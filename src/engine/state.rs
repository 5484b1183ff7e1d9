//! What the engine remembers about a conversation between messages, and what it receives and
//! returns each turn. Plain data: the store persists it as JSON; the API maps it to HTTP.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::flow::Priority;
use crate::kb::Hit;

/// A conversation's memory. Flow positions are kept by name so a content reload between two
/// messages can never leave a dangling index; a position that no longer exists is dropped.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationState {
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub session: u32,
    #[serde(default)]
    pub session_started_at: Option<Timestamp>,
    #[serde(default)]
    pub last_message_at: Option<Timestamp>,
    /// Misses in a row (a "did you mean" or a message too vague to search).
    #[serde(default)]
    pub misses: u8,
    /// The flow step waiting for the customer's answer.
    #[serde(default)]
    pub waiting: Option<FlowPosition>,
    /// Where to return to after a called flow ends.
    #[serde(default)]
    pub stack: Vec<FlowPosition>,
    #[serde(default)]
    pub slots: BTreeMap<String, String>,
    /// Article ids offered in the last "did you mean", so "2" picks the second.
    #[serde(default)]
    pub offered: Vec<String>,
    #[serde(default)]
    pub owner: Owner,
    /// The opening time the customer was last told about, so the notice is not repeated.
    #[serde(default)]
    pub off_hours_notice_for: Option<Timestamp>,
    /// The last reply asked what the question is (a greeting, "I need help"): another
    /// message without one is a miss, not another greeting. Lasts one message.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub greeted: bool,
    /// The title of the article the last reply answered with, so a follow-up that leaves out
    /// its subject ("and to Belgium?", "et combien ça coûte ?") is read with it. Lasts one
    /// message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// A fingerprint of the passage that answer added to the article's short answer, if
    /// any, so that the same reply is not given twice in a row. Lasts one message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowPosition {
    pub flow: String,
    pub step: String,
    #[serde(default)]
    pub retries: u8,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Owner {
    #[default]
    Bot,
    Human {
        queue: String,
        since: Timestamp,
    },
}

/// One inbound customer message, already validated by whoever received it.
#[derive(Debug, Clone, PartialEq)]
pub struct Inbound {
    pub channel: String,
    pub text: String,
    pub customer: Customer,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Customer {
    pub id: String,
    pub name: Option<String>,
    pub locale: Option<String>,
    /// An IANA time zone name; ignored when unknown.
    pub timezone: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Answered,
    Suggested,
    Flow,
    HandedOff,
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// As the channel shows it: HTML-escaped values on a web channel, plain text elsewhere.
    pub text: String,
    pub kind: ReplyKind,
    /// The same reply in plain text when `text` is HTML-escaped: what the history and the
    /// helpdesk's transcript keep, beside the customer's own words, which are never escaped.
    #[serde(skip)]
    pub plain: Option<String>,
}

impl Reply {
    /// The reply in plain text, whatever the channel.
    pub fn plain_text(&self) -> &str {
        self.plain.as_deref().unwrap_or(&self.text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyKind {
    Autoresponse,
    Answer,
    Suggestions,
    Flow,
    Fallback,
    Handoff,
    OffHours,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleRef {
    pub id: String,
    pub title: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub confidence: Option<f32>,
}

impl From<&Hit> for ArticleRef {
    fn from(hit: &Hit) -> Self {
        ArticleRef {
            id: hit.id.clone(),
            title: hit.title.clone(),
            url: hit.url.clone(),
            confidence: Some(hit.confidence),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandoffDecision {
    pub queue: String,
    pub reason: String,
    pub priority: Priority,
    pub open_now: bool,
    /// When the queue next opens (now, when open); `None` when nothing opens within a year.
    pub next_open_at: Option<Timestamp>,
    pub after_hours: bool,
    /// The best help-center candidates, for the agent.
    pub candidates: Vec<ArticleRef>,
}

/// What to say and do for one message, and the conversation's new memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub action: Action,
    pub replies: Vec<Reply>,
    pub locale: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub confidence: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub article: Option<ArticleRef>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub suggestions: Vec<ArticleRef>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub flow: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub handoff: Option<HandoffDecision>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub slots: BTreeMap<String, String>,
    pub content_version: String,
    #[serde(skip)]
    pub state: ConversationState,
}
