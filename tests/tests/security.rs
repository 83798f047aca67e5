//! Secrets at rest and in output, on every backend:
//! - hashed session tokens work end to end, and a dump of the database in
//!   that mode holds no token that opens a session;
//! - no token, token hash or secret reaches any tracing output (ours,
//!   SeaORM's or sqlx's, all at TRACE) or any `Debug`/`Display` of a public
//!   type, across a full scenario including failures.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use authstore::entity::sessions;
use authstore::{
    AuthStore, Config, Error, NewAccount, NewUser, OAuthTokens, Secret, TokenStorage, UserPatch,
};
use authstore_migration::{Migrator, MigratorTrait};
use authstore_tests::{Backend, TestDb, backend_tests, sha256_hex};
use sea_orm::{ConnectOptions, Database, EntityTrait};

const SECRET: &str = "security-test-secret-4b1d";

backend_tests!(
    hashed_session_tokens_work_and_a_dump_opens_nothing,
    no_secret_reaches_logs_or_debug_output
);

async fn hashed_session_tokens_work_and_a_dump_opens_nothing(db: &TestDb) {
    Migrator::up(&db.conn, None).await.unwrap();
    let config = Config::builder(SECRET)
        .session_token_storage(TokenStorage::Hashed)
        .build()
        .unwrap();
    let store = AuthStore::new(db.conn.clone(), config);
    let user = store
        .users()
        .create(NewUser {
            email: Some("ada@example.com".into()),
            ..Default::default()
        })
        .await
        .unwrap();

    let mut issued = Vec::new();
    for _ in 0..5 {
        let session = store.sessions().create(user.id).await.unwrap();
        assert_eq!(session.session_token.expose().len(), 64, "256 bits, hex");
        issued.push(session);
    }
    // The client's token works for every operation.
    let first = issued[0].session_token.expose();
    let found = store
        .sessions()
        .get_session_and_user(first)
        .await
        .unwrap()
        .expect("lookup by hash");
    assert_eq!(found.session.session_token.expose(), first);
    assert_eq!(
        store.sessions().renew(first).await.unwrap().id,
        issued[0].id
    );
    assert!(store.sessions().delete(first).await.unwrap());
    assert_eq!(
        store.sessions().get_session_and_user(first).await.unwrap(),
        None
    );

    // The dump: every stored column value, none of them a client token, and
    // none of them usable as one.
    let dump = sessions::Entity::find().all(&db.conn).await.unwrap();
    assert_eq!(dump.len(), 4);
    let dumped = format!("{dump:?}");
    for session in &issued {
        assert!(
            !dumped.contains(session.session_token.expose()),
            "a session token is stored"
        );
        assert!(
            !dumped.contains(session.access_token.expose()),
            "an access token is stored"
        );
    }
    for row in &dump {
        assert_eq!(row.session_token.len(), 64);
        let original = issued.iter().find(|s| s.id == row.id).unwrap();
        assert_eq!(
            row.session_token,
            sha256_hex(original.session_token.expose()),
            "stored as sha256(token)"
        );
        for stolen in [&row.session_token, &row.access_token] {
            let opened = store.sessions().get_session_and_user(stolen).await.unwrap();
            assert_eq!(
                opened, None,
                "a value from the dump must not open a session"
            );
            assert!(matches!(
                store.sessions().renew(stolen).await,
                Err(Error::NotFound)
            ));
        }
    }

    // The default stays next-auth's plain storage.
    let plain = AuthStore::new(db.conn.clone(), Config::new(SECRET).unwrap());
    let session = plain.sessions().create(user.id).await.unwrap();
    let row = sessions::Entity::find_by_id(session.id)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.session_token, session.session_token.expose());

    // Switching a deployment over (docs/next-auth.md, "Hashed session tokens"): hash the
    // stored plain tokens in place; cookies already issued keep working.
    let convert = match db.backend {
        Backend::Postgres => Some(SWITCH_TO_HASHED_POSTGRES),
        Backend::MySql => Some(SWITCH_TO_HASHED_MYSQL),
        Backend::Sqlite => None, // no SHA-256 in SQL: sign everyone out instead
    };
    if let Some(sql) = convert {
        use sea_orm::ConnectionTrait;
        // Only the plain row: the others are hashed already.
        db.conn
            .execute_unprepared(&format!("{sql} WHERE id = {}", session.id))
            .await
            .unwrap();
        let found = store
            .sessions()
            .get_session_and_user(session.session_token.expose())
            .await
            .unwrap();
        assert_eq!(
            found.map(|f| f.session.id),
            Some(session.id),
            "an old cookie works after the switch"
        );
    }
}

/// The conversions docs/next-auth.md gives, verbatim.
const SWITCH_TO_HASHED_POSTGRES: &str = "UPDATE sessions SET session_token = encode(sha256(session_token::bytea), 'hex'), access_token = encode(sha256(access_token::bytea), 'hex')";
const SWITCH_TO_HASHED_MYSQL: &str = "UPDATE sessions SET session_token = SHA2(session_token, 256), access_token = SHA2(access_token, 256)";

/// Everything any subscriber would have been given, at TRACE, from every
/// test in this binary.
fn captured_logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || CaptureWriter(sink.clone()))
            .init();
        logs
    })
}

struct CaptureWriter(Arc<Mutex<Vec<u8>>>);

impl Write for CaptureWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn no_secret_reaches_logs_or_debug_output(db: &TestDb) {
    let logs = captured_logs();
    Migrator::up(&db.conn, None).await.unwrap();
    // A pool of its own with sqlx's statement logging on, so that is captured too.
    let mut options = ConnectOptions::new(&db.url);
    options
        .max_connections(2)
        .sqlx_logging(true)
        .sqlx_logging_level(tracing::log::LevelFilter::Trace);
    let conn = Database::connect(options).await.unwrap();

    let mut printed = String::new();
    let mut secrets: Vec<String> = vec![SECRET.to_owned()];
    for storage in [TokenStorage::Plain, TokenStorage::Hashed] {
        let config = Config::builder(SECRET)
            .session_token_storage(storage)
            .build()
            .unwrap();
        let store = AuthStore::new(conn.clone(), config.clone());
        printed += &format!("{config:?}{store:?}");
        let email = format!("{storage:?}@example.com").to_lowercase();

        let user = store
            .users()
            .create(NewUser {
                email: Some(email.clone()),
                ..Default::default()
            })
            .await
            .unwrap();
        let duplicate = store
            .users()
            .create(NewUser {
                email: Some(email.clone()),
                ..Default::default()
            })
            .await;
        let invalid = store
            .users()
            .update(
                user.id,
                UserPatch {
                    image: Some(Some("ftp://x".into())),
                    ..Default::default()
                },
            )
            .await;
        printed += &format!("{user:?}{duplicate:?}{invalid:?}");
        printed += &format!("{}{}", duplicate.unwrap_err(), invalid.unwrap_err());

        let oauth_access = format!("gho_{storage:?}_access_0f9e8d");
        let oauth_refresh = format!("ghr_{storage:?}_refresh_7a6b5c");
        secrets.extend([oauth_access.clone(), oauth_refresh.clone()]);
        let account = NewAccount {
            user_id: user.id,
            provider_type: "oauth".into(),
            provider_id: "github".into(),
            provider_account_id: format!("{storage:?}"),
            access_token: Some(Secret::from(oauth_access.as_str())),
            refresh_token: Some(Secret::from(oauth_refresh.as_str())),
            access_token_expires: None,
        };
        printed += &format!("{account:?}");
        let linked = store.accounts().link(account.clone()).await.unwrap();
        let relinked = store.accounts().link(account).await;
        let rotated = store
            .accounts()
            .update_tokens("github", &format!("{storage:?}"), OAuthTokens::default())
            .await;
        printed += &format!(
            "{linked:?}{relinked:?}{rotated:?}{:?}",
            store.accounts().list(user.id).await
        );

        let session = store.sessions().create(user.id).await.unwrap();
        secrets.extend([
            session.session_token.expose().to_owned(),
            session.access_token.expose().to_owned(),
        ]);
        secrets.extend([
            sha256_hex(session.session_token.expose()),
            sha256_hex(session.access_token.expose()),
        ]);
        let token = session.session_token.expose().to_owned();
        printed += &format!(
            "{session:?}{:?}",
            store.sessions().get_session_and_user(&token).await
        );
        printed += &format!(
            "{:?}{:?}",
            store.sessions().renew(&token).await,
            store.sessions().list(user.id).await
        );
        printed += &format!(
            "{:?}{:?}",
            store.sessions().delete(&token).await,
            store.sessions().renew(&token).await
        );

        let (request, link_token) = store.verification().create(&email).await.unwrap();
        secrets.extend([
            link_token.expose().to_owned(),
            sha256_hex(&format!("{}{SECRET}", link_token.expose())),
        ]);
        printed += &format!("{request:?}{link_token:?}{link_token}");
        printed += &format!(
            "{:?}",
            store
                .verification()
                .consume(&email, link_token.expose())
                .await
        );
        printed += &format!(
            "{:?}",
            store
                .verification()
                .consume(&email, link_token.expose())
                .await
        );
        printed += &format!("{:?}", store.users().delete(user.id).await);
    }
    conn.close().await.unwrap();

    let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("created session"),
        "the capture must see authstore's own events"
    );
    assert!(
        logs.contains("sessions"),
        "the capture must see sqlx's statements"
    );
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "a secret reached the logs");
        assert!(
            !printed.contains(secret.as_str()),
            "a secret reached Debug/Display output"
        );
    }
    assert!(printed.contains("[redacted]"));
    let _ = writeln!(
        std::io::stderr(),
        "figures: {}: {} secrets searched for in {} bytes of TRACE logs and {} bytes of Debug/Display output: 0 found",
        db.backend.name(),
        secrets.len(),
        logs.len(),
        printed.len()
    );
}
