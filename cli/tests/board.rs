//! `symbolon board` end to end and in a real browser: the real customers and
//! supply-chain services on loopback hold a quarter (key persons' moods, anxieties, a
//! resolved and an open incident, a kept and an at-risk commitment); the command writes
//! the board and the portfolio ranking; headless Debian chromium loads each page with
//! no console message (its CSP forbids any fetch, and every host resolves to nothing)
//! and keeps a screenshot under `target/tmp/board/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{path::Path, process::Command, time::Duration};
use symbolon_contracts::customers::v1 as pb;
use symbolon_customers::CustomersConfig;
use symbolon_platform::auth::Org;
use symbolon_supplychain::SupplyChainConfig;
use symbolon_testkit::{
    Api, Backend, Keys, TestDb, at, channel, create_depot_request, create_site_request,
    server_config, set_stock_request,
};

/// The quarter before today's, `YYYY-Qn`, and a time (seconds) in each of its months.
fn last_quarter() -> (String, [i64; 3]) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (year, month) = symbolon_testkit::civil_from_days(now / 86_400);
    let q = (month - 1) / 3; // 0-based quarter of today
    let (y, pq) = if q == 0 { (year - 1, 3) } else { (year, q - 1) };
    // Days from civil (the 15th of each month of that quarter, noon).
    let days = |y: i64, m: i64, d: i64| {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    };
    let at = |i: i64| days(y, pq * 3 + 1 + i, 15) * 86_400 + 12 * 3600;
    (format!("{y}-Q{}", pq + 1), [at(0), at(1), at(2)])
}

fn ts(seconds: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp { seconds, nanos: 0 })
}

fn dur(seconds: i64) -> Option<prost_types::Duration> {
    Some(prost_types::Duration { seconds, nanos: 0 })
}

/// The chromium to test with: `CHROMIUM`, or `chromium` on the PATH (scripts/test.sh
/// installs Debian's). Missing, the test fails: it is not skipped.
fn chromium() -> String {
    let exe = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let found = Command::new(&exe)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "no chromium ({exe}); scripts/test.sh installs Debian's `chromium`"
    );
    exe
}

/// Loads `page` in headless chromium: its console messages, its DOM, and a screenshot
/// written to `png`.
fn browse(page: &Path, png: &Path) -> (Vec<String>, String) {
    let exe = chromium();
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", page.display());
    let run = |extra: &[String]| {
        let out = Command::new(&exe)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--enable-logging=stderr",
                "--v=0",
                // Nothing may come from the network: every host resolves to nothing.
                "--host-resolver-rules=MAP * ~NOTFOUND",
                "--window-size=1600,2000",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg(&url)
            .output()
            .expect("run chromium");
        assert!(out.status.success(), "chromium failed: {out:?}");
        out
    };
    let shot = run(&[format!("--screenshot={}", png.display())]);
    let dom = run(&["--dump-dom".to_string()]);
    let console = [&shot.stderr, &dom.stderr]
        .iter()
        .flat_map(|e| {
            String::from_utf8_lossy(e)
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|l| l.contains(":CONSOLE"))
        .collect();
    (console, String::from_utf8_lossy(&dom.stdout).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_renders_in_a_real_browser_without_a_console_message() {
    let keys = Keys::new();
    let admin = keys.vendor_admin();
    let sc_db = TestDb::new(Backend::Sqlite).await;
    let cu_db = TestDb::new(Backend::Sqlite).await;
    let sc_app = symbolon_supplychain::Application::build(SupplyChainConfig::with_server(
        server_config("supplychain", &sc_db.url, &keys),
    ))
    .await
    .expect("supply chain");
    let sc_addr = sc_app.local_addr();
    let sc_stop = sc_app.shutdown_token();
    tokio::spawn(sc_app.run_until_stopped());
    let cu_app = symbolon_customers::Application::build(
        CustomersConfig::new(server_config("customers", &cu_db.url, &keys))
            .with_supplychain(format!("http://{sc_addr}"), None),
    )
    .await
    .expect("customers");
    let cu_addr = cu_app.local_addr();
    let cu_stop = cu_app.shutdown_token();
    tokio::spawn(cu_app.run_until_stopped());

    // Lima depot, and a customer with a site beside it and one far away.
    let sc_channel = channel(sc_addr).await;
    let sc = at(&sc_channel, &admin);
    let depot = create_depot_request("lima", "Lima", "PE", (-12.02, -77.11));
    sc.call(depot).await;
    sc.call(set_stock_request("depots/lima/stockLevels/SPX-400", 4))
        .await;
    let cu = channel(cu_addr).await;
    let crm = at(&cu, &admin);
    crm.call(symbolon_testkit::create_customer_request(
        "andes",
        "Andes Energía",
        pb::Industry::Energy,
        "PE",
    ))
    .await;
    for (id, cc, lat, lng) in [
        ("lima", "PE", -12.05, -77.04),
        ("cusco", "PE", -13.53, -71.97),
    ] {
        let plant = format!("{id} plant");
        crm.call(create_site_request(
            "customers/andes",
            id,
            &plant,
            cc,
            (lat, lng),
        ))
        .await;
    }
    for (id, name, title) in [
        ("cto", "Dr. Elena Quispe", "CTO"),
        ("ops", "Marco Rojas", "Head of operations"),
    ] {
        crm.call(pb::CreateKeyPersonRequest {
            parent: "customers/andes".into(),
            key_person: Some(pb::KeyPerson {
                display_name: name.into(),
                title: title.into(),
                decision_role: pb::DecisionRole::DecisionMaker as i32,
                ..Default::default()
            }),
            key_person_id: id.into(),
            request_id: String::new(),
        })
        .await;
    }
    let (quarter, months) = last_quarter();
    use pb::Mood::*;
    let feelings = [
        ("cto", Angry, 0, "Regulator fines after an hour of outage"),
        (
            "cto",
            Concerned,
            1,
            "Regulator fines after an hour of outage",
        ),
        ("cto", Satisfied, 2, "Data sovereignty of the cloud backups"),
        ("ops", Anxious, 0, "Spare parts for the Cusco plant"),
        ("ops", Calm, 2, "Regulator fines after an hour of outage"),
    ];
    for (who, mood, month, anxiety) in feelings {
        crm.call(pb::RecordTouchpointRequest {
            parent: "customers/andes".into(),
            touchpoint: Some(pb::Touchpoint {
                kind: pb::TouchpointKind::Meeting as i32,
                key_person: format!("customers/andes/keyPersons/{who}"),
                occur_time: ts(months[month]),
                summary: "Quarterly check-in".into(),
                emotional_state: Some(pb::EmotionalState {
                    mood: mood as i32,
                    intensity: 4,
                }),
                strategic_anxiety: anxiety.into(),
                implicit_expectations: vec!["Candid fault notices".into()],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await;
    }
    // A resolved incident and an open one.
    let frontline = keys.token("li.wei", &Org::Vendor, &["frontline", "department:rnd"]);
    let mut opened = Vec::new();
    for (summary, at) in [
        ("Night outage at the Lima core", months[0]),
        ("SCADA link flapping", months[2]),
    ] {
        opened.push(
            crm.by(&frontline)
                .call(pb::OpenIncidentRequest {
                    parent: "customers/andes".into(),
                    incident: Some(pb::Incident {
                        site: "customers/andes/sites/lima".into(),
                        severity: pb::Severity::Critical as i32,
                        summary: summary.into(),
                        detect_time: ts(at),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                })
                .await,
        );
    }
    let fr = crm
        .by(&frontline)
        .call(pb::CallForFireRequest {
            parent: opened[0].name.clone(),
            fire_request: Some(pb::FireRequest {
                department: "rnd".into(),
                ask: "Find the root cause".into(),
                acknowledge_within: dur(600),
                fulfil_within: dur(3600),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await;
    crm.by(&frontline)
        .call(pb::FulfilFireRequestRequest {
            name: fr.name,
            note: "fixed".into(),
        })
        .await;
    crm.by(&frontline)
        .call(pb::CloseIncidentRequest {
            name: opened[0].name.clone(),
            fault_notice: Some(pb::FaultNotice {
                root_cause: "A line card failed after a power surge".into(),
                customer_impact: "Data service lost for 40 minutes".into(),
                timeline: "02:39 detected, 03:30 restored".into(),
                what_changes: "Surge protection on every rack".into(),
            }),
        })
        .await;
    // A commitment kept (Lima) and one at risk (Cusco, too far for 4 hours).
    for (name, site, accept_risk) in [
        ("Lima core non-stop", "lima", false),
        ("Cusco plant 4-hour parts", "cusco", true),
    ] {
        crm.by(&frontline)
            .call(pb::CreateCommitmentRequest {
                parent: "customers/andes".into(),
                commitment: Some(pb::Commitment {
                    display_name: name.into(),
                    clauses: vec![pb::CommitmentClause {
                        kind: Some(pb::commitment_clause::Kind::SpareParts(
                            pb::SparePartsClause {
                                sites: vec![format!("customers/andes/sites/{site}")],
                                part_numbers: vec!["SPX-400".into()],
                                window: dur(4 * 3600),
                            },
                        )),
                    }],
                    ..Default::default()
                }),
                request_id: String::new(),
                accept_risk,
            })
            .await;
    }

    // The command writes both pages.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("board");
    std::fs::create_dir_all(&dir).unwrap();
    let exe = env!("CARGO_BIN_EXE_symbolon");
    let board = dir.join("board-andes.html");
    let ranking = dir.join("board-portfolio.html");
    for (out, extra) in [(&board, vec!["--customer", "andes"]), (&ranking, vec![])] {
        let status = Command::new(exe)
            .args([
                "board",
                "--quarter",
                &quarter,
                "--addr",
                &format!("http://{cu_addr}"),
            ])
            .args(extra)
            .arg("--out")
            .arg(out)
            .env("SYMBOLON_TOKEN", &admin)
            .output()
            .expect("run symbolon board");
        assert!(status.status.success(), "{status:?}");
    }
    let html = std::fs::read_to_string(&board).unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing to fetch"
    );
    assert!(!html.contains("<script"));

    // In the browser: no console message, every chart drawn, the names on the page.
    let (console, dom) = browse(&board, &dir.join("board-andes.png"));
    assert!(console.is_empty(), "console: {console:?}");
    assert_eq!(dom.matches("<svg").count(), 6, "gauge and five charts");
    for text in [
        "Andes Energía",
        "Dr. Elena Quispe (CTO)",
        "Marco Rojas (Head of operations)",
        "Regulator fines after an hour of outage — 3 times",
        "Night outage at the Lima core",
        "SCADA link flapping",
        "open for",
        "Cusco plant 4-hour parts",
        "1 kept",
        "1 at risk",
        "0 breached",
        "2 incidents, 1 open",
    ] {
        assert!(
            dom.contains(&svg_text(text)),
            "{text} missing from the board"
        );
    }
    assert!(!dom.contains("depots/"), "no supply-chain ids on the board");
    let png = std::fs::metadata(dir.join("board-andes.png")).unwrap();
    assert!(
        png.len() > 20_000,
        "a screenshot with content: {} bytes",
        png.len()
    );

    let (console, dom) = browse(&ranking, &dir.join("board-portfolio.png"));
    assert!(console.is_empty(), "console: {console:?}");
    assert!(dom.contains("Andes Energía") && dom.contains("1 open critical incident"));

    // The check itself can fail: a page that logs is caught.
    let noisy = dir.join("noisy.html");
    std::fs::write(
        &noisy,
        "<!doctype html><p>x</p><script>console.error('boom')</script>",
    )
    .unwrap();
    let (console, _) = browse(&noisy, &dir.join("noisy.png"));
    // Once per load (the screenshot and the DOM dump).
    assert_eq!(console.len(), 2, "{console:?}");
    assert!(console.iter().all(|l| l.contains("boom")), "{console:?}");

    cu_stop.cancel();
    sc_stop.cancel();
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// `text` as the DOM serialises it.
fn svg_text(text: &str) -> String {
    text.replace('&', "&amp;")
}
