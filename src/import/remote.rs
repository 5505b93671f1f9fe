//! `kg import --server URL`: batches sent to a running kg's `importReports`, so that a large
//! load need not stop the server. The server runs them through its one import path; this
//! side only reads files and reports what the server answered.

use anyhow::Context as _;
use serde::Deserialize;
use serde_json::{json, Value};

use super::file::RejectionError;
use super::input::MergeKeys;
use super::target::{BatchOutcome, ImportTarget, Merged};
use super::{canonical, ReportInput};

const IMPORT: &str = "mutation Import($inputs: [ReportInput!]!, $atomic: Boolean) {
  importReports(inputs: $inputs, atomic: $atomic) {
    outcomes { index status errors { code message inputPath } }
  }
}";

/// A kg server's GraphQL endpoint, with the token that grants it writes.
pub struct RemoteTarget {
    client: reqwest::Client,
    endpoint: reqwest::Url,
    token: Option<String>,
}

impl RemoteTarget {
    /// `server` is the server's base URL (`http://host:port`) or its `/graphql` endpoint.
    pub fn new(server: &str, token: Option<String>) -> anyhow::Result<Self> {
        let mut endpoint = reqwest::Url::parse(server)
            .with_context(|| format!("--server {server:?} is not a URL"))?;
        if !endpoint.path().ends_with("/graphql") {
            let path = format!("{}/graphql", endpoint.path().trim_end_matches('/'));
            endpoint.set_path(&path);
        }
        let client = reqwest::Client::builder()
            .user_agent(concat!("kg-import/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            client,
            endpoint,
            token,
        })
    }
}

impl RemoteTarget {
    async fn post(
        &self,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<(reqwest::StatusCode, Answer)> {
        let mut request = self
            .client
            .post(self.endpoint.clone())
            .header(reqwest::header::ACCEPT, "application/graphql-response+json")
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("cannot reach {}", self.endpoint))?;
        let status = response.status();
        let body = response.bytes().await?;
        let answer: Answer = serde_json::from_slice(&body).with_context(|| {
            format!(
                "{} answered {status} with no GraphQL response: {}",
                self.endpoint,
                String::from_utf8_lossy(&body[..body.len().min(200)])
            )
        })?;
        Ok((status, answer))
    }

    /// The first error of an answer, when it is about the input (it has an input path),
    /// as a refusal; any other error stops the run.
    fn refusal(&self, answer: &Answer, prefix: &str) -> anyhow::Result<Option<RejectionError>> {
        let Some(error) = answer.errors.first() else {
            return Ok(None);
        };
        let code = error.extensions["code"].as_str().unwrap_or("INTERNAL");
        match error.extensions["inputPath"].as_array() {
            Some(path) => Ok(Some(RejectionError {
                code: code.to_string(),
                input_path: format!(
                    "{prefix}{}",
                    path.iter()
                        .map(|s| s.as_str().map_or_else(|| s.to_string(), String::from))
                        .collect::<Vec<_>>()
                        .join(".")
                ),
                message: error.message.clone(),
            })),
            None => anyhow::bail!("{} refused: {} ({code})", self.endpoint, error.message),
        }
    }
}

const ENTITIES: &str = "query Entities($keep: String!, $merge: String!) {
  keep: entity(key: $keep) { id }
  merge: entity(key: $merge) { id }
  recorded: entityMerge(key: $merge) { kept { key } }
}";

const MERGE: &str = "mutation Merge($keep: ID!, $merge: ID!, $reason: String) {
  mergeEntities(keep: $keep, merge: $merge, reason: $reason) { mergedKey }
}";

#[derive(Deserialize)]
struct Answer {
    data: Option<Value>,
    #[serde(default)]
    errors: Vec<GraphqlError>,
}

#[derive(Deserialize)]
struct GraphqlError {
    message: String,
    #[serde(default)]
    extensions: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Outcome {
    index: usize,
    status: String,
    #[serde(default)]
    errors: Vec<OutcomeError>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OutcomeError {
    code: String,
    message: String,
    input_path: Vec<String>,
}

/// The path inside the report: what follows `inputs` and the report's index.
fn inner_path(path: &[Value]) -> String {
    path.iter()
        .skip(2)
        .map(|segment| match segment {
            Value::String(name) => name.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

#[async_trait::async_trait]
impl ImportTarget for RemoteTarget {
    async fn import_batch(
        &self,
        inputs: Vec<ReportInput>,
        atomic: bool,
    ) -> anyhow::Result<Vec<BatchOutcome>> {
        Ok(vec![self.import_one(&inputs, atomic).await?])
    }

    async fn merge(&self, keys: &MergeKeys) -> anyhow::Result<Merged> {
        let (_, found) = self
            .post(ENTITIES, json!({ "keep": keys.keep, "merge": keys.merge }))
            .await?;
        if let Some(refused) = self.refusal(&found, "")? {
            return Ok(Merged::Refused(vec![refused]));
        }
        let data = found.data.unwrap_or_default();
        if data.pointer("/recorded/kept/key").and_then(Value::as_str) == Some(keys.keep.as_str()) {
            return Ok(Merged::Already);
        }
        let mut missing = Vec::new();
        for field in ["keep", "merge"] {
            if data.pointer(&format!("/{field}/id")).is_none() {
                missing.push(RejectionError {
                    code: "UNKNOWN_REFERENCE".into(),
                    input_path: format!("mergeEntities.{field}"),
                    message: format!(
                        "no entity `{}` on the server",
                        if field == "keep" {
                            &keys.keep
                        } else {
                            &keys.merge
                        }
                    ),
                });
            }
        }
        if !missing.is_empty() {
            return Ok(Merged::Refused(missing));
        }
        let variables = json!({
            "keep": data["keep"]["id"], "merge": data["merge"]["id"], "reason": keys.reason,
        });
        let (_, merged) = self.post(MERGE, variables).await?;
        match self.refusal(&merged, "mergeEntities.")? {
            Some(refused) => Ok(Merged::Refused(vec![refused])),
            None => Ok(Merged::Now),
        }
    }
}

impl RemoteTarget {
    /// One batch through the server's `importReports`, which answers before returning.
    async fn import_one(
        &self,
        inputs: &[ReportInput],
        atomic: bool,
    ) -> anyhow::Result<BatchOutcome> {
        // The canonical form leaves absent fields out rather than sending nulls.
        let inputs: Vec<Value> = inputs
            .iter()
            .map(|input| serde_json::from_str(&canonical(input)))
            .collect::<Result<_, _>>()?;
        let (status, answer) = self
            .post(IMPORT, json!({ "inputs": inputs, "atomic": atomic }))
            .await?;
        let mut outcome = BatchOutcome::default();
        if let Some(outcomes) = answer
            .data
            .as_ref()
            .and_then(|d| d.pointer("/importReports/outcomes"))
        {
            let outcomes: Vec<Outcome> = serde_json::from_value(outcomes.clone())?;
            for report in outcomes {
                match report.status.as_str() {
                    "CREATED" => outcome.created += 1,
                    "ALREADY_PRESENT" => outcome.already_present += 1,
                    _ => outcome.rejected.push((
                        report.index,
                        report
                            .errors
                            .into_iter()
                            .map(|e| RejectionError {
                                code: e.code,
                                input_path: e
                                    .input_path
                                    .into_iter()
                                    .skip(2)
                                    .collect::<Vec<_>>()
                                    .join("."),
                                message: e.message,
                            })
                            .collect(),
                    )),
                }
            }
            return Ok(outcome);
        }
        // An atomic import that refused: one error per problem, each with its input path;
        // any other error (no access, the store down) stops the run.
        for error in &answer.errors {
            let path = error.extensions["inputPath"].as_array();
            let index = path.and_then(|p| p.get(1)).and_then(Value::as_u64);
            let code = error.extensions["code"].as_str().unwrap_or("INTERNAL");
            match (index, path) {
                (Some(index), Some(path)) => outcome.rejected.push((
                    index as usize,
                    vec![RejectionError {
                        code: code.to_string(),
                        input_path: inner_path(path),
                        message: error.message.clone(),
                    }],
                )),
                _ => anyhow::bail!(
                    "{} refused the import: {} ({code})",
                    self.endpoint,
                    error.message
                ),
            }
        }
        if outcome.rejected.is_empty() {
            anyhow::bail!(
                "{} answered {status} without an import result",
                self.endpoint
            );
        }
        Ok(outcome)
    }
}
