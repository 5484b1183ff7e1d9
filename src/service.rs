//! The answer service without HTTP: takes a validated inbound message, makes sure it gets
//! exactly one decision (idempotent on `(channel, message_id)`, retried on a concurrent
//! update of the same conversation), and stores the message, the replies, the new state and
//! any delivery for the helpdesk in one transaction before answering.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::content::Content;
use crate::engine::{
    self, Action, ConversationState, Customer, Decision, HandoffDecision, Inbound, Owner, Reply,
};
use crate::store::{
    CommitOutcome, Direction, MessageRecord, NewDelivery, NewMessage, Store, StoreError, TurnWrite,
};

/// How many times a message is decided again after losing a race for its conversation.
const MAX_ATTEMPTS: usize = 20;
/// Messages of the transcript sent with a hand-off.
const TRANSCRIPT_MESSAGES: usize = 30;

/// A message from a channel adapter, already validated by the API.
#[derive(Debug, Clone)]
pub struct MessageRequest {
    pub channel: String,
    pub conversation_id: String,
    pub message_id: String,
    pub customer: Customer,
    pub text: String,
    pub sent_at: Option<Timestamp>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(
        "message `{0}` was already received on this channel with another text, customer or conversation: message ids are unique per channel"
    )]
    DifferentContent(String),
    #[error("the conversation is too busy; try again")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The response body of `POST /v1/messages`, exactly as stored for retries.
#[derive(Serialize)]
struct MessageResponse<'a> {
    conversation_id: &'a str,
    message_id: &'a str,
    #[serde(flatten)]
    decision: &'a Decision,
}

/// What happened, for metrics and logs (never the customer's text).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub body: Bytes,
    /// `None` when the response is a stored one (a retry).
    pub decision: Option<Decision>,
}

pub struct Service {
    content: RwLock<Arc<Content>>,
    pub store: Store,
}

impl Service {
    pub fn new(content: Content, store: Store) -> Service {
        Service {
            content: RwLock::new(Arc::new(content)),
            store,
        }
    }

    /// The content in use now. Reloads swap it; a decision keeps the version it started with.
    pub fn content(&self) -> Arc<Content> {
        self.content
            .read()
            .map(|c| c.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Replaces the content atomically; requests already deciding keep the old one.
    pub fn swap_content(&self, content: Content) {
        let content = Arc::new(content);
        match self.content.write() {
            Ok(mut slot) => *slot = content,
            Err(poisoned) => *poisoned.into_inner() = content,
        }
    }

    /// Decides and durably records one inbound message; a retry gets the stored response.
    pub async fn handle_message(
        &self,
        request: &MessageRequest,
        now: Timestamp,
    ) -> Result<Outcome, ServiceError> {
        let request_hash = request_hash(request);
        for _ in 0..MAX_ATTEMPTS {
            let (stored, record) = self
                .store
                .lookup_turn(
                    &request.channel,
                    &request.message_id,
                    &request.conversation_id,
                )
                .await?;
            if let Some(stored) = stored {
                return if stored.request_hash == request_hash {
                    Ok(Outcome {
                        body: stored.body,
                        decision: None,
                    })
                } else {
                    Err(ServiceError::DifferentContent(request.message_id.clone()))
                };
            }
            let (state, version) = match &record {
                Some(record) => (record.state.clone(), Some(record.version)),
                None => (ConversationState::default(), None),
            };
            // Adapters often send the profile once: what a message leaves out is kept.
            let completed;
            let request = match &record {
                Some(record) => {
                    completed = MessageRequest {
                        customer: with_stored_profile(&request.customer, &record.customer),
                        ..request.clone()
                    };
                    &completed
                }
                None => request,
            };
            let content = self.content();
            let inbound = Inbound {
                channel: request.channel.clone(),
                text: request.text.clone(),
                customer: request.customer.clone(),
            };
            let decision = engine::decide(&content, &state, &inbound, now);
            let body = Bytes::from(
                serde_json::to_vec(&MessageResponse {
                    conversation_id: &request.conversation_id,
                    message_id: &request.message_id,
                    decision: &decision,
                })
                .expect("a decision always serializes"),
            );
            let mut messages = vec![NewMessage {
                direction: Direction::Customer,
                message_id: Some(request.message_id.clone()),
                text: request.text.clone(),
                meta: json!({"sent_at": request.sent_at.map(|t| t.to_string()), "locale": decision.locale}),
            }];
            messages.extend(
                decision
                    .replies
                    .iter()
                    .map(|reply| bot_message(reply, &decision)),
            );
            let deliveries = self
                .deliveries(request, record.is_some(), &state, &decision, &messages, now)
                .await?;
            let turn = TurnWrite {
                channel: request.channel.clone(),
                conversation_id: request.conversation_id.clone(),
                message_id: request.message_id.clone(),
                request_hash: request_hash.clone(),
                response: body.clone(),
                expected_version: version,
                state: decision.state.clone(),
                customer: customer_json(&request.customer),
                messages,
                deliveries,
                now,
            };
            match self.store.commit_turn(turn).await? {
                CommitOutcome::Committed => {
                    return Ok(Outcome {
                        body,
                        decision: Some(decision),
                    })
                }
                // Another request stored this message or changed the conversation first: look again.
                CommitOutcome::Duplicate | CommitOutcome::Conflict => continue,
            }
        }
        Err(ServiceError::Busy)
    }

    /// The hand-off, or the follow-up message for a conversation a person owns.
    async fn deliveries(
        &self,
        request: &MessageRequest,
        stored_before: bool,
        before: &ConversationState,
        decision: &Decision,
        this_turn: &[NewMessage],
        now: Timestamp,
    ) -> Result<Vec<NewDelivery>, StoreError> {
        let conversation = json!({"channel": request.channel, "id": request.conversation_id});
        if let Some(handoff) = &decision.handoff {
            // A conversation without a record has no stored messages: a message is only ever
            // written together with its conversation's record (a first message that is
            // handed off, such as "I want to talk to a person", needs no read).
            let mut transcript = if stored_before {
                self.store
                    .history(
                        &request.channel,
                        &request.conversation_id,
                        // One more than is sent: whether the transcript is cut.
                        TRANSCRIPT_MESSAGES + 1,
                    )
                    .await?
            } else {
                Vec::new()
            };
            let base = transcript.last().map_or(0, |m| m.seq);
            transcript.extend(this_turn.iter().enumerate().map(|(i, m)| MessageRecord {
                seq: base + 1 + i as i64,
                direction: m.direction,
                message_id: m.message_id.clone(),
                text: m.text.clone(),
                meta: m.meta.clone(),
                at: now,
            }));
            let skip = transcript.len().saturating_sub(TRANSCRIPT_MESSAGES);
            let id = delivery_id(&request.channel, &request.message_id, "handoff");
            let content = self.content();
            let queue = content.settings.queues.get(&handoff.queue);
            let chain = crate::locale::Locale::parse(&decision.locale)
                .map(|locale| locale.fallback_chain(&content.settings.default_locale))
                .unwrap_or_else(|| vec![content.settings.default_locale.clone()]);
            let payload = HandoffPayload {
                kind: "handoff",
                id: &id,
                created_at: now,
                conversation: &conversation,
                customer: customer_json(&request.customer),
                locale: &decision.locale,
                message: json!({"id": request.message_id, "text": request.text, "sent_at": request.sent_at.map(|t| t.to_string())}),
                flow: decision.flow.as_deref(),
                queue_name: queue.map(|queue| queue.name.get(&chain)),
                reply_minutes: queue.map(|queue| queue.reply_minutes),
                transcript_truncated: skip > 0,
                handoff,
                transcript: transcript[skip..]
                    .iter()
                    .map(|m| json!({"direction": m.direction, "text": m.text, "at": m.at.to_string()}))
                    .collect(),
                slots: &decision.slots,
                content_version: &decision.content_version,
            };
            let payload = serde_json::to_string(&payload).expect("a hand-off payload serializes");
            return Ok(vec![NewDelivery {
                id,
                kind: "handoff".into(),
                payload,
            }]);
        }
        if decision.action == Action::None
            && matches!(before.owner, Owner::Human { .. })
            && matches!(decision.state.owner, Owner::Human { .. })
        {
            let id = delivery_id(&request.channel, &request.message_id, "message");
            let payload = json!({
                "type": "message",
                "id": id,
                "created_at": now.to_string(),
                "conversation": conversation,
                "customer": customer_json(&request.customer),
                "locale": decision.locale,
                "message": {"id": request.message_id, "text": request.text, "sent_at": request.sent_at.map(|t| t.to_string())},
                "slots": decision.slots,
            });
            return Ok(vec![NewDelivery {
                id,
                kind: "message".into(),
                payload: payload.to_string(),
            }]);
        }
        Ok(Vec::new())
    }
}

#[derive(Serialize)]
struct HandoffPayload<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    created_at: Timestamp,
    conversation: &'a serde_json::Value,
    customer: serde_json::Value,
    locale: &'a str,
    /// The customer's message that was handed off.
    message: serde_json::Value,
    /// The flow that handed off, if one did.
    flow: Option<&'a str>,
    /// The queue's name in the conversation's language, and how soon it usually replies.
    queue_name: Option<&'a str>,
    reply_minutes: Option<u32>,
    /// The conversation has older messages than the transcript holds (see
    /// `GET /v1/conversations/{channel}/{id}` for all of them).
    transcript_truncated: bool,
    #[serde(flatten)]
    handoff: &'a HandoffDecision,
    transcript: Vec<serde_json::Value>,
    slots: &'a BTreeMap<String, String>,
    content_version: &'a str,
}

fn bot_message(reply: &Reply, decision: &Decision) -> NewMessage {
    NewMessage {
        direction: Direction::Bot,
        message_id: None,
        // The history is plain text on every channel, as the customer's messages are.
        text: reply.plain_text().to_string(),
        meta: json!({"kind": reply.kind, "action": decision.action, "content_version": decision.content_version}),
    }
}

/// The customer of a message, the fields it leaves out (or sends empty) taken from the
/// conversation's stored profile of the same customer: an adapter that sends the name, the
/// locale or the time zone only with the first message keeps them for the agent and for
/// the replies. Another customer id is another person: nothing is taken.
fn with_stored_profile(customer: &Customer, stored: &serde_json::Value) -> Customer {
    if stored["id"].as_str() != Some(customer.id.as_str()) {
        return customer.clone();
    }
    let keep = |given: &Option<String>, field: &str| {
        given
            .clone()
            .filter(|value| !value.trim().is_empty())
            .or_else(|| stored[field].as_str().map(str::to_string))
    };
    Customer {
        id: customer.id.clone(),
        name: keep(&customer.name, "name"),
        locale: keep(&customer.locale, "locale"),
        timezone: keep(&customer.timezone, "timezone"),
    }
}

fn customer_json(customer: &Customer) -> serde_json::Value {
    json!({"id": customer.id, "name": customer.name, "locale": customer.locale, "timezone": customer.timezone})
}

/// What makes two deliveries of one message "the same": its conversation, customer and text.
fn request_hash(request: &MessageRequest) -> String {
    let mut hash = Sha256::new();
    for part in [
        &request.conversation_id,
        &request.customer.id,
        &request.text,
    ] {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part.as_bytes());
    }
    hex(&hash.finalize()[..16])
}

/// A delivery id that is the same however often the turn is decided: derived from the message.
fn delivery_id(channel: &str, message_id: &str, kind: &str) -> String {
    let mut hash = Sha256::new();
    for part in [channel, message_id, kind] {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part.as_bytes());
    }
    format!("msg_{}", hex(&hash.finalize()[..12]))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
