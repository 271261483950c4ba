//! Client-side helpers for the `symbolon` command: read a factor CSV and stream it to
//! `ImportCountryFactors`, reporting errors by CSV row.
//!
//! The format, one factor value per row (header required, any column order, extra
//! columns ignored):
//!
//! ```text
//! country,factor,value,scale,source,as_of[,display_name]
//! DE,political_stability,0.5955,wgi_estimate,"World Bank WGI 2023 update, PV.EST",2022-01-01
//! DE,logistics_reachability,4.1,lpi,"World Bank LPI 2023",2023-01-01
//! NA,partner_maturity,0.4,unit,Partner review,2026-06-30,Namibia
//! ```
//!
//! `scale` is `unit`, `wgi_estimate`, `percentile_rank` or `lpi` (or the enum names,
//! e.g. `SCALE_LPI`); `as_of` is a date (`YYYY-MM-DD`) or an RFC 3339 time.

use crate::model::csv;
use prost_types::Timestamp;
use symbolon_contracts::supplychain::v1::{
    self as pb, supply_chain_service_client::SupplyChainServiceClient,
};
use tonic::transport::Channel;

/// Records that are sent per stream message.
const CHUNK: usize = 500;

/// A parsed CSV: the records to send, each with its data-row index (0 = first row after
/// the header), and the rows that could not even be parsed.
#[derive(Debug, Default)]
pub struct ParsedCsv {
    /// (row index, record).
    pub records: Vec<(i64, pb::FactorRecord)>,
    /// Problems found while parsing, by row.
    pub errors: Vec<pb::RecordError>,
}

/// Parses a scale name.
pub fn parse_scale(s: &str) -> Option<pb::Scale> {
    let up = s.trim().to_ascii_uppercase();
    let name = if up.starts_with("SCALE_") {
        up
    } else {
        format!("SCALE_{up}")
    };
    pb::Scale::from_str_name(&name).filter(|s| *s != pb::Scale::Unspecified)
}

/// Parses `YYYY-MM-DD` or RFC 3339.
pub fn parse_as_of(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    let full = if s.len() == 10 {
        format!("{s}T00:00:00Z")
    } else {
        s.to_string()
    };
    full.parse().ok()
}

/// Parses factor CSV text.
pub fn parse_factor_csv(text: &str) -> Result<ParsedCsv, String> {
    let (header, rows) = csv::records(text);
    let col = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(c), Some(f), Some(v), Some(sc), Some(src), Some(at)) = (
        col("country"),
        col("factor"),
        col("value"),
        col("scale"),
        col("source"),
        col("as_of"),
    ) else {
        return Err("the header must name country, factor, value, scale, source and as_of".into());
    };
    let dn = col("display_name");
    let mut out = ParsedCsv::default();
    for (i, row) in rows.iter().enumerate() {
        let i = i as i64;
        if row.iter().all(|x| x.trim().is_empty()) {
            continue;
        }
        let get = |k: usize| row.get(k).map(|s| s.trim()).unwrap_or_default();
        let mut bad = |field: &str, d: &str| {
            out.errors.push(pb::RecordError {
                index: i,
                field: field.into(),
                description: d.into(),
            })
        };
        let value = get(v).parse::<f64>().ok();
        let scale = parse_scale(get(sc));
        let as_of = parse_as_of(get(at));
        if value.is_none() {
            bad("value", "is not a number");
        }
        if scale.is_none() {
            bad(
                "scale",
                "must be unit, wgi_estimate, percentile_rank or lpi",
            );
        }
        if as_of.is_none() {
            bad("as_of", "must be a date (YYYY-MM-DD) or an RFC 3339 time");
        }
        let (Some(value), Some(scale), Some(as_of)) = (value, scale, as_of) else {
            continue;
        };
        out.records.push((
            i,
            pb::FactorRecord {
                country: get(c).to_string(),
                factor: get(f).to_string(),
                value: Some(pb::FactorValue {
                    value,
                    scale: scale as i32,
                    normalized_value: 0.0,
                    source: get(src).to_string(),
                    as_of_time: Some(as_of),
                }),
                display_name: dn.map(|k| get(k).to_string()).unwrap_or_default(),
            },
        ));
    }
    Ok(out)
}

/// Streams `records` to `ImportCountryFactors` as `token`.
pub async fn import_records(
    channel: Channel,
    token: &str,
    records: Vec<pb::FactorRecord>,
    mode: pb::ImportMode,
) -> anyhow::Result<pb::ImportCountryFactorsResponse> {
    let mut client = SupplyChainServiceClient::new(channel);
    let mut messages = Vec::new();
    for (k, chunk) in records.chunks(CHUNK).enumerate() {
        messages.push(pb::ImportCountryFactorsRequest {
            mode: if k == 0 { mode as i32 } else { 0 },
            records: chunk.to_vec(),
        });
    }
    if messages.is_empty() {
        messages.push(pb::ImportCountryFactorsRequest {
            mode: mode as i32,
            records: Vec::new(),
        });
    }
    let mut req = tonic::Request::new(tokio_stream::iter(messages));
    req.metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    Ok(client.import_country_factors(req).await?.into_inner())
}

/// Imports a factor CSV: parse errors and the server's per-record errors are reported
/// by CSV data row (0 = the first row after the header). With
/// `ImportMode::AllOrNothing`, a parse error alone also applies nothing.
pub async fn import_csv(
    channel: Channel,
    token: &str,
    csv_text: &str,
    mode: pb::ImportMode,
) -> anyhow::Result<pb::ImportCountryFactorsResponse> {
    let parsed = parse_factor_csv(csv_text).map_err(anyhow::Error::msg)?;
    let rows: Vec<i64> = parsed.records.iter().map(|(i, _)| *i).collect();
    let total = parsed.records.len() + parsed.errors.len();
    if mode != pb::ImportMode::GoodRows && !parsed.errors.is_empty() {
        return Ok(pb::ImportCountryFactorsResponse {
            records_received: total as i64,
            records_applied: 0,
            errors: parsed.errors,
            profiles_written: 0,
        });
    }
    let records = parsed.records.into_iter().map(|(_, r)| r).collect();
    let mut resp = import_records(channel, token, records, mode).await?;
    for e in &mut resp.errors {
        let sent = e.index;
        e.index = rows.get(sent as usize).copied().unwrap_or(sent);
        e.field = e
            .field
            .strip_prefix(&format!("records[{sent}]."))
            .map(str::to_string)
            .unwrap_or(e.field.clone());
    }
    resp.errors.extend(parsed.errors);
    resp.errors.sort_by_key(|e| e.index);
    resp.records_received = total as i64;
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rows_and_reports_bad_ones() {
        let text = "country,factor,value,scale,source,as_of\n\
            DE,political_stability,0.5955,wgi_estimate,\"WGI, 2023\",2022-01-01\n\
            NA,logistics_reachability,2.9,SCALE_LPI,LPI 2023,2023-01-01T00:00:00Z\n\
            FR,partner_maturity,high,unit,x,2024-01-01\n\
            KE,partner_maturity,0.4,stars,x,yesterday\n";
        let p = parse_factor_csv(text).unwrap();
        assert_eq!(p.records.len(), 2);
        assert_eq!(p.records[1].1.country, "NA");
        assert_eq!(
            p.records[0].1.value.as_ref().map(|v| v.source.as_str()),
            Some("WGI, 2023")
        );
        let bad: Vec<(i64, &str)> = p
            .errors
            .iter()
            .map(|e| (e.index, e.field.as_str()))
            .collect();
        assert_eq!(bad, vec![(2, "value"), (3, "scale"), (3, "as_of")]);
        assert!(parse_factor_csv("a,b\n1,2\n").is_err());
    }
}
