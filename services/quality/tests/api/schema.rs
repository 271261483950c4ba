//! Quality's own schema: an earlier release kept quality's tables beside the CRM's
//! (public schema; the customers SQLite file) with the customers migrator's versions 3
//! and 9; upgrading adopts them, rows included, and leaves none behind.

use crate::helpers::*;
use crate::quality::{client, good_zh, inspect, load_default};
use sqlx::{Connection, Executor};
use symbolon_contracts::customers::v1 as cpb;
use symbolon_contracts::quality::v1 as pb;
use symbolon_testkit::{Backend, TestDb, authed, both_backends};

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

async fn connect(url: &str) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(url).await.unwrap()
}

async fn run(c: &mut sqlx::AnyConnection, sql: &str) {
    c.execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

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
            run(
                &mut c,
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                 VALUES (3, 'quality', TRUE, '\\x00', 0), (9, 'filter indexes', TRUE, '\\x00', 0)",
            )
            .await;
        }
        Backend::Sqlite => {
            let main = db.url.trim_start_matches("sqlite://");
            let main = main.split('?').next().unwrap();
            let own = main.replace("test.db", "test-quality.db");
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
}

async fn an_earlier_releases_quality_data_survives_the_upgrade(backend: Backend) {
    let app = spawn_app(backend).await;
    app.customer("acme", cpb::Industry::Retail, "CN").await;
    let mut q = client(&app).await;
    let standard = load_default(&app, &mut q, "support-chat").await;
    let report = inspect(
        &app,
        &mut q,
        "standards/support-chat",
        good_zh("c1", "li@vendor", "customers/acme", 0),
    )
    .await;
    let db = app.stop().await;
    assert_eq!(quality_tables_beside_the_crm(&db).await, 0, "new layout");

    as_an_earlier_release(&db).await;
    assert_eq!(quality_tables_beside_the_crm(&db).await, 7, "old layout");

    let app = start(db).await;
    let mut q = client(&app).await;
    let admin_now = app.admin.clone();
    let got = q
        .get_standard(authed(
            &admin_now,
            pb::GetStandardRequest {
                name: standard.name.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got, standard);
    let got = q
        .get_report(authed(
            &admin_now,
            pb::GetReportRequest {
                name: report.name.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got, report);
    // Written after the upgrade, beside what was adopted.
    inspect(
        &app,
        &mut q,
        "standards/support-chat",
        good_zh("c2", "li@vendor", "customers/acme", 100),
    )
    .await;
    let db = app.stop().await;
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
    }
}
