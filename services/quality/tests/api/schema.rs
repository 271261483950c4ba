//! Quality's own schema: an earlier release kept quality's tables beside the CRM's
//! (public schema; the customers SQLite file) with the customers migrator's versions 3
//! and 9, and protobuf bodies as hex TEXT only; upgrading adopts them, rows included,
//! leaves none behind, and reads their bodies from the bytes column of migration 10,
//! which this release writes beside the hex the previous release still reads.

use crate::helpers::*;
use crate::quality::{good_zh, inspect, load_default};
use prost::Message;
use symbolon_contracts::customers::v1 as cpb;
use symbolon_contracts::quality::v1 as pb;
use symbolon_testkit::{Backend, TestDb, both_backends, connect, run_sql as run};

/// The tables with a protobuf body.
const BODIES: [&str; 5] = [
    "quality_standard_versions",
    "quality_reports",
    "quality_disputes",
    "quality_templates",
    "quality_experiments",
];

/// Hex text, as the previous release encodes a body.
fn hex(m: &impl Message) -> String {
    m.encode_to_vec()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A template as the previous release stores it (the row's columns fill the rest).
fn template(scenario: &str) -> pb::Template {
    pb::Template {
        scenario: scenario.into(),
        display_name: format!("{scenario} replies"),
        variants: vec![pb::TemplateVariant {
            id: "a".into(),
            text: "We are sorry about {item}.".into(),
            ..Default::default()
        }],
        placeholders: vec!["item".into()],
        ..Default::default()
    }
}

/// What GetTemplate answers for `t` stored under `id` at `time` (microseconds).
fn served(mut t: pb::Template, id: &str, time: i64) -> pb::Template {
    t.name = format!("templates/{id}");
    t.create_time = Some(symbolon_platform::time::to_timestamp(time));
    t.etag = "1".into();
    t
}

/// The SQLite file of quality's own schema.
fn quality_file(db: &TestDb) -> String {
    let main = db.url.trim_start_matches("sqlite://");
    let main = main.split('?').next().unwrap_or_default();
    main.replace("test.db", "test-quality.db")
}

/// Quality's tables, parents before children.
const TABLES: [&str; 7] = [
    "quality_standards",
    "quality_standard_versions",
    "quality_reports",
    "quality_disputes",
    "quality_templates",
    "quality_experiments",
    "quality_outcomes",
];

both_backends!(an_earlier_releases_quality_data_survives_the_upgrade);

/// How many quality tables the CRM's own place holds.
async fn quality_tables_beside_the_crm(db: &TestDb) -> i64 {
    let sql = match db.backend() {
        Backend::Postgres => {
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' \
             AND table_type = 'BASE TABLE' AND table_name LIKE 'quality%'"
        }
        Backend::Sqlite => {
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'quality%'"
        }
    };
    let mut c = connect(&db.url).await;
    sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
}

/// Puts the quality tables back where an earlier release had them, with its migration
/// history (versions 3 and 9 applied, 17 not yet).
async fn as_an_earlier_release(db: &TestDb) {
    let mut c = connect(&db.url).await;
    match db.backend() {
        Backend::Postgres => {
            for t in TABLES {
                run(
                    &mut c,
                    &format!("ALTER TABLE quality.{t} SET SCHEMA public"),
                )
                .await;
            }
            run(&mut c, "DROP SCHEMA quality CASCADE").await;
            for t in BODIES {
                run(&mut c, &format!("ALTER TABLE {t} DROP COLUMN body_bytes")).await;
            }
            run(
                &mut c,
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                 VALUES (3, 'quality', TRUE, '\\x00', 0), (9, 'filter indexes', TRUE, '\\x00', 0)",
            )
            .await;
        }
        Backend::Sqlite => {
            let own = quality_file(db);
            run(&mut c, &format!("ATTACH DATABASE '{own}' AS q")).await;
            for t in TABLES {
                let ddl: String =
                    sqlx::query_scalar("SELECT sql FROM q.sqlite_master WHERE name = $1")
                        .bind(t)
                        .fetch_one(&mut c)
                        .await
                        .unwrap();
                run(&mut c, &ddl).await;
                run(&mut c, &format!("INSERT INTO main.{t} SELECT * FROM q.{t}")).await;
            }
            run(&mut c, "DETACH DATABASE q").await;
            for t in BODIES {
                run(&mut c, &format!("ALTER TABLE {t} DROP COLUMN body_bytes")).await;
            }
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{own}{suffix}"));
            }
            run(
                &mut c,
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                 VALUES (3, 'quality', 1, X'00', 0), (9, 'filter indexes', 1, X'00', 0)",
            )
            .await;
        }
    }
    run(&mut c, "DELETE FROM _sqlx_migrations WHERE version = 17").await;
    // Written by the previous release: hex TEXT, no bytes.
    run(
        &mut c,
        &format!(
            "INSERT INTO quality_templates (id, scenario, body, create_time) \
             VALUES ('from-before', 'late-delivery', '{}', 5)",
            hex(&template("late-delivery"))
        ),
    )
    .await;
}

/// A connection where the previous release's pods write during the rollout: the views
/// under the old names (PostgreSQL), or quality's own file (SQLite, for its triggers).
async fn as_the_previous_release(db: &TestDb) -> sqlx::AnyConnection {
    match db.backend() {
        Backend::Postgres => connect(&db.url).await,
        Backend::Sqlite => connect(&format!("sqlite://{}", quality_file(db))).await,
    }
}

/// Rows whose bytes are missing or differ from their hex text (which the previous
/// release reads), in quality's tables.
async fn bodies_out_of_step(db: &TestDb) -> i64 {
    let (mut c, prefix, bytes_hex) = match db.backend() {
        Backend::Postgres => (
            connect(&db.url).await,
            "quality.",
            "encode(body_bytes, 'hex')",
        ),
        Backend::Sqlite => (
            connect(&format!("sqlite://{}", quality_file(db))).await,
            "",
            "lower(hex(body_bytes))",
        ),
    };
    let mut n = 0;
    for t in BODIES {
        let sql = format!(
            "SELECT count(*) FROM {prefix}{t} WHERE body_bytes IS NULL OR {bytes_hex} <> body"
        );
        n += sqlx::query_scalar::<_, i64>(&sql)
            .fetch_one(&mut c)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    n
}

async fn an_earlier_releases_quality_data_survives_the_upgrade(backend: Backend) {
    let app = spawn_app(backend).await;
    app.customer("acme", cpb::Industry::Retail, "CN").await;
    let standard = load_default(&app, "support-chat").await;
    let report = inspect(
        &app,
        "standards/support-chat",
        good_zh("c1", "li@vendor", "customers/acme", 0),
    )
    .await;
    let db = app.stop().await;
    assert_eq!(quality_tables_beside_the_crm(&db).await, 0, "new layout");

    as_an_earlier_release(&db).await;
    assert_eq!(quality_tables_beside_the_crm(&db).await, 7, "old layout");

    let app = start(db).await;
    let got = app
        .call(pb::GetStandardRequest {
            name: standard.name.clone(),
        })
        .await;
    assert_eq!(got, standard);
    let got = app
        .call(pb::GetReportRequest {
            name: report.name.clone(),
        })
        .await;
    assert_eq!(got, report);
    // Written by the previous release as hex only: read from the back-filled bytes.
    let got = app
        .call(pb::GetTemplateRequest {
            name: "templates/from-before".into(),
        })
        .await;
    assert_eq!(got, served(template("late-delivery"), "from-before", 5));
    // Written after the upgrade, beside what was adopted, and read back.
    let new = inspect(
        &app,
        "standards/support-chat",
        good_zh("c2", "li@vendor", "customers/acme", 100),
    )
    .await;
    let got = app
        .call(pb::GetReportRequest {
            name: new.name.clone(),
        })
        .await;
    assert_eq!(got, new);

    // During the rollout the previous release's pods write hex only: an insert, and
    // an update of a body (as a review would) that leaves the bytes as they were.
    let mut old = as_the_previous_release(app.db()).await;
    run(
        &mut old,
        &format!(
            "INSERT INTO quality_templates (id, scenario, body, create_time) \
             VALUES ('during-rollout', 'greeting', '{}', 7)",
            hex(&template("greeting"))
        ),
    )
    .await;
    let mut reviewed = report.clone();
    reviewed.name.clear();
    reviewed.create_time = None;
    reviewed.update_time = None;
    reviewed.etag.clear();
    reviewed.reviewer = "an-old-pod@vendor".into();
    let id = report.name.trim_start_matches("reports/");
    run(
        &mut old,
        &format!(
            "UPDATE quality_reports SET body = '{}' WHERE id = '{id}'",
            hex(&reviewed)
        ),
    )
    .await;
    drop(old);
    let got = app
        .call(pb::GetTemplateRequest {
            name: "templates/during-rollout".into(),
        })
        .await;
    assert_eq!(got, served(template("greeting"), "during-rollout", 7));
    let got = app
        .call(pb::GetReportRequest {
            name: report.name.clone(),
        })
        .await;
    assert_eq!(got.reviewer, "an-old-pod@vendor");
    assert_eq!(got.results, report.results);
    assert_eq!(got.conversation, report.conversation);
    let db = app.stop().await;
    assert_eq!(
        bodies_out_of_step(&db).await,
        0,
        "every body readable by both releases"
    );
    assert_eq!(
        quality_tables_beside_the_crm(&db).await,
        0,
        "adopted, none left"
    );
    if backend == Backend::Postgres {
        // The previous release's pods, still running during a rollout, read and write
        // through the views left under the old names.
        let mut c = connect(&db.url).await;
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM quality_reports")
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert_eq!(n, 2);
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM quality_templates")
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert_eq!(n, 2);
    }
}
