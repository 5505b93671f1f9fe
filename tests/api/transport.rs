//! GraphQL over HTTP as a browser, a careless client and an attacker would use it: content
//! types, GET, `Accept`, malformed bodies, CORS, tokens, request ids, readiness, header
//! and WebSocket timeouts.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use kg::auth::TokenPolicy;
use kg::http::{CorsSettings, HttpSettings, Readiness};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

use crate::http::{spawn_app, spawn_app_with, websocket, SpawnedApp};

const IMPORT: &str = "mutation($i: ReportInput!) { importReport(input: $i) { createdCount } }";

fn report(key: &str) -> Value {
    json!({
        "key": key, "title": format!("Report {key}"), "kind": "ARTICLE", "publisher": "bbc",
        "assertions": [{ "claim": "meeting-duration", "stance": "ASSERTS" }]
    })
}

fn url(app: &SpawnedApp, path: &str) -> String {
    format!("http://{}{path}", app.address)
}

async fn report_count(app: &SpawnedApp) -> u64 {
    app.test.totals().await["reports"]["totalCount"]
        .as_u64()
        .unwrap()
}

fn import_body(key: &str) -> String {
    json!({ "query": IMPORT, "variables": { "i": report(key) } }).to_string()
}

#[tokio::test]
async fn a_post_that_is_not_json_is_refused_with_415_and_runs_nothing() {
    let app = spawn_app().await;
    let before = report_count(&app).await;
    let client = reqwest::Client::new();
    let kinds = [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ];
    for kind in kinds {
        let mut request = client
            .post(url(&app, "/graphql"))
            .body(import_body("cross-site"));
        if let Some(kind) = kind {
            request = request.header("content-type", kind);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 415, "{kind:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_REQUEST",
            "{body}"
        );
    }
    assert_eq!(report_count(&app).await, before, "nothing was imported");
}

#[tokio::test]
async fn get_runs_queries_refuses_mutations_and_serves_graphiql_only_to_browsers() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let query = client
        .get(url(&app, "/graphql"))
        .query(&[("query", "{ events { totalCount } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(query.status(), 200);
    assert!(query.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let answer: Value = query.json().await.unwrap();
    assert!(
        answer["data"]["events"]["totalCount"].as_u64().unwrap() > 0,
        "{answer}"
    );

    let before = report_count(&app).await;
    let variables = json!({ "i": report("by-get") }).to_string();
    let mutation = client
        .get(url(&app, "/graphql"))
        .query(&[("query", IMPORT), ("variables", variables.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(mutation.status(), 405);
    assert_eq!(mutation.headers()["allow"], "POST");
    assert_eq!(report_count(&app).await, before, "GET wrote nothing");

    let bare = client.get(url(&app, "/graphql")).send().await.unwrap();
    assert_eq!(bare.status(), 400, "no query and no HTML asked for");
    let body: Value = bare.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
}

#[tokio::test]
async fn the_answer_follows_accept_and_request_errors_are_4xx_in_the_new_media_type() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let post = |accept: &'static str, query: &'static str| {
        client
            .post(url(&app, "/graphql"))
            .header("content-type", "application/json")
            .header("accept", accept)
            .body(json!({ "query": query }).to_string())
            .send()
    };
    let new = post(
        "application/graphql-response+json",
        "{ events { totalCount } }",
    )
    .await
    .unwrap();
    assert_eq!(new.status(), 200);
    assert!(new.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/graphql-response+json"));
    let legacy = post("application/json", "{ events { totalCount } }")
        .await
        .unwrap();
    assert!(legacy.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));

    let invalid = post("application/graphql-response+json", "{ noSuchField }")
        .await
        .unwrap();
    assert_eq!(invalid.status(), 400);
    let body: Value = invalid.json().await.unwrap();
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    let invalid_legacy = post("application/json", "{ noSuchField }").await.unwrap();
    assert_eq!(invalid_legacy.status(), 200, "application/json keeps 200");

    let refused = post("text/html", "{ events { totalCount } }")
        .await
        .unwrap();
    assert_eq!(refused.status(), 406);
}

#[tokio::test]
async fn answers_keep_the_order_of_the_fields_asked() {
    // The spec has the response's fields in the order the query selected them; sorted maps
    // would put `alpha` first.
    let app = spawn_app().await;
    let body = reqwest::Client::new()
        .post(url(&app, "/graphql"))
        .header("content-type", "application/json")
        .body(
            json!({ "query": "{ zeta: statusRule { version } events(first: 1) { totalCount edges { cursor } } alpha: statusRule { version } }" })
                .to_string(),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = |text: &str| {
        body.find(text)
            .unwrap_or_else(|| panic!("{text} in {body}"))
    };
    assert!(at("\"zeta\"") < at("\"events\""), "{body}");
    assert!(at("\"events\"") < at("\"alpha\""), "{body}");
    assert!(at("\"totalCount\"") < at("\"edges\""), "{body}");
}

#[tokio::test]
async fn malformed_bodies_get_a_coded_json_error_without_internals() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    for body in [
        "{\"query\": ",
        "[]",
        "{\"variables\": {}}",
        "{\"query\": \"{ a }\", \"variables\": 3}",
    ] {
        let response = client
            .post(url(&app, "/graphql"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{body}");
        let answer: Value = response.json().await.unwrap();
        let message = answer["errors"][0]["message"].as_str().unwrap();
        assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_REQUEST");
        assert!(
            !message.contains("InvalidRequest") && !message.contains("Error("),
            "{message}"
        );
    }
}

#[tokio::test]
async fn an_invalid_date_argument_is_the_clients_error() {
    let app = spawn_app().await;
    let errors = app
        .test
        .errors(
            "query($d: Date) { claims(status: CONFIRMED, asOf: $d) { totalCount } }",
            json!({ "d": "2024-13-45" }),
        )
        .await;
    let code = errors[0]["extensions"]["code"].as_str().unwrap();
    assert!(
        matches!(code, "INVALID_VALUE" | "BAD_USER_INPUT"),
        "{errors:#?}"
    );
}

fn with_cors(origins: &[&str], credentials: bool) -> HttpSettings {
    HttpSettings {
        cors: CorsSettings {
            origins: origins.iter().map(|o| o.to_string()).collect(),
            credentials,
        },
        ..HttpSettings::default()
    }
}

async fn preflight(app: &SpawnedApp, origin: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, url(app, "/graphql"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,authorization",
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn cors_answers_preflights_for_configured_origins_only() {
    let app = spawn_app_with(with_cors(&["https://app.example.org"], true), None).await;
    let allowed = preflight(&app, "https://app.example.org").await;
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.org"
    );
    assert_eq!(
        allowed.headers()["access-control-allow-credentials"],
        "true"
    );
    let other = preflight(&app, "https://evil.example.com").await;
    assert!(other.headers().get("access-control-allow-origin").is_none());

    let closed = spawn_app().await;
    let none = preflight(&closed, "https://app.example.org").await;
    assert!(
        none.headers().get("access-control-allow-origin").is_none(),
        "none by default"
    );
}

fn with_tokens(write: &[&str], read: &[&str]) -> HttpSettings {
    let list = |tokens: &[&str]| tokens.iter().map(|t| t.to_string()).collect::<Vec<_>>();
    HttpSettings {
        tokens: TokenPolicy::new(&list(write), &list(read), false),
        ..HttpSettings::default()
    }
}

async fn post_with(app: &SpawnedApp, token: Option<&str>, body: String) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(url(app, "/graphql"))
        .header("content-type", "application/json")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn mutations_need_a_write_token_and_any_of_several_will_do() {
    let app = spawn_app_with(with_tokens(&["old-token", "new-token"], &[]), None).await;
    let before = report_count(&app).await;
    let (_, none) = post_with(&app, None, import_body("t1")).await;
    assert_eq!(
        none["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{none}"
    );
    let (_, wrong) = post_with(&app, Some("guess"), import_body("t1")).await;
    assert_eq!(wrong["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert_eq!(report_count(&app).await, before, "nothing was written");
    let (_, read) = post_with(
        &app,
        None,
        json!({ "query": "{ events { totalCount } }" }).to_string(),
    )
    .await;
    assert!(read["errors"].is_null(), "reads stay open: {read}");
    for (n, token) in ["old-token", "new-token"].iter().enumerate() {
        let (_, written) = post_with(&app, Some(token), import_body(&format!("t{n}"))).await;
        assert!(written["errors"].is_null(), "{written}");
    }
    assert_eq!(report_count(&app).await, before + 2);
}

#[tokio::test]
async fn read_tokens_close_the_api_to_everyone_else_and_may_not_write() {
    let app = spawn_app_with(with_tokens(&["writer"], &["reader"]), None).await;
    let query = json!({ "query": "{ events { totalCount } }" }).to_string();
    let (status, refused) = post_with(&app, None, query.clone()).await;
    assert_eq!(status, 401);
    assert_eq!(
        refused["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    let (status, _) = post_with(&app, Some("reader"), query).await;
    assert_eq!(status, 200);
    let (_, forbidden) = post_with(&app, Some("reader"), import_body("r1")).await;
    assert_eq!(
        forbidden["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{forbidden}"
    );
}

#[tokio::test]
async fn a_request_id_is_returned_and_kept_when_given() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let fresh = client.get(url(&app, "/healthz")).send().await.unwrap();
    assert!(!fresh.headers()["x-request-id"].is_empty());
    let given = client
        .get(url(&app, "/healthz"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "trace-me-42");
}

struct Down;

impl Readiness for Down {
    fn check(&self) -> Pin<Box<dyn std::future::Future<Output = bool> + Send + '_>> {
        Box::pin(async { false })
    }
}

#[tokio::test]
async fn readyz_follows_the_store_while_healthz_says_the_process_lives() {
    let app = spawn_app().await;
    let ready = reqwest::get(url(&app, "/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
    let down = spawn_app_with(HttpSettings::default(), Some(Arc::new(Down))).await;
    let not_ready = reqwest::get(url(&down, "/readyz")).await.unwrap();
    assert_eq!(not_ready.status(), 503);
    let alive = reqwest::get(url(&down, "/healthz")).await.unwrap();
    assert_eq!(alive.status(), 200);
}

/// A server whose header timeout is half a second, and a raw connection to it.
async fn impatient_server() -> (SpawnedApp, tokio::net::TcpStream) {
    let settings = HttpSettings {
        header_timeout: Duration::from_millis(500),
        ..HttpSettings::default()
    };
    let app = spawn_app_with(settings, None).await;
    let socket = tokio::net::TcpStream::connect(&app.address).await.unwrap();
    (app, socket)
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_dropped_after_the_header_timeout() {
    let (_app, mut socket) = impatient_server().await;
    socket
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let trickle = async {
        for byte in b"X-Slow: aaaaaaaaaaaaaaaaaaaa" {
            if socket.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let mut rest = Vec::new();
        let _ = socket.read_to_end(&mut rest).await;
        rest
    };
    let answer = tokio::time::timeout(Duration::from_secs(4), trickle)
        .await
        .expect("the server closes the connection before the trickle ends");
    assert!(
        !String::from_utf8_lossy(&answer).contains("200 OK"),
        "the request never ran"
    );
}

#[tokio::test]
async fn a_websocket_that_never_initialises_is_closed_with_4408() {
    let settings = HttpSettings {
        ws_init_timeout: Duration::from_millis(300),
        ..HttpSettings::default()
    };
    let app = spawn_app_with(settings, None).await;
    let mut socket = websocket(&app).await;
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(message) = socket.next().await {
            if let Ok(Message::Close(Some(frame))) = message {
                return u16::from(frame.code);
            }
        }
        0
    })
    .await
    .expect("the server closes the socket");
    assert_eq!(closed, 4408);
}

#[tokio::test]
async fn a_mutation_over_websocket_needs_a_write_token_in_connection_init() {
    let app = spawn_app_with(with_tokens(&["writer"], &[]), None).await;
    let before = report_count(&app).await;
    for (token, expect_written) in [(None, false), (Some("Bearer writer"), true)] {
        let mut socket = websocket(&app).await;
        let init = match token {
            Some(token) => {
                json!({ "type": "connection_init", "payload": { "authorization": token } })
            }
            None => json!({ "type": "connection_init" }),
        };
        socket.send(Message::text(init.to_string())).await.unwrap();
        let subscribe = json!({ "id": "1", "type": "subscribe", "payload": {
            "query": IMPORT, "variables": { "i": report(&format!("ws-{expect_written}")) } } });
        socket
            .send(Message::text(subscribe.to_string()))
            .await
            .unwrap();
        let next = tokio::time::timeout(Duration::from_secs(5), async {
            while let Some(Ok(message)) = socket.next().await {
                if let Message::Text(text) = message {
                    let value: Value = serde_json::from_str(&text).unwrap();
                    if value["type"] == "next" || value["type"] == "error" {
                        return value;
                    }
                }
            }
            Value::Null
        })
        .await
        .unwrap();
        let errors = next["payload"]["errors"].clone();
        if expect_written {
            assert!(errors.is_null(), "{next}");
        } else {
            let code = &next["payload"]["errors"][0]["extensions"]["code"];
            assert_eq!(code, "UNAUTHENTICATED", "{next}");
        }
    }
    assert_eq!(
        report_count(&app).await,
        before + 1,
        "only the token's import landed"
    );
}

#[tokio::test]
async fn metrics_count_requests_by_operation_errors_by_code_and_store_calls() {
    let app = spawn_app().await;
    let query =
        json!({ "query": "query Events { events { totalCount } }", "operationName": "Events" });
    crate::http::post(&app.address, query).await;
    crate::http::post(
        &app.address,
        json!({ "query": "{ node(id: \"nope\") { id } }" }),
    )
    .await;
    let text = reqwest::get(url(&app, "/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("kg_graphql_request_duration_seconds_count{operation=\"Events\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("kg_graphql_errors_total{code=\"BAD_ID\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("kg_store_call_duration_seconds_count{call=\"list\",outcome=\"ok\"}"),
        "{text}"
    );
}

#[tokio::test]
async fn a_burst_of_a_thousand_imported_reports_reaches_every_subscriber() {
    let app = spawn_app().await;
    let mut subscribers = Vec::new();
    for _ in 0..2 {
        let mut socket = websocket(&app).await;
        socket
            .send(Message::text(
                json!({ "type": "connection_init" }).to_string(),
            ))
            .await
            .unwrap();
        let subscribe = json!({ "id": "1", "type": "subscribe",
            "payload": { "query": "subscription { reportImported { key } }" } });
        socket
            .send(Message::text(subscribe.to_string()))
            .await
            .unwrap();
        subscribers.push(socket);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let reports: Vec<Value> = (0..1_000).map(|n| report(&format!("burst-{n}"))).collect();
    let imported = crate::http::post(
        &app.address,
        json!({ "query": "mutation($r: [ReportInput!]!) { importReports(inputs: $r) { createdCount } }",
                "variables": { "r": reports } }),
    )
    .await;
    assert!(imported["errors"].is_null(), "{imported}");
    for mut socket in subscribers {
        let heard = tokio::time::timeout(Duration::from_secs(60), async {
            let mut keys = std::collections::HashSet::new();
            while keys.len() < 1_000 {
                match socket.next().await {
                    Some(Ok(Message::Text(text))) => {
                        let value: Value = serde_json::from_str(&text).unwrap();
                        assert_ne!(value["type"], "error", "{value}");
                        assert!(value["payload"]["errors"].is_null(), "{value}");
                        if let Some(key) =
                            value["payload"]["data"]["reportImported"]["key"].as_str()
                        {
                            keys.insert(key.to_string());
                        }
                    }
                    Some(Ok(_)) => {}
                    _ => break,
                }
            }
            keys.len()
        })
        .await
        .expect("every event arrives");
        assert_eq!(heard, 1_000);
    }
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let (_app, mut socket) = impatient_server().await;
    socket
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = vec![0; 1024];
    let read = socket.read(&mut answer).await.unwrap();
    assert!(String::from_utf8_lossy(&answer[..read]).starts_with("HTTP/1.1 200"));
    let closed = tokio::time::timeout(Duration::from_secs(4), socket.read(&mut answer))
        .await
        .expect("the idle connection is closed");
    assert_eq!(closed.unwrap(), 0, "closed without another answer");
}

#[tokio::test]
async fn a_request_past_its_deadline_gets_a_coded_408() {
    let settings = HttpSettings {
        request_timeout: Duration::from_millis(5),
        ..HttpSettings::default()
    };
    let app = spawn_app_with(settings, None).await;
    let heavy = "{ claims(first: 100) { edges { node { statement status
        statusExplanation { summary chains { origin assertions { id } } }
        assertions(first: 20) { edges { node { stance report { title publisher { name } } } } } } } } }";
    let (status, answer) = post_with(&app, None, json!({ "query": heavy }).to_string()).await;
    assert_eq!(status, 408, "{answer}");
    assert_eq!(answer["errors"][0]["extensions"]["code"], "TIMEOUT");
}
