//! Test verification: plans with cases, runs with per-case verdicts and evidence
//! digests; a plan's status derives from its latest run.

use super::{
    Api,
    access::*,
    convert,
    labs::{list_pb, list_scoped},
    releases::is_sha256,
};
use crate::store::{self, CaseDef, CaseResultDef, TestPlanRow, TestRunRow};
use std::{collections::HashSet, sync::Arc};
use symbolon_contracts::labs::v1::{self as pb, MemberRole, TestPlanStatus, Verdict};
use symbolon_platform::{
    Caller, Violations,
    aip::{chosen_or_new_id, request_key, text},
    names, status,
};
use tonic::Status;

pub(crate) async fn create_test_plan(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::CreateTestPlanRequest,
) -> Result<pb::TestPlan, Status> {
    let ids = parse("parent", &r.parent, &["labs"])?;
    let mut v = Violations::new();
    let key = request_key(c, "CreateTestPlan", &r.parent, &r, &mut v);
    let p = r.test_plan.unwrap_or_default();
    text(&mut v, "test_plan.title", &p.title, true, 300);
    if p.cases.is_empty() || p.cases.len() > 1000 {
        v.add("test_plan.cases", "between 1 and 1000 cases");
    }
    let mut seen = HashSet::new();
    for (i, case) in p.cases.iter().enumerate() {
        if names::check_id(&case.id).is_err() || !seen.insert(case.id.clone()) {
            v.add(
                format!("test_plan.cases[{i}].id"),
                "must be a unique id of lowercase letters, digits and '-'",
            );
        }
        text(
            &mut v,
            &format!("test_plan.cases[{i}].title"),
            &case.title,
            true,
            300,
        );
    }
    let id = chosen_or_new_id(&mut v, "test_plan_id", &r.test_plan_id);
    v.into_result()?;
    let a = open(&api.db, c, ids[0]).await?;
    a.require(CONTRIBUTORS, "writing a test plan")?;
    let cases: Vec<CaseDef> = p
        .cases
        .into_iter()
        .map(|x| CaseDef {
            id: x.id,
            title: x.title.trim().into(),
            expected: x.expected_result,
        })
        .collect();
    let now = api.clock.now();
    let name = format!("{}/testPlans/{id}", a.name());
    let row: TestPlanRow = store::insert(
        &api.db,
        &[
            "id",
            "lab_id",
            "title",
            "cases",
            "create_time",
            "update_time",
        ],
        vec![
            id.into(),
            a.id().into(),
            p.title.trim().into(),
            store::to_json(&cases).into(),
            now.into(),
            now.into(),
        ],
        key,
    )
    .await
    .map_err(status::exists_on_conflict(&name))?;
    Ok(convert::test_plan(row, None))
}

/// The test plan named `name`, sent in request field `field` (`name` or `parent`).
async fn plan(
    api: &Api,
    c: &Arc<Caller>,
    field: &str,
    name: &str,
) -> Result<(Access, TestPlanRow), Status> {
    child(&api.db, c, field, name, &["labs", "testPlans"]).await
}

async fn with_status(api: &Api, p: TestPlanRow) -> Result<pb::TestPlan, Status> {
    let latest = store::latest_run(&api.db, &store::parent_key(&p.meta.scope, &p.meta.id)).await?;
    Ok(convert::test_plan(p, latest.as_ref()))
}

pub(crate) async fn get_test_plan(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::GetTestPlanRequest,
) -> Result<pb::TestPlan, Status> {
    let (_, p) = plan(api, c, "name", &r.name).await?;
    with_status(api, p).await
}

pub(crate) async fn list_test_plans(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::ListTestPlansRequest,
) -> Result<pb::ListTestPlansResponse, Status> {
    let a = open_named(&api.db, c, "parent", &r.parent).await?;
    let (rows, next_page) = list_scoped::<TestPlanRow>(
        api,
        a.id(),
        &format!("plans;{}", r.parent),
        r.page_size,
        &r.page_token,
    )
    .await?;
    let mut test_plans = Vec::with_capacity(rows.len());
    for p in rows {
        test_plans.push(with_status(api, p).await?);
    }
    let next_page_token = next_page.token(&mut test_plans);
    Ok(pb::ListTestPlansResponse {
        test_plans,
        next_page_token,
    })
}

/// FAILED if any case failed, else INCOMPLETE if any is blocked or missing, else PASSED.
pub(crate) fn outcome(cases: &[CaseDef], results: &[CaseResultDef]) -> TestPlanStatus {
    if results.iter().any(|r| r.verdict == Verdict::Failed as i32) {
        return TestPlanStatus::Failed;
    }
    let passed = cases.iter().all(|c| {
        results
            .iter()
            .any(|r| r.case_id == c.id && r.verdict == Verdict::Passed as i32)
    });
    if passed {
        TestPlanStatus::Passed
    } else {
        TestPlanStatus::Incomplete
    }
}

pub(crate) async fn create_test_run(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::CreateTestRunRequest,
) -> Result<pb::TestRun, Status> {
    let mut v = Violations::new();
    let key = request_key(c, "CreateTestRun", &r.parent, &r, &mut v);
    let run = r.test_run.unwrap_or_default();
    v.into_result()?;
    let (a, p) = plan(api, c, "parent", &r.parent).await?;
    let mut v = Violations::new();
    if run.results.is_empty() {
        v.add("test_run.results", "at least one case result is required");
    }
    let mut seen = HashSet::new();
    for (i, res) in run.results.iter().enumerate() {
        if !p.cases.iter().any(|c| c.id == res.case_id) || !seen.insert(res.case_id.clone()) {
            v.add(
                format!("test_run.results[{i}].case_id"),
                "must name a case of the plan, once",
            );
        }
        if Verdict::try_from(res.verdict).map_or(true, |x| x == Verdict::Unspecified) {
            v.add(format!("test_run.results[{i}].verdict"), "is required");
        }
        for (j, d) in res.evidence_sha256.iter().enumerate() {
            if !is_sha256(d) {
                v.add(
                    format!("test_run.results[{i}].evidence_sha256[{j}]"),
                    "must be 64 lowercase hex digits",
                );
            }
        }
        text(
            &mut v,
            &format!("test_run.results[{i}].note"),
            &res.note,
            false,
            4000,
        );
    }
    v.into_result()?;
    a.require(
        &[MemberRole::VendorEngineer, MemberRole::CustomerEngineer],
        "recording a test run",
    )?;
    let results: Vec<CaseResultDef> = run
        .results
        .into_iter()
        .map(|x| CaseResultDef {
            case_id: x.case_id,
            verdict: x.verdict,
            evidence: x.evidence_sha256,
            note: x.note,
        })
        .collect();
    let outcome = outcome(&p.cases, &results);
    let row: TestRunRow = store::insert(
        &api.db,
        &[
            "parent",
            "id",
            "results",
            "outcome",
            "author",
            "create_time",
        ],
        vec![
            store::parent_key(a.id(), &p.meta.id).into(),
            names::new_id().into(),
            store::to_json(&results).into(),
            i64::from(outcome as i32).into(),
            c.subject.clone().into(),
            api.clock.now().into(),
        ],
        key,
    )
    .await?;
    Ok(convert::test_run(row))
}

pub(crate) async fn get_test_run(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::GetTestRunRequest,
) -> Result<pb::TestRun, Status> {
    let collections = ["labs", "testPlans", "testRuns"];
    let (_, row) = child::<TestRunRow>(&api.db, c, "name", &r.name, &collections).await?;
    Ok(convert::test_run(row))
}

pub(crate) async fn list_test_runs(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::ListTestRunsRequest,
) -> Result<pb::ListTestRunsResponse, Status> {
    let (a, p) = plan(api, c, "parent", &r.parent).await?;
    let (test_runs, next_page_token) = list_pb::<TestRunRow, _>(
        api,
        &store::parent_key(a.id(), &p.meta.id),
        &format!("runs;{}", r.parent),
        (r.page_size, &r.page_token),
        convert::test_run,
    )
    .await?;
    Ok(pb::ListTestRunsResponse {
        test_runs,
        next_page_token,
    })
}
