//! Telemetry: structured logs through `tracing`, OpenTelemetry traces exported over
//! OTLP/gRPC when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, and the W3C trace-context
//! propagator so traces cross services in gRPC metadata.
//!
//! | variable | meaning |
//! |---|---|
//! | `SYMBOLON_LOG` (or `RUST_LOG`) | log filter, default `info` |
//! | `SYMBOLON_LOG_FORMAT` | `json` (services' default) or `text` (`symbolon dev`'s) |
//! | `OTEL_EXPORTER_OTLP_ENDPOINT` | enables OTLP export (e.g. `http://collector:4317`) |
//! | `OTEL_SERVICE_NAME` | overrides the service name on spans |

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::{
    Resource, metrics::SdkMeterProvider, propagation::TraceContextPropagator,
    trace::SdkTracerProvider,
};
use tracing_subscriber::{EnvFilter, Layer, layer::SubscriberExt, util::SubscriberInitExt};

/// Telemetry could not start.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The OTLP exporter could not be built.
    #[error("OTLP exporter: {0}")]
    Exporter(#[from] opentelemetry_otlp::ExporterBuildError),
    /// A global subscriber was already installed.
    #[error("tracing subscriber: {0}")]
    Subscriber(#[from] tracing_subscriber::util::TryInitError),
}

/// Flushes spans when dropped: keep it alive for the life of the process.
#[must_use = "dropping the guard stops trace export"]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
    meters: Option<SdkMeterProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(p) = self.provider.take() {
            let _ = p.shutdown();
        }
        if let Some(m) = self.meters.take() {
            let _ = m.shutdown();
        }
    }
}

/// Installs the W3C trace-context propagator (safe to call more than once).
pub fn install_propagator() {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
}

/// Builds a tracer provider exporting to `exporter`, named `service` (tests pass an
/// in-memory exporter; production the OTLP one).
pub fn tracer_provider<E>(service: &str, exporter: E) -> SdkTracerProvider
where
    E: opentelemetry_sdk::trace::SpanExporter + 'static,
{
    SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name(service.to_string())
                .build(),
        )
        .build()
}

/// How logs are written when `SYMBOLON_LOG_FORMAT` does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object a line (services in production).
    Json,
    /// Compact human-readable lines (`symbolon dev`).
    Text,
}

/// Starts logging and, when configured, trace export, for a process named `service`.
pub fn init(service: &str, default_format: LogFormat) -> Result<TelemetryGuard, TelemetryError> {
    install_propagator();
    let filter = std::env::var("SYMBOLON_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let json = match std::env::var("SYMBOLON_LOG_FORMAT").as_deref() {
        Ok("json") => true,
        Ok("text") => false,
        _ => default_format == LogFormat::Json,
    };
    let fmt = if json {
        tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_filter(filter)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .compact()
            .with_filter(filter)
            .boxed()
    };

    let endpoint = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").unwrap_or_default();
    let name = std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| service.to_string());
    let (provider, meters) = if endpoint.is_empty() {
        (None, None)
    } else {
        let spans = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .build()?;
        let metrics = opentelemetry_otlp::MetricExporter::builder()
            .with_tonic()
            .build()?;
        // Exported every OTEL_METRIC_EXPORT_INTERVAL (default 60 s) and at shutdown.
        let meters = SdkMeterProvider::builder()
            .with_periodic_exporter(metrics)
            .with_resource(Resource::builder().with_service_name(name.clone()).build())
            .build();
        opentelemetry::global::set_meter_provider(meters.clone());
        (Some(tracer_provider(&name, spans)), Some(meters))
    };
    let otel = provider.as_ref().map(|p| {
        opentelemetry::global::set_tracer_provider(p.clone());
        // Spans get their own filter, independent of the log level: the RPC spans of
        // the instrumentation are at TRACE level under `otel::tracing`.
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer(service.to_string()))
            .with_filter(EnvFilter::new("info,otel::tracing=trace"))
    });
    tracing_subscriber::registry()
        .with(fmt)
        .with(otel)
        .try_init()?;
    Ok(TelemetryGuard { provider, meters })
}
