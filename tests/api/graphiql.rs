//! GraphiQL as a user meets it: headless Chromium (installed by `scripts/install-chromium`,
//! which `scripts/test` runs) opens `/graphql` on a server whose page may load nothing from
//! the network, runs the editor's query with the run button, and finds the answer on screen.
//! The screenshot is kept at `target/test-artifacts/graphiql.png`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::http::spawn_app;

/// Chromium, stopped (by its pid) when dropped.
struct Browser(Child);

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn chromium() -> String {
    ["chromium", "chromium-browser"]
        .into_iter()
        .find(|name| Command::new(name).arg("--version").output().is_ok())
        .unwrap_or_else(|| panic!("no chromium: run scripts/install-chromium (scripts/test does)"))
        .to_string()
}

/// Starts headless Chromium with no network beyond loopback; returns it and its DevTools
/// port.
fn start_browser(profile: &std::path::Path) -> (Browser, u16) {
    let mut child = Command::new(chromium())
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            // Anything but loopback (which Chromium never proxies) goes to a closed port:
            // the page must bring its own assets.
            "--proxy-server=127.0.0.1:9",
            "--window-size=1280,800",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("about:blank")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let stderr = child.stderr.take().unwrap();
    let browser = Browser(child);
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.split("DevTools listening on ws://127.0.0.1:").nth(1) {
            let port = rest.split('/').next().unwrap().parse().unwrap();
            return (browser, port);
        }
    }
    panic!("chromium did not open DevTools");
}

struct Page {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    next_id: u64,
}

impl Page {
    async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let message = json!({ "id": id, "method": method, "params": params });
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .unwrap();
        while let Some(message) = self.socket.next().await {
            if let Message::Text(text) = message.unwrap() {
                let value: Value = serde_json::from_str(&text).unwrap();
                if value["id"] == id {
                    return value["result"].clone();
                }
            }
        }
        panic!("DevTools closed");
    }

    async fn evaluate(&mut self, expression: &str) -> Value {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true }),
            )
            .await;
        result["result"]["value"].clone()
    }

    /// Evaluates `expression` until it is truthy, or panics after `limit`.
    async fn wait_for(&mut self, expression: &str, limit: Duration) -> Value {
        let started = Instant::now();
        loop {
            let value = self.evaluate(expression).await;
            if !(value.is_null() || value == false || value == "") {
                return value;
            }
            assert!(
                started.elapsed() < limit,
                "waited {limit:?} for {expression}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

#[tokio::test]
async fn graphiql_runs_a_query_from_its_editor_with_no_network() {
    let app = spawn_app().await;
    let profile = tempfile::tempdir().unwrap();
    let (_browser, port) = start_browser(profile.path());
    let targets: Value = reqwest::get(format!("http://127.0.0.1:{port}/json/list"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let page_url = targets
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["type"] == "page")
        .and_then(|t| t["webSocketDebuggerUrl"].as_str())
        .expect("a page target")
        .to_string();
    let (socket, _) = tokio_tungstenite::connect_async(page_url).await.unwrap();
    let mut page = Page { socket, next_id: 0 };
    page.call(
        "Page.navigate",
        json!({ "url": format!("http://{}/graphql", app.address) }),
    )
    .await;
    page.wait_for(
        "document.querySelector('.graphiql-execute-button') !== null",
        Duration::from_secs(30),
    )
    .await;
    page.evaluate("document.querySelector('.graphiql-execute-button').click()")
        .await;
    let answer = page
        .wait_for(
            "(() => { const r = document.querySelector('.graphiql-response'); \
              return r && r.innerText.includes('DISPUTED') ? r.innerText : ''; })()",
            Duration::from_secs(30),
        )
        .await;
    assert!(
        answer
            .as_str()
            .unwrap()
            .contains("Meeting between Elon Musk"),
        "{answer}"
    );
    let shot = page
        .call("Page.captureScreenshot", json!({ "format": "png" }))
        .await;
    let png = base64::engine::general_purpose::STANDARD
        .decode(shot["data"].as_str().unwrap())
        .unwrap();
    let artifacts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    std::fs::write(artifacts.join("graphiql.png"), png).unwrap();
}
