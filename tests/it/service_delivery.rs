//! Tests: hand-off delivery. The real application (on port 0, its own SQLite file, a pinned
//! test clock) delivers to a real webhook receiver that fails, stalls, redirects or is down;
//! the last test crashes the real binary with SIGKILL and starts it again on the same store.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, StatusCode};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use firstline::handoff::sign::Secret;
use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::server::{
    message, Mode, Options, Received, Receiver, TestApp, ADMIN_KEY, SECRET, WEB_KEY, WHATSAPP_KEY,
};
use crate::support::ContentCopy;

/// A message that always hands off (reason `customer_request`).
const HANDOFF_TEXT: &str = "I want to talk to a person";
/// The longest any test waits for something to happen.
const WAIT: Duration = Duration::from_secs(20);

fn delivering_to(url: &str) -> Options {
    Options::default().delivering_to(url)
}

/// Posts the hand-off message; returns the decision.
pub(crate) async fn hand_off(app: &TestApp, conversation: &str, message_id: &str) -> Value {
    let (status, body) = app.say(conversation, message_id, HANDOFF_TEXT).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["action"], "handed_off", "{body}");
    assert_eq!(body["handoff"]["reason"], "customer_request", "{body}");
    body
}

/// Posts a message to a conversation a person owns: the bot stays quiet.
async fn follow_up(app: &TestApp, conversation: &str, message_id: &str, text: &str) {
    let (status, body) = app.say(conversation, message_id, text).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["action"], "none", "{body}");
}

/// `GET /v1/handoffs?status=…` with the admin key.
async fn listed(app: &TestApp, status: &str) -> Vec<Value> {
    let (code, body) = app
        .get(
            &format!("/v1/handoffs?status={status}&limit=1000"),
            Some(ADMIN_KEY),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["status"], status, "{body}");
    body["handoffs"].as_array().cloned().expect("a list")
}

/// Waits until the listing of `status` holds an item that `matches`, and returns it.
async fn wait_listed(app: &TestApp, status: &str, matches: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let items = listed(app, status).await;
        if let Some(item) = items.iter().find(|item| matches(item)) {
            return item.clone();
        }
        assert!(
            Instant::now() < deadline,
            "nothing matching in /v1/handoffs?status={status}: {items:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the delivery is listed with `status`.
async fn wait_status(app: &TestApp, status: &str, id: &str) -> Value {
    wait_listed(app, status, |item| item["id"] == id).await
}

/// The ids of the pending deliveries of a conversation, oldest first.
async fn pending_ids(app: &TestApp, conversation: &str) -> Vec<String> {
    listed(app, "pending")
        .await
        .iter()
        .filter(|item| item["conversation_id"] == conversation)
        .map(|item| item["id"].as_str().unwrap().to_string())
        .collect()
}

/// Waits until every pending delivery of these conversations was attempted at least once.
async fn wait_attempted(app: &TestApp, conversations: &[&str]) -> Vec<Value> {
    let deadline = Instant::now() + WAIT;
    loop {
        let items: Vec<Value> = listed(app, "pending")
            .await
            .into_iter()
            .filter(|item| conversations.iter().any(|c| item["conversation_id"] == *c))
            .collect();
        if items.len() >= conversations.len()
            && items
                .iter()
                .all(|item| item["attempts"].as_i64() >= Some(1))
        {
            return items;
        }
        assert!(
            Instant::now() < deadline,
            "not every delivery was attempted: {items:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The Standard Webhooks signature computed from the specification, not with the crate's
/// own signing code: base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")).
fn spec_signature(id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = STANDARD
        .decode(SECRET.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

fn assert_signed(hook: &Received) {
    let secret = Secret::parse(SECRET).unwrap();
    assert!(
        secret.verify(&hook.id, hook.timestamp, &hook.raw, &hook.signature),
        "the signature does not verify: {hook:?}"
    );
    assert_eq!(
        hook.signature,
        spec_signature(&hook.id, hook.timestamp, &hook.raw)
    );
}

fn ids(received: &[Received]) -> Vec<String> {
    received.iter().map(|r| r.id.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handoff_arrives_signed_with_the_whole_payload() {
    let receiver = Receiver::start().await;
    let app = TestApp::spawn(delivering_to(&receiver.url)).await;

    let (status, first) = app.say("conv-signed", "m-1", "hello").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_ne!(first["action"], "handed_off", "{first}");
    let second = hand_off(&app, "conv-signed", "m-2").await;

    let delivered = receiver.wait_for(1, WAIT).await;
    let hook = &delivered[0];

    // Standard Webhooks headers.
    assert!(!hook.id.is_empty());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (now - hook.timestamp).abs() <= 60,
        "webhook-timestamp {} is not the real time {now}",
        hook.timestamp
    );
    let (version, encoded) = hook.signature.split_once(',').expect("v1,<base64>");
    assert_eq!(version, "v1");
    assert_eq!(STANDARD.decode(encoded).expect("base64").len(), 32);
    assert_signed(hook);

    // Another secret, another timestamp, another id or another body do not verify.
    let wrong = Secret::parse(&format!("whsec_{}", STANDARD.encode([7u8; 32]))).unwrap();
    assert!(!wrong.verify(&hook.id, hook.timestamp, &hook.raw, &hook.signature));
    let secret = Secret::parse(SECRET).unwrap();
    assert!(!secret.verify(&hook.id, hook.timestamp + 1, &hook.raw, &hook.signature));
    assert!(!secret.verify("msg_other", hook.timestamp, &hook.raw, &hook.signature));
    let mut tampered = hook.raw.clone();
    tampered.push(b' ');
    assert!(!secret.verify(&hook.id, hook.timestamp, &tampered, &hook.signature));

    // The payload.
    let body = &hook.body;
    assert_eq!(body["type"], "handoff", "{body:#}");
    assert_eq!(body["id"], hook.id.as_str());
    assert_eq!(
        body["conversation"],
        json!({"channel": "web", "id": "conv-signed"})
    );
    assert_eq!(body["customer"]["id"], "customer-conv-signed");
    assert_eq!(body["customer"]["name"], "Ana");
    assert_eq!(body["locale"], "en");
    assert_eq!(body["reason"], "customer_request");
    for field in [
        "queue",
        "reason",
        "priority",
        "open_now",
        "next_open_at",
        "after_hours",
        "candidates",
    ] {
        assert!(body.get(field).is_some(), "no `{field}` in {body:#}");
        assert_eq!(body[field], second["handoff"][field], "`{field}`");
    }
    assert!(body["queue"].as_str().is_some_and(|q| !q.is_empty()));
    assert_eq!(body["open_now"], true, "Monday 10:00: the queues are open");
    assert_eq!(body["after_hours"], false);
    assert!(body["candidates"].is_array());
    assert!(body["slots"].is_object(), "{body:#}");
    assert_eq!(body["content_version"], second["content_version"]);
    assert_eq!(body["message"]["text"], HANDOFF_TEXT, "{body:#}");
    assert_eq!(body["transcript_truncated"], false, "{body:#}");
    assert!(
        body["queue_name"]
            .as_str()
            .is_some_and(|name| !name.is_empty()),
        "{body:#}"
    );
    // Every field the OpenAPI document's webhook promises is there.
    let (_, document) = app.get("/openapi.json", None).await;
    let promised = document["components"]["schemas"]["HandoffEvent"]["required"]
        .as_array()
        .expect("the hand-off event is described");
    for field in promised {
        let field = field.as_str().unwrap();
        assert!(body.get(field).is_some(), "no `{field}` in {body:#}");
    }

    // The transcript: both customer messages and every bot reply, oldest first.
    let mut expected = vec![("customer".to_string(), "hello".to_string())];
    let replies = |decision: &Value| -> Vec<(String, String)> {
        decision["replies"]
            .as_array()
            .unwrap()
            .iter()
            // The web channel's replies are HTML; the transcript is plain text.
            .map(|r| {
                let shown = r["text"].as_str().unwrap();
                let plain = shown
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"")
                    .replace("&#x27;", "'")
                    .replace("&amp;", "&");
                ("bot".to_string(), plain)
            })
            .collect()
    };
    expected.extend(replies(&first));
    expected.push(("customer".to_string(), HANDOFF_TEXT.to_string()));
    expected.extend(replies(&second));
    let transcript = body["transcript"].as_array().expect("a transcript");
    let got: Vec<(String, String)> = transcript
        .iter()
        .map(|m| {
            (
                m["direction"].as_str().unwrap().to_string(),
                m["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert!(!replies(&second).is_empty(), "the hand-off says something");
    let times: Vec<Timestamp> = transcript
        .iter()
        .map(|m| m["at"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    // The times the helpdesk gets are the stored ones, also for the message just handed off.
    let (status, conversation) = app
        .get("/v1/conversations/web/conv-signed", Some(WEB_KEY))
        .await;
    assert_eq!(status, StatusCode::OK, "{conversation}");
    let stored: Vec<&Value> = conversation["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["at"])
        .collect();
    let sent: Vec<&Value> = transcript.iter().map(|m| &m["at"]).collect();
    assert_eq!(sent, stored);

    // One delivery only: the first message handed nothing off.
    let done = wait_status(&app, "delivered", &hook.id).await;
    assert_eq!(done["attempts"], 1);
    assert_eq!(listed(&app, "delivered").await.len(), 1);
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_names_the_customers_language_while_a_person_owns_the_conversation() {
    let receiver = Receiver::start().await;
    let app = TestApp::spawn(delivering_to(&receiver.url)).await;
    // No locale from the adapter: the engine tells it from the text.
    let say = |id: &str, text: &str| {
        let mut body = message("conv-es", id, text);
        body["customer"] = json!({"id": "customer-es"});
        body
    };
    let (status, body) = app
        .post(
            "/v1/messages",
            Some(WEB_KEY),
            &say("m-1", "Quiero hablar con una persona, por favor"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["action"], "handed_off", "{body}");
    assert_eq!(body["locale"], "es", "{body}");
    // Too short to detect on its own: the conversation's language, not the default (was "en").
    let (status, body) = app
        .post("/v1/messages", Some(WEB_KEY), &say("m-2", "¿hola?"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["action"], "none", "{body}");
    assert_eq!(body["locale"], "es", "{body}");
    let delivered = receiver.wait_for(2, WAIT).await;
    assert_eq!(delivered[0].body["locale"], "es");
    assert_eq!(delivered[1].body["type"], "message");
    assert_eq!(delivered[1].body["locale"], "es", "{:#}", delivered[1].body);
    assert_eq!(delivered[1].body["message"]["text"], "¿hola?");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_receiver_gets_the_same_id_with_growing_pauses_until_delivered() {
    let receiver = Receiver::start().await;
    receiver.set_mode(Mode::Fail {
        status: 503,
        retry_after: None,
        remaining: 3,
    });
    let first_backoff = SignedDuration::from_millis(250);
    let app = TestApp::spawn(Options {
        first_backoff,
        ..delivering_to(&receiver.url)
    })
    .await;
    hand_off(&app, "conv-retry", "m-1").await;

    receiver.wait_for(1, WAIT).await;
    let received = receiver.received();
    let answered: Vec<u16> = received.iter().map(|r| r.answered).collect();
    assert_eq!(answered, [503, 503, 503, 200]);
    let id = received[0].id.clone();
    assert!(received.iter().all(|r| r.id == id), "{:?}", ids(&received));
    assert!(received.iter().all(|r| r.body == received[0].body));
    for hook in &received {
        assert_signed(hook);
    }

    // Exponential backoff with ±25% jitter: each pause at least 0.75 × 250 ms × 2^n, and
    // each longer than the one before.
    let pauses: Vec<Duration> = received.windows(2).map(|w| w[1].at - w[0].at).collect();
    for (n, pause) in pauses.iter().enumerate() {
        let least = first_backoff.as_millis() as f64 * 0.75 * (1u32 << n) as f64 - 5.0;
        assert!(
            pause.as_millis() as f64 >= least,
            "pause {n} was {pause:?}, less than {least} ms: {pauses:?}"
        );
    }
    assert!(
        pauses.windows(2).all(|w| w[0] < w[1]),
        "pauses do not grow: {pauses:?}"
    );

    let item = wait_status(&app, "delivered", &id).await;
    assert_eq!(item["attempts"], 4, "{item:#}");
    assert_eq!(item["kind"], "handoff");
    assert_eq!(item["conversation_id"], "conv-retry");
    assert!(item["last_error"].is_null(), "{item:#}");
    assert!(item["delivered_at"].is_string(), "{item:#}");
    assert_eq!(item["payload"]["type"], "handoff");
    assert!(listed(&app, "pending").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured() {
    let receiver = Receiver::start().await;
    receiver.set_mode(Mode::Fail {
        status: 429,
        retry_after: Some(2),
        remaining: 1,
    });
    let app = TestApp::spawn(delivering_to(&receiver.url)).await;
    hand_off(&app, "conv-retry-after", "m-1").await;

    receiver.wait_for(1, WAIT).await;
    let received = receiver.received();
    assert_eq!(
        received.iter().map(|r| r.answered).collect::<Vec<_>>(),
        [429, 200]
    );
    assert_eq!(received[0].id, received[1].id);
    let pause = received[1].at - received[0].at;
    assert!(
        pause >= Duration::from_millis(1900),
        "the retry came {pause:?} after a `Retry-After: 2` (the backoff alone is 100 ms)"
    );
    let item = wait_status(&app, "delivered", &received[0].id).await;
    assert_eq!(item["attempts"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_slower_than_the_timeout_is_retried() {
    let receiver = Receiver::start().await;
    receiver.set_mode(Mode::Stall(Duration::from_millis(1500)));
    let app = TestApp::spawn(Options {
        timeout: Duration::from_millis(500),
        ..delivering_to(&receiver.url)
    })
    .await;
    hand_off(&app, "conv-stall", "m-1").await;

    // The first attempt gives up after 500 ms and is recorded as a timeout.
    let attempted = wait_attempted(&app, &["conv-stall"]).await;
    let id = attempted[0]["id"].as_str().unwrap().to_string();
    assert_eq!(attempted[0]["last_error"], "timed out", "{attempted:#?}");
    receiver.set_mode(Mode::Accept);

    let delivered = receiver.wait_for(1, WAIT).await;
    assert!(
        delivered.iter().all(|r| r.id == id),
        "{:?}",
        ids(&delivered)
    );
    let item = wait_status(&app, "delivered", &id).await;
    assert!(item["attempts"].as_i64().unwrap() >= 2, "{item:#}");
    assert!(listed(&app, "failed").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_the_helpdesk_sits_on_holds_back_no_other_conversation() {
    let receiver = Receiver::start().await;
    receiver.set_mode(Mode::StallNext(Duration::from_millis(2500)));
    let app = TestApp::spawn(Options {
        timeout: Duration::from_secs(5),
        ..delivering_to(&receiver.url)
    })
    .await;
    hand_off(&app, "conv-held", "m-1").await;
    // The first hand-off's request is under way (the receiver sits on it) ...
    while matches!(*receiver.mode.lock().unwrap(), Mode::StallNext(_)) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    hand_off(&app, "conv-next", "m-2").await;
    // ... and the next conversation's hand-off is delivered before it is answered.
    let received = receiver.wait_for(2, WAIT).await;
    let order: Vec<&str> = received
        .iter()
        .map(|r| r.body["conversation"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["conv-next", "conv-held"], "{order:?}");
    assert!(received.iter().all(|r| r.answered == 200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handoffs_made_while_the_receiver_is_down_arrive_when_it_comes_back() {
    let address = Receiver::unused_address().await;
    let app = TestApp::spawn(delivering_to(&format!("http://{address}/hooks"))).await;
    let conversations = ["conv-down-1", "conv-down-2", "conv-down-3"];
    for (n, conversation) in conversations.iter().enumerate() {
        hand_off(&app, conversation, &format!("m-{n}")).await;
    }
    // Every one was tried and could not connect.
    let attempted = wait_attempted(&app, &conversations).await;
    for item in &attempted {
        let error = item["last_error"].as_str().unwrap_or_default();
        assert!(error.contains("connect"), "{item:#}");
        assert!(
            !error.contains(&address.to_string()),
            "the URL leaks: {error}"
        );
    }
    let expected: BTreeSet<String> = attempted
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(expected.len(), 3);

    let receiver = Receiver::start_at(address).await;
    receiver.wait_for(3, WAIT).await;
    for id in &expected {
        wait_status(&app, "delivered", id).await;
    }
    let delivered = receiver.delivered();
    assert_eq!(
        delivered.len(),
        3,
        "one accepted delivery each: {:?}",
        ids(&delivered)
    );
    assert_eq!(
        ids(&delivered).into_iter().collect::<BTreeSet<_>>(),
        expected
    );
    for hook in &delivered {
        assert_signed(hook);
    }
    assert!(listed(&app, "pending").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_counts_as_a_failure() {
    let receiver = Receiver::start().await;
    receiver.set_mode(Mode::Fail {
        status: 307,
        retry_after: None,
        remaining: 1,
    });
    let app = TestApp::spawn(delivering_to(&receiver.url)).await;
    hand_off(&app, "conv-307", "m-1").await;

    receiver.wait_for(1, WAIT).await;
    let received = receiver.received();
    assert_eq!(
        received.iter().map(|r| r.answered).collect::<Vec<_>>(),
        [307, 200]
    );
    assert_eq!(received[0].id, received[1].id);
    let item = wait_status(&app, "delivered", &received[0].id).await;
    assert_eq!(item["attempts"], 2, "the 307 was an attempt of its own");
}

/// A receiver route that answers its first request with a 307 to `location`, then 200.
async fn start_redirector(location: String) -> (String, Arc<Mutex<Vec<(String, u16)>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let log: Arc<Mutex<Vec<(String, u16)>>> = Arc::default();
    let state = log.clone();
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: HeaderMap, _body: axum::body::Bytes| {
            let (log, location) = (state.clone(), location.clone());
            async move {
                let id = headers
                    .get("webhook-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let status = {
                    let mut log = log.lock().unwrap();
                    let status = if log.is_empty() { 307 } else { 200 };
                    log.push((id, status));
                    status
                };
                let mut response = axum::response::Response::new(axum::body::Body::empty());
                *response.status_mut() = StatusCode::from_u16(status).unwrap();
                if status == 307 {
                    response
                        .headers_mut()
                        .insert("location", location.parse().unwrap());
                }
                response
            }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, log)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_with_a_location_is_not_followed() {
    let elsewhere = Receiver::start().await;
    let (url, log) = start_redirector(elsewhere.url.clone()).await;
    let app = TestApp::spawn(delivering_to(&url)).await;
    hand_off(&app, "conv-redirect", "m-1").await;

    let id = wait_listed(&app, "delivered", |item| {
        item["conversation_id"] == "conv-redirect"
    })
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let seen = log.lock().unwrap().clone();
    assert_eq!(seen, [(id.clone(), 307), (id, 200)]);
    assert!(
        elsewhere.received().is_empty(),
        "the redirect was followed: {:?}",
        ids(&elsewhere.received())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handoff_past_its_retry_window_fails_and_an_operator_can_retry_it() {
    a_handoff_past_its_retry_window_fails_and_an_operator_can_retry_it_on(Options::default()).await;
}

pub(crate) async fn a_handoff_past_its_retry_window_fails_and_an_operator_can_retry_it_on(
    base: Options,
) {
    let receiver = Receiver::start().await;
    receiver.set_mode(Mode::Fail {
        status: 503,
        retry_after: None,
        remaining: 1_000_000,
    });
    let app = TestApp::spawn(Options {
        retry_window: SignedDuration::from_secs(1),
        ..base.delivering_to(&receiver.url)
    })
    .await;
    hand_off(&app, "conv-failed", "m-1").await;

    let failed = wait_listed(&app, "failed", |item| {
        item["conversation_id"] == "conv-failed"
    })
    .await;
    let id = failed["id"].as_str().unwrap().to_string();
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["kind"], "handoff");
    assert!(
        failed["last_error"]
            .as_str()
            .is_some_and(|error| error.contains("503")),
        "{failed:#}"
    );
    let attempts = failed["attempts"].as_i64().unwrap();
    assert!(attempts >= 1);
    assert_eq!(failed["payload"]["type"], "handoff");
    assert_eq!(failed["payload"]["id"], id.as_str());
    assert!(pending_ids(&app, "conv-failed").await.is_empty());
    assert!(receiver.delivered().is_empty());

    // Only the admin key reaches these routes.
    let retry = format!("/v1/handoffs/{id}/retry");
    for key in [WEB_KEY, WHATSAPP_KEY] {
        let (status, body) = app.get("/v1/handoffs?status=failed", Some(key)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["error"]["code"], "forbidden");
        let (status, body) = app.get("/v1/handoffs", Some(key)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let (status, body) = app.post(&retry, Some(key), &json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    let (status, _) = app.post(&retry, None, &json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.get("/v1/handoffs", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Refused retries changed nothing.
    assert_eq!(wait_status(&app, "failed", &id).await["attempts"], attempts);

    receiver.set_mode(Mode::Accept);
    let (status, body) = app.post(&retry, Some(ADMIN_KEY), &json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["status"], "pending");

    let delivered = receiver.wait_for(1, WAIT).await;
    assert_eq!(ids(&delivered), std::slice::from_ref(&id));
    let item = wait_status(&app, "delivered", &id).await;
    assert_eq!(item["attempts"].as_i64(), Some(attempts + 1));
    assert!(listed(&app, "failed").await.is_empty());

    let (status, body) = app.post(&retry, Some(ADMIN_KEY), &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
    let (status, body) = app
        .post(
            "/v1/handoffs/msg_000000000000000000000000/retry",
            Some(ADMIN_KEY),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    assert_eq!(
        receiver.delivered().len(),
        1,
        "a refused retry sends nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_handoff_url_deliveries_stay_pending_and_nothing_is_dropped() {
    without_a_handoff_url_deliveries_stay_pending_and_nothing_is_dropped_on(Options::default())
        .await;
}

pub(crate) async fn without_a_handoff_url_deliveries_stay_pending_and_nothing_is_dropped_on(
    base: Options,
) {
    let app = TestApp::spawn(base.clone()).await;
    hand_off(&app, "conv-nourl-1", "m-1").await;
    follow_up(&app, "conv-nourl-1", "m-2", "my order number is 1234").await;
    hand_off(&app, "conv-nourl-2", "m-3").await;

    // The default listing is the pending one.
    let (status, body) = app.get("/v1/handoffs", Some(ADMIN_KEY)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "pending");
    let items = body["handoffs"].as_array().unwrap().clone();
    let summary: Vec<(String, String)> = items
        .iter()
        .map(|item| {
            (
                item["conversation_id"].as_str().unwrap().to_string(),
                item["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("conv-nourl-1", "handoff"),
        ("conv-nourl-1", "message"),
        ("conv-nourl-2", "handoff"),
    ]
    .map(|(c, k)| (c.to_string(), k.to_string()));
    assert_eq!(summary, expected);
    for item in &items {
        assert_eq!(item["status"], "pending");
        assert_eq!(item["attempts"], 0, "{item:#}");
        assert!(item["last_error"].is_null());
        assert_eq!(item["payload"]["id"], item["id"]);
    }
    assert_eq!(items[1]["payload"]["type"], "message");
    assert_eq!(
        items[1]["payload"]["message"]["text"],
        "my order number is 1234"
    );
    // Pages: a full page names where the next starts, and the pages together are the list.
    let (status, first) = app
        .get("/v1/handoffs?status=pending&limit=2", Some(ADMIN_KEY))
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["handoffs"].as_array().unwrap().len(), 2);
    let after = first["next_after"]
        .as_i64()
        .expect("a full page has a next");
    let (_, second) = app
        .get(
            &format!("/v1/handoffs?status=pending&limit=2&after={after}"),
            Some(ADMIN_KEY),
        )
        .await;
    let rest = second["handoffs"].as_array().unwrap();
    assert_eq!(rest.len(), 1, "{second}");
    assert_eq!(rest[0]["id"], items[2]["id"]);
    assert!(second["next_after"].is_null(), "{second}");
    // An unknown parameter is a mistake said, not a filter silently ignored.
    let (status, body) = app
        .get(
            "/v1/handoffs?status=pending&since=yesterday",
            Some(ADMIN_KEY),
        )
        .await;
    assert_eq!(status.as_u16(), 422, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("since"),
        "{body}"
    );

    // Longer than the worker's idle poll: still pending, never attempted, never failed.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let later = listed(&app, "pending").await;
    assert_eq!(later.len(), 3);
    assert!(later.iter().all(|item| item["attempts"] == 0));
    assert!(listed(&app, "failed").await.is_empty());
    assert!(listed(&app, "delivered").await.is_empty());

    // Given a URL after a restart, all of them arrive, in order per conversation.
    let receiver = Receiver::start().await;
    let (content, store) = app.stop().await;
    let app = TestApp::spawn_with(base.delivering_to(&receiver.url), content, store).await;
    let delivered = receiver.wait_for(3, WAIT).await;
    let wanted: BTreeSet<String> = items
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids(&delivered).into_iter().collect::<BTreeSet<_>>(), wanted);
    let first = ids(&delivered);
    let position = |id: &Value| first.iter().position(|d| id == d.as_str()).unwrap();
    assert!(position(&items[0]["id"]) < position(&items[1]["id"]));
    for item in &items {
        wait_status(&app, "delivered", item["id"].as_str().unwrap()).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversations_deliveries_arrive_in_the_order_they_were_made() {
    a_conversations_deliveries_arrive_in_the_order_they_were_made_on(Options::default()).await;
}

pub(crate) async fn a_conversations_deliveries_arrive_in_the_order_they_were_made_on(
    base: Options,
) {
    let receiver = Receiver::start().await;
    receiver.set_mode(Mode::Fail {
        status: 503,
        retry_after: None,
        remaining: 2,
    });
    let app = TestApp::spawn(base.delivering_to(&receiver.url)).await;
    hand_off(&app, "conv-order", "m-0").await;
    let texts = ["first follow-up", "second follow-up", "third follow-up"];
    for (n, text) in texts.iter().enumerate() {
        follow_up(&app, "conv-order", &format!("m-{}", n + 1), text).await;
    }

    let delivered = receiver.wait_for(4, WAIT).await;
    let order: Vec<String> = delivered
        .iter()
        .map(|hook| match hook.body["type"].as_str() {
            Some("handoff") => "handoff".to_string(),
            Some("message") => hook.body["message"]["text"].as_str().unwrap().to_string(),
            other => panic!("unexpected type {other:?}"),
        })
        .collect();
    assert_eq!(
        order,
        ["handoff", texts[0], texts[1], texts[2]].map(String::from)
    );
    assert_eq!(
        ids(&delivered).into_iter().collect::<BTreeSet<_>>().len(),
        4
    );
    for hook in &delivered {
        assert_signed(hook);
        assert_eq!(hook.body["conversation"]["id"], "conv-order");
        assert_eq!(hook.body["id"], hook.id.as_str());
    }

    // Nothing of the conversation went out before its hand-off was accepted.
    let received = receiver.received();
    let handoff = &delivered[0].id;
    let accepted = received
        .iter()
        .position(|r| &r.id == handoff && r.answered == 200)
        .unwrap();
    assert!(
        received[..accepted].iter().all(|r| &r.id == handoff),
        "{:?}",
        received
            .iter()
            .map(|r| (&r.id, r.answered))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        received[..accepted].len(),
        2,
        "the hand-off failed twice first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_conversations_failing_handoff_does_not_hold_up_another() {
    let receiver = Receiver::start().await;
    receiver.set_mode(Mode::Fail {
        status: 503,
        retry_after: Some(3),
        remaining: 1,
    });
    let app = TestApp::spawn(delivering_to(&receiver.url)).await;
    hand_off(&app, "conv-stuck", "m-1").await;
    let stuck = wait_attempted(&app, &["conv-stuck"]).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The first conversation waits ≥ 3 s for its retry; the second one goes out now.
    hand_off(&app, "conv-free", "m-2").await;
    let delivered = receiver.wait_for(1, WAIT).await;
    assert_eq!(delivered[0].body["conversation"]["id"], "conv-free");
    assert_eq!(
        pending_ids(&app, "conv-stuck").await,
        std::slice::from_ref(&stuck)
    );

    let delivered = receiver.wait_for(2, WAIT).await;
    assert_eq!(delivered[1].id, stuck);
    wait_status(&app, "delivered", &stuck).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_handoffs_survive_a_restart() {
    pending_handoffs_survive_a_restart_on(Options::default()).await;
}

pub(crate) async fn pending_handoffs_survive_a_restart_on(base: Options) {
    let address = Receiver::unused_address().await;
    let started = Instant::now();
    let app = TestApp::spawn(base.delivering_to(&format!("http://{address}/hooks"))).await;
    let conversations = ["conv-restart-1", "conv-restart-2", "conv-restart-3"];
    for (n, conversation) in conversations.iter().enumerate() {
        hand_off(&app, conversation, &format!("m-{n}")).await;
    }
    let attempted = wait_attempted(&app, &conversations).await;
    let expected: BTreeSet<String> = attempted
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(expected.len(), 3);

    let (content, store) = app.stop().await;
    let receiver = Receiver::start_at(address).await;
    let app = TestApp::spawn_with(base.delivering_to(&receiver.url), content, store).await;
    // The new process's clock goes on from where the old one was, as a real clock would.
    app.clock
        .advance(SignedDuration::try_from(started.elapsed()).unwrap());

    receiver.wait_for(3, WAIT).await;
    for id in &expected {
        wait_status(&app, "delivered", id).await;
    }
    let delivered = receiver.delivered();
    assert_eq!(delivered.len(), 3, "{:?}", ids(&delivered));
    assert_eq!(
        ids(&delivered).into_iter().collect::<BTreeSet<_>>(),
        expected
    );
}

/// A child process that is killed when the test ends, however it ends.
struct ChildGuard(std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `firstline serve` on `port`, its log in `log`.
fn serve(config: &Path, port: u16, store: &Path, handoff_url: &str, log: &Path) -> ChildGuard {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_firstline"))
        .arg("serve")
        .arg("--config")
        .arg(config)
        .env("FIRSTLINE_LISTEN", format!("127.0.0.1:{port}"))
        .env(
            "FIRSTLINE_STORE_URL",
            format!("sqlite://{}", store.display()),
        )
        .env("FIRSTLINE_HANDOFF_URL", handoff_url)
        .env("FIRSTLINE_HANDOFF_SECRET", SECRET)
        .env("FIRSTLINE_API_KEYS", format!("web:{WEB_KEY}"))
        .env("FIRSTLINE_ADMIN_KEY", ADMIN_KEY)
        .env("FIRSTLINE_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .expect("the binary starts");
    ChildGuard(child)
}

async fn wait_healthy(client: &reqwest::Client, base: &str, child: &mut ChildGuard, log: &Path) {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(response) = client.get(format!("{base}/healthz")).send().await {
            if response.status().is_success() {
                return;
            }
        }
        if let Some(status) = child.0.try_wait().unwrap() {
            panic!(
                "firstline exited with {status}:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "firstline did not become healthy:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handoffs_survive_a_crash_of_the_process() {
    use std::os::unix::process::ExitStatusExt;

    let content = ContentCopy::new();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("fl.db");
    let log = dir.path().join("firstline.log");
    let address = Receiver::unused_address().await;
    let handoff_url = format!("http://{address}/hooks");
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = serve(&content.config(), port, &store, &handoff_url, &log);
    wait_healthy(&client, &base, &mut child, &log).await;
    for n in 0..5 {
        let message =
            crate::server::message(&format!("conv-crash-{n}"), &format!("m-{n}"), HANDOFF_TEXT);
        let response = client
            .post(format!("{base}/v1/messages"))
            .bearer_auth(WEB_KEY)
            .header("content-type", "application/json")
            .body(message.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        assert_eq!(body["action"], "handed_off", "{body}");
    }

    // SIGKILL: no graceful shutdown, nothing flushed on the way out.
    child.0.kill().unwrap();
    let status = child.0.wait().unwrap();
    assert_eq!(status.signal(), Some(9), "{status}");
    drop(child);

    let receiver = Receiver::start_at(address).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = serve(&content.config(), port, &store, &handoff_url, &log);
    wait_healthy(&client, &base, &mut child, &log).await;

    let delivered = receiver.wait_for(5, WAIT).await;
    let distinct: BTreeSet<String> = ids(&delivered).into_iter().collect();
    assert_eq!(distinct.len(), 5, "{:?}", ids(&delivered));
    let conversations: BTreeSet<String> = delivered
        .iter()
        .map(|hook| {
            hook.body["conversation"]["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        conversations,
        (0..5).map(|n| format!("conv-crash-{n}")).collect()
    );
    for hook in &delivered {
        assert_signed(hook);
        assert_eq!(hook.body["type"], "handoff");
    }
    drop(child);
}

/// A hand-off that failed for good holds back the follow-ups of its conversation: the
/// helpdesk never gets a follow-up for a conversation it was not handed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_handoff_holds_back_its_conversations_follow_ups_until_retried() {
    let receiver = Receiver::start().await;
    receiver.set_mode(Mode::Fail {
        status: 503,
        retry_after: None,
        remaining: 1_000,
    });
    let app = TestApp::spawn(Options {
        retry_window: SignedDuration::from_millis(300),
        ..delivering_to(&receiver.url)
    })
    .await;
    hand_off(&app, "held", "m1").await;
    let failed = wait_listed(&app, "failed", |item| item["conversation_id"] == "held").await;
    follow_up(&app, "held", "m2", "are you there?").await;
    receiver.set_mode(Mode::Accept);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        receiver.delivered().is_empty(),
        "the follow-up waits for the failed hand-off"
    );
    assert_eq!(pending_ids(&app, "held").await.len(), 1);
    let (status, _) = app
        .post(
            &format!("/v1/handoffs/{}/retry", failed["id"].as_str().unwrap()),
            Some(ADMIN_KEY),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let delivered = receiver.wait_for(2, WAIT).await;
    assert_eq!(delivered[0].body["type"], "handoff");
    assert_eq!(delivered[1].body["type"], "message");
    app.stop().await;
}

#[test]
fn retry_after_is_read_in_seconds_and_as_an_http_date() {
    use firstline::handoff::retry_after_seconds;
    assert_eq!(retry_after_seconds(" 120 "), Some(120));
    let later = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(900);
    let date = later.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let seconds = retry_after_seconds(&date).expect("an HTTP date is read");
    assert!((890..=900).contains(&seconds), "{date}: {seconds}");
    assert!(retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT").unwrap() < 0);
    assert_eq!(retry_after_seconds("soon"), None);
}
