//! What every request gets around the schema: the cost check before it runs, its own
//! reads, default error codes, its metrics, the root fields in the order asked, and a
//! query's answer given again while the graph has not changed.
//!
//! These are done here, around `Schema::execute`, and not as async-graphql extensions:
//! with any extension registered, async-graphql sends every field and every list item
//! through the extension chain (a registry lookup, and a boxed future per extension), which
//! costs more than most of our resolvers.

use std::sync::Arc;
use std::time::Instant;

use async_graphql::futures_util::stream::{self, BoxStream, StreamExt};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Data, Executor, Request, Response, ServerError};
use quick_cache::sync::Cache;
use quick_cache::Weighter;

use super::answers::{keeping, Answers, Keeping};
use super::cost::CostLimits;
use super::errors::give_default_codes;
use super::prefetch::RequestReads;
use super::root_order::{reorder, response_keys};
use super::KgSchema;
use crate::domain::Graph;
use crate::metrics::Metrics;

/// The schema with what every request gets around it. Cheap to clone; what HTTP, the
/// WebSocket transport, tests and benchmarks run requests with.
#[derive(Clone)]
pub struct KgExecutor {
    schema: KgSchema,
    graph: Graph,
    cost: Arc<CostLimits>,
    metrics: Arc<Metrics>,
    parsed: Arc<Cache<String, Arc<ExecutableDocument>, QueryBytes>>,
    answers: Option<Arc<Answers>>,
}

/// How much parsed documents are kept, by the bytes of their query text.
const PARSED_QUERY_BYTES: u64 = 1 << 20;

#[derive(Clone)]
struct QueryBytes;

impl Weighter<String, Arc<ExecutableDocument>> for QueryBytes {
    fn weight(&self, query: &String, _: &Arc<ExecutableDocument>) -> u64 {
        // A parsed document is several times larger than its text: the bound is approximate.
        query.len() as u64 + 64
    }
}

impl KgExecutor {
    pub(super) fn new(
        schema: KgSchema,
        graph: Graph,
        cost: CostLimits,
        metrics: Arc<Metrics>,
        answer_bytes: u64,
    ) -> Self {
        Self {
            schema,
            graph,
            cost: Arc::new(cost),
            metrics,
            parsed: Arc::new(Cache::with_weighter(256, PARSED_QUERY_BYTES, QueryBytes)),
            answers: Answers::new(answer_bytes).map(Arc::new),
        }
    }

    /// Runs one query or mutation.
    pub async fn execute(&self, request: impl Into<Request>) -> Response {
        let started = Instant::now();
        let request: Request = request.into();
        let operation = request.operation_name.clone();
        let response = match &self.answers {
            Some(answers) => self.reuse_or_run(answers, request).await,
            None => self.run(request).await,
        };
        let codes: Vec<&str> = response
            .errors
            .iter()
            .filter_map(|e| e.extensions.as_ref()?.get("code"))
            .filter_map(|code| match code {
                async_graphql::Value::String(code) => Some(code.as_str()),
                _ => None,
            })
            .collect();
        self.metrics
            .request(operation.as_deref(), started.elapsed(), &codes);
        response
    }

    /// The answer kept for this request while the graph is as it was when it was kept;
    /// else the request run, and its answer kept when it is a query's.
    async fn reuse_or_run(&self, answers: &Answers, request: Request) -> Response {
        let key = Answers::key(&request);
        let kept = answers.get(&key);
        // A query seen before has its document parsed; anything else runs unkept, without
        // the version read (its next time, it is known).
        let keeping = match &kept {
            Some(kept) if kept.version.is_none() => Keeping::Always,
            Some(_) => Keeping::WhileUnchanged,
            None => self
                .parsed
                .get(&request.query)
                .map_or(Keeping::Never, |document| {
                    keeping(&document, request.operation_name.as_deref())
                }),
        };
        let version = match keeping {
            Keeping::Never => return self.run(request).await,
            Keeping::Always => None,
            Keeping::WhileUnchanged => match self.graph.store().graph_version().await {
                Ok(version) => Some(version),
                Err(_) => return self.run(request).await,
            },
        };
        if let Some(kept) = kept.filter(|kept| kept.version == version) {
            self.metrics.answer_reused();
            return kept.response();
        }
        let response = self.run(request).await;
        answers.keep(key, version, &response);
        response
    }

    /// Runs a request: its bounds checked, then executed with its own reads.
    async fn run(&self, request: Request) -> Response {
        let operation = request.operation_name.clone();
        let mut response = match self.prepare(request) {
            Ok(mut request) => {
                let keys = match request.parsed_query() {
                    Ok(document) => response_keys(document, operation.as_deref()),
                    Err(_) => Vec::new(),
                };
                let mut response = self.schema.execute(request).await;
                reorder(&mut response.data, &keys);
                response
            }
            Err(refusal) => Response::from_errors(vec![refusal]),
        };
        give_default_codes(&mut response);
        response
    }

    /// The request with its own reads, once it fits the bounds; else the error that
    /// refuses it.
    fn prepare(&self, mut request: Request) -> Result<Request, ServerError> {
        // Frontends send the same few queries again and again, and parsing one is about a
        // tenth of a small request: a query parsed before is reused (validation still runs
        // on every request).
        let known = self.parsed.get(&request.query);
        if let Some(document) = &known {
            request.set_parsed_query(ExecutableDocument::clone(document));
        }
        self.cost.check(&mut request)?;
        if known.is_none() {
            if let Ok(document) = request.parsed_query() {
                let document = Arc::new(document.clone());
                self.parsed.insert(request.query.clone(), document);
            }
        }
        Ok(request.data(RequestReads::new(self.graph.clone())))
    }
}

impl Executor for KgExecutor {
    async fn execute(&self, request: Request) -> Response {
        KgExecutor::execute(self, request).await
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let responses = match self.prepare(request) {
            Ok(request) => self
                .schema
                .execute_stream_with_session_data(request, session_data.unwrap_or_default()),
            Err(refusal) => stream::once(async { Response::from_errors(vec![refusal]) }).boxed(),
        };
        responses
            .map(|mut response| {
                give_default_codes(&mut response);
                response
            })
            .boxed()
    }
}
