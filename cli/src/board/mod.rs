//! `symbolon board`: the quarterly business review board as a self-contained HTML page
//! to put on a screen in a meeting or print — one customer's board (`--customer`), or
//! the portfolio ranked for attention (without it).

mod page;
mod svg;

use crate::tools::CustomersRemote;
use anyhow::Context;
use std::path::PathBuf;
use symbolon_contracts::customers::v1::{
    self as pb, customers_service_client::CustomersServiceClient,
    dashboard_service_client::DashboardServiceClient,
};

/// Flags of `symbolon board`.
#[derive(clap::Args)]
pub(crate) struct BoardArgs {
    /// `customers/{id}` (or the bare id); without it, the portfolio ranking.
    #[arg(long)]
    customer: Option<String>,
    /// `YYYY-Qn`, e.g. `2026-Q4`.
    #[arg(long)]
    quarter: String,
    /// The HTML file to write (default `board-<customer>-<quarter>.html`, or
    /// `board-portfolio-<quarter>.html`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// At most this many customers in the ranking.
    #[arg(long, default_value_t = 50)]
    top: i32,
    #[command(flatten)]
    remote: CustomersRemote,
}

fn authed<T>(token: &str, message: T) -> anyhow::Result<tonic::Request<T>> {
    Ok(symbolon_platform::client::try_authed(token, message)?)
}

pub(crate) async fn run(args: BoardArgs) -> anyhow::Result<()> {
    let channel = args.remote.channel().await?;
    let token = args.remote.token.as_str();
    let mut dashboards = DashboardServiceClient::new(channel.clone());
    let (html, default_out) = match &args.customer {
        Some(c) => {
            let customer = if c.starts_with("customers/") {
                c.clone()
            } else {
                format!("customers/{c}")
            };
            let d = dashboards
                .get_trust_dashboard(authed(
                    token,
                    pb::GetTrustDashboardRequest {
                        customer: customer.clone(),
                        quarter: args.quarter.clone(),
                    },
                )?)
                .await
                .with_context(|| format!("reading the board of {customer}"))?
                .into_inner();
            let name = CustomersServiceClient::new(channel)
                .get_customer(authed(
                    token,
                    pb::GetCustomerRequest {
                        name: customer.clone(),
                    },
                )?)
                .await
                .map(|c| c.into_inner().display_name)
                .unwrap_or_else(|_| customer.clone());
            let id = customer.trim_start_matches("customers/").to_string();
            (
                page::customer_board(&d, &name),
                format!("board-{id}-{}.html", args.quarter),
            )
        }
        None => {
            let r = dashboards
                .rank_customers_for_attention(authed(
                    token,
                    pb::RankCustomersForAttentionRequest {
                        quarter: args.quarter.clone(),
                        page_size: args.top,
                        page_token: String::new(),
                    },
                )?)
                .await
                .context("reading the attention ranking")?
                .into_inner();
            (
                page::ranking_board(&args.quarter, &r),
                format!("board-portfolio-{}.html", args.quarter),
            )
        }
    };
    let out = args.out.unwrap_or_else(|| PathBuf::from(default_out));
    std::fs::write(&out, html).with_context(|| format!("writing {}", out.display()))?;
    println!("{}", out.display());
    Ok(())
}
