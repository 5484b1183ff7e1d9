//! Tests: the PostgreSQL store keeps the promises the SQLite store keeps. The same test
//! bodies as `service_api` and `service_delivery` run against a real PostgreSQL server, each
//! in a schema of its own (dropped afterwards), when `FIRSTLINE_TEST_POSTGRES_URL` names one;
//! without it they say they are skipped and pass.

use std::sync::atomic::{AtomicU32, Ordering};

use std::path::PathBuf;

use firstline::store::{pg_tls, Store};
use tokio_postgres::config::SslMode;
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

/// TLS as libpq's `sslmode` says: encrypted by default when the server offers it, plain
/// when disabled, and the server's certificate checked against `sslrootcert` with
/// `verify-ca` (any name) and `verify-full` (the host's name). Read from the server's own
/// view of each connection (`pg_stat_ssl`), not from the client's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_uses_tls_as_sslmode_says() {
    let Some(database) = TestDatabase::create("the_store_uses_tls_as_sslmode_says").await else {
        return;
    };
    let (admin, connection) = tokio_postgres::connect(&database.base_url, NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let setting = |name: &'static str| {
        let admin = &admin;
        async move {
            let row = admin.query_one(&format!("SHOW {name}"), &[]).await.unwrap();
            row.get::<_, String>(0)
        }
    };
    if setting("ssl").await != "on" {
        eprintln!("skipped the_store_uses_tls_as_sslmode_says: the server does not offer TLS");
        return;
    }
    // Whether the server sees the store's connections encrypted: they carry a name of their own.
    let encrypted = |name: String| {
        let admin = &admin;
        async move {
            let row = admin
                .query_one(
                    "SELECT count(*), coalesce(bool_and(s.ssl), false) FROM pg_stat_activity a
                     JOIN pg_stat_ssl s USING (pid) WHERE a.application_name = $1",
                    &[&name],
                )
                .await
                .unwrap();
            let connections: i64 = row.get(0);
            assert!(connections > 0, "no connection named {name}");
            row.get::<_, bool>(1)
        }
    };
    // Each store's connections carry a name of their own: a closed store's may linger.
    let name = |case: &str| format!("fl_{}_{case}", std::process::id());
    let open = |case: &'static str, query: String| {
        let url = format!("{}&application_name={}&{query}", database.url(), name(case));
        async move { Store::open(&url).await.map_err(|e| e.to_string()) }
    };

    let store = open("default", String::new()).await.unwrap();
    assert!(
        encrypted(name("default")).await,
        "the default (prefer) encrypts when it can"
    );
    store.close().await;
    let store = open("disable", "sslmode=disable".into()).await.unwrap();
    assert!(
        !encrypted(name("disable")).await,
        "sslmode=disable stays plain"
    );
    store.close().await;
    let store = open("require", "sslmode=require".into()).await.unwrap();
    assert!(encrypted(name("require")).await);
    store.close().await;

    // The test server's certificate is its own (not from a public authority): `verify-full`
    // without `sslrootcert` refuses it, and says why.
    let error = open("public", "sslmode=verify-full".into())
        .await
        .err()
        .expect("refused");
    assert!(error.contains("certificate"), "{error}");

    let certificate = setting("ssl_cert_file").await;
    let Ok(pem) = std::fs::read(&certificate) else {
        eprintln!("skipped the sslrootcert cases: the server's certificate is not readable here");
        return;
    };
    // A copy in a folder of the test's own, as an operator would be given it.
    let folder = tempfile::tempdir().unwrap();
    let root = folder.path().join("server-ca.pem");
    std::fs::write(&root, pem).unwrap();
    let root = root.display().to_string();
    let store = open("ca", format!("sslmode=verify-ca&sslrootcert={root}"))
        .await
        .unwrap();
    assert!(encrypted(name("ca")).await);
    store.close().await;

    // `verify-full` checks the name too: a certificate issued for names is not valid for
    // the address 127.0.0.1, and is for `localhost` when it names it.
    if database.base_url.contains("@127.0.0.1") {
        let error = open("address", format!("sslmode=verify-full&sslrootcert={root}"))
            .await
            .err()
            .expect("refused for an address the certificate does not name");
        assert!(error.contains("not valid for name"), "{error}");
        let by_name = format!(
            "{}&application_name={}&sslmode=verify-full&sslrootcert={root}",
            database.url().replacen("@127.0.0.1", "@localhost", 1),
            name("full")
        );
        match Store::open(&by_name).await {
            Ok(store) => {
                assert!(encrypted(name("full")).await);
                store.close().await;
            }
            Err(error) => {
                let error = error.to_string();
                assert!(error.contains("not valid for name"), "{error}");
                eprintln!("skipped verify-full by name: the certificate does not name localhost");
            }
        }
    }
}

/// A store URL may hold a password: no error repeats it. Needs no server.
#[tokio::test]
async fn store_errors_never_repeat_the_password() {
    for url in [
        "postgres://firstline:hunter2-secret@127.0.0.1:1/firstline?connect_timeout=2",
        "postgresql://firstline:hunter2-secret@[::1:bad/firstline",
        "mysql://firstline:hunter2-secret@127.0.0.1/firstline",
        "postgres://firstline:hunter2-secret@127.0.0.1/firstline?sslmode=bogus",
        "postgres://firstline:hunter2-secret@127.0.0.1:1/f?sslmode=verify-full&sslrootcert=%2Fnone",
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

// The TLS part of a store URL, read as libpq reads it. Need no server.

#[test]
fn the_tls_keys_leave_the_url_and_the_others_stay() {
    let (url, settings) = pg_tls::split_url(
        "postgres://u:p@db:5432/app?sslmode=verify-full&options=-csearch_path%3Dx&sslrootcert=certs%2Fdb%20ca.pem",
    )
    .unwrap();
    assert_eq!(url, "postgres://u:p@db:5432/app?options=-csearch_path%3Dx");
    assert_eq!(settings.mode, SslMode::Require);
    assert_eq!(settings.verify, pg_tls::Verify::AuthorityAndHost);
    assert_eq!(
        settings.root_certificates,
        Some(PathBuf::from("certs/db ca.pem"))
    );
}

#[test]
fn modes_follow_libpq() {
    let mode = |url: &str| {
        let (_, s) = pg_tls::split_url(url).unwrap();
        (s.mode, s.verify)
    };
    assert_eq!(
        mode("postgres://h/d"),
        (SslMode::Prefer, pg_tls::Verify::Nothing)
    );
    assert_eq!(
        mode("postgres://h/d?sslmode=disable"),
        (SslMode::Disable, pg_tls::Verify::Nothing)
    );
    assert_eq!(
        mode("postgres://h/d?sslmode=require"),
        (SslMode::Require, pg_tls::Verify::Nothing)
    );
    assert_eq!(
        mode("postgres://h/d?sslmode=require&sslrootcert=ca.pem"),
        (SslMode::Require, pg_tls::Verify::Authority)
    );
    assert_eq!(
        mode("postgres://h/d?sslmode=verify-ca"),
        (SslMode::Require, pg_tls::Verify::Authority)
    );
    let (url, _) = pg_tls::split_url("postgres://h/d?sslmode=disable").unwrap();
    assert_eq!(url, "postgres://h/d");
}

#[test]
fn an_unknown_mode_is_named_and_the_password_is_not() {
    let error = pg_tls::split_url("postgres://u:secret@h/d?sslmode=allow-everything").unwrap_err();
    assert!(error.contains("allow-everything"), "{error}");
    assert!(error.contains("verify-full"), "{error}");
    assert!(!error.contains("secret"), "{error}");
}

#[test]
fn a_missing_or_empty_root_file_is_a_clear_error() {
    let settings = |path: &std::path::Path| pg_tls::TlsSettings {
        mode: SslMode::Require,
        verify: pg_tls::Verify::AuthorityAndHost,
        root_certificates: Some(path.to_path_buf()),
    };
    let folder = tempfile::tempdir().unwrap();
    let missing = folder.path().join("missing.pem");
    let error = pg_tls::client_config(&settings(&missing)).unwrap_err();
    assert!(
        error.contains("missing.pem") && error.contains("cannot read"),
        "{error}"
    );
    let empty = folder.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let error = pg_tls::client_config(&settings(&empty)).unwrap_err();
    assert!(error.contains("no usable certificate"), "{error}");
}
