//! Building and running the service (the zero2prod shape: `Application::build` binds
//! its own port, so tests start the real thing on port 0).
//!
//! | variable (`SYMBOLON_SUPPLYCHAIN_…`) | default | meaning |
//! |---|---|---|
//! | `ROAD_FACTOR` | 1.25 | road km per great-circle km |
//! | `SPEED_KMH` | 90 | average road speed |
//! | `MAX_REACHABILITY_SLOWDOWN` | 1.0 | extra travel share at reachability 0 |
//! | `DEFAULT_REACHABILITY` | 0.5 | reachability without data |
//! | `DEGRADED_PREPARATION_FACTOR` | 2.0 | preparation multiplier when degraded |
//! | `CROSS_BORDER_DELAY_MINUTES` | 30 | added across a border |
//! | `TARGET_REDUNDANCY` | 3 | depots in window that count as full redundancy |
//! | `TARGET_STOCK_DEPTH` | 5 | units per part that count as full depth |
//! | `COUNTRY_WEIGHT`, `REDUNDANCY_WEIGHT`, `STOCK_WEIGHT` | 0.4, 0.4, 0.2 | site resilience weights |
//! | `RISK_POLL_MS` | 500 | how often a risk stream looks for events of other replicas |

use crate::{api::Api, model::coverage::Params};
use std::time::Duration;
use symbolon_contracts::supplychain::v1::supply_chain_service_server::SupplyChainServiceServer;
use symbolon_platform::{
    config::{ConfigError, Env, ServerConfig},
    server::{BoundService, StartError, open_and_bind},
    time::Clock,
};

symbolon_platform::migrations!();

/// Everything the supply-chain service is configured with.
#[derive(Debug, Clone)]
pub struct SupplyChainConfig {
    /// The shared server settings.
    pub server: ServerConfig,
    /// The coverage model.
    pub model: Params,
    /// How often risk streams poll for events committed by other replicas.
    pub risk_poll: Duration,
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SupplyChainConfigError {
    /// A variable could not be parsed.
    #[error(transparent)]
    Var(#[from] ConfigError),
    /// The coverage model's parameters are inconsistent.
    #[error("coverage model: SYMBOLON_SUPPLYCHAIN_{0}")]
    Model(String),
}

impl SupplyChainConfig {
    /// Reads `SYMBOLON_SUPPLYCHAIN_*` / `SYMBOLON_*` variables.
    pub fn from_env(env: &Env<'_>) -> Result<Self, SupplyChainConfigError> {
        let d = Params::default();
        let model = Params {
            road_factor: env.get("ROAD_FACTOR", d.road_factor)?,
            speed_kmh: env.get("SPEED_KMH", d.speed_kmh)?,
            max_reachability_slowdown: env
                .get("MAX_REACHABILITY_SLOWDOWN", d.max_reachability_slowdown)?,
            default_reachability: env.get("DEFAULT_REACHABILITY", d.default_reachability)?,
            degraded_preparation_factor: env
                .get("DEGRADED_PREPARATION_FACTOR", d.degraded_preparation_factor)?,
            cross_border_delay_h: env.get("CROSS_BORDER_DELAY_MINUTES", 30.0)? / 60.0,
            target_redundancy: env.get("TARGET_REDUNDANCY", d.target_redundancy)?,
            target_stock_depth: env.get("TARGET_STOCK_DEPTH", d.target_stock_depth)?,
            country_weight: env.get("COUNTRY_WEIGHT", d.country_weight)?,
            redundancy_weight: env.get("REDUNDANCY_WEIGHT", d.redundancy_weight)?,
            stock_weight: env.get("STOCK_WEIGHT", d.stock_weight)?,
        };
        model.validate().map_err(SupplyChainConfigError::Model)?;
        Ok(Self {
            server: ServerConfig::from_env(env, "supplychain", crate::DEFAULT_PORT)?,
            model,
            risk_poll: env.millis("RISK_POLL_MS", 500)?,
        })
    }

    /// Defaults around given server settings (tests).
    pub fn with_server(server: ServerConfig) -> Self {
        Self {
            server,
            model: Params::default(),
            risk_poll: Duration::from_millis(500),
        }
    }
}

/// A built, bound, not yet running supply-chain service.
pub struct Application {
    service: BoundService,
}

symbolon_platform::application!(Application, SupplyChainConfig, service);

impl Application {
    /// As [`Application::build`], with a given clock.
    pub async fn build_with_clock(
        config: SupplyChainConfig,
        clock: Clock,
    ) -> Result<Self, StartError> {
        let (db, mut server) =
            open_and_bind::<StartError>(config.server.clone(), &MIGRATIONS).await?;
        let api = Api::new(
            db.clone(),
            clock,
            config.model.clone(),
            config.risk_poll,
            server.shutdown_token(),
        );
        server.add_guarded(
            SupplyChainServiceServer::new(api),
            &crate::access::SUPPLY_CHAIN_SERVICE,
        );
        Ok(Self {
            service: BoundService::new(server, vec![db]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<SupplyChainConfig, SupplyChainConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        SupplyChainConfig::from_env(&Env::from_fn("supplychain", |k| vars.get(k).cloned()))
    }

    #[test]
    fn defaults_and_overrides() {
        let c = config(&[]).unwrap();
        assert_eq!(c.server.listen_addr.port(), 50053);
        assert_eq!(c.model, Params::default());
        let c = config(&[
            ("SYMBOLON_SUPPLYCHAIN_SPEED_KMH", "60"),
            ("SYMBOLON_SUPPLYCHAIN_CROSS_BORDER_DELAY_MINUTES", "90"),
        ])
        .unwrap();
        assert_eq!(c.model.speed_kmh, 60.0);
        assert_eq!(c.model.cross_border_delay_h, 1.5);
    }

    #[test]
    fn bad_parameters_are_named() {
        let e = config(&[("SYMBOLON_SUPPLYCHAIN_ROAD_FACTOR", "0.5")])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("ROAD_FACTOR"), "{e}");
        let e = config(&[("SYMBOLON_SUPPLYCHAIN_STOCK_WEIGHT", "0.5")])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("STOCK_WEIGHT"), "{e}");
        assert!(config(&[("SYMBOLON_SUPPLYCHAIN_SPEED_KMH", "fast")]).is_err());
    }
}
