//! `kg import` as an importer runs it: NDJSON and JSON files, bad lines reported by line
//! and skipped, `--rejects`, `--strict`, re-running after an interruption, on both stores.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use kg::app::App;
use serde_json::{json, Value};

use crate::harness::{neo4j_server, KgProcess};

fn report(n: usize) -> Value {
    json!({
        "key": format!("cli-{n}"), "title": format!("CLI report {n}"), "kind": "ARTICLE",
        "publisher": "cli-outlet",
        "entities": [
            { "key": "cli-outlet", "type": "ORGANIZATION", "organizationKind": "NEWS_OUTLET", "name": "CLI Outlet" },
            { "key": format!("cli-event-{n}"), "type": "EVENT", "name": format!("CLI event {n}") }
        ],
        "claims": [{ "key": format!("cli-event-{n}-occurred"), "statement": format!("CLI event {n} happened"),
                     "subject": format!("cli-event-{n}"), "attribute": "occurred" }],
        "assertions": [{ "claim": format!("cli-event-{n}-occurred"), "stance": "ASSERTS" }]
    })
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut file = std::fs::File::create(path).unwrap();
    for line in lines {
        writeln!(file, "{line}").unwrap();
    }
}

fn kg_import(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kg"))
        .arg("import")
        .args(args)
        .envs(env.iter().copied())
        .env("KG_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("kg import runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

async fn reports_in(data: &Path) -> u64 {
    let store = kg::store::sqlite::SqliteStore::open(data).unwrap();
    let app = App::new(std::sync::Arc::new(store));
    let answer = app
        .schema
        .execute("{ reports { totalCount } }")
        .await
        .into_result()
        .unwrap();
    answer.data.into_json().unwrap()["reports"]["totalCount"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn bad_lines_are_reported_by_line_and_skipped_and_a_rerun_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("reports.ndjson");
    let mut bad = report(99);
    bad["claims"][0]["attribute"] = json!("no-such-attribute");
    let lines = vec![
        report(1).to_string(),
        "{ not json".to_string(),
        report(2).to_string(),
        bad.to_string(),
        report(3).to_string(),
    ];
    write_lines(&file, &lines);
    let rejects = dir.path().join("rejects.ndjson");
    let args = [
        file.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "--rejects",
        rejects.to_str().unwrap(),
    ];
    let first = kg_import(&args, &[]);
    let text = stderr(&first);
    assert_eq!(first.status.code(), Some(1), "{text}");
    assert!(text.contains("reports.ndjson:2: rejected"), "{text}");
    assert!(
        text.contains("reports.ndjson:4: rejected at claims.0.attribute"),
        "{text}"
    );
    assert!(text.contains("(UNKNOWN_ATTRIBUTE)"), "{text}");
    assert!(
        text.contains("created 3, already present 0, rejected 2"),
        "{text}"
    );
    let rejected = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(
        rejected.lines().collect::<Vec<_>>(),
        [lines[1].as_str(), lines[3].as_str()]
    );
    let errors = std::fs::read_to_string(format!("{}.errors", rejects.display())).unwrap();
    assert_eq!(errors.lines().count(), 2);

    let again = kg_import(&args, &[]);
    assert!(
        stderr(&again).contains("created 0, already present 3, rejected 2"),
        "{}",
        stderr(&again)
    );
    assert_eq!(reports_in(&data).await, 3);
}

#[tokio::test]
async fn strict_stops_at_the_first_bad_report_and_a_json_array_imports_too() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let strict_file = dir.path().join("strict.ndjson");
    write_lines(
        &strict_file,
        &[
            report(1).to_string(),
            "{ broken".to_string(),
            report(2).to_string(),
        ],
    );
    let data_arg = data.to_str().unwrap();
    let strict = kg_import(
        &[
            strict_file.to_str().unwrap(),
            "--data-dir",
            data_arg,
            "--strict",
        ],
        &[],
    );
    assert_eq!(strict.status.code(), Some(1));
    assert!(stderr(&strict).contains("--strict"), "{}", stderr(&strict));
    assert_eq!(reports_in(&data).await, 0, "nothing of the bad batch");

    let array = dir.path().join("array.json");
    std::fs::write(
        &array,
        serde_json::to_string_pretty(&json!([report(1), report(2)])).unwrap(),
    )
    .unwrap();
    let imported = kg_import(&[array.to_str().unwrap(), "--data-dir", data_arg], &[]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert_eq!(reports_in(&data).await, 2);
}

#[tokio::test]
async fn an_import_killed_midway_completes_when_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("many.ndjson");
    let lines: Vec<String> = (0..3_000).map(|n| report(n).to_string()).collect();
    write_lines(&file, &lines);
    let args = [
        file.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "--batch",
        "100",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_kg"))
        .arg("import")
        .args(args)
        .env("KG_LOG", "warn")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it (SIGKILL) once some batches have committed.
    let started = std::time::Instant::now();
    loop {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let done = child.try_wait().unwrap().is_some();
        if done || started.elapsed() > std::time::Duration::from_millis(1000) {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let before_rerun = reports_in(&data).await;
    assert!(
        before_rerun < 3_000,
        "the import was interrupted midway ({before_rerun} in)"
    );
    let rerun = kg_import(&args, &[]);
    assert!(rerun.status.success(), "{}", stderr(&rerun));
    assert_eq!(reports_in(&data).await, 3_000);
}

#[tokio::test]
async fn kg_import_writes_to_neo4j_too() {
    let server = neo4j_server();
    let lease = server.lease().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("reports.ndjson");
    write_lines(&file, &[report(1).to_string(), report(2).to_string()]);
    let env = [
        ("KG_NEO4J_URI", server.uri.as_str()),
        ("KG_NEO4J_USER", server.user.as_str()),
        ("KG_NEO4J_PASSWORD", server.password.as_str()),
        ("KG_NEO4J_DATABASE", lease.name.as_str()),
    ];
    let first = kg_import(&[file.to_str().unwrap()], &env);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stderr(&first).contains("created 2"), "{}", stderr(&first));
    let again = kg_import(&[file.to_str().unwrap()], &env);
    assert!(
        stderr(&again).contains("created 0, already present 2"),
        "{}",
        stderr(&again)
    );
}

#[tokio::test]
async fn kg_import_sends_to_a_running_server_with_its_write_token() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = KgProcess::start(
        &["--data-dir", data.to_str().unwrap(), "--no-seed"],
        &[("KG_WRITE_TOKENS", "import-secret")],
    );
    let url = format!("http://{}", server.address);
    let file = dir.path().join("reports.ndjson");
    let mut bad = report(99);
    bad["claims"][0]["attribute"] = json!("no-such-attribute");
    write_lines(
        &file,
        &[
            report(1).to_string(),
            bad.to_string(),
            "{ not json".to_string(),
            report(2).to_string(),
            json!({ "mergeEntities": { "keep": "cli-event-1", "merge": "cli-event-2" } })
                .to_string(),
        ],
    );
    let file_arg = file.to_str().unwrap();

    let anonymous = kg_import(&[file_arg, "--server", &url], &[]);
    assert_eq!(anonymous.status.code(), Some(1), "{}", stderr(&anonymous));
    assert!(
        stderr(&anonymous).contains("UNAUTHENTICATED"),
        "{}",
        stderr(&anonymous)
    );

    let token = [("KG_IMPORT_TOKEN", "import-secret")];
    let first = kg_import(&[file_arg, "--server", &url], &token);
    let text = stderr(&first);
    assert_eq!(first.status.code(), Some(1), "{text}");
    assert!(
        text.contains("reports.ndjson:2: rejected at claims.0.attribute"),
        "{text}"
    );
    assert!(text.contains("(UNKNOWN_ATTRIBUTE)"), "{text}");
    assert!(text.contains("reports.ndjson:3: rejected"), "{text}");
    assert!(
        text.contains("created 2, already present 0, rejected 2, merged 1"),
        "{text}"
    );
    let count = server
        .post(
            r#"{ reports { totalCount } events { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(count["data"]["reports"]["totalCount"], 2, "{count}");
    assert_eq!(count["data"]["events"]["totalCount"], 1, "merged: {count}");

    // The token from a file; a re-run skips what is in. Under --strict the server's atomic
    // import refuses the whole batch with the bad report, by its input path.
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "import-secret\n").unwrap();
    let strict_file = dir.path().join("strict.ndjson");
    write_lines(&strict_file, &[report(3).to_string(), bad.to_string()]);
    let strict = kg_import(
        &[
            strict_file.to_str().unwrap(),
            "--server",
            &url,
            "--token-file",
            token_file.to_str().unwrap(),
            "--strict",
        ],
        &[],
    );
    let text = stderr(&strict);
    assert_eq!(strict.status.code(), Some(1), "{text}");
    assert!(
        text.contains("strict.ndjson:2: rejected at claims.0.attribute"),
        "{text}"
    );
    assert!(text.contains("--strict"), "{text}");
    let count = server.post("{ reports { totalCount } }", json!({})).await;
    assert_eq!(count["data"]["reports"]["totalCount"], 2, "{count}");

    let again = kg_import(
        &[
            file_arg,
            "--server",
            &url,
            "--token-file",
            token_file.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        stderr(&again).contains("created 0, already present 3, rejected 2"),
        "{}",
        stderr(&again)
    );
}
