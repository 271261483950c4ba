//! Country profiles and the bulk factor import.

use super::{Api, common::*, insert_once};
use crate::{
    convert,
    model::{normalize, scoring::check_factor_id},
    store::{
        CountryRow, GLOBAL, StoredFactor, Table, change,
        countries::{self, delete_country, live_country, write_country},
    },
};
use std::collections::BTreeMap;
use symbolon_contracts::supplychain::v1 as pb;
use symbolon_platform::{Caller, Violations, country::CountryCode, status, time::from_timestamp};
use tonic::{Status, Streaming};

/// Most records one import may carry.
const MAX_IMPORT_RECORDS: usize = 200_000;

/// Checks one factor value, recording violations under `field`.
pub(crate) fn check_factor(
    v: &mut Violations,
    field: &str,
    id: &str,
    f: &pb::FactorValue,
) -> Option<StoredFactor> {
    let before = v.fields().count();
    if !check_factor_id(id) {
        v.add(
            field.to_string(),
            format!(
                "factor ids are 1-63 characters of a-z, 0-9 and '_', starting with a letter: {id:?}"
            ),
        );
        return None;
    }
    let scale = pb::Scale::try_from(f.scale).unwrap_or(pb::Scale::Unspecified);
    let normalized = match normalize::normalize(f.value, scale) {
        Ok(n) => Some(n),
        Err(normalize::ScaleError::Unspecified) => {
            v.add(
                format!("{field}.scale"),
                normalize::ScaleError::Unspecified.to_string(),
            );
            None
        }
        Err(e) => {
            v.add(format!("{field}.value"), e.to_string());
            None
        }
    };
    text(v, &format!("{field}.source"), &f.source, true, 500);
    let as_of = match &f.as_of_time {
        None => {
            v.add(format!("{field}.as_of_time"), "is required");
            None
        }
        Some(t) => v.check(&format!("{field}.as_of_time"), from_timestamp(t)),
    };
    if v.fields().count() != before {
        return None;
    }
    Some(StoredFactor {
        value: f.value,
        scale: scale as i32,
        normalized: normalized?,
        source: f.source.trim().to_string(),
        as_of: as_of?,
    })
}

/// A profile's display name: optional, at most 200 characters.
fn check_display_name(v: &mut Violations, p: &pb::CountryProfile) {
    text(
        v,
        "country_profile.display_name",
        &p.display_name,
        false,
        200,
    );
}

fn check_factors(
    v: &mut Violations,
    field: &str,
    factors: &std::collections::BTreeMap<String, pb::FactorValue>,
) -> BTreeMap<String, StoredFactor> {
    let mut out = BTreeMap::new();
    let mut keys: Vec<&String> = factors.keys().collect();
    keys.sort();
    for k in keys {
        if let Some(s) = check_factor(v, &format!("{field}.{k}"), k, &factors[k]) {
            out.insert(k.clone(), s);
        }
    }
    out
}

impl Api {
    pub(super) async fn create_country_profile(
        &self,
        c: &Caller,
        r: pb::CreateCountryProfileRequest,
    ) -> Result<pb::CountryProfile, Status> {
        c.require_vendor(PROFILE_WRITERS)?;
        let mut v = Violations::new();
        let key = request_key(c, "CreateCountryProfile", "", &r, &mut v);
        let p = r.country_profile.unwrap_or_default();
        let cc = v
            .check("country_profile.country", CountryCode::parse(&p.country))
            .map(|c| c.to_string())
            .unwrap_or_default();
        check_display_name(&mut v, &p);
        let factors = check_factors(&mut v, "country_profile.factors", &p.factors);
        v.into_result()?;
        let name = format!("countryProfiles/{cc}");
        let now = self.clock.now();
        let mut ch = change::begin(&self.db).await?;
        let (row, created): (CountryRow, bool) = insert_once(
            &mut ch,
            CountryRow::NAME,
            countries::INSERT_COLUMNS,
            countries::insert_values(&cc, p.display_name.trim(), &factors, now),
            key,
            &name,
        )
        .await?;
        self.finish_create(ch, created, now, &format!("{name} created"), true)
            .await?;
        Ok(convert::country(row))
    }

    pub(super) async fn get_country_profile(
        &self,
        c: &Caller,
        r: pb::GetCountryProfileRequest,
    ) -> Result<pb::CountryProfile, Status> {
        c.require_vendor(READERS)?;
        let cc = parse_country_name("name", &r.name)?;
        Ok(convert::country(
            self.live::<CountryRow>(&cc, &r.name).await?,
        ))
    }

    pub(super) async fn list_country_profiles(
        &self,
        c: &Caller,
        r: pb::ListCountryProfilesRequest,
    ) -> Result<pb::ListCountryProfilesResponse, Status> {
        c.require_vendor(READERS)?;
        let (country_profiles, next_page_token) = list_pb::<CountryRow, _>(
            &self.db,
            (GLOBAL, "", "countryProfiles"),
            r.page_size,
            &r.page_token,
            convert::country,
        )
        .await?;
        Ok(pb::ListCountryProfilesResponse {
            country_profiles,
            next_page_token,
        })
    }

    pub(super) async fn update_country_profile(
        &self,
        c: &Caller,
        r: pb::UpdateCountryProfileRequest,
    ) -> Result<pb::CountryProfile, Status> {
        c.require_vendor(PROFILE_WRITERS)?;
        let p = r.country_profile.unwrap_or_default();
        let cc = parse_country_name("country_profile.name", &p.name)?;
        let mut v = Violations::new();
        // Paths: display_name, factors, factors.<id>. Without a mask: display_name when
        // set, and each factor given (merged into the existing ones).
        let mut paths: Vec<String> = match &r.update_mask {
            Some(m) if !m.paths.is_empty() => m.paths.clone(),
            _ => {
                let mut p2 = Vec::new();
                if !p.display_name.is_empty() {
                    p2.push("display_name".to_string());
                }
                p2.extend(p.factors.keys().map(|k| format!("factors.{k}")));
                p2
            }
        };
        paths.sort();
        paths.dedup();
        if paths.is_empty() {
            v.add("update_mask", "nothing to update");
        }
        for path in &paths {
            if path == "display_name" {
                check_display_name(&mut v, &p);
            } else if path != "factors" && !path.starts_with("factors.") {
                v.add(
                    "update_mask.paths",
                    format!(
                        "{path:?} cannot be updated; allowed: display_name, factors, factors.<id>"
                    ),
                );
            }
        }
        let factors = check_factors(&mut v, "country_profile.factors", &p.factors);
        v.into_result()?;
        let name = format!("countryProfiles/{cc}");
        let now = self.clock.now();
        let mut ch = change::begin(&self.db).await?;
        let existing = live_country(&mut ch, &cc).await?;
        if existing.is_none() && !r.allow_missing {
            ch.rollback().await?;
            return Err(status::not_found(&name));
        }
        if let (Some(e), Some(want)) = (&existing, etag_version(&p.etag))
            && e.meta.version != want
        {
            ch.rollback().await?;
            return Err(status::stale_etag(&name));
        }
        let mut display_name = existing
            .as_ref()
            .map(|e| e.display_name.clone())
            .unwrap_or_default();
        let mut merged = existing
            .as_ref()
            .map(|e| e.factors.clone())
            .unwrap_or_default();
        for path in &paths {
            if path == "display_name" {
                display_name = p.display_name.trim().to_string();
            } else if path == "factors" {
                merged = factors.clone();
            } else if let Some(id) = path.strip_prefix("factors.") {
                match factors.get(id) {
                    Some(f) => {
                        merged.insert(id.to_string(), f.clone());
                    }
                    None => {
                        merged.remove(id);
                    }
                }
            }
        }
        let row = write_country(
            &mut ch,
            existing.is_some(),
            &cc,
            &display_name,
            &merged,
            now,
        )
        .await?
        .ok_or_else(|| status::not_found(&name))?;
        self.commit(
            ch,
            now,
            &format!("{name} updated ({})", paths.join(", ")),
            true,
        )
        .await?;
        Ok(convert::country(row))
    }

    pub(super) async fn delete_country_profile(
        &self,
        c: &Caller,
        r: pb::DeleteCountryProfileRequest,
    ) -> Result<pb::CountryProfile, Status> {
        c.require_vendor(PROFILE_WRITERS)?;
        let cc = parse_country_name("name", &r.name)?;
        let now = self.clock.now();
        let mut ch = change::begin(&self.db).await?;
        let Some(row) = delete_country(&mut ch, &cc, etag_version(&r.etag)).await? else {
            let exists = live_country(&mut ch, &cc).await?.is_some();
            ch.rollback().await?;
            return Err(if exists {
                status::stale_etag(&r.name)
            } else {
                status::not_found(&r.name)
            });
        };
        self.commit(ch, now, &format!("{} deleted", r.name), true)
            .await?;
        Ok(convert::country(row))
    }

    pub(super) async fn import_country_factors(
        &self,
        c: &Caller,
        mut stream: Streaming<pb::ImportCountryFactorsRequest>,
    ) -> Result<pb::ImportCountryFactorsResponse, Status> {
        c.require_vendor(PROFILE_WRITERS)?;
        let mut mode = None;
        let mut records = Vec::new();
        while let Some(msg) = stream.message().await? {
            if mode.is_none() {
                mode = Some(pb::ImportMode::try_from(msg.mode).unwrap_or_default());
            }
            records.extend(msg.records);
            if records.len() > MAX_IMPORT_RECORDS {
                return Err(status::invalid_argument(
                    "records",
                    format!("at most {MAX_IMPORT_RECORDS} records per import"),
                ));
            }
        }
        let mode = mode.unwrap_or_default();
        let mut errors = Vec::new();
        // country -> (display name, factors)
        let mut good: BTreeMap<String, (String, BTreeMap<String, StoredFactor>)> = BTreeMap::new();
        let mut applied = 0i64;
        for (i, rec) in records.iter().enumerate() {
            let mut v = Violations::new();
            let field = format!("records[{i}]");
            let cc = v
                .check(
                    &format!("{field}.country"),
                    CountryCode::parse(&rec.country),
                )
                .map(|c| c.to_string());
            let f = match &rec.value {
                None => {
                    v.add(format!("{field}.value"), "is required");
                    None
                }
                Some(val) => {
                    if check_factor_id(&rec.factor) {
                        check_factor(&mut v, &format!("{field}.value"), &rec.factor, val)
                    } else {
                        v.add(
                            format!("{field}.factor"),
                            "factor ids are 1-63 characters of a-z, 0-9 and '_', starting with a letter",
                        );
                        None
                    }
                }
            };
            text(
                &mut v,
                &format!("{field}.display_name"),
                &rec.display_name,
                false,
                200,
            );
            match v.into_result() {
                Err(s) => {
                    for (fv_field, desc) in violations_of(&s) {
                        errors.push(pb::RecordError {
                            index: i as i64,
                            field: fv_field,
                            description: desc,
                        });
                    }
                }
                Ok(()) => {
                    if let (Some(cc), Some(f)) = (cc, f) {
                        let entry = good.entry(cc).or_default();
                        if !rec.display_name.trim().is_empty() {
                            entry.0 = rec.display_name.trim().to_string();
                        }
                        entry.1.insert(rec.factor.clone(), f);
                        applied += 1;
                    }
                }
            }
        }
        let all_or_nothing = mode != pb::ImportMode::GoodRows;
        if (all_or_nothing && !errors.is_empty()) || good.is_empty() {
            return Ok(pb::ImportCountryFactorsResponse {
                records_received: records.len() as i64,
                records_applied: 0,
                errors,
                profiles_written: 0,
            });
        }
        let now = self.clock.now();
        let mut ch = change::begin(&self.db).await?;
        let mut written = 0i64;
        for (cc, (display_name, factors)) in &good {
            let existing = live_country(&mut ch, cc).await?;
            let mut merged = existing
                .as_ref()
                .map(|e| e.factors.clone())
                .unwrap_or_default();
            merged.extend(factors.clone());
            let name = if display_name.is_empty() {
                existing
                    .as_ref()
                    .map(|e| e.display_name.clone())
                    .unwrap_or_default()
            } else {
                display_name.clone()
            };
            write_country(&mut ch, existing.is_some(), cc, &name, &merged, now).await?;
            written += 1;
        }
        self.commit(
            ch,
            now,
            &format!("country factors imported ({written} profiles)"),
            true,
        )
        .await?;
        Ok(pb::ImportCountryFactorsResponse {
            records_received: records.len() as i64,
            records_applied: applied,
            errors,
            profiles_written: written,
        })
    }
}

/// The field violations of an INVALID_ARGUMENT status.
fn violations_of(s: &Status) -> Vec<(String, String)> {
    use tonic_types::StatusExt;
    s.get_details_bad_request()
        .map(|b| {
            b.field_violations
                .into_iter()
                .map(|f| (f.field, f.description))
                .collect()
        })
        .unwrap_or_else(|| vec![(String::new(), s.message().to_string())])
}
