//! Tests: the PostgreSQL store keeps the promises the SQLite store keeps. The same test
//! bodies as `service_api` and `service_delivery` run against a real PostgreSQL server, each
//! in a schema of its own (dropped afterwards), when `FIRSTLINE_TEST_POSTGRES_URL` names one;
//! without it they say they are skipped and pass.

use std::sync::atomic::{AtomicU32, Ordering};

use firstline::store::Store;
use tokio_postgres::NoTls;

use crate::server::Options;
use crate::{service_api, service_delivery};

/// A schema of its own in the test database, dropped when the test ends (even by a panic).
struct TestDatabase {
    base_url: String,
    schema: String,
}

impl TestDatabase {
    async fn create(test: &str) -> Option<TestDatabase> {
        let Ok(base_url) = std::env::var("FIRSTLINE_TEST_POSTGRES_URL") else {
            eprintln!("skipped {test}: FIRSTLINE_TEST_POSTGRES_URL is not set");
            return None;
        };
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let schema = format!(
            "firstline_test_{}_{}_{}",
            std::process::id(),
            nanos,
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let (client, connection) = tokio_postgres::connect(&base_url, NoTls)
            .await
            .expect("FIRSTLINE_TEST_POSTGRES_URL names a reachable server");
        tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .await
            .unwrap();
        Some(TestDatabase { base_url, schema })
    }

    /// The store URL: the test database, with this schema first on the search path.
    fn url(&self) -> String {
        let separator = if self.base_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!(
            "{}{separator}options=-csearch_path%3D{}",
            self.base_url, self.schema
        )
    }

    fn options(&self) -> Options {
        Options {
            store_url: Some(self.url()),
            ..Options::default()
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (url, schema) = (self.base_url.clone(), self.schema.clone());
        // Drop runs inside the test's runtime, which cannot block on itself: a thread of its
        // own with a runtime of its own drops the schema.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok((client, connection)) = tokio_postgres::connect(&url, NoTls).await {
                    tokio::spawn(connection);
                    let _ = client
                        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .await;
                }
            });
        });
        let _ = dropped.join();
    }
}

/// Runs one shared test body against a fresh PostgreSQL schema.
macro_rules! on_postgres {
    ($name:ident, $body:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let Some(database) = TestDatabase::create(stringify!($name)).await else {
                return;
            };
            $body(database.options()).await;
        }
    };
}

on_postgres!(
    a_message_gets_the_decision_and_a_retry_gets_the_same_bytes,
    service_api::a_message_gets_the_decision_and_a_retry_gets_the_same_bytes_on
);
on_postgres!(
    the_same_message_sent_concurrently_is_decided_once,
    service_api::the_same_message_sent_concurrently_is_decided_once_on
);
on_postgres!(
    concurrent_messages_of_one_conversation_lose_no_update,
    service_api::concurrent_messages_of_one_conversation_lose_no_update_on
);
on_postgres!(
    a_different_text_under_the_same_message_id_is_a_conflict,
    service_api::a_different_text_under_the_same_message_id_is_a_conflict_on
);
on_postgres!(
    what_was_answered_survives_a_restart,
    service_api::what_was_answered_survives_a_restart_on
);
on_postgres!(
    the_bot_is_silent_while_a_person_owns_the_conversation_until_handback,
    service_api::the_bot_is_silent_while_a_person_owns_the_conversation_until_handback_on
);
on_postgres!(
    a_handoff_past_its_retry_window_fails_and_an_operator_can_retry_it,
    service_delivery::a_handoff_past_its_retry_window_fails_and_an_operator_can_retry_it_on
);
on_postgres!(
    without_a_handoff_url_deliveries_stay_pending_and_nothing_is_dropped,
    service_delivery::without_a_handoff_url_deliveries_stay_pending_and_nothing_is_dropped_on
);
on_postgres!(
    a_conversations_deliveries_arrive_in_the_order_they_were_made,
    service_delivery::a_conversations_deliveries_arrive_in_the_order_they_were_made_on
);
on_postgres!(
    pending_handoffs_survive_a_restart,
    service_delivery::pending_handoffs_survive_a_restart_on
);

/// Two engines on one database: every message is decided once, whichever engine gets it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_engines_sharing_one_database_decide_each_message_once() {
    let Some(database) = TestDatabase::create("two_engines_sharing_one_database").await else {
        return;
    };
    let first = crate::server::TestApp::spawn(database.options()).await;
    let second = crate::server::TestApp::spawn(database.options()).await;
    let mut requests = Vec::new();
    for index in 0..12 {
        for app in [&first, &second] {
            let (client, url) = (app.client.clone(), format!("{}/v1/messages", app.base));
            let body = crate::server::message(
                "c-shared",
                &format!("m{index}"),
                "How much does shipping cost?",
            );
            requests.push(tokio::spawn(async move {
                let response = client
                    .post(url)
                    .bearer_auth(crate::server::WEB_KEY)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                (response.status().as_u16(), response.bytes().await.unwrap())
            }));
        }
    }
    let mut answers = Vec::new();
    for request in requests {
        let (status, bytes) = request.await.unwrap();
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
        answers.push(bytes);
    }
    // Each message was sent to both engines: both got the same stored bytes.
    for pair in answers.chunks(2) {
        assert_eq!(pair[0], pair[1]);
    }
    let (_, conversation) = first
        .get(
            "/v1/conversations/web/c-shared",
            Some(crate::server::WEB_KEY),
        )
        .await;
    let messages = conversation["messages"].as_array().unwrap();
    let customer = messages
        .iter()
        .filter(|m| m["direction"] == "customer")
        .count();
    assert_eq!(customer, 12, "{conversation:#}");
    assert_eq!(conversation["version"], 12);
    first.stop().await;
    second.stop().await;
}

/// A store URL may hold a password: no error repeats it. Needs no server.
#[tokio::test]
async fn store_errors_never_repeat_the_password() {
    for url in [
        "postgres://firstline:hunter2-secret@127.0.0.1:1/firstline?connect_timeout=2",
        "postgresql://firstline:hunter2-secret@[::1:bad/firstline",
        "mysql://firstline:hunter2-secret@127.0.0.1/firstline",
    ] {
        let error = match Store::open(url).await {
            Ok(_) => panic!("{url} opened"),
            Err(error) => error.to_string(),
        };
        assert!(!error.contains("hunter2"), "{error}");
        assert!(error.starts_with("store: "), "{error}");
    }
}

/// Two engines with delivery workers on one database: every hand-off is sent once, by one
/// of them, never by both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_engines_sharing_one_database_deliver_each_handoff_once() {
    let Some(database) = TestDatabase::create("two_engines_deliver_once").await else {
        return;
    };
    let receiver = crate::server::Receiver::start().await;
    // Slow answers keep each attempt in flight while the other engine looks for work.
    receiver.set_mode(crate::server::Mode::Stall(
        std::time::Duration::from_millis(800),
    ));
    let options = database.options().delivering_to(&receiver.url);
    let first = crate::server::TestApp::spawn(options.clone()).await;
    let second = crate::server::TestApp::spawn(options).await;
    let conversations: Vec<String> = (0..8).map(|n| format!("conv-shared-{n}")).collect();
    for (n, conversation) in conversations.iter().enumerate() {
        let app = if n % 2 == 0 { &first } else { &second };
        service_delivery::hand_off(app, conversation, "m-1").await;
    }
    let delivered = receiver
        .wait_for(conversations.len(), std::time::Duration::from_secs(20))
        .await;
    // Longer than both workers' idle poll: a second sending would have happened by now.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let received = receiver.received();
    let ids: std::collections::BTreeSet<&str> = received.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), conversations.len(), "{delivered:?}");
    assert_eq!(
        received.len(),
        conversations.len(),
        "each hand-off was sent once: {:?}",
        received.iter().map(|r| &r.id).collect::<Vec<_>>()
    );
    first.stop().await;
    second.stop().await;
}
