//! EvaluateStandard: a standard's agreement with labelled conversations.

use super::{QualityApi, READERS, convert};
use crate::{evaluate, inspect::CompiledStandard, pb, store, validate};
use std::sync::Arc;
use symbolon_platform::{Caller, Violations};
use tonic::{Request, Status};

/// Conversations one call may carry.
const MAX_CONVERSATIONS: usize = 1_000;
/// Disagreements one answer may list.
const MAX_DISAGREEMENTS: i32 = 1_000;

impl QualityApi {
    pub(crate) async fn evaluate_standard_impl(
        &self,
        req: Request<pb::EvaluateStandardRequest>,
    ) -> Result<pb::EvaluateStandardResponse, Status> {
        // Labels and reviewed conversations are the vendor's QA material.
        let (_, r) = Caller::split_vendor(req, READERS)?;
        let mut v = Violations::new();
        match (&r.draft, r.standard.is_empty()) {
            (Some(_), false) => v.add("draft", "give either `standard` or `draft`, not both"),
            (None, true) => v.add("standard", "is required (or a `draft`)"),
            (Some(d), true) => validate::standard(d, "draft", &mut v),
            (None, false) => {}
        }
        if r.draft.is_some() && r.include_reviewed_reports {
            v.add(
                "include_reviewed_reports",
                "needs a stored `standard` (a draft has no reports)",
            );
        }
        if r.conversations.len() > MAX_CONVERSATIONS {
            v.add(
                "conversations",
                format!("at most {MAX_CONVERSATIONS} per call"),
            );
        }
        if !(0..=MAX_DISAGREEMENTS).contains(&r.max_disagreements) {
            v.add(
                "max_disagreements",
                format!("must be between 0 and {MAX_DISAGREEMENTS}"),
            );
        }
        for (n, item) in r.conversations.iter().enumerate() {
            let p = format!("conversations[{n}]");
            match &item.conversation {
                Some(c) => validate::conversation(c, &format!("{p}.conversation"), false, &mut v),
                None => v.add(format!("{p}.conversation"), "is required"),
            }
            if item.language.chars().count() > 16 {
                v.add(format!("{p}.language"), "at most 16 characters");
            }
            if item.group.chars().count() > 64 {
                v.add(format!("{p}.group"), "at most 64 characters");
            }
            for (k, l) in item.labels.iter().enumerate() {
                if !matches!(
                    pb::Verdict::try_from(l.verdict),
                    Ok(pb::Verdict::Pass | pb::Verdict::Fail | pb::Verdict::NotApplicable)
                ) {
                    v.add(
                        format!("{p}.labels[{k}].verdict"),
                        "must be PASS, FAIL or NOT_APPLICABLE",
                    );
                }
            }
        }
        v.into_result()?;

        let (compiled, standard_id) = match r.draft {
            Some(d) => (Arc::new(CompiledStandard::compile(&d, "")), None),
            None => {
                let res = self.resolve_standard("standard", &r.standard).await?;
                (res.compiled, Some(res.standard_id))
            }
        };
        // Labels must name the standard's indicators.
        let mut v = Violations::new();
        for (n, item) in r.conversations.iter().enumerate() {
            for (k, l) in item.labels.iter().enumerate() {
                if !compiled
                    .indicators
                    .iter()
                    .any(|i| i.spec.id == l.indicator_id)
                {
                    v.add(
                        format!("conversations[{n}].labels[{k}].indicator_id"),
                        "is not an indicator of the standard",
                    );
                }
            }
        }
        v.into_result()?;

        let mut items = r.conversations;
        if let (true, Some(id)) = (r.include_reviewed_reports, &standard_id) {
            let room = MAX_CONVERSATIONS.saturating_sub(items.len()) as i64;
            let reviewed = convert::reports(
                &store::reviewed_reports(&self.db, id, i64::MIN, i64::MAX, room).await?,
            )?;
            items.extend(reviewed.iter().filter_map(evaluate::from_reviewed));
        }
        let max = if r.max_disagreements == 0 {
            100
        } else {
            r.max_disagreements as usize
        };
        let inspector = self.inspector.clone();
        // Thousands of conversations take a while: off the I/O threads.
        tokio::task::spawn_blocking(move || {
            evaluate::evaluate(inspector.as_ref(), &compiled, &items, max)
        })
        .await
        .map_err(|_| Status::internal("evaluation failed"))
    }
}
