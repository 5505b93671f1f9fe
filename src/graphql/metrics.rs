//! Records each GraphQL request into the server's metrics: its operation, how long it took
//! (refusals before execution included), and the codes of its errors. Registered first, so
//! it sees the codes the other extensions give.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextRequest,
};
use async_graphql::Response;

use crate::metrics::Metrics;

pub struct RequestMetrics(pub Arc<Metrics>);

impl ExtensionFactory for RequestMetrics {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestMetricsExtension {
            metrics: Arc::clone(&self.0),
            operation: Mutex::new(None),
        })
    }
}

/// One request's: created per request, so the operation name found at execution can be
/// recorded with the whole request's outcome.
struct RequestMetricsExtension {
    metrics: Arc<Metrics>,
    operation: Mutex<Option<String>>,
}

#[async_trait::async_trait]
impl Extension for RequestMetricsExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let started = Instant::now();
        let response = next.run(ctx).await;
        let codes: Vec<&str> = response
            .errors
            .iter()
            .filter_map(|e| e.extensions.as_ref()?.get("code"))
            .filter_map(|code| match code {
                async_graphql::Value::String(code) => Some(code.as_str()),
                _ => None,
            })
            .collect();
        let operation = self
            .operation
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        self.metrics
            .request(operation.as_deref(), started.elapsed(), &codes);
        response
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if let Some(name) = operation_name {
            *self.operation.lock().unwrap_or_else(|p| p.into_inner()) = Some(name.to_string());
        }
        next.run(ctx, operation_name).await
    }
}
