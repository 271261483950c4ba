//! The labs pieces of the `symbolon` command, as library functions:
//! `symbolon release sign` ([`sign_release`]), `symbolon release verify`
//! ([`crate::dsse::verify_envelope`]), `symbolon log export` ([`export_log`]) and
//! `symbolon log verify` ([`crate::chain::verify_exported_log`]).

use crate::{chain::ExportedEntry, dsse};
use anyhow::Context;
use symbolon_contracts::labs::v1::{self as pb, labs_service_client::LabsServiceClient};
use symbolon_platform::client::authed;
use tonic::transport::Channel;

/// A log entry as exported, from its protobuf form.
pub fn exported_entry(lab: &str, e: &pb::LogEntry) -> ExportedEntry {
    ExportedEntry {
        lab: lab.to_string(),
        sequence: e.sequence,
        component: e.component.clone(),
        message: e.message.clone(),
        attributes: e.attributes.clone().into_iter().collect(),
        author: e.author.clone(),
        create_time_micros: e
            .create_time
            .as_ref()
            .and_then(|t| symbolon_platform::time::from_timestamp(t).ok())
            .unwrap_or_default(),
        prev_hash: e.prev_hash.clone(),
        hash: e.hash.clone(),
    }
}

/// `symbolon log export`: the whole log of `lab` (`labs/{lab}`) as JSON lines, one
/// [`ExportedEntry`] per line, for [`crate::chain::verify_exported_log`].
pub async fn export_log(
    client: LabsServiceClient<Channel>,
    token: &str,
    lab: &str,
) -> anyhow::Result<String> {
    let mut client = client;
    let mut out = String::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_log_entries(authed(
                token,
                pb::ListLogEntriesRequest {
                    parent: lab.into(),
                    page_size: 1000,
                    page_token: page_token.clone(),
                    after_sequence: 0,
                },
            ))
            .await
            .context("ListLogEntries")?
            .into_inner();
        for e in &page.entries {
            out.push_str(&serde_json::to_string(&exported_entry(lab, e))?);
            out.push('\n');
        }
        if page.next_page_token.is_empty() {
            return Ok(out);
        }
        page_token = page.next_page_token;
    }
}

/// `symbolon release sign`: fetches the release's canonical statement, checks that it
/// says what the release says, signs it locally with the PKCS#8 PEM private key (the
/// server never sees it) and submits the DSSE signature.
pub async fn sign_release(
    client: LabsServiceClient<Channel>,
    token: &str,
    release: &str,
    private_key_pem: &str,
) -> anyhow::Result<pb::Release> {
    let mut client = client;
    let r = client
        .get_release(authed(
            token,
            pb::GetReleaseRequest {
                name: release.into(),
            },
        ))
        .await
        .context("GetRelease")?
        .into_inner();
    let statement = dsse::Statement::parse(&r.statement)?;
    anyhow::ensure!(
        statement.release == r.name && statement.version == r.version,
        "the statement does not describe {} {}",
        r.name,
        r.version
    );
    let env = dsse::sign_statement(&r.statement, private_key_pem)?;
    let signed = client
        .sign_release(authed(
            token,
            pb::SignReleaseRequest {
                name: release.into(),
                envelope: Some(to_proto(env)),
            },
        ))
        .await
        .context("SignRelease")?
        .into_inner();
    Ok(signed)
}

/// `symbolon release export`: the published release as DSSE JSON, for
/// [`crate::dsse::verify_envelope`].
pub async fn export_release(
    client: LabsServiceClient<Channel>,
    token: &str,
    release: &str,
) -> anyhow::Result<String> {
    let mut client = client;
    Ok(client
        .export_release(authed(
            token,
            pb::ExportReleaseRequest {
                name: release.into(),
            },
        ))
        .await
        .context("ExportRelease")?
        .into_inner()
        .dsse_json)
}

/// An envelope as the API carries it.
pub fn to_proto(e: dsse::Envelope) -> pb::Envelope {
    pb::Envelope {
        payload: e.payload,
        payload_type: e.payload_type,
        signatures: e
            .signatures
            .into_iter()
            .map(|s| pb::Signature {
                keyid: s.keyid,
                sig: s.sig,
            })
            .collect(),
    }
}
