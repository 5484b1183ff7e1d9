//! The HTTP API against a real server on port 0 with its own SQLite file: exactly one decision
//! per message, durability across restarts, silence while a person owns the conversation,
//! sessions, content reload, graceful shutdown, the error shape, metrics and OpenAPI.

use std::time::Duration;

use axum::http::StatusCode;
use jiff::SignedDuration;
use serde_json::{json, Value};

use crate::server::{
    message, Mode, Options, Receiver, TestApp, ADMIN_KEY, SUNDAY_NIGHT, WEB_KEY, WHATSAPP_KEY,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_gets_the_decision_and_a_retry_gets_the_same_bytes() {
    a_message_gets_the_decision_and_a_retry_gets_the_same_bytes_on(Options::default()).await;
}

pub(crate) async fn a_message_gets_the_decision_and_a_retry_gets_the_same_bytes_on(base: Options) {
    let app = TestApp::spawn(base.clone()).await;
    let body = message("c1", "m1", "How much does shipping cost?");
    let send = || async {
        let response = app
            .client
            .post(format!("{}/v1/messages", app.base))
            .bearer_auth(WEB_KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.bytes().await.unwrap()
    };
    let first = send().await;
    let decision: Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(decision["conversation_id"], "c1");
    assert_eq!(decision["message_id"], "c1/m1");
    assert_eq!(decision["action"], "answered");
    assert_eq!(decision["article"]["id"], "shipping-costs");
    assert_eq!(decision["replies"][0]["kind"], "autoresponse");
    assert_eq!(decision["content_version"].as_str().unwrap().len(), 12);
    // Later retries, even after the clock moved, get the stored bytes.
    app.clock.advance(SignedDuration::from_hours(5));
    assert_eq!(send().await, first);
    let (status, conversation) = app.get("/v1/conversations/web/c1", Some(WEB_KEY)).await;
    assert_eq!(status, 200);
    let customer_messages = conversation["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "customer")
        .count();
    assert_eq!(customer_messages, 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_message_sent_concurrently_is_decided_once() {
    the_same_message_sent_concurrently_is_decided_once_on(Options::default()).await;
}

pub(crate) async fn the_same_message_sent_concurrently_is_decided_once_on(base: Options) {
    let app = TestApp::spawn(base.clone()).await;
    let body = message("c-race", "m-race", "I want to talk to a person");
    let mut requests = Vec::new();
    for _ in 0..24 {
        let (client, url, body) = (
            app.client.clone(),
            format!("{}/v1/messages", app.base),
            body.clone(),
        );
        requests.push(tokio::spawn(async move {
            let response = client
                .post(url)
                .bearer_auth(WEB_KEY)
                .json(&body)
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.bytes().await.unwrap())
        }));
    }
    let mut bodies = Vec::new();
    for request in requests {
        let (status, bytes) = request.await.unwrap();
        assert_eq!(status, 200);
        bodies.push(bytes);
    }
    assert!(
        bodies.windows(2).all(|pair| pair[0] == pair[1]),
        "every client gets the same bytes"
    );
    let (_, conversation) = app
        .get("/v1/conversations/web/c-race", Some(ADMIN_KEY))
        .await;
    let messages = conversation["messages"].as_array().unwrap();
    assert_eq!(
        messages
            .iter()
            .filter(|m| m["direction"] == "customer")
            .count(),
        1
    );
    let (_, pending) = app
        .get("/v1/handoffs?status=pending", Some(ADMIN_KEY))
        .await;
    assert_eq!(
        pending["handoffs"].as_array().unwrap().len(),
        1,
        "one hand-off, not one per client"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_messages_of_one_conversation_lose_no_update() {
    concurrent_messages_of_one_conversation_lose_no_update_on(Options::default()).await;
}

pub(crate) async fn concurrent_messages_of_one_conversation_lose_no_update_on(base: Options) {
    let app = TestApp::spawn(base.clone()).await;
    let mut requests = Vec::new();
    for index in 0..16 {
        let (client, url) = (app.client.clone(), format!("{}/v1/messages", app.base));
        let body = message(
            "c-busy",
            &format!("m{index}"),
            "How much does shipping cost?",
        );
        requests.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(WEB_KEY)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for request in requests {
        assert_eq!(request.await.unwrap(), 200);
    }
    let (_, conversation) = app.get("/v1/conversations/web/c-busy", Some(WEB_KEY)).await;
    let messages = conversation["messages"].as_array().unwrap();
    assert_eq!(
        messages
            .iter()
            .filter(|m| m["direction"] == "customer")
            .count(),
        16
    );
    // Every turn was decided on top of the previous one: one autoresponse in the session.
    let autoresponses = messages
        .iter()
        .filter(|m| m["meta"]["kind"] == "autoresponse")
        .count();
    assert_eq!(autoresponses, 1);
    assert_eq!(conversation["version"], 16);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_different_text_under_the_same_message_id_is_a_conflict() {
    a_different_text_under_the_same_message_id_is_a_conflict_on(Options::default()).await;
}

pub(crate) async fn a_different_text_under_the_same_message_id_is_a_conflict_on(base: Options) {
    let app = TestApp::spawn(base.clone()).await;
    assert_eq!(
        app.say("c1", "m1", "How much does shipping cost?").await.0,
        200
    );
    let (status, body) = app.say("c1", "m1", "Something else entirely").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "conflict");
    // Message ids are unique per channel, not per conversation.
    let (status, _) = app
        .say_raw("c2", "c1/m1", "How much does shipping cost?")
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_was_answered_survives_a_restart() {
    what_was_answered_survives_a_restart_on(Options::default()).await;
}

pub(crate) async fn what_was_answered_survives_a_restart_on(base: Options) {
    let app = TestApp::spawn(base.clone()).await;
    let (_, first) = app.say("c1", "m1", "Where is my order?").await;
    assert_eq!(first["action"], "flow");
    let (content, store) = app.stop().await;
    let app = TestApp::spawn_with(base.clone(), content, store).await;
    // The retry after the restart gets the same decision; the flow still waits for the number.
    let (_, again) = app.say("c1", "m1", "Where is my order?").await;
    assert_eq!(again, first);
    let (_, next) = app.say("c1", "m2", "12345678").await;
    assert_eq!(next["action"], "handed_off");
    assert_eq!(next["slots"]["order_number"], "12345678");
    let (_, conversation) = app.get("/v1/conversations/web/c1", Some(WEB_KEY)).await;
    let texts: Vec<&str> = conversation["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts.first(), Some(&"Where is my order?"));
    assert!(texts.contains(&"12345678"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_is_silent_while_a_person_owns_the_conversation_until_handback() {
    the_bot_is_silent_while_a_person_owns_the_conversation_until_handback_on(Options::default())
        .await;
}

pub(crate) async fn the_bot_is_silent_while_a_person_owns_the_conversation_until_handback_on(
    base: Options,
) {
    let receiver = Receiver::start().await;
    let app = TestApp::spawn(base.delivering_to(&receiver.url)).await;
    let (_, handoff) = app.say("c1", "m1", "I want to talk to a person").await;
    assert_eq!(handoff["action"], "handed_off");
    let (_, silent) = app.say("c1", "m2", "How much does shipping cost?").await;
    assert_eq!(silent["action"], "none");
    assert_eq!(silent["replies"], json!([]));
    // An order number the customer adds is kept with the conversation, unanswered.
    let (_, number) = app.say("c1", "m3", "it's about order 12345678").await;
    assert_eq!(number["action"], "none");
    assert_eq!(number["replies"], json!([]));
    // The follow-ups reach the helpdesk after the hand-off, each with the slots so far.
    let delivered = receiver.wait_for(3, Duration::from_secs(10)).await;
    assert_eq!(delivered[0].body["type"], "handoff");
    assert_eq!(delivered[1].body["type"], "message");
    assert_eq!(
        delivered[1].body["message"]["text"],
        "How much does shipping cost?"
    );
    assert_eq!(delivered[1].body["slots"], json!({}));
    assert_eq!(delivered[2].body["type"], "message");
    assert_eq!(delivered[2].body["slots"]["order_number"], "12345678");
    // The agent's messages are kept, once each when the helpdesk retries with the same id;
    // a hand-back returns the conversation to the bot.
    for _ in 0..2 {
        let (status, _) = app
            .post(
                "/v1/conversations/web/c1/agent-messages",
                Some(ADMIN_KEY),
                &json!({"text": "Hi Ana, Bea here.", "message_id": "agent-1"}),
            )
            .await;
        assert_eq!(status, 201);
    }
    let (status, body) = app
        .post(
            "/v1/conversations/web/c1/agent-messages",
            Some(ADMIN_KEY),
            &json!({"text": "Hi", "queue": "no-such-queue"}),
        )
        .await;
    assert_eq!(status, 422, "an unknown queue is refused: {body}");
    // The same id with another text is a mistake said, not a line silently dropped.
    let (status, body) = app
        .post(
            "/v1/conversations/web/c1/agent-messages",
            Some(ADMIN_KEY),
            &json!({"text": "Something else", "message_id": "agent-1"}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
    let (_, conversation) = app.get("/v1/conversations/web/c1", Some(WEB_KEY)).await;
    assert_eq!(conversation["owner"]["kind"], "human");
    let agent_lines = conversation["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "agent" && m["text"] == "Hi Ana, Bea here.")
        .count();
    assert_eq!(agent_lines, 1, "{conversation}");
    let (status, _) = app
        .post(
            "/v1/conversations/web/c1/handback",
            Some(WEB_KEY),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    // Again (a helpdesk's retry): nothing changes, and the history gets no second line.
    let (status, again) = app
        .post(
            "/v1/conversations/web/c1/handback",
            Some(WEB_KEY),
            &json!({}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), &again["owner"]["kind"]),
        (200, &json!("bot"))
    );
    let (_, conversation) = app.get("/v1/conversations/web/c1", Some(WEB_KEY)).await;
    let handbacks = conversation["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "system")
        .count();
    assert_eq!(handbacks, 1, "{conversation}");
    let (_, answered) = app.say("c1", "m4", "How much does shipping cost?").await;
    assert_eq!(answered["action"], "answered");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_who_goes_quiet_gives_the_conversation_back_after_the_idle_timeout() {
    let app = TestApp::spawn(Options::default()).await;
    app.say("c1", "m1", "I want to talk to a person").await;
    app.clock.advance(SignedDuration::from_hours(23));
    assert_eq!(app.say("c1", "m2", "hello?").await.1["action"], "none");
    app.clock.advance(SignedDuration::from_hours(2));
    let (_, answered) = app.say("c1", "m3", "How much does shipping cost?").await;
    assert_eq!(answered["action"], "answered");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_session_after_inactivity_gets_first_contact_again_and_keeps_the_history() {
    let app = TestApp::spawn(Options::default()).await;
    let (_, first) = app.say("c1", "m1", "How much does shipping cost?").await;
    assert_eq!(first["replies"][0]["kind"], "autoresponse");
    app.clock.advance(SignedDuration::from_mins(5));
    let (_, same_session) = app.say("c1", "m2", "Can I pay with PayPal?").await;
    assert_eq!(same_session["replies"][0]["kind"], "answer");
    app.clock.advance(SignedDuration::from_mins(45));
    let (_, new_session) = app.say("c1", "m3", "Can I pay with PayPal?").await;
    assert_eq!(new_session["replies"][0]["kind"], "autoresponse");
    let (_, conversation) = app.get("/v1/conversations/web/c1", Some(WEB_KEY)).await;
    assert_eq!(conversation["session"]["number"], 2);
    assert_eq!(
        conversation["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["direction"] == "customer")
            .count(),
        3
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_hours_the_decision_says_when_the_queue_opens() {
    let app = TestApp::spawn(Options {
        start: SUNDAY_NIGHT,
        ..Options::default()
    })
    .await;
    let (_, decision) = app.say("c1", "m1", "I want to talk to a person").await;
    assert_eq!(decision["handoff"]["open_now"], false);
    assert_eq!(decision["handoff"]["after_hours"], true);
    assert_eq!(decision["handoff"]["next_open_at"], "2026-11-23T07:00:00Z");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_content_change_is_picked_up_and_bad_content_is_refused_while_the_old_keeps_serving() {
    let app = TestApp::spawn(Options {
        watch: true,
        ..Options::default()
    })
    .await;
    let (_, before) = app.say("c1", "m1", "How much does shipping cost?").await;
    let old_version = before["content_version"].as_str().unwrap().to_string();
    // A valid edit under kb/ is picked up by the watcher.
    app.content.edit(
        "kb/en/shipping-costs.md",
        "standard shipping costs **€4.95**",
        "standard shipping costs **€3.95**",
    );
    let mut reloaded = false;
    // A reload builds every index again: seconds in a debug build on a busy machine.
    for attempt in 0..600 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (_, after) = app
            .say(
                &format!("c-reload-{attempt}"),
                "m1",
                "How much does shipping cost?",
            )
            .await;
        if after["content_version"] != old_version {
            assert!(after["replies"][1]["text"]
                .as_str()
                .unwrap()
                .contains("3.95"));
            reloaded = true;
            break;
        }
    }
    assert!(reloaded, "the watcher reloaded the content");
    // An invalid edit is refused with every problem; the previous content keeps serving.
    let (_, current) = app.say("c2", "m1", "How much does shipping cost?").await;
    let good_version = current["content_version"].clone();
    app.content.write(
        "flows/broken.yaml",
        "name: broken\nsteps:\n  - say: nowhere_template\n    next: nowhere\n",
    );
    let (status, refused) = app
        .post("/v1/admin/reload", Some(ADMIN_KEY), &json!({}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["error"]["code"], "invalid_content");
    let details = refused["error"]["details"].as_array().unwrap();
    assert!(
        details
            .iter()
            .any(|d| d.as_str().unwrap().contains("broken.yaml:4:")),
        "{details:?}"
    );
    let (_, still) = app.say("c3", "m1", "How much does shipping cost?").await;
    assert_eq!(still["content_version"], good_version);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloading_drops_no_request() {
    let app = TestApp::spawn(Options::default()).await;
    let mut requests = Vec::new();
    for index in 0..120 {
        let (client, url) = (app.client.clone(), format!("{}/v1/messages", app.base));
        let body = message(&format!("c{index}"), "m1", "How much does shipping cost?");
        requests.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(WEB_KEY)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
        if index % 30 == 0 {
            let (status, _) = app
                .post("/v1/admin/reload", Some(ADMIN_KEY), &json!({}))
                .await;
            assert_eq!(status, 200);
        }
    }
    for request in requests {
        assert_eq!(request.await.unwrap(), 200);
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_requests_in_flight() {
    let app = TestApp::spawn(Options::default()).await;
    let mut requests = Vec::new();
    for index in 0..60 {
        let (client, url) = (app.client.clone(), format!("{}/v1/messages", app.base));
        let body = message(&format!("c{index}"), "m1", "How much does shipping cost?");
        requests.push(tokio::spawn(async move {
            // No response means the server never accepted the request: the adapter sends it
            // again, nothing was acknowledged, nothing is lost.
            match client
                .post(url)
                .bearer_auth(WEB_KEY)
                .json(&body)
                .send()
                .await
            {
                Ok(response) => Some((index, response.status().as_u16())),
                Err(_) => None,
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    let (content, store) = app.stop().await;
    let mut answered = Vec::new();
    for request in requests {
        if let Some((index, status)) = request.await.unwrap() {
            assert_eq!(status, 200, "a request the server took was answered");
            answered.push(index);
        }
    }
    assert!(!answered.is_empty());
    // Everything answered was stored.
    let app = TestApp::spawn_with(Options::default(), content, store).await;
    for index in answered {
        let (status, conversation) = app
            .get(&format!("/v1/conversations/web/c{index}"), Some(ADMIN_KEY))
            .await;
        assert_eq!(
            status, 200,
            "conversation c{index} was answered, so it is stored"
        );
        assert_eq!(
            conversation["messages"][0]["text"],
            "How much does shipping cost?"
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_has_the_same_shape_and_the_right_status() {
    let app = TestApp::spawn(Options::default()).await;
    let url = format!("{}/v1/messages", app.base);
    let raw =
        |body: &'static str, content_type: Option<&'static str>, key: Option<&'static str>| {
            let mut request = app.client.post(&url).body(body);
            if let Some(content_type) = content_type {
                request = request.header("content-type", content_type);
            }
            if let Some(key) = key {
                request = request.bearer_auth(key);
            }
            async move {
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap();
                (status, body)
            }
        };
    let checks: Vec<(u16, &str, (u16, Value))> = vec![
        (
            400,
            "malformed_json",
            raw("{\"channel\": ", Some("application/json"), Some(WEB_KEY)).await,
        ),
        (
            415,
            "unsupported_media_type",
            raw("{}", Some("text/plain"), Some(WEB_KEY)).await,
        ),
        (
            422,
            "invalid_request",
            raw(
                "{\"channel\": \"web\"}",
                Some("application/json"),
                Some(WEB_KEY),
            )
            .await,
        ),
        // Fields in order, as an array: serde would read it as the object it lists.
        (
            422,
            "invalid_request",
            raw(
                "[\"web\", \"c1\", \"m1\", {\"id\": \"u\"}, \"hello\", null]",
                Some("application/json"),
                Some(WEB_KEY),
            )
            .await,
        ),
        (
            401,
            "unauthorized",
            raw("{}", Some("application/json"), None).await,
        ),
        (
            401,
            "unauthorized",
            raw("{}", Some("application/json"), Some("wrong-key-000")).await,
        ),
    ];
    for (status, code, (got_status, body)) in checks {
        assert_eq!(got_status, status, "{body}");
        assert_eq!(body["error"]["code"], code, "{body}");
        assert!(body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    // Too large a body.
    let huge = json!({"channel": "web", "conversation_id": "c", "message_id": "m", "customer": {"id": "u"}, "text": "a".repeat(70_000)});
    let (status, body) = app.post("/v1/messages", Some(WEB_KEY), &huge).await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (413, Some("payload_too_large"))
    );
    // Validation: each field names itself.
    for (patch, field) in [
        (json!({"text": "   "}), "text"),
        (json!({"text": "a".repeat(4001)}), "text"),
        (json!({"text": "hello\u{0}world"}), "text"),
        (json!({"channel": "Web Chat"}), "channel"),
        (json!({"conversation_id": ""}), "conversation_id"),
        (json!({"text": "\u{200b}\u{feff} "}), "text"),
        (json!({"message_id": "  "}), "message_id"),
        (
            json!({"customer": {"id": "u", "locale": "x".repeat(201)}}),
            "customer.locale",
        ),
        (
            json!({"customer": {"id": "u", "timezone": "Mars/Base"}}),
            "customer.timezone",
        ),
        (json!({"sent_at": "yesterday"}), "sent_at"),
        (json!({"sent_at": "2026-11-23T10:00:00+25:00"}), "sent_at"),
        (json!({"sent_at": "0000-01-01T00:00:00+01:00"}), "sent_at"),
        (
            json!({"sent_at": "2026-11-23T10:00:00+01:00[Europe/Paris]"}),
            "sent_at",
        ),
        (json!({"customer": ["u"]}), "customer"),
    ] {
        let mut body = message("c1", "m1", "hello");
        for (key, value) in patch.as_object().unwrap() {
            body[key] = value.clone();
        }
        let (status, error) = app.post("/v1/messages", Some(WEB_KEY), &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {error}");
        assert!(
            error["error"]["message"].as_str().unwrap().contains(field),
            "{field}: {error}"
        );
    }
    // RFC 3339 times with any offset it allows are taken, and stored as the same instant.
    for (index, sent_at) in [
        "2026-11-23T10:00:00.652z",
        "2026-11-23T04:30:00-05:30",
        "2026-11-24T09:59:00+23:59",
    ]
    .iter()
    .enumerate()
    {
        let mut body = message("times", &format!("t{index}"), "hello");
        body["sent_at"] = json!(sent_at);
        let (status, answer) = app.post("/v1/messages", Some(WEB_KEY), &body).await;
        assert_eq!(status, StatusCode::OK, "{sent_at}: {answer}");
    }
    let (_, conversation) = app.get("/v1/conversations/web/times", Some(WEB_KEY)).await;
    let stored: Vec<&str> = conversation["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["meta"]["sent_at"].as_str())
        .collect();
    assert_eq!(
        stored,
        [
            "2026-11-23T10:00:00.652Z",
            "2026-11-23T10:00:00Z",
            "2026-11-23T10:00:00Z"
        ],
        "{conversation}"
    );
    // An adapter reaches only its own channel.
    let (status, body) = app
        .post(
            "/v1/messages",
            Some(WHATSAPP_KEY),
            &message("c1", "m1", "hello"),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    app.say("c1", "m1", "hello").await;
    let (status, _) = app
        .get("/v1/conversations/web/c1", Some(WHATSAPP_KEY))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = app.get("/v1/conversations/web/nobody", Some(WEB_KEY)).await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let (status, _) = app.get("/v1/handoffs", Some(WEB_KEY)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = app.get("/v1/nowhere", Some(WEB_KEY)).await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_customer_text_gets_a_sane_answer() {
    let app = TestApp::spawn(Options::default()).await;
    let parens = "(".repeat(1000);
    for (index, text) in [
        "((((",
        ":)",
        "title:foo AND (bar",
        "\u{202e}\u{200b}🙂",
        "SELECT * FROM messages; --",
        parens.as_str(),
        "\\\"'`",
    ]
    .iter()
    .enumerate()
    {
        let (status, decision) = app.say(&format!("c{index}"), "m1", text).await;
        assert_eq!(status, 200, "{text}: {decision}");
        assert!(!decision["replies"].as_array().unwrap().is_empty());
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_name_with_control_characters_is_said_cleanly() {
    let app = TestApp::spawn(Options::default()).await;
    for (index, (name, greeting)) in [
        ("Tom\n\u{202e}Jerry\u{0}", "Hi Tom!"),
        ("\u{1b}[31mAna\u{1b}[0m", "Hi [31mAna!"),
        ("\n\t ", "Hi!"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = message(&format!("c-name-{index}"), "m1", "hello");
        body["channel"] = json!("whatsapp");
        body["customer"]["name"] = json!(name);
        let (status, decision) = app.post("/v1/messages", Some(WHATSAPP_KEY), &body).await;
        assert_eq!(status, StatusCode::OK, "{decision}");
        let first = decision["replies"][0]["text"].as_str().unwrap();
        assert!(first.starts_with(greeting), "{name:?}: {first:?}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_is_plain_text_on_every_channel() {
    let app = TestApp::spawn(Options::default()).await;
    let text = "<i>hi</i> & how much does shipping cost?";
    let (status, decision) = app.say("c-html", "m1", text).await;
    assert_eq!(status, 200, "{decision}");
    // The web channel shows the reply as HTML: its values are escaped.
    let shown = decision["replies"][0]["text"].as_str().unwrap();
    assert!(shown.contains("Maple &amp; Moss"), "{shown}");
    // The history (and so a hand-off's transcript) keeps plain text, like the customer's.
    let (_, conversation) = app.get("/v1/conversations/web/c-html", Some(WEB_KEY)).await;
    let messages = conversation["messages"].as_array().unwrap();
    assert_eq!(messages[0]["text"], text);
    let bot: Vec<&str> = messages
        .iter()
        .filter(|m| m["direction"] == "bot")
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert!(bot[0].contains("Maple & Moss"), "{bot:?}");
    assert!(!bot.iter().any(|t| t.contains("&amp;")), "{bot:?}");
    // The latest messages only, when asked.
    let (status, latest) = app
        .get("/v1/conversations/web/c-html?limit=1", Some(WEB_KEY))
        .await;
    assert_eq!(status, 200, "{latest}");
    assert_eq!(latest["messages"].as_array().unwrap().len(), 1);
    assert_eq!(latest["messages"][0], *messages.last().unwrap());

    // The profile sent once is kept: a later message with the customer's id only does not
    // erase the name, the locale or the time zone.
    let mut first = message("c-profile", "m1", "hola");
    // (The time zone as typed is found, and kept as the database spells it.)
    first["customer"] =
        json!({"id": "ana", "name": "Ana", "locale": "es", "timezone": "america/mexico_city"});
    let (status, _) = app.post("/v1/messages", Some(WEB_KEY), &first).await;
    assert_eq!(status, 200);
    let mut second = message("c-profile", "m2", "quiero hablar con una persona");
    second["customer"] = json!({"id": "ana"});
    let (status, decision) = app.post("/v1/messages", Some(WEB_KEY), &second).await;
    assert_eq!(status, 200, "{decision}");
    let (_, conversation) = app
        .get("/v1/conversations/web/c-profile", Some(WEB_KEY))
        .await;
    assert_eq!(
        conversation["customer"],
        json!({"id": "ana", "name": "Ana", "locale": "es", "timezone": "America/Mexico_City"}),
        "{conversation}"
    );
    // Another customer id in the conversation is another person: nothing is carried over.
    let mut third = message("c-profile", "m3", "hola");
    third["customer"] = json!({"id": "bea"});
    let (status, _) = app.post("/v1/messages", Some(WEB_KEY), &third).await;
    assert_eq!(status, 200);
    let (_, conversation) = app
        .get("/v1/conversations/web/c-profile", Some(WEB_KEY))
        .await;
    assert_eq!(
        conversation["customer"]["name"],
        Value::Null,
        "{conversation}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locale_hint_never_loses_a_message_and_the_text_outweighs_it() {
    let app = TestApp::spawn(Options::default()).await;
    // Browser and phone locales as channels pass them through: a hint, never a refusal.
    for (index, hint) in [
        "zh-Hant-TW",
        "sr-Latn-RS",
        "de-CH-1996",
        "en_US.UTF-8",
        "es-MX-u-ca-gregory",
        "nl-NL-x-foo",
        "und",
        "x-private",
        "123",
        "de",
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = message(
            &format!("c-hint-{index}"),
            "m1",
            "How much does shipping cost?",
        );
        body["customer"]["locale"] = json!(hint);
        let (status, decision) = app.post("/v1/messages", Some(WEB_KEY), &body).await;
        assert_eq!(status, 200, "{hint}: {decision}");
        assert_eq!(decision["action"], "answered", "{hint}: {decision}");
        // The locale the decision names is the one its replies are in (with the hint's
        // region when its language is the one used).
        let locale = decision["locale"].as_str().unwrap();
        assert!(
            locale == "en" || locale.starts_with("en-"),
            "{hint}: {decision}"
        );
    }
    // A phone set to English, a question in Spanish: answered in Spanish, not handed off.
    let mut body = message("c-hint-es", "m1", "¿Cuánto cuesta el envío?");
    body["customer"]["locale"] = json!("en-GB");
    let (status, decision) = app.post("/v1/messages", Some(WEB_KEY), &body).await;
    assert_eq!(status, 200, "{decision}");
    assert_eq!(
        (decision["action"].as_str(), decision["locale"].as_str()),
        (Some("answered"), Some("es")),
        "{decision}"
    );
    // Too few words to tell: the hint decides ("ok" from a Spanish phone).
    let mut body = message("c-hint-short", "m1", "ok gracias");
    body["customer"]["locale"] = json!("es-MX");
    let (_, decision) = app.post("/v1/messages", Some(WEB_KEY), &body).await;
    assert_eq!(decision["locale"], "es-MX", "{decision}");
    // A language named by its ISO 639-2 code or by its name, as some helpdesks store it.
    for (index, (hint, locale)) in [
        ("spa", "es"),
        ("fre", "fr"),
        ("Nederlands", "nl"),
        ("Español", "es"),
        ("dutch_BE", "nl-BE"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = message(&format!("c-hint-name-{index}"), "m1", "ok");
        body["customer"]["locale"] = json!(hint);
        let (status, decision) = app.post("/v1/messages", Some(WEB_KEY), &body).await;
        assert_eq!(status, 200, "{hint}: {decision}");
        assert_eq!(decision["locale"], locale, "{hint}: {decision}");
    }
    // Gibberish shares no word with any article: no search results.
    let (status, body) = app
        .get("/v1/kb/search?q=zzzzqqq&locale=en", Some(WEB_KEY))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"], json!([]), "{body}");
    // Any scheme case: `bearer` is `Bearer`.
    let response = app
        .client
        .get(format!("{}/v1/kb/search?q=returns", app.base))
        .header("authorization", format!("bearer {WEB_KEY}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_help_center_search_endpoint_returns_scored_results() {
    let app = TestApp::spawn(Options::default()).await;
    let (status, body) = app
        .get(
            "/v1/kb/search?q=retourneren%20artikel&locale=nl",
            Some(WEB_KEY),
        )
        .await;
    assert_eq!(status, 200);
    let results = body["results"].as_array().unwrap();
    assert!(!results.is_empty());
    let first = &results[0];
    assert!(first["url"]
        .as_str()
        .unwrap()
        .starts_with("https://help.maple-moss.example/nl/"));
    assert!((0.0..=1.0).contains(&first["confidence"].as_f64().unwrap()));
    // Three decimals as sent, not a widened float ("0.8500000238418579").
    for result in results {
        let written = result["confidence"].to_string();
        assert!(written.len() <= 5, "confidence written as {written}");
    }
    assert!(!first["snippet"].as_str().unwrap().is_empty());
    let (status, _) = app
        .get("/v1/kb/search?q=%28%28%28%3A%29&locale=en", Some(WEB_KEY))
        .await;
    assert_eq!(status, 200);
    let (status, body) = app.get("/v1/kb/search?locale=en", Some(WEB_KEY)).await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (422, Some("invalid_request"))
    );
    // A limit outside the documented range is refused, not quietly clamped.
    for (path, key) in [
        ("/v1/kb/search?q=returns&limit=0", WEB_KEY),
        ("/v1/kb/search?q=returns&limit=21", WEB_KEY),
        ("/v1/handoffs?status=pending&limit=0", ADMIN_KEY),
        ("/v1/handoffs?status=pending&limit=1001", ADMIN_KEY),
    ] {
        let (status, body) = app.get(path, Some(key)).await;
        assert_eq!(
            (status.as_u16(), body["error"]["code"].as_str()),
            (422, Some("invalid_request")),
            "{path}: {body}"
        );
    }
    let (status, body) = app
        .get("/v1/kb/search?q=returns&limit=20", Some(WEB_KEY))
        .await;
    assert_eq!(status, 200, "{body}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_decisions_handoffs_deliveries_and_backlog() {
    let receiver = Receiver::start().await;
    receiver.set_mode(Mode::Fail {
        status: 500,
        retry_after: None,
        remaining: 1,
    });
    let app = TestApp::spawn(Options {
        handoff_url: Some(receiver.url.clone()),
        ..Options::default()
    })
    .await;
    app.say("c1", "m1", "How much does shipping cost?").await;
    app.say("c2", "m1", "I want to talk to a person").await;
    receiver.wait_for(1, Duration::from_secs(10)).await;
    let expected = [
        "firstline_http_requests_total{route=\"/v1/messages\",method=\"POST\",status=\"200\"} 2",
        "firstline_decisions_total{action=\"answered\"} 1",
        "firstline_decisions_total{action=\"handed_off\"} 1",
        "firstline_handoffs_total{reason=\"customer_request\",queue=\"support\",after_hours=\"false\"} 1",
        "firstline_delivery_attempts_total{kind=\"handoff\",outcome=\"retry\"} 1",
        "firstline_delivery_attempts_total{kind=\"handoff\",outcome=\"delivered\"} 1",
        "firstline_deliveries{status=\"delivered\"} 1",
        "firstline_deliveries{status=\"pending\"} 0",
        "firstline_decision_duration_seconds_count 2",
        "firstline_http_request_duration_seconds_bucket{",
    ];
    // The receiver has the delivery a moment before the engine has recorded it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let text = loop {
        let text = app
            .client
            .get(format!("{}/metrics", app.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let missing = expected.iter().find(|line| !text.contains(*line));
        match missing {
            None => break text,
            Some(line) if std::time::Instant::now() > deadline => {
                panic!("missing `{line}` in:\n{text}")
            }
            Some(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    assert!(
        !text.contains("How much does shipping cost"),
        "no customer text in metrics"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_every_route() {
    let app = TestApp::spawn(Options::default()).await;
    let (status, document) = app.get("/openapi.json", None).await;
    assert_eq!(status, 200);
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    for (path, method) in [
        ("/v1/messages", "post"),
        ("/v1/conversations/{channel}/{conversation_id}", "get"),
        (
            "/v1/conversations/{channel}/{conversation_id}/handback",
            "post",
        ),
        (
            "/v1/conversations/{channel}/{conversation_id}/agent-messages",
            "post",
        ),
        ("/v1/kb/search", "get"),
        ("/v1/handoffs", "get"),
        ("/v1/handoffs/{id}/retry", "post"),
        ("/v1/admin/reload", "post"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
        ("/openapi.json", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is documented"
        );
        // And the route exists: an unauthenticated call is not a 404 "no such route".
        let url = format!(
            "{}{}",
            app.base,
            path.replace("{channel}", "web")
                .replace("{conversation_id}", "c")
                .replace("{id}", "x")
        );
        let request = if method == "post" {
            app.client.post(url).json(&json!({}))
        } else {
            app.client.get(url)
        };
        let response = request.send().await.unwrap();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_ne!(body["error"]["message"], "no such route", "{method} {path}");
    }
    assert_eq!(paths.len(), 12, "no undocumented or stale paths");
    let (status, ready) = app.get("/readyz", None).await;
    assert_eq!(status, 200);
    assert_eq!(ready["status"], "ready");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adapter_over_its_rate_limit_gets_429_and_nothing_is_stored() {
    let app = TestApp::spawn(Options {
        rate_limit_per_minute: Some(3),
        ..Options::default()
    })
    .await;
    for n in 0..3 {
        let (status, _) = app
            .post(
                "/v1/messages",
                Some(WEB_KEY),
                &message("c-limit", &format!("m{n}"), "How much does shipping cost?"),
            )
            .await;
        assert_eq!(status, 200, "request {n} is within the limit");
    }
    let response = app
        .client
        .post(format!("{}/v1/messages", app.base))
        .bearer_auth(WEB_KEY)
        .json(&message(
            "c-limit",
            "m-over",
            "How much does shipping cost?",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=20).contains(&retry_after),
        "one token comes back in 20 s: {retry_after}"
    );
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "too_many_requests");
    assert!(!error["error"]["message"]
        .as_str()
        .unwrap()
        .contains(WEB_KEY));
    // Every route an adapter key reaches is limited; the limited message was not stored.
    let (status, _) = app
        .get("/v1/conversations/web/c-limit", Some(WEB_KEY))
        .await;
    assert_eq!(status, 429);
    let (status, conversation) = app
        .get("/v1/conversations/web/c-limit", Some(ADMIN_KEY))
        .await;
    assert_eq!(status, 200, "the admin key is not limited");
    let ids: Vec<&str> = conversation["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "customer")
        .map(|m| m["message_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert!(!ids.iter().any(|id| id.contains("m-over")), "{ids:?}");
    // Another channel's key has its own allowance.
    let mut other = message("c-other", "m0", "How much does shipping cost?");
    other["channel"] = json!("whatsapp");
    let (status, _) = app.post("/v1/messages", Some(WHATSAPP_KEY), &other).await;
    assert_eq!(status, 200);
    app.stop().await;
}

#[test]
fn the_environment_overrides_the_file_and_bad_values_are_clear_errors() {
    use firstline::app::AppConfig;
    let config_file = crate::support::repo().join("firstline.yaml");
    let load = |pairs: &[(&str, &str)]| {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        AppConfig::load(&config_file, move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    };
    let defaults = load(&[]).expect("the shipped configuration loads");
    assert_eq!(defaults.listen, "127.0.0.1:8080");
    assert_eq!(
        defaults.rate_limit_per_minute, None,
        "no limit unless asked"
    );

    let configured = load(&[
        ("FIRSTLINE_LISTEN", "0.0.0.0:9000"),
        ("FIRSTLINE_RATE_LIMIT_PER_MINUTE", " 120 "),
    ])
    .unwrap();
    assert_eq!(configured.listen, "0.0.0.0:9000");
    assert_eq!(configured.rate_limit_per_minute, Some(120));
    assert_eq!(
        load(&[("FIRSTLINE_RATE_LIMIT_PER_MINUTE", "0")])
            .unwrap()
            .rate_limit_per_minute,
        None,
        "0 turns the limit off"
    );

    let Err(error) = load(&[("FIRSTLINE_RATE_LIMIT_PER_MINUTE", "lots")]) else {
        panic!("not a number is an error");
    };
    assert!(
        error
            .to_string()
            .contains("FIRSTLINE_RATE_LIMIT_PER_MINUTE"),
        "{error}"
    );
    let secret = "whsec_not-base64-but-secret";
    let Err(error) = load(&[("FIRSTLINE_HANDOFF_SECRET", secret)]) else {
        panic!("a malformed secret is an error");
    };
    assert!(
        !error.to_string().contains("not-base64-but-secret"),
        "{error}"
    );

    // Configurations that would start and then do something dangerous stop the start.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw5PqYbSv5fhM=";
    let Err(error) = load(&[("FIRSTLINE_HANDOFF_URL", "https://helpdesk.example/hooks")]) else {
        panic!("a hand-off URL without a secret would send customer data unsigned");
    };
    assert!(
        error.to_string().contains("FIRSTLINE_HANDOFF_SECRET"),
        "{error}"
    );
    let signed = load(&[
        ("FIRSTLINE_HANDOFF_URL", "https://helpdesk.example/hooks"),
        ("FIRSTLINE_HANDOFF_SECRET", SECRET),
    ])
    .expect("a URL with its secret starts");
    assert!(signed.handoff_secret.is_some());
    let spaced = load(&[(
        "FIRSTLINE_API_KEYS",
        " web: dev-web-key-1 , whatsapp:dev-wa-key-1",
    )])
    .expect("spaces around a pair's parts are layout");
    assert!(spaced
        .keys
        .adapters
        .contains(&("web".to_string(), "dev-web-key-1".to_string())));
    let Err(error) = load(&[("FIRSTLINE_API_KEYS", "Web:a-long-enough-key")]) else {
        panic!("a channel name with a capital is refused");
    };
    assert!(error.to_string().contains("not a channel name"), "{error}");
    let Err(error) = load(&[("FIRSTLINE_API_KEYS", "web:same-key-123,email:same-key-123")]) else {
        panic!("one key for two channels leaves one of them unreachable");
    };
    let message = error.to_string();
    assert!(
        message.contains("`web`") && message.contains("`email`"),
        "{message}"
    );
    assert!(
        !message.contains("same-key-123"),
        "no key in the error: {message}"
    );
    let Err(error) = load(&[
        ("FIRSTLINE_API_KEYS", "web:shared-key-123"),
        ("FIRSTLINE_ADMIN_KEY", "shared-key-123"),
    ]) else {
        panic!("an adapter holding the admin key would reach every channel");
    };
    let message = error.to_string();
    assert!(message.contains("FIRSTLINE_ADMIN_KEY"), "{message}");
    assert!(
        !message.contains("shared-key-123"),
        "no key in the error: {message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_stored_state_fails_its_own_conversation_only_with_a_clear_error() {
    let app = TestApp::spawn(Options::default()).await;
    let (status, _) = app.say("c-bad", "m1", "How much does shipping cost?").await;
    assert_eq!(status, 200);
    let (status, _) = app
        .say("c-good", "m1", "How much does shipping cost?")
        .await;
    assert_eq!(status, 200);
    // Someone edits the database by hand and breaks one conversation's state.
    let db = rusqlite::Connection::open(app.store_dir.path().join("firstline.db")).unwrap();
    db.execute(
        "UPDATE conversations SET state = '{not json' WHERE conversation_id = 'c-bad'",
        [],
    )
    .unwrap();
    drop(db);

    let (status, error) = app
        .post(
            "/v1/conversations/web/c-bad/handback",
            Some(WEB_KEY),
            &json!({}),
        )
        .await;
    assert_eq!(status, 503, "{error}");
    assert_eq!(error["error"]["code"], "unavailable");
    let (status, error) = app.say("c-bad", "m2", "Where is my order?").await;
    assert_eq!(status, 503, "{error}");
    // Every other conversation keeps working, reads and writes alike.
    let (status, answer) = app.say("c-good", "m2", "Do you ship to Germany?").await;
    assert_eq!(status, 200, "{answer}");
    let (status, _) = app
        .post(
            "/v1/conversations/web/c-good/handback",
            Some(WEB_KEY),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app.say("c-new", "m1", "How do I return an item?").await;
    assert_eq!(status, 200);
    app.stop().await;
}

/// Reads what the server sends until it closes the connection (or `within` passes: then
/// `None`, the connection still open).
async fn read_until_closed(socket: &mut tokio::net::TcpStream, within: Duration) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    let read = tokio::time::timeout(within, async {
        let mut buffer = [0u8; 4096];
        loop {
            match socket.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    read.ok()
        .map(|()| String::from_utf8_lossy(&received).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slow_clients_are_disconnected_and_the_others_served() {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::spawn(Options {
        header_timeout: Duration::from_millis(300),
        ..Options::default()
    })
    .await;
    let address = app.base.trim_start_matches("http://").to_string();

    // Connected, and silent.
    let mut silent = tokio::net::TcpStream::connect(&address).await.unwrap();
    // Half a request head.
    let mut half_head = tokio::net::TcpStream::connect(&address).await.unwrap();
    half_head
        .write_all(b"POST /v1/messages HTTP/1.1\r\nHost: firstline\r\n")
        .await
        .unwrap();
    // A whole head, and a body that stops after a few bytes.
    let mut slow_body = tokio::net::TcpStream::connect(&address).await.unwrap();
    slow_body
        .write_all(
            format!(
                "POST /v1/messages HTTP/1.1\r\nHost: firstline\r\nAuthorization: Bearer {WEB_KEY}\r\n\
                 Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"channel\":"
            )
            .as_bytes(),
        )
        .await
        .unwrap();

    // Meanwhile, others are answered.
    let (status, body) = app
        .post(
            "/v1/messages",
            Some(WEB_KEY),
            &message("c-busy", "m-1", "How much does shipping cost?"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let within = Duration::from_secs(20);
    assert_eq!(
        read_until_closed(&mut silent, within).await.as_deref(),
        Some(""),
        "a silent client is disconnected"
    );
    let said = read_until_closed(&mut half_head, within).await;
    assert!(
        said.is_some(),
        "a client that never finishes its head is disconnected"
    );
    let said = read_until_closed(&mut slow_body, within)
        .await
        .expect("a client that never finishes its body is disconnected");
    assert!(said.starts_with("HTTP/1.1 408"), "{said}");
    let json = &said[said.find("\r\n\r\n").expect("a head and a body") + 4..];
    let error: Value = serde_json::from_str(json).expect("the API's error shape");
    assert_eq!(error["error"]["code"], "request_timeout", "{error}");

    // Nothing of the unfinished message was stored.
    let (status, _) = app.get("/v1/conversations/web/c-slow", Some(WEB_KEY)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_and_compressed_requests_are_refused_in_the_error_shape() {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::spawn(Options::default()).await;
    let address = app.base.trim_start_matches("http://").to_string();
    let error_of = |said: &str| -> Value {
        let json = &said[said.find("\r\n\r\n").expect("a head and a body") + 4..];
        serde_json::from_str(json).expect("the API's error shape")
    };

    // A body declared larger than the limit, from a client waiting for `100 Continue`
    // before it sends any: refused at once, not left to time out.
    let mut declared = tokio::net::TcpStream::connect(&address).await.unwrap();
    declared
        .write_all(
            format!(
                "POST /v1/messages HTTP/1.1\r\nHost: firstline\r\nAuthorization: Bearer {WEB_KEY}\r\n\
                 Content-Type: application/json\r\nContent-Length: 1000000\r\n\
                 Expect: 100-continue\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let said = read_until_closed(&mut declared, Duration::from_secs(60))
        .await
        .expect("the connection is closed after the refusal");
    assert!(said.starts_with("HTTP/1.1 413"), "{said}");
    assert_eq!(error_of(&said)["error"]["code"], "payload_too_large");

    let encoded = |encoding: &'static str, body: Vec<u8>| {
        app.client
            .post(format!("{}/v1/messages", app.base))
            .bearer_auth(WEB_KEY)
            .header("content-type", "application/json")
            .header("content-encoding", encoding)
            .body(body)
            .send()
    };
    // A compressed body is not read as JSON.
    let response = encoded("gzip", vec![0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00])
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 415);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unsupported_media_type", "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("content-encoding"));
    // `identity` is no encoding at all.
    let response = encoded(
        "identity",
        message("c-identity", "m-1", "hello")
            .to_string()
            .into_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(response.status().as_u16(), 200);

    // An over-long request target and an over-large header block.
    let long_query = format!("{}/v1/kb/search?q={}", app.base, "a".repeat(10_000));
    let response = app
        .client
        .get(&long_query)
        .bearer_auth(WEB_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 414);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "uri_too_long", "{body}");
    let mut request = app.client.get(format!("{}/healthz", app.base));
    for index in 0..40 {
        request = request.header(format!("x-padding-{index}"), "p".repeat(1_000));
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status().as_u16(), 431);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "headers_too_large", "{body}");

    // The message sent as `identity` was stored; the server goes on answering.
    let (status, _) = app
        .get("/v1/conversations/web/c-identity", Some(WEB_KEY))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .say("c-after", "m-1", "How much does shipping cost?")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_limit_wait_for_a_free_one() {
    let app = TestApp::spawn(Options {
        max_connections: 2,
        ..Options::default()
    })
    .await;
    let address = app.base.trim_start_matches("http://").to_string();
    let first = tokio::net::TcpStream::connect(&address).await.unwrap();
    let _second = tokio::net::TcpStream::connect(&address).await.unwrap();

    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("{}/healthz", app.base);
    let waiting = tokio::spawn(async move { client.get(url).send().await.map(|r| r.status()) });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !waiting.is_finished(),
        "a third connection is not served while two are open"
    );
    drop(first);
    let status = tokio::time::timeout(Duration::from_secs(20), waiting)
        .await
        .expect("served once a connection closes")
        .unwrap()
        .expect("a response");
    assert_eq!(status.as_u16(), 200);
    app.stop().await;
}

/// The store holds customers' messages: a new one is readable by its user alone.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_sqlite_store_is_private_to_its_user() {
    use std::os::unix::fs::PermissionsExt;
    let folder = tempfile::tempdir().unwrap();
    let data = folder.path().join("deploy").join("data");
    let app = TestApp::spawn(Options {
        store_url: Some(format!("sqlite://{}", data.join("firstline.db").display())),
        ..Options::default()
    })
    .await;
    let (status, body) = app.say("c-1", "m-1", "How much does shipping cost?").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mode = |path: std::path::PathBuf| {
        std::fs::metadata(&path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(folder.path().join("deploy")), 0o700);
    assert_eq!(mode(data.clone()), 0o700);
    assert_eq!(mode(data.join("firstline.db")), 0o600);
    assert_eq!(mode(data.join("firstline.db-wal")), 0o600);
    app.stop().await;
    // Started again on it, the store is the same one: the conversation is there.
    let app = TestApp::spawn(Options {
        store_url: Some(format!("sqlite://{}", data.join("firstline.db").display())),
        ..Options::default()
    })
    .await;
    let (status, _) = app.get("/v1/conversations/web/c-1", Some(WEB_KEY)).await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;
}
