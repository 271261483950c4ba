//! Scripted-reply templates and their A/B tests.

use super::{QualityApi, READERS, SCRIPT_EDITORS, SCRIPT_USERS, convert, parse_name};
use crate::{
    pb, stats,
    store::{self, Script, ScriptKind, ScriptRow},
    validate,
};
use prost::Message;
use std::collections::HashMap;
use std::sync::Arc;
use symbolon_platform::{Caller, Violations, aip, names, status, time};
use tonic::{Request, Status};

/// FNV-1a, 64 bits: stable across processes and releases (unlike std's hasher).
fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (k, p) in parts.iter().enumerate() {
        if k > 0 {
            h ^= 0xff;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        for b in p.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The variant of `experiment` for `customer_key`: deterministic, so sticky.
pub(crate) fn assign(experiment_id: &str, variants: &[String], customer_key: &str) -> String {
    if variants.is_empty() {
        return String::new();
    }
    let n = variants.len() as u64;
    variants[(fnv1a(&[experiment_id, customer_key]) % n) as usize].clone()
}

fn template_proto(row: &ScriptRow) -> Result<pb::Template, Status> {
    let mut t: pb::Template = convert::decode(&row.body)?;
    t.name = format!("templates/{}", row.id);
    t.create_time = Some(time::to_timestamp(row.create_time));
    t.etag = "1".into();
    Ok(t)
}

fn experiment_proto(row: &ScriptRow) -> Result<pb::Experiment, Status> {
    let mut e: pb::Experiment = convert::decode(&row.body)?;
    e.name = format!("experiments/{}", row.id);
    e.create_time = Some(time::to_timestamp(row.create_time));
    e.etag = "1".into();
    Ok(e)
}

fn id_or_new(field: &str, id: &str, v: &mut Violations) -> String {
    if id.is_empty() {
        names::new_id()
    } else {
        if names::check_id(id).is_err() {
            v.add(field, "1-63 lowercase letters, digits or '-'");
        }
        id.to_string()
    }
}

impl QualityApi {
    async fn template(&self, name: &str, field: &str) -> Result<pb::Template, Status> {
        let ids = parse_name(field, name, &["templates"])?;
        let row = store::get_script(&self.db, ScriptKind::Template, ids[0])
            .await?
            .ok_or_else(|| status::not_found(name))?;
        template_proto(&row)
    }

    async fn experiment(
        &self,
        name: &str,
        field: &str,
    ) -> Result<(String, pb::Experiment), Status> {
        let ids = parse_name(field, name, &["experiments"])?;
        let row = store::get_script(&self.db, ScriptKind::Experiment, ids[0])
            .await?
            .ok_or_else(|| status::not_found(name))?;
        Ok((ids[0].to_string(), experiment_proto(&row)?))
    }

    pub(crate) async fn create_template_impl(
        &self,
        caller: &Arc<Caller>,
        r: pb::CreateTemplateRequest,
    ) -> Result<pb::Template, Status> {
        caller.require_vendor(SCRIPT_EDITORS)?;
        let mut v = Violations::new();
        let key = aip::request_key(caller, "CreateTemplate", "", &r, &mut v);
        let mut t = r.template.unwrap_or_default();
        validate::template(&t, "template", &mut v);
        let id = id_or_new("template_id", &r.template_id, &mut v);
        v.into_result()?;
        let mut placeholders: Vec<String> = Vec::new();
        for var in &t.variants {
            for p in validate::placeholders(&var.text) {
                if !placeholders.contains(&p) {
                    placeholders.push(p);
                }
            }
        }
        t.placeholders = placeholders;
        t.name.clear();
        t.create_time = None;
        t.etag.clear();
        let name = format!("templates/{id}");
        let stored = store::insert_script(
            &self.db,
            Script::Template {
                scenario: &t.scenario,
            },
            &id,
            &t.encode_to_vec(),
            self.clock.now(),
            key,
        )
        .await
        .map_err(status::exists_on_conflict(&name))?;
        self.template(&format!("templates/{stored}"), "template_id")
            .await
    }

    pub(crate) async fn get_template_impl(
        &self,
        caller: &Arc<Caller>,
        r: pb::GetTemplateRequest,
    ) -> Result<pb::Template, Status> {
        caller.require_vendor(SCRIPT_USERS)?;
        self.template(&r.name, "name").await
    }

    pub(crate) async fn list_templates_impl(
        &self,
        caller: &Arc<Caller>,
        r: pb::ListTemplatesRequest,
    ) -> Result<pb::ListTemplatesResponse, Status> {
        caller.require_vendor(SCRIPT_USERS)?;
        let query = format!("templates;{}", r.filter);
        let (limit, after) = aip::checked_page(r.page_size, &r.page_token, &query)?;
        let page = store::list_templates(&self.db, &r.filter, after, limit).await??;
        let (templates, next_page_token) =
            aip::page_items(page, &query, |row| template_proto(&row))?;
        Ok(pb::ListTemplatesResponse {
            templates,
            next_page_token,
        })
    }

    pub(crate) async fn render_template_impl(
        &self,
        caller: &Arc<Caller>,
        r: pb::RenderTemplateRequest,
    ) -> Result<pb::RenderTemplateResponse, Status> {
        caller.require_vendor(SCRIPT_USERS)?;
        let t = self.template(&r.name, "name").await?;
        let variant_id = if !r.variant_id.is_empty() {
            r.variant_id.clone()
        } else if !r.experiment.is_empty() {
            let (eid, e) = self.experiment(&r.experiment, "experiment").await?;
            if e.template != r.name {
                return Err(status::invalid_argument(
                    "experiment",
                    "tests another template",
                ));
            }
            if r.customer_key.is_empty() {
                return Err(status::invalid_argument(
                    "customer_key",
                    "is required with an experiment",
                ));
            }
            assign(&eid, &e.variants, &r.customer_key)
        } else {
            t.variants.first().map(|v| v.id.clone()).unwrap_or_default()
        };
        let var = t
            .variants
            .iter()
            .find(|v| v.id == variant_id)
            .ok_or_else(|| {
                status::invalid_argument("variant_id", "is not a variant of this template")
            })?;
        let text = validate::render(&var.text, &r.values).map_err(|missing| {
            let mut v = Violations::new();
            for m in missing {
                v.add(format!("values[{m}]"), "is required by the variant");
            }
            v.into_result()
                .err()
                .unwrap_or_else(|| status::invalid_argument("values", "missing"))
        })?;
        Ok(pb::RenderTemplateResponse {
            variant_id,
            text,
            empathy_phrase: var.empathy_phrase.clone(),
        })
    }

    pub(crate) async fn create_experiment_impl(
        &self,
        caller: &Arc<Caller>,
        r: pb::CreateExperimentRequest,
    ) -> Result<pb::Experiment, Status> {
        caller.require_vendor(SCRIPT_EDITORS)?;
        let mut v = Violations::new();
        let key = aip::request_key(caller, "CreateExperiment", "", &r, &mut v);
        let mut e = r.experiment.unwrap_or_default();
        let id = id_or_new("experiment_id", &r.experiment_id, &mut v);
        let template = match names::parse(&e.template, &["templates"]) {
            Err(err) => {
                v.add("experiment.template", err.to_string());
                None
            }
            Ok(_) => match self.template(&e.template, "experiment.template").await {
                Ok(t) => Some(t),
                Err(s) if s.code() == tonic::Code::NotFound => {
                    v.add("experiment.template", "no such template");
                    None
                }
                Err(s) => return Err(s),
            },
        };
        if let Some(t) = &template {
            if e.variants.is_empty() {
                e.variants = t.variants.iter().map(|v| v.id.clone()).collect();
            }
            for (k, var) in e.variants.iter().enumerate() {
                if !t.variants.iter().any(|tv| &tv.id == var) {
                    v.add(
                        format!("experiment.variants[{k}]"),
                        "is not a variant of the template",
                    );
                } else if e.variants[..k].contains(var) {
                    v.add(format!("experiment.variants[{k}]"), "is listed twice");
                }
            }
            if e.variants.len() < 2 {
                v.add("experiment.variants", "at least two variants are needed");
            }
        }
        if matches!(
            pb::Metric::try_from(e.primary_metric),
            Ok(pb::Metric::Unspecified) | Err(_)
        ) {
            v.add(
                "experiment.primary_metric",
                "is required and must be a known metric",
            );
        }
        if e.confidence_threshold == 0.0 {
            e.confidence_threshold = 0.95;
        }
        if !(0.5..=0.9999).contains(&e.confidence_threshold) {
            v.add(
                "experiment.confidence_threshold",
                "must be between 0.5 and 0.9999",
            );
        }
        if e.min_samples == 0 {
            e.min_samples = 30;
        }
        if !(2..=1_000_000).contains(&e.min_samples) {
            v.add("experiment.min_samples", "must be between 2 and 1,000,000");
        }
        aip::text(
            &mut v,
            "experiment.display_name",
            &e.display_name,
            false,
            200,
        );
        v.into_result()?;
        e.name.clear();
        e.create_time = None;
        e.etag.clear();
        let template_id = e.template.trim_start_matches("templates/").to_string();
        let stored = store::insert_script(
            &self.db,
            Script::Experiment {
                template_id: &template_id,
            },
            &id,
            &e.encode_to_vec(),
            self.clock.now(),
            key,
        )
        .await
        .map_err(status::exists_on_conflict(&format!("experiments/{id}")))?;
        Ok(self
            .experiment(&format!("experiments/{stored}"), "experiment_id")
            .await?
            .1)
    }

    pub(crate) async fn get_experiment_impl(
        &self,
        caller: &Arc<Caller>,
        r: pb::GetExperimentRequest,
    ) -> Result<pb::Experiment, Status> {
        caller.require_vendor(SCRIPT_USERS)?;
        Ok(self.experiment(&r.name, "name").await?.1)
    }

    pub(crate) async fn assign_variant_impl(
        &self,
        caller: &Arc<Caller>,
        r: pb::AssignVariantRequest,
    ) -> Result<pb::AssignVariantResponse, Status> {
        caller.require_vendor(SCRIPT_USERS)?;
        let mut v = Violations::new();
        aip::text(&mut v, "customer_key", &r.customer_key, true, 200);
        v.into_result()?;
        let (id, e) = self.experiment(&r.experiment, "experiment").await?;
        Ok(pb::AssignVariantResponse {
            variant_id: assign(&id, &e.variants, &r.customer_key),
        })
    }

    pub(crate) async fn record_outcome_impl(
        &self,
        caller: &Arc<Caller>,
        r: pb::RecordOutcomeRequest,
    ) -> Result<pb::Outcome, Status> {
        caller.require_vendor(SCRIPT_USERS)?;
        let mut v = Violations::new();
        let key = aip::request_key(caller, "RecordOutcome", &r.experiment, &r, &mut v);
        let mut o = r.outcome.unwrap_or_default();
        aip::text(
            &mut v,
            "outcome.conversation_id",
            &o.conversation_id,
            true,
            200,
        );
        aip::text(&mut v, "outcome.customer_key", &o.customer_key, true, 200);
        if o.qa_score.is_some_and(|s| !(0.0..=100.0).contains(&s)) {
            v.add("outcome.qa_score", "must be between 0 and 100");
        }
        if o.csat.is_some_and(|c| !(1..=5).contains(&c)) {
            v.add("outcome.csat", "must be between 1 and 5");
        }
        if o.qa_score.is_none() && o.csat.is_none() && o.resolved.is_none() {
            v.add(
                "outcome",
                "at least one of qa_score, csat and resolved is required",
            );
        }
        let parsed = names::parse(&r.experiment, &["experiments"]);
        if let Err(e) = &parsed {
            v.add("experiment", e.to_string());
        }
        v.into_result()?;
        let (id, e) = self.experiment(&r.experiment, "experiment").await?;
        let assigned = assign(&id, &e.variants, &o.customer_key);
        if !o.variant_id.is_empty() && o.variant_id != assigned {
            return Err(status::invalid_argument(
                "outcome.variant_id",
                format!("the customer is assigned variant {assigned:?}"),
            ));
        }
        o.variant_id = assigned;
        store::insert_outcome(
            &self.db,
            &id,
            &convert::outcome_row(&o),
            self.clock.now(),
            key,
        )
        .await?
        .map(convert::outcome)
        .ok_or_else(|| {
            status::already_exists(&format!("{}/outcomes/{}", r.experiment, o.conversation_id))
        })
    }

    pub(crate) async fn get_experiment_results_impl(
        &self,
        req: Request<pb::GetExperimentResultsRequest>,
    ) -> Result<pb::ExperimentResults, Status> {
        let caller = Caller::of(&req)?;
        let roles: Vec<&str> = READERS.iter().chain(SCRIPT_EDITORS).copied().collect();
        caller.require_vendor(&roles)?;
        let name = req.into_inner().name;
        let (id, e) = self.experiment(&name, "name").await?;
        let outcomes: Vec<pb::Outcome> = store::outcomes(&self.db, &id, 1_000_000)
            .await?
            .into_iter()
            .map(convert::outcome)
            .collect();
        Ok(results(&name, &e, &outcomes))
    }
}

/// Per-variant samples of one metric.
fn samples(
    e: &pb::Experiment,
    outcomes: &[pb::Outcome],
    metric: pb::Metric,
) -> HashMap<String, Vec<f64>> {
    let mut by: HashMap<String, Vec<f64>> =
        e.variants.iter().map(|v| (v.clone(), Vec::new())).collect();
    for o in outcomes {
        let x = match metric {
            pb::Metric::QaScore => o.qa_score,
            pb::Metric::Csat => o.csat.map(f64::from),
            pb::Metric::ResolutionRate => o.resolved.map(|r| if r { 1.0 } else { 0.0 }),
            pb::Metric::Unspecified => None,
        };
        if let (Some(x), Some(list)) = (x, by.get_mut(&o.variant_id)) {
            list.push(x);
        }
    }
    by
}

/// The experiment's figures, comparisons and (maybe) winner.
pub(crate) fn results(
    name: &str,
    e: &pb::Experiment,
    outcomes: &[pb::Outcome],
) -> pb::ExperimentResults {
    let mut out = pb::ExperimentResults {
        experiment: name.to_string(),
        primary_metric: e.primary_metric,
        confidence_threshold: e.confidence_threshold,
        ..Default::default()
    };
    let Some(control) = e.variants.first() else {
        return out;
    };
    for metric in [
        pb::Metric::QaScore,
        pb::Metric::Csat,
        pb::Metric::ResolutionRate,
    ] {
        let by = samples(e, outcomes, metric);
        if by.values().all(Vec::is_empty) {
            continue;
        }
        let proportion = metric == pb::Metric::ResolutionRate;
        let stats_of: Vec<pb::VariantStats> = e
            .variants
            .iter()
            .map(|v| {
                let xs = by.get(v).map(Vec::as_slice).unwrap_or_default();
                let (mean, sd) = stats::mean_sd(xs);
                pb::VariantStats {
                    variant_id: v.clone(),
                    samples: xs.len() as i64,
                    mean,
                    std_dev: if proportion { 0.0 } else { sd },
                }
            })
            .collect();
        let a = by.get(control).map(Vec::as_slice).unwrap_or_default();
        for v in &e.variants[1..] {
            let b = by.get(v).map(Vec::as_slice).unwrap_or_default();
            let test = if proportion {
                let count = |xs: &[f64]| xs.iter().filter(|x| **x > 0.5).count() as u64;
                stats::two_proportion(count(a), a.len() as u64, count(b), b.len() as u64)
            } else {
                stats::welch(a, b)
            };
            if let Some(t) = test {
                out.comparisons.push(pb::Comparison {
                    metric: metric as i32,
                    variant_id: v.clone(),
                    control_id: control.clone(),
                    difference: t.difference,
                    statistic: t.statistic,
                    degrees_of_freedom: t.df,
                    p_value: t.p_value,
                    confidence: 1.0 - t.p_value,
                    test: if proportion {
                        "two-proportion-z"
                    } else {
                        "welch-t"
                    }
                    .into(),
                });
            }
        }
        match metric {
            pb::Metric::QaScore => out.qa_score = stats_of,
            pb::Metric::Csat => out.csat = stats_of,
            _ => out.resolution_rate = stats_of,
        }
    }
    decide(e, &mut out);
    out
}

/// A winner only when the best variant beats the rest past the threshold with enough
/// samples on each side.
fn decide(e: &pb::Experiment, out: &mut pb::ExperimentResults) {
    let primary = e.primary_metric;
    let figures = match pb::Metric::try_from(primary) {
        Ok(pb::Metric::QaScore) => &out.qa_score,
        Ok(pb::Metric::Csat) => &out.csat,
        _ => &out.resolution_rate,
    };
    let min = i64::from(e.min_samples);
    if figures.is_empty() || figures.iter().any(|f| f.samples < min) {
        out.explanation = format!(
            "no winner yet: every variant needs at least {min} outcomes with the primary metric"
        );
        return;
    }
    let comps: Vec<&pb::Comparison> = out
        .comparisons
        .iter()
        .filter(|c| c.metric == primary)
        .collect();
    let significant = |c: &pb::Comparison| c.confidence >= e.confidence_threshold;
    // The best challenger that beats the control significantly.
    let best = comps
        .iter()
        .filter(|c| c.difference > 0.0 && significant(c))
        .max_by(|a, b| a.difference.total_cmp(&b.difference));
    if let Some(c) = best {
        out.winner = c.variant_id.clone();
        out.explanation = format!(
            "{} beats the control {} by {:.4} with confidence {:.4} ({}), past the threshold {}",
            c.variant_id, c.control_id, c.difference, c.confidence, c.test, e.confidence_threshold
        );
        return;
    }
    if !comps.is_empty() && comps.iter().all(|c| c.difference < 0.0 && significant(c)) {
        out.winner = e.variants.first().cloned().unwrap_or_default();
        out.explanation = format!(
            "the control {} beats every challenger past the threshold {}",
            out.winner, e.confidence_threshold
        );
        return;
    }
    out.explanation = format!(
        "no winner: no difference reaches the confidence threshold {}",
        e.confidence_threshold
    );
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn assignment_is_deterministic_and_spreads() {
        let vs = vec!["a".to_string(), "b".to_string()];
        assert_eq!(
            assign("e1", &vs, "customers/acme"),
            assign("e1", &vs, "customers/acme")
        );
        let a = (0..1000)
            .filter(|i| assign("e1", &vs, &format!("c{i}")) == "a")
            .count();
        assert!((400..600).contains(&a), "{a}");
    }
}
