//! The `symbolon` subcommands that act on a running suite or on exported files:
//! co-signed releases, hash-chained logs, and country-factor imports.

use anyhow::Context;
use std::path::PathBuf;
use symbolon_contracts::{labs::v1::labs_service_client::LabsServiceClient, supplychain::v1 as sc};
use symbolon_labs::{chain, dsse, tools};
use tonic::transport::Channel;

/// Declares the flags that say where one service is and who is calling; the default
/// address is that service's `symbolon dev` address, shown by `--help`.
macro_rules! remote {
    ($name:ident, $service:literal, $default:literal) => {
        #[doc = concat!("Where the ", $service, " service is and who is calling.")]
        #[derive(clap::Args)]
        pub(crate) struct $name {
            #[arg(
                long,
                default_value = $default,
                help = concat!("The ", $service, " service's address: host:port or http://host:port")
            )]
            addr: String,
            /// A bearer token (mint one with `symbolon token`).
            #[arg(long, env = "SYMBOLON_TOKEN", hide_env_values = true)]
            pub(crate) token: String,
        }

        impl $name {
            pub(crate) async fn channel(&self) -> anyhow::Result<Channel> {
                connect(&self.addr).await
            }
        }
    };
}
remote!(LabsRemote, "labs", "127.0.0.1:50052");
remote!(CustomersRemote, "customers", "127.0.0.1:50051");
remote!(SupplyChainRemote, "supply-chain", "127.0.0.1:50053");

/// `host:port` as `http://host:port`; a URL with a scheme is kept as it is.
pub(crate) fn endpoint(addr: &str) -> String {
    if addr.contains("://") {
        addr.to_string()
    } else {
        format!("http://{addr}")
    }
}

async fn connect(addr: &str) -> anyhow::Result<Channel> {
    let url = endpoint(addr);
    Channel::from_shared(url.clone())
        .with_context(|| format!("`{addr}` is not an address (host:port or http://host:port)"))?
        .connect()
        .await
        .with_context(|| format!("connecting to {url}"))
}

/// `symbolon release …`
#[derive(clap::Subcommand)]
pub(crate) enum Release {
    /// Write a signer key pair: NAME.pem (private, stays with you) and NAME.pub.pem
    /// (register it with the lab).
    Keygen {
        /// File name stem.
        #[arg(long)]
        name: String,
        /// Directory.
        #[arg(long, default_value = ".")]
        out_dir: PathBuf,
        /// Replace an existing key pair of that name.
        #[arg(long)]
        force: bool,
    },
    /// Sign a release statement locally and submit the DSSE signature.
    Sign {
        /// `labs/{lab}/releases/{release}`.
        #[arg(long)]
        release: String,
        /// Your PKCS#8 PEM private key.
        #[arg(long)]
        key: PathBuf,
        #[command(flatten)]
        remote: LabsRemote,
    },
    /// Print a published release as a DSSE envelope (JSON).
    Export {
        /// `labs/{lab}/releases/{release}`.
        #[arg(long)]
        release: String,
        #[command(flatten)]
        remote: LabsRemote,
    },
    /// Verify an exported envelope offline with only the signers' public keys.
    Verify {
        /// The DSSE JSON file.
        #[arg(long)]
        envelope: PathBuf,
        /// A signer's public key (PEM); repeat for each signer.
        #[arg(long = "key", required = true)]
        keys: Vec<PathBuf>,
    },
}

/// `symbolon log …`
#[derive(clap::Subcommand)]
pub(crate) enum Log {
    /// Print a lab's whole optimisation log as JSON lines.
    Export {
        /// `labs/{lab}`.
        #[arg(long)]
        lab: String,
        #[command(flatten)]
        remote: LabsRemote,
    },
    /// Verify an exported log's hash chain offline.
    Verify {
        /// The JSON-lines file.
        #[arg(long)]
        file: PathBuf,
    },
}

/// `symbolon factors …`
#[derive(clap::Subcommand)]
pub(crate) enum Factors {
    /// Import country factors from a CSV file (country,factor,value,scale,source,as_of).
    Import {
        /// The CSV file.
        #[arg(long)]
        csv: PathBuf,
        /// Apply only if every row is good (default), or apply the good rows.
        #[arg(long, default_value = "all-or-nothing", value_parser = ["all-or-nothing", "good-rows"])]
        mode: String,
        #[command(flatten)]
        remote: SupplyChainRemote,
    },
}

/// `symbolon quality …`
#[derive(clap::Subcommand)]
pub(crate) enum Quality {
    /// Print the default inspection standard (46 indicators) as editable JSON.
    DefaultStandard {
        /// `support-chat` (default), `complaint`, `after-sales`, `pre-sales`, `phone`.
        #[arg(long, default_value = "support-chat")]
        touchpoint_type: String,
    },
    /// Measure a standard against labelled conversations (JSONL, the format of
    /// `services/quality/corpus/labelled.jsonl`): agreement per language, group and
    /// indicator, FAIL precision and recall, and the disagreements with their evidence.
    /// Runs through the service's EvaluateStandard unless `--offline`.
    Evaluate {
        /// `standards/{id}` or `standards/{id}/versions/{n}` (stored), `default` (the
        /// built-in default standard) or a JSON file (as printed by `default-standard`).
        #[arg(long)]
        standard: String,
        /// The labelled conversations, one JSON object a line.
        #[arg(long)]
        labelled: PathBuf,
        /// Keep only this split of the file (e.g. `tuning`, `heldout`).
        #[arg(long)]
        split: Option<String>,
        /// Also take the stored human-reviewed reports of the standard as labels.
        #[arg(long)]
        include_reviewed: bool,
        /// Disagreements listed (at most 1,000).
        #[arg(long, default_value_t = 100)]
        max_disagreements: i32,
        /// Evaluate in this process, without a service (not with a stored standard).
        #[arg(long)]
        offline: bool,
        /// The customers service's address: host:port or http://host:port.
        #[arg(long, default_value = "127.0.0.1:50051")]
        addr: String,
        /// A bearer token (mint one with `symbolon token`); not needed offline.
        #[arg(long, env = "SYMBOLON_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
    /// Create a standard from a JSON file (as printed by `default-standard`).
    Upload {
        /// The JSON file.
        #[arg(long)]
        file: PathBuf,
        /// The standard's id, e.g. `support-chat`.
        #[arg(long)]
        id: String,
        #[command(flatten)]
        remote: CustomersRemote,
    },
}

fn read(path: &PathBuf) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

pub(crate) async fn release(cmd: Release) -> anyhow::Result<()> {
    match cmd {
        Release::Keygen {
            name,
            out_dir,
            force,
        } => {
            let (private, public) = dsse::generate_signer_key()?;
            let (p, q) = (
                out_dir.join(format!("{name}.pem")),
                out_dir.join(format!("{name}.pub.pem")),
            );
            crate::keys::write_pair(&p, private.as_bytes(), &q, public.as_bytes(), force)?;
            println!("{}\n{}", p.display(), q.display());
        }
        Release::Sign {
            release,
            key,
            remote,
        } => {
            let client = LabsServiceClient::new(remote.channel().await?);
            let signed = tools::sign_release(client, &remote.token, &release, &read(&key)?).await?;
            println!(
                "{} signed; state {:?}",
                signed.name,
                symbolon_contracts::labs::v1::ReleaseState::try_from(signed.state)
                    .unwrap_or_default()
            );
        }
        Release::Export { release, remote } => {
            let client = LabsServiceClient::new(remote.channel().await?);
            println!(
                "{}",
                tools::export_release(client, &remote.token, &release).await?
            );
        }
        Release::Verify { envelope, keys } => {
            let pems = keys.iter().map(read).collect::<anyhow::Result<Vec<_>>>()?;
            let refs: Vec<&str> = pems.iter().map(String::as_str).collect();
            let verified = dsse::verify_envelope(&read(&envelope)?, &refs)?;
            println!("valid: signed by {}", verified.signed_by.join(", "));
        }
    }
    Ok(())
}

pub(crate) async fn log(cmd: Log) -> anyhow::Result<()> {
    match cmd {
        Log::Export { lab, remote } => {
            let client = LabsServiceClient::new(remote.channel().await?);
            print!("{}", tools::export_log(client, &remote.token, &lab).await?);
        }
        Log::Verify { file } => {
            let v = chain::verify_exported_log(&read(&file)?)?;
            if v.valid {
                println!("valid: {} entries, head {}", v.checked, v.head);
            } else {
                anyhow::bail!("invalid at sequence {}: {}", v.first_bad_sequence, v.reason);
            }
        }
    }
    Ok(())
}

pub(crate) async fn factors(cmd: Factors) -> anyhow::Result<()> {
    let Factors::Import { csv, mode, remote } = cmd;
    let mode = if mode == "good-rows" {
        sc::ImportMode::GoodRows
    } else {
        sc::ImportMode::AllOrNothing
    };
    let channel = remote.channel().await?;
    let r = symbolon_supplychain::import::import_csv(channel, &remote.token, &read(&csv)?, mode)
        .await?;
    println!(
        "received {}, applied {}, profiles written {}",
        r.records_received, r.records_applied, r.profiles_written
    );
    for e in &r.errors {
        println!("row {}: {}: {}", e.index, e.field, e.description);
    }
    if !r.errors.is_empty() && mode == sc::ImportMode::AllOrNothing {
        anyhow::bail!("nothing applied: {} bad rows", r.errors.len());
    }
    Ok(())
}

pub(crate) async fn quality(cmd: Quality) -> anyhow::Result<()> {
    use symbolon_contracts::quality::v1::{
        TouchpointType, quality_service_client::QualityServiceClient,
    };
    use symbolon_quality as quality;
    match cmd {
        Quality::DefaultStandard { touchpoint_type } => {
            let name = format!(
                "TOUCHPOINT_TYPE_{}",
                touchpoint_type.to_ascii_uppercase().replace('-', "_")
            );
            let t = TouchpointType::from_str_name(&name)
                .ok_or_else(|| anyhow::anyhow!("unknown touchpoint type {touchpoint_type}"))?;
            println!(
                "{}",
                quality::standard_to_json(&quality::default_standard_for(t))
            );
        }
        Quality::Evaluate {
            standard,
            labelled,
            split,
            include_reviewed,
            max_disagreements,
            offline,
            addr,
            token,
        } => {
            use symbolon_contracts::quality::v1 as pb;
            let conversations = quality::labelled_from_jsonl(&read(&labelled)?, split.as_deref())?;
            let draft = if standard == "default" {
                Some(quality::default_standard())
            } else if standard.ends_with(".json") {
                Some(quality::standard_from_json(&read(&PathBuf::from(
                    &standard,
                ))?)?)
            } else {
                None
            };
            let answer = if offline {
                let Some(d) = draft else {
                    anyhow::bail!(
                        "--offline evaluates `default` or a JSON file, not a stored standard"
                    );
                };
                let compiled = quality::inspect::CompiledStandard::compile(&d, "");
                quality::evaluate::evaluate(
                    &quality::inspect::RuleInspector,
                    &compiled,
                    &conversations,
                    max_disagreements.clamp(0, 1000) as usize,
                )
            } else {
                let token = token.ok_or_else(|| {
                    anyhow::anyhow!("--token (or SYMBOLON_TOKEN) is required unless --offline")
                })?;
                let mut client = QualityServiceClient::new(connect(&addr).await?);
                let mut req = tonic::Request::new(pb::EvaluateStandardRequest {
                    standard: if draft.is_some() {
                        String::new()
                    } else {
                        standard
                    },
                    draft,
                    conversations,
                    include_reviewed_reports: include_reviewed,
                    max_disagreements,
                });
                req.metadata_mut()
                    .insert("authorization", format!("Bearer {token}").parse()?);
                client.evaluate_standard(req).await?.into_inner()
            };
            print!("{}", quality::evaluate::render(&answer));
        }
        Quality::Upload { file, id, remote } => {
            let standard = quality::standard_from_json(&read(&file)?)?;
            let mut client = QualityServiceClient::new(remote.channel().await?);
            let request_id = uuid::Uuid::new_v4().to_string();
            let created =
                quality::upload_standard(&mut client, &remote.token, &id, standard, &request_id)
                    .await?;
            println!("{} ({} indicators)", created.name, created.indicators.len());
        }
    }
    Ok(())
}
