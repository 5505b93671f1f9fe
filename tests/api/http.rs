//! The HTTP layer over a real socket: GraphiQL, queries, subscriptions over WebSocket.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use std::sync::Arc;

use kg::http::{HttpSettings, Readiness};

use crate::harness::{Backend, TestApp};

/// A server on port 0 over a seeded embedded store; stops when dropped.
pub struct SpawnedApp {
    pub address: String,
    pub test: TestApp,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub async fn spawn_app() -> SpawnedApp {
    spawn_app_with(HttpSettings::default(), None).await
}

/// A server with these settings and, when given, this readiness in place of the store's.
pub async fn spawn_app_with(
    settings: HttpSettings,
    readiness: Option<Arc<dyn Readiness>>,
) -> SpawnedApp {
    let test = TestApp::seeded(Backend::Embedded).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut backend = test.app.http_backend();
    if let Some(readiness) = readiness {
        backend.readiness = readiness;
    }
    tokio::spawn(kg::http::serve(listener, backend, settings, async {
        let _ = stopped.await;
    }));
    SpawnedApp {
        address,
        test,
        _stop: stop,
    }
}

/// A WebSocket to the app's subscription endpoint, speaking `graphql-transport-ws`.
pub async fn websocket(
    app: &SpawnedApp,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let mut request = format!("ws://{}/graphql/ws", app.address)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

pub async fn post(address: &str, body: Value) -> Value {
    reqwest::Client::new()
        .post(format!("http://{address}/graphql"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn get_graphql_serves_graphiql() {
    let app = spawn_app().await;
    let page = reqwest::Client::new()
        .get(format!("http://{}/graphql", app.address))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.to_lowercase().contains("graphiql"), "{html}");
    assert!(
        html.contains("/graphql/ws"),
        "GraphiQL is told the subscription endpoint"
    );
}

#[tokio::test]
async fn post_graphql_answers_queries_and_healthz_answers_ok() {
    let app = spawn_app().await;
    let response = post(
        &app.address,
        json!({ "query": "{ events { edges { node { title status } } } }" }),
    )
    .await;
    assert_eq!(
        response["data"]["events"]["edges"][0]["node"]["status"],
        "DISPUTED"
    );
    let health = reqwest::get(format!("http://{}/healthz", app.address))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn an_oversized_request_body_is_refused_with_413() {
    let app = spawn_app().await;
    let body = format!("{{\"query\": \"{}\"}}", " ".repeat(33 * 1024 * 1024));
    let response = reqwest::Client::new()
        .post(format!("http://{}/graphql", app.address))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn subscribers_hear_of_each_report_as_its_import_commits() {
    let app = spawn_app().await;
    let mut socket = websocket(&app).await;
    let next_json = async |socket: &mut tokio_tungstenite::WebSocketStream<_>| -> Value {
        loop {
            match socket.next().await.expect("the socket stays open").unwrap() {
                Message::Text(text) => return serde_json::from_str(&text).unwrap(),
                _ => continue,
            }
        }
    };
    socket
        .send(Message::text(
            json!({ "type": "connection_init" }).to_string(),
        ))
        .await
        .unwrap();
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { reportImported { title publisher { name } } }" } });
    socket
        .send(Message::text(subscribe.to_string()))
        .await
        .unwrap();
    // Give the server a moment to register the subscription before importing.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let report = json!({
        "key": "ws-report", "title": "Heard over the socket", "kind": "ARTICLE", "publisher": "bbc",
        "assertions": [{ "claim": "meeting-duration", "stance": "ASSERTS" }]
    });
    let imported = post(
        &app.address,
        json!({ "query": "mutation($i: ReportInput!) { importReport(input: $i) { createdCount } }", "variables": { "i": report } }),
    )
    .await;
    assert!(imported["errors"].is_null(), "{imported}");
    let message = tokio::time::timeout(std::time::Duration::from_secs(10), next_json(&mut socket))
        .await
        .expect("the subscriber hears of the import");
    assert_eq!(message["type"], "next");
    assert_eq!(
        message["payload"]["data"]["reportImported"]["title"],
        "Heard over the socket"
    );
    assert_eq!(
        message["payload"]["data"]["reportImported"]["publisher"]["name"],
        "BBC"
    );
}
