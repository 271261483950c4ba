//! Scoring models, country scores and the ranking.

use super::{Api, common::*, insert_once};
use crate::{
    convert,
    model::scoring::{self, validate_weights},
    store::{self, CountryRow, GLOBAL, ModelRow, ScoreRow, change, models, snapshot},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use prost::Message;
use std::collections::BTreeMap;
use symbolon_contracts::supplychain::v1 as pb;
use symbolon_platform::{Caller, Violations, db::Value, names, status, time::to_timestamp};
use tonic::Status;

fn check_weights(
    v: &mut Violations,
    field: &str,
    w: &std::collections::BTreeMap<String, f64>,
) -> BTreeMap<String, f64> {
    let weights: BTreeMap<String, f64> = w.iter().map(|(k, x)| (k.clone(), *x)).collect();
    if let Err(errors) = validate_weights(&weights) {
        for (k, e) in errors {
            if k.is_empty() {
                v.add(field, e.to_string());
            } else {
                v.add(format!("{field}.{k}"), e.to_string());
            }
        }
    }
    weights
}

/// Scores a country row with a model row.
pub(crate) fn score_of(country: &CountryRow, model: &ModelRow, now: i64) -> pb::CountryScore {
    let s = scoring::score(&model.weights, &|f| {
        country.factors.get(f).map(|x| x.normalized)
    });
    pb::CountryScore {
        name: String::new(),
        country: country.meta.id.clone(),
        score: s.total,
        model: format!("scoringModels/{}", model.meta.id),
        model_version: model.model_version,
        contributions: s
            .contributions
            .into_iter()
            .map(|c| pb::FactorContribution {
                input: country.factors.get(&c.factor).map(convert::factor),
                factor: c.factor,
                weight: c.weight,
                normalized_value: c.normalized,
                contribution: c.points,
                present: c.present,
            })
            .collect(),
        rank: 0,
        compute_time: Some(to_timestamp(now)),
    }
}

/// A recorded score as it was computed (its contributions kept encoded).
fn recorded_score(row: ScoreRow) -> pb::CountryScore {
    let mut s = STANDARD
        .decode(&row.detail)
        .ok()
        .and_then(|b| pb::CountryScore::decode(b.as_slice()).ok())
        .unwrap_or_default();
    s.name = format!("countryProfiles/{}/scores/{}", row.country, row.id);
    s.country = row.country;
    s.score = row.score;
    s.model = row.model;
    s.model_version = row.model_version;
    s.compute_time = Some(to_timestamp(row.compute_time));
    s
}

impl Api {
    async fn model_named(&self, field: &str, name: &str) -> Result<ModelRow, Status> {
        if name.is_empty() {
            let mut conn = self
                .db
                .reader()
                .acquire()
                .await
                .map_err(symbolon_platform::StoreError::from)?;
            return snapshot::active_model(&mut conn).await?.ok_or_else(|| {
                status::failed_precondition(
                    "NO_ACTIVE_MODEL",
                    "scoringModels",
                    "no scoring model is active: create one (the first is activated) or activate one",
                )
            });
        }
        self.live(&parse_id(field, name, "scoringModels")?, name)
            .await
    }

    pub(super) async fn create_scoring_model(
        &self,
        c: &Caller,
        r: pb::CreateScoringModelRequest,
    ) -> Result<pb::ScoringModel, Status> {
        c.require_vendor(PROFILE_WRITERS)?;
        let mut v = Violations::new();
        let key = request_key(c, "CreateScoringModel", "", &r, &mut v);
        let m = r.scoring_model.unwrap_or_default();
        text(
            &mut v,
            "scoring_model.display_name",
            &m.display_name,
            true,
            200,
        );
        text(
            &mut v,
            "scoring_model.description",
            &m.description,
            false,
            2000,
        );
        let weights = check_weights(&mut v, "scoring_model.weights", &m.weights);
        let id = chosen_or_new_id(&mut v, "scoring_model_id", &r.scoring_model_id);
        v.into_result()?;
        let name = format!("scoringModels/{id}");
        let now = self.clock.now();
        let mut ch = change::begin(&self.db).await?;
        let active_exists = snapshot::active_model(ch.conn()).await?.is_some();
        let (row, created): (ModelRow, bool) = insert_once(
            &mut ch,
            "scoring_models",
            &[
                "id",
                "scope",
                "display_name",
                "description",
                "weights",
                "model_version",
                "active",
                "create_time",
                "update_time",
            ],
            vec![
                id.into(),
                GLOBAL.into(),
                m.display_name.trim().into(),
                m.description.clone().into(),
                serde_json::to_string(&weights).unwrap_or_default().into(),
                Value::Int(1),
                Value::Int(i64::from(!active_exists)),
                now.into(),
                now.into(),
            ],
            key,
            &name,
        )
        .await?;
        self.finish_create(ch, created, now, &format!("{name} created"), false)
            .await?;
        Ok(convert::model(row))
    }

    pub(super) async fn get_scoring_model(
        &self,
        c: &Caller,
        r: pb::GetScoringModelRequest,
    ) -> Result<pb::ScoringModel, Status> {
        c.require_vendor(READERS)?;
        let id = parse_id("name", &r.name, "scoringModels")?;
        Ok(convert::model(self.found(GLOBAL, &id, &r.name).await?))
    }

    pub(super) async fn list_scoring_models(
        &self,
        c: &Caller,
        r: pb::ListScoringModelsRequest,
    ) -> Result<pb::ListScoringModelsResponse, Status> {
        c.require_vendor(READERS)?;
        let (scoring_models, next_page_token) = list_pb::<ModelRow, _>(
            &self.db,
            (GLOBAL, "", "scoringModels"),
            r.page_size,
            &r.page_token,
            convert::model,
        )
        .await?;
        Ok(pb::ListScoringModelsResponse {
            scoring_models,
            next_page_token,
        })
    }

    pub(super) async fn update_scoring_model(
        &self,
        c: &Caller,
        r: pb::UpdateScoringModelRequest,
    ) -> Result<pb::ScoringModel, Status> {
        c.require_vendor(PROFILE_WRITERS)?;
        let m = r.scoring_model.unwrap_or_default();
        let id = parse_id("scoring_model.name", &m.name, "scoringModels")?;
        let mut v = Violations::new();
        let mut populated = Vec::new();
        if !m.display_name.is_empty() {
            populated.push("display_name");
        }
        if !m.description.is_empty() {
            populated.push("description");
        }
        if !m.weights.is_empty() {
            populated.push("weights");
        }
        let paths = mask_paths(
            r.update_mask.as_ref(),
            &["display_name", "description", "weights"],
            &populated,
            &mut v,
        );
        let mut sets: Vec<(&'static str, Value)> = Vec::new();
        let mut bump = false;
        for p in &paths {
            match *p {
                "display_name" => {
                    text(
                        &mut v,
                        "scoring_model.display_name",
                        &m.display_name,
                        true,
                        200,
                    );
                    sets.push(("display_name", m.display_name.trim().into()));
                }
                "description" => {
                    text(
                        &mut v,
                        "scoring_model.description",
                        &m.description,
                        false,
                        2000,
                    );
                    sets.push(("description", m.description.clone().into()));
                }
                _ => {
                    let w = check_weights(&mut v, "scoring_model.weights", &m.weights);
                    sets.push((
                        "weights",
                        serde_json::to_string(&w).unwrap_or_default().into(),
                    ));
                    bump = true;
                }
            }
        }
        v.into_result()?;
        let now = self.clock.now();
        let mut ch = change::begin(&self.db).await?;
        let written =
            models::update_model(&mut ch, &id, sets, bump, etag_version(&m.etag), now).await?;
        let Some(row) = written else {
            ch.rollback().await?;
            let exists = store::get_live::<ModelRow>(&self.db, GLOBAL, &id)
                .await?
                .is_some();
            return Err(if exists {
                status::stale_etag(&m.name)
            } else {
                status::not_found(&m.name)
            });
        };
        self.commit(ch, now, &format!("{} updated", m.name), false)
            .await?;
        Ok(convert::model(row))
    }

    pub(super) async fn delete_scoring_model(
        &self,
        c: &Caller,
        r: pb::DeleteScoringModelRequest,
    ) -> Result<pb::ScoringModel, Status> {
        c.require_vendor(PROFILE_WRITERS)?;
        let id = parse_id("name", &r.name, "scoringModels")?;
        let existing = self.live::<ModelRow>(&id, &r.name).await?;
        if existing.active {
            return Err(status::failed_precondition(
                "MODEL_ACTIVE",
                &r.name,
                "the active scoring model cannot be deleted: activate another first",
            ));
        }
        let now = self.clock.now();
        let w = store::soft_delete::<ModelRow>(&self.db, GLOBAL, &id, etag_version(&r.etag), now)
            .await?;
        Ok(convert::model(written(w, &r.name)?))
    }

    pub(super) async fn activate_scoring_model(
        &self,
        c: &Caller,
        r: pb::ActivateScoringModelRequest,
    ) -> Result<pb::ScoringModel, Status> {
        c.require_vendor(PROFILE_WRITERS)?;
        let id = parse_id("name", &r.name, "scoringModels")?;
        let now = self.clock.now();
        let mut ch = change::begin(&self.db).await?;
        let Some(row) = models::activate_model(&mut ch, &id, now).await? else {
            ch.rollback().await?;
            return Err(status::not_found(&r.name));
        };
        self.commit(ch, now, &format!("{} activated", r.name), false)
            .await?;
        Ok(convert::model(row))
    }

    pub(super) async fn score_country(
        &self,
        c: &Caller,
        r: pb::ScoreCountryRequest,
    ) -> Result<pb::CountryScore, Status> {
        c.require_vendor(READERS)?;
        let cc = parse_country_name("country_profile", &r.country_profile)?;
        let model = self.model_named("scoring_model", &r.scoring_model).await?;
        let country = self.live::<CountryRow>(&cc, &r.country_profile).await?;
        let now = self.clock.now();
        let mut s = score_of(&country, &model, now);
        let id = names::new_id();
        s.name = format!("countryProfiles/{cc}/scores/{id}");
        models::insert_score(
            &self.db,
            ScoreRow {
                id,
                country: cc,
                score: s.score,
                model: s.model.clone(),
                model_version: s.model_version,
                detail: STANDARD.encode(s.encode_to_vec()),
                compute_time: now,
            },
        )
        .await?;
        Ok(s)
    }

    pub(super) async fn list_country_scores(
        &self,
        c: &Caller,
        r: pb::ListCountryScoresRequest,
    ) -> Result<pb::ListCountryScoresResponse, Status> {
        c.require_vendor(READERS)?;
        let cc = parse_country_name("parent", &r.parent)?;
        let query = format!("scores;{cc}");
        let (country_scores, next_page_token) = list_pb::<ScoreRow, _>(
            &self.db,
            (&cc, "", &query),
            r.page_size,
            &r.page_token,
            recorded_score,
        )
        .await?;
        Ok(pb::ListCountryScoresResponse {
            country_scores,
            next_page_token,
        })
    }

    pub(super) async fn rank_countries(
        &self,
        c: &Caller,
        r: pb::RankCountriesRequest,
    ) -> Result<pb::RankCountriesResponse, Status> {
        c.require_vendor(READERS)?;
        let model = self.model_named("scoring_model", &r.scoring_model).await?;
        let query = format!("rank;{};{}", model.meta.id, model.model_version);
        let mut v = Violations::new();
        let (limit, after) = page(r.page_size, &r.page_token, &query, &mut v);
        let start: usize = match after {
            None => 0,
            Some(a) => match a.parse() {
                Ok(n) => n,
                Err(_) => {
                    v.add("page_token", "is not a token issued for this query");
                    0
                }
            },
        };
        v.into_result()?;
        let rows: Vec<CountryRow> = store::all_live(self.db.reader()).await?;
        let now = self.clock.now();
        let mut scores: Vec<pb::CountryScore> =
            rows.iter().map(|c| score_of(c, &model, now)).collect();
        scores.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.country.cmp(&b.country)));
        // Equal scores share a rank.
        let mut last: Option<f64> = None;
        let mut rank = 0;
        for (i, s) in scores.iter_mut().enumerate() {
            if last != Some(s.score) {
                rank = i as i32 + 1;
                last = Some(s.score);
            }
            s.rank = rank;
        }
        let end = (start + limit as usize).min(scores.len());
        let mut page: Vec<pb::CountryScore> = scores.get(start..end).unwrap_or_default().to_vec();
        // The page stops early at its byte budget; the next resumes at the first left out.
        page.truncate(symbolon_platform::paging::fitting(
            &page,
            self.db.page_bytes(),
        ));
        let end = start + page.len();
        let next = (end < scores.len()).then(|| end.to_string());
        Ok(pb::RankCountriesResponse {
            country_scores: page,
            next_page_token: next_token(next, &query),
            scoring_model: format!("scoringModels/{}", model.meta.id),
            model_version: model.model_version,
        })
    }
}
