//! Standards and their versions.

use super::{EDITORS, INSPECTORS, QualityApi, READERS, convert::decode, parse_name};
use crate::{
    inspect::CompiledStandard,
    pb,
    store::{self, StandardHead, StandardRow, VersionRow},
    validate,
};
use prost::Message;
use std::sync::Arc;
use symbolon_platform::{Caller, StoreError, Violations, aip, names, status, time};
use tonic::Status;

/// Everything a vendor reader may do with standards.
fn may_read(caller: &Caller) -> Result<(), Status> {
    let roles: Vec<&str> = INSPECTORS.iter().chain(READERS).copied().collect();
    caller.require_vendor(&roles)
}

fn to_proto(row: StandardRow) -> Result<pb::Standard, Status> {
    let mut s: pb::Standard = decode(&row.content)?;
    s.name = format!("standards/{}", row.id);
    s.display_name = row.display_name;
    s.description = row.description;
    s.touchpoint_type = row.touchpoint_type;
    s.version = row.current_version;
    s.current_version = format!("standards/{}/versions/{}", row.id, row.current_version);
    s.create_time = Some(time::to_timestamp(row.create_time));
    s.update_time = Some(time::to_timestamp(row.update_time));
    s.etag = aip::etag(row.version);
    Ok(s)
}

fn version_proto(v: VersionRow) -> Result<pb::StandardVersion, Status> {
    let mut s: pb::Standard = decode(&v.content)?;
    s.name = format!("standards/{}", v.standard_id);
    s.version = v.version_no;
    s.current_version = String::new();
    Ok(pb::StandardVersion {
        name: format!("standards/{}/versions/{}", v.standard_id, v.version_no),
        standard: Some(s),
        created_by: v.created_by,
        create_time: Some(time::to_timestamp(v.create_time)),
    })
}

/// What changes in place on `s`.
fn head(s: &pb::Standard) -> StandardHead<'_> {
    StandardHead {
        display_name: &s.display_name,
        description: &s.description,
        touchpoint_type: s.touchpoint_type,
    }
}

/// The scoring content of a standard: what a version freezes.
fn content(s: &pb::Standard) -> pb::Standard {
    pb::Standard {
        display_name: s.display_name.clone(),
        description: s.description.clone(),
        touchpoint_type: s.touchpoint_type,
        indicators: s.indicators.clone(),
        review_threshold: s.review_threshold,
        min_confidence: s.min_confidence,
        ..Default::default()
    }
}

/// Defaults for unset thresholds.
fn with_defaults(mut s: pb::Standard) -> pb::Standard {
    if s.review_threshold == 0.0 {
        s.review_threshold = 80.0;
    }
    if s.min_confidence == 0.0 {
        s.min_confidence = 0.8;
    }
    s
}

fn version_no(field: &str, id: &str) -> Result<i64, Status> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| status::invalid_argument(field, "the version must be a positive number"))
}

/// A standard resolved for inspection.
pub(crate) struct Resolved {
    pub(crate) compiled: Arc<CompiledStandard>,
    pub(crate) standard_id: String,
    pub(crate) version_no: i64,
}

impl QualityApi {
    /// Resolves `standards/{s}` (current version) or `standards/{s}/versions/{v}`.
    pub(crate) async fn resolve_standard(
        &self,
        field: &str,
        name: &str,
    ) -> Result<Resolved, Status> {
        let (id, n) = if name.contains("/versions/") {
            let ids = parse_name(field, name, &["standards", "versions"])?;
            (ids[0].to_string(), version_no(field, ids[1])?)
        } else {
            let ids = parse_name(field, name, &["standards"])?;
            let row = store::get_standard(&self.db, ids[0])
                .await?
                .ok_or_else(|| status::not_found(name))?;
            (row.id, row.current_version)
        };
        let version_name = format!("standards/{id}/versions/{n}");
        if let Ok(cache) = self.compiled.lock()
            && let Some(c) = cache.get(&version_name)
        {
            return Ok(Resolved {
                compiled: c.clone(),
                standard_id: id,
                version_no: n,
            });
        }
        let v = store::get_version(&self.db, &id, n)
            .await?
            .ok_or_else(|| status::not_found(name))?;
        let content: pb::Standard = decode(&v.content)?;
        let compiled = Arc::new(CompiledStandard::compile(&content, &version_name));
        if let Ok(mut cache) = self.compiled.lock() {
            if cache.len() >= super::CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(version_name, compiled.clone());
        }
        Ok(Resolved {
            compiled,
            standard_id: id,
            version_no: n,
        })
    }

    /// The thresholds of a stored version: (review threshold, minimum confidence).
    pub(crate) async fn version_thresholds(
        &self,
        version_name: &str,
    ) -> Result<(f64, f64), Status> {
        let r = self
            .resolve_standard("standard_version", version_name)
            .await?;
        Ok((r.compiled.review_threshold, r.compiled.min_confidence))
    }

    pub(crate) async fn create_standard_impl(
        &self,
        caller: &Arc<Caller>,
        r: pb::CreateStandardRequest,
    ) -> Result<pb::Standard, Status> {
        caller.require_vendor(EDITORS)?;
        let mut v = Violations::new();
        let key = aip::request_key(caller, "CreateStandard", "", &r, &mut v);
        let s = with_defaults(r.standard.unwrap_or_default());
        validate::standard(&s, "standard", &mut v);
        let id = if r.standard_id.is_empty() {
            names::new_id()
        } else {
            if names::check_id(&r.standard_id).is_err() {
                v.add("standard_id", "1-63 lowercase letters, digits or '-'");
            }
            r.standard_id.clone()
        };
        v.into_result()?;
        let now = self.clock.now();
        let row = store::insert_standard(
            &self.db,
            &id,
            head(&s),
            &content(&s).encode_to_vec(),
            &caller.subject,
            now,
            key,
        )
        .await
        .map_err(status::exists_on_conflict(&format!("standards/{id}")))?;
        to_proto(row)
    }

    pub(crate) async fn get_standard_impl(
        &self,
        caller: &Arc<Caller>,
        r: pb::GetStandardRequest,
    ) -> Result<pb::Standard, Status> {
        may_read(caller)?;
        let name = r.name;
        let ids = parse_name("name", &name, &["standards"])?;
        let row = store::get_standard(&self.db, ids[0])
            .await?
            .ok_or_else(|| status::not_found(&name))?;
        to_proto(row)
    }

    pub(crate) async fn list_standards_impl(
        &self,
        caller: &Arc<Caller>,
        r: pb::ListStandardsRequest,
    ) -> Result<pb::ListStandardsResponse, Status> {
        may_read(caller)?;
        let (limit, after) = aip::checked_page(r.page_size, &r.page_token, "standards")?;
        let page = store::list_standards(&self.db, after, limit).await?;
        let (standards, next_page_token) = aip::page_items(page, "standards", to_proto)?;
        Ok(pb::ListStandardsResponse {
            standards,
            next_page_token,
        })
    }

    pub(crate) async fn update_standard_impl(
        &self,
        caller: &Arc<Caller>,
        r: pb::UpdateStandardRequest,
    ) -> Result<pb::Standard, Status> {
        caller.require_vendor(EDITORS)?;
        let given = r.standard.unwrap_or_default();
        let ids = parse_name("standard.name", &given.name, &["standards"])?;
        let id = ids[0].to_string();
        let current = store::get_standard(&self.db, &id)
            .await?
            .ok_or_else(|| status::not_found(&given.name))?;
        let mut v = Violations::new();
        const ALLOWED: &[&str] = &[
            "display_name",
            "description",
            "touchpoint_type",
            "indicators",
            "review_threshold",
            "min_confidence",
        ];
        let mut populated = Vec::new();
        if !given.display_name.is_empty() {
            populated.push("display_name");
        }
        if !given.description.is_empty() {
            populated.push("description");
        }
        if given.touchpoint_type != 0 {
            populated.push("touchpoint_type");
        }
        if !given.indicators.is_empty() {
            populated.push("indicators");
        }
        if given.review_threshold != 0.0 {
            populated.push("review_threshold");
        }
        if given.min_confidence != 0.0 {
            populated.push("min_confidence");
        }
        let paths = aip::mask_paths(r.update_mask.as_ref(), ALLOWED, &populated, &mut v);
        let old = to_proto(current)?;
        let mut next = old.clone();
        for p in &paths {
            match *p {
                "display_name" => next.display_name = given.display_name.clone(),
                "description" => next.description = given.description.clone(),
                "touchpoint_type" => next.touchpoint_type = given.touchpoint_type,
                "indicators" => next.indicators = given.indicators.clone(),
                "review_threshold" => next.review_threshold = given.review_threshold,
                "min_confidence" => next.min_confidence = given.min_confidence,
                _ => {}
            }
        }
        let next = with_defaults(next);
        validate::standard(&next, "standard", &mut v);
        v.into_result()?;
        // Only what scores depend on makes a new version; renaming does not.
        let rescoring = next.indicators != old.indicators
            || next.review_threshold != old.review_threshold
            || next.min_confidence != old.min_confidence;
        let new_content = rescoring.then(|| content(&next).encode_to_vec());
        let w = store::update_standard(
            &self.db,
            &id,
            aip::etag_version(&given.etag),
            head(&next),
            new_content.as_deref(),
            &caller.subject,
            self.clock.now(),
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => status::stale_etag(&given.name),
            other => other.into(),
        })?;
        to_proto(aip::written(w, &given.name)?)
    }

    pub(crate) async fn get_standard_version_impl(
        &self,
        caller: &Arc<Caller>,
        r: pb::GetStandardVersionRequest,
    ) -> Result<pb::StandardVersion, Status> {
        may_read(caller)?;
        let name = r.name;
        let ids = parse_name("name", &name, &["standards", "versions"])?;
        let n = version_no("name", ids[1])?;
        let v = store::get_version(&self.db, ids[0], n)
            .await?
            .ok_or_else(|| status::not_found(&name))?;
        version_proto(v)
    }

    pub(crate) async fn list_standard_versions_impl(
        &self,
        caller: &Arc<Caller>,
        r: pb::ListStandardVersionsRequest,
    ) -> Result<pb::ListStandardVersionsResponse, Status> {
        may_read(caller)?;
        let ids = parse_name("parent", &r.parent, &["standards"])?;
        let mut v = Violations::new();
        let query = format!("versions;{}", r.parent);
        let (limit, after) = aip::page(r.page_size, &r.page_token, &query, &mut v);
        let after = match after.map(|a| a.parse::<i64>()) {
            None => None,
            Some(Ok(n)) => Some(n),
            Some(Err(_)) => {
                v.add("page_token", "is not a token issued for this query");
                None
            }
        };
        v.into_result()?;
        if store::get_standard(&self.db, ids[0]).await?.is_none() {
            return Err(status::not_found(&r.parent));
        }
        let page = store::list_versions(&self.db, ids[0], after, limit).await?;
        let (versions, next_page_token) = aip::page_items(page, &query, version_proto)?;
        Ok(pb::ListStandardVersionsResponse {
            versions,
            next_page_token,
        })
    }
}
