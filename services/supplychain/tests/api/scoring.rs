//! Scoring models: validated weights, one active model, scores with contributions,
//! history that keeps the model version, ranking.

use crate::helpers::*;
use symbolon_contracts::supplychain::v1 as pb;
use symbolon_testkit::{Backend, both_backends};
use tonic::Code;

async fn score(app: &TestApp, cc: &str) -> pb::CountryScore {
    app.call(pb::ScoreCountryRequest {
        country_profile: format!("countryProfiles/{cc}"),
        scoring_model: String::new(),
    })
    .await
}

async fn scores_keep_their_model_version(backend: Backend) {
    let app = spawn_app(backend).await;
    app.country("DE", 0.5955, 4.1).await;
    app.country("KE", -0.8, 2.8).await;
    let m = app
        .model(
            "baseline",
            &[
                ("political_stability", 0.6),
                ("logistics_reachability", 0.4),
            ],
        )
        .await;
    assert!(m.active, "the first model is activated");
    assert_eq!(m.version, 1);
    let first = score(&app, "DE").await;
    assert_eq!(first.model, "scoringModels/baseline");
    assert_eq!(first.model_version, 1);
    assert_eq!(first.contributions.len(), 2);
    let sum: f64 = first.contributions.iter().map(|c| c.contribution).sum();
    assert!((sum - first.score).abs() < 1e-9);
    let ps = first
        .contributions
        .iter()
        .find(|c| c.factor == "political_stability")
        .unwrap();
    assert!(ps.present);
    assert_eq!(ps.input.as_ref().map(|i| i.value), Some(0.5955));

    // Change the weights: version 2; the recorded score keeps version 1.
    let updated = app
        .call(pb::UpdateScoringModelRequest {
            scoring_model: Some(pb::ScoringModel {
                name: "scoringModels/baseline".into(),
                weights: [("political_stability".to_string(), 1.0)]
                    .into_iter()
                    .collect(),
                etag: m.etag.clone(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["weights".into()],
            }),
        })
        .await;
    assert_eq!(updated.version, 2);
    let second = score(&app, "DE").await;
    assert_eq!(second.model_version, 2);
    assert_ne!(second.score, first.score);
    let history = app
        .call(pb::ListCountryScoresRequest {
            parent: "countryProfiles/DE".into(),
            ..Default::default()
        })
        .await
        .country_scores;
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].model_version, 1);
    assert_eq!(history[0].score, first.score);
    assert_eq!(history[0].contributions, first.contributions);
    assert_eq!(history[1].model_version, 2);

    // Ranking: Germany above Kenya.
    let rank = app.call(pb::RankCountriesRequest::default()).await;
    let order: Vec<(&str, i32)> = rank
        .country_scores
        .iter()
        .map(|s| (s.country.as_str(), s.rank))
        .collect();
    assert_eq!(order, vec![("DE", 1), ("KE", 2)]);
    assert_eq!(rank.model_version, 2);
}

async fn exactly_one_model_is_active(backend: Backend) {
    let app = spawn_app(backend).await;
    app.model("a", &[("political_stability", 1.0)]).await;
    let b = app.model("b", &[("logistics_reachability", 1.0)]).await;
    assert!(!b.active);
    let on = app
        .call(pb::ActivateScoringModelRequest {
            name: "scoringModels/b".into(),
        })
        .await;
    assert!(on.active);
    let all = app
        .call(pb::ListScoringModelsRequest::default())
        .await
        .scoring_models;
    let active: Vec<&str> = all
        .iter()
        .filter(|m| m.active)
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(active, vec!["scoringModels/b"]);
    let del = app
        .try_call(pb::DeleteScoringModelRequest {
            name: "scoringModels/b".into(),
            etag: String::new(),
        })
        .await;
    assert_eq!(code(del), Code::FailedPrecondition);
}

both_backends!(scores_keep_their_model_version, exactly_one_model_is_active);
