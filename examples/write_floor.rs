//! What SQLite itself costs for the rows `kg import` writes: the floor of the embedded
//! store's import rate at kg's schema, whatever kg does before it writes.
//!
//! It reads the rows an import left in a store (nodes in the order they were written, their
//! search texts, edges), then inserts them into a fresh file with the same schema, pragmas
//! and statements as kg's writer, in as many transactions as the import had batches, with
//! nothing else to do. Variants leave parts of the schema (or the evidence edges) out, to
//! show what each costs, and two write the same rows at a cheaper schema (integer edge ends,
//! stored columns; the ends' row ids looked up or known), to show what migrating to it would
//! give.
//!
//! ```text
//! cargo build --release --bin kg --example corpus --example write_floor
//! target/release/examples/corpus --reports 10000 --seed 1 > c10k.ndjson
//! target/release/kg import c10k.ndjson --data-dir /tmp/kg-floor
//! target/release/examples/write_floor /tmp/kg-floor/kg.sqlite3 [--batches 20] [--rounds 3]
//! ```
//!
//! Prints, per variant, the median CPU and wall time of a round and the reports a second
//! they allow, as a Markdown table. The variants run interleaved, round by round.

use std::collections::HashMap;
use std::time::Instant;

use kg::model::RelType;
use rusqlite::{params, Connection};

type Rows = Vec<[String; 4]>;

struct Written {
    schema: Vec<String>,
    nodes: Rows,
    search: Vec<[Option<String>; 3]>,
    edges: Vec<[String; 3]>,
    /// The position among `nodes` of each edge's later end, in order.
    edge_batches: Vec<usize>,
    reports: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Variant {
    Schema,
    NoSearch,
    NoJsonIndexes,
    KeysOnly,
    NoEvidenceEdges,
    IntegerEnds,
    IntegerEndsKnown,
}

/// The cheaper schema `Variant::IntegerEnds` writes, with kg's search table: every index of
/// kg's, but edges between the nodes' integer row ids, the relation as a number, and the
/// properties the listings filter and sort by as columns of their own.
const INTEGER_ENDS_SCHEMA: &str = "
CREATE TABLE nodes (
    nid         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    label       TEXT NOT NULL,
    sort_key    TEXT NOT NULL,
    props       TEXT NOT NULL,
    status      TEXT,
    sort_date   TEXT,
    merged_into TEXT
);
CREATE INDEX nodes_by_label ON nodes (label, sort_key, id);
CREATE TABLE edges (
    src INTEGER NOT NULL,
    rel INTEGER NOT NULL,
    dst INTEGER NOT NULL,
    PRIMARY KEY (src, rel, dst)
) WITHOUT ROWID;
CREATE INDEX edges_by_dst ON edges (dst, rel, src);
CREATE INDEX nodes_by_status ON nodes (label, status);
CREATE INDEX nodes_by_date ON nodes (label, coalesce(sort_date, '~'), id);
CREATE INDEX nodes_merged ON nodes (label) WHERE merged_into IS NOT NULL;
";

impl Variant {
    const ALL: [Variant; 7] = [
        Variant::Schema,
        Variant::NoSearch,
        Variant::NoJsonIndexes,
        Variant::KeysOnly,
        Variant::NoEvidenceEdges,
        Variant::IntegerEnds,
        Variant::IntegerEndsKnown,
    ];

    fn name(self) -> &'static str {
        match self {
            Variant::Schema => "kg's schema",
            Variant::NoSearch => "without the search index",
            Variant::NoJsonIndexes => "without the json_extract indexes",
            Variant::KeysOnly => "keys only (no index, no search)",
            Variant::NoEvidenceEdges => "kg's schema, without the evidence edges",
            Variant::IntegerEnds => "integer edge ends and stored columns, ends looked up",
            Variant::IntegerEndsKnown => "integer edge ends and stored columns, ends known",
        }
    }

    /// Whether the variant writes the cheaper schema.
    fn integer_ends(self) -> bool {
        matches!(self, Variant::IntegerEnds | Variant::IntegerEndsKnown)
    }

    /// Whether the variant has the search index (and so writes search texts).
    fn searches(self) -> bool {
        matches!(
            self,
            Variant::Schema
                | Variant::NoJsonIndexes
                | Variant::NoEvidenceEdges
                | Variant::IntegerEnds
                | Variant::IntegerEndsKnown
        )
    }

    /// Whether the variant keeps this statement of kg's schema.
    fn keeps(self, statement: &str) -> bool {
        let index = statement.contains("CREATE INDEX");
        if statement.contains("node_search") {
            return self.searches();
        }
        match self {
            Variant::Schema | Variant::NoSearch | Variant::NoEvidenceEdges => true,
            Variant::NoJsonIndexes => !(index && statement.contains("json_extract")),
            Variant::KeysOnly => !index,
            Variant::IntegerEnds | Variant::IntegerEndsKnown => false,
        }
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let store = args.first().ok_or_else(|| {
        anyhow::anyhow!("usage: write_floor STORE_FILE [--batches N] [--rounds N]")
    })?;
    let option = |name: &str, default: usize| -> anyhow::Result<usize> {
        match args.iter().position(|a| a == name) {
            Some(i) => Ok(args
                .get(i + 1)
                .map(|v| v.parse())
                .transpose()?
                .unwrap_or(default)),
            None => Ok(default),
        }
    };
    let batches = option("--batches", 20)?.max(1);
    let rounds = option("--rounds", 3)?.max(1);
    let written = read(store)?;
    let scratch = tempfile::tempdir()?;
    let mut times: Vec<(Variant, Vec<(f64, f64)>)> =
        Variant::ALL.iter().map(|v| (*v, Vec::new())).collect();
    for round in 0..rounds {
        for (variant, runs) in &mut times {
            let path = scratch.path().join(format!("floor-{round}.sqlite3"));
            runs.push(insert(&written, *variant, &path, batches)?);
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
    }
    println!(
        "{} reports: {} nodes, {} edges, {} batches, {rounds} rounds\n",
        written.reports,
        written.nodes.len(),
        written.edges.len(),
        batches
    );
    println!("| rows written with | CPU, median | wall, median | reports/s (by CPU) |");
    println!("|---|---|---|---|");
    for (variant, runs) in times {
        let cpu = median(runs.iter().map(|r| r.0).collect());
        let wall = median(runs.iter().map(|r| r.1).collect());
        println!(
            "| {} | {cpu:.2} s | {wall:.2} s | {:.0} |",
            variant.name(),
            written.reports as f64 / cpu
        );
    }
    Ok(())
}

/// The rows an import left in `store`, in the order it wrote them.
fn read(store: &str) -> anyhow::Result<Written> {
    let c = Connection::open(store)?;
    let mut schema = Vec::new();
    let mut statement = c.prepare(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'node_search_%'
         ORDER BY rowid",
    )?;
    for sql in statement.query_map([], |row| row.get::<_, String>(0))? {
        schema.push(sql?);
    }
    let mut statement = c.prepare("SELECT id, label, sort_key, props FROM nodes ORDER BY rowid")?;
    let nodes = statement
        .query_map([], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?]))?
        .collect::<Result<Rows, _>>()?;
    let mut statement =
        c.prepare("SELECT id, primary_text, secondary_text FROM node_search ORDER BY rowid")?;
    let search = statement
        .query_map([], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?]))?
        .collect::<Result<Vec<_>, _>>()?;
    // Each edge goes with the batch that writes the later of its ends, as kg's batches do
    // (a batch's edges run between nodes it writes or that are stored already).
    let position: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, [id, ..])| (id.as_str(), i))
        .collect();
    let mut statement = c.prepare("SELECT src, rel, dst FROM edges")?;
    let mut edges: Vec<(usize, [String; 3])> = Vec::new();
    for row in statement.query_map([], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?]))? {
        let edge: [String; 3] = row?;
        let end = |id: &String| {
            position
                .get(id.as_str())
                .copied()
                .ok_or_else(|| anyhow::anyhow!("edge end {id} is not a stored node"))
        };
        edges.push((end(&edge[0])?.max(end(&edge[2])?), edge));
    }
    edges.sort_by_key(|(later, _)| *later);
    let (edge_batches, edges) = edges.into_iter().unzip();
    let reports = c.query_row(
        "SELECT count(*) FROM nodes WHERE label = 'Report'",
        [],
        |r| r.get::<_, i64>(0),
    )?;
    Ok(Written {
        schema,
        nodes,
        search,
        edges,
        edge_batches,
        reports: usize::try_from(reports)?,
    })
}

/// Inserts every row into a fresh store at `path`: CPU and wall seconds.
fn insert(
    written: &Written,
    variant: Variant,
    path: &std::path::Path,
    batches: usize,
) -> anyhow::Result<(f64, f64)> {
    let mut c = Connection::open(path)?;
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(None, "synchronous", "FULL")?;
    for statement in written.schema.iter().filter(|s| variant.keeps(s)) {
        c.execute_batch(statement)?;
    }
    if variant.integer_ends() {
        c.execute_batch(INTEGER_ENDS_SCHEMA)?;
    }
    let mut row_ids = HashMap::new();
    let (cpu, wall) = (cpu_seconds()?, Instant::now());
    for batch in 0..batches {
        let part = |len: usize| len * batch / batches..len * (batch + 1) / batches;
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let nodes = part(written.nodes.len());
            if variant.integer_ends() {
                insert_with_columns(&tx, &written.nodes[nodes.clone()], &mut row_ids)?;
            } else {
                let mut node = tx.prepare_cached(
                    "INSERT INTO nodes (id, label, sort_key, props) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (id) DO NOTHING",
                )?;
                for [id, label, sort_key, props] in &written.nodes[nodes.clone()] {
                    node.execute(params![id, label, sort_key, props])?;
                }
            }
            if variant.searches() {
                let mut text = tx.prepare_cached(
                    "INSERT INTO node_search (id, primary_text, secondary_text) VALUES (?1, ?2, ?3)",
                )?;
                for [id, primary, secondary] in &written.search[part(written.search.len())] {
                    text.execute(params![id, primary, secondary])?;
                }
            }
            let ends = &written.edge_batches;
            let first = ends.partition_point(|&later| later < nodes.start);
            let last = ends.partition_point(|&later| later < nodes.end);
            let edges = &written.edges[first..last];
            if variant.integer_ends() {
                let known = (variant == Variant::IntegerEndsKnown).then_some(&row_ids);
                insert_integer_edges(&tx, edges, known)?;
            } else {
                let mut edge = tx.prepare_cached(
                    "INSERT OR IGNORE INTO edges (src, rel, dst) VALUES (?1, ?2, ?3)",
                )?;
                for [src, rel, dst] in edges {
                    if variant == Variant::NoEvidenceEdges && is_evidence(rel) {
                        continue;
                    }
                    edge.execute(params![src, rel, dst])?;
                }
            }
        }
        tx.commit()?;
    }
    let timed = (cpu_seconds()? - cpu, wall.elapsed().as_secs_f64());
    // A variant that wrote fewer rows would look cheaper than it is.
    let edges = match variant {
        Variant::NoEvidenceEdges => written.edges.iter().filter(|e| !is_evidence(&e[1])).count(),
        _ => written.edges.len(),
    };
    for (table, expected) in [("nodes", written.nodes.len()), ("edges", edges)] {
        let count: i64 = c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        anyhow::ensure!(
            usize::try_from(count)? == expected,
            "{}: {count} {table} written of {expected}",
            variant.name()
        );
    }
    Ok(timed)
}

/// Whether edges of this relation are evidence edges (an organisation's stance on a claim),
/// which kg derives from assertions, their reports and sources.
fn is_evidence(rel: &str) -> bool {
    RelType::parse(rel).is_some_and(|rel| rel.evidence_stance().is_some())
}

/// Nodes with the properties listings use as columns of their own, keeping their row ids.
/// The properties are parsed here, inside the timed part, though kg would have them at hand.
fn insert_with_columns(
    tx: &rusqlite::Transaction,
    nodes: &[[String; 4]],
    row_ids: &mut HashMap<String, i64>,
) -> anyhow::Result<()> {
    let mut node = tx.prepare_cached(
        "INSERT INTO nodes (id, label, sort_key, props, status, sort_date, merged_into)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO NOTHING",
    )?;
    for [id, label, sort_key, props] in nodes {
        let parsed: serde_json::Map<String, serde_json::Value> = serde_json::from_str(props)?;
        let column = |name: &str| {
            parsed
                .get(name)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        node.execute(params![
            id,
            label,
            sort_key,
            props,
            column("status"),
            column("sort_date"),
            column("merged_into")
        ])?;
        row_ids.insert(id.clone(), tx.last_insert_rowid());
    }
    Ok(())
}

/// Edges between the ends' row ids, the relation numbered by its name. With `row_ids`, the
/// ends' row ids are known (kg would have them for the nodes it writes and reads); without,
/// each end is looked up by its text id in the statement.
fn insert_integer_edges(
    tx: &rusqlite::Transaction,
    edges: &[[String; 3]],
    row_ids: Option<&HashMap<String, i64>>,
) -> anyhow::Result<()> {
    let mut by_text = tx.prepare_cached(
        "INSERT OR IGNORE INTO edges (src, rel, dst)
         SELECT s.nid, ?2, d.nid FROM nodes AS s, nodes AS d WHERE s.id = ?1 AND d.id = ?3",
    )?;
    let mut by_row_id =
        tx.prepare_cached("INSERT OR IGNORE INTO edges (src, rel, dst) VALUES (?1, ?2, ?3)")?;
    for [src, rel, dst] in edges {
        let number = RelType::ALL
            .iter()
            .position(|known| known.as_str() == rel)
            .ok_or_else(|| anyhow::anyhow!("unknown relation {rel}"))?;
        let number = i64::try_from(number)?;
        match row_ids {
            None => by_text.execute(params![src, number, dst])?,
            Some(row_ids) => {
                let row_id = |id: &String| {
                    row_ids
                        .get(id)
                        .copied()
                        .ok_or_else(|| anyhow::anyhow!("no row id for {id}"))
                };
                by_row_id.execute(params![row_id(src)?, number, row_id(dst)?])?
            }
        };
    }
    Ok(())
}

/// This process's CPU time so far (user and system), from `/proc/self/stat`.
fn cpu_seconds() -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| -> anyhow::Result<f64> {
        Ok(fields
            .get(i)
            .ok_or_else(|| anyhow::anyhow!("no field {i} in /proc/self/stat"))?
            .parse::<f64>()?)
    };
    // utime and stime are fields 14 and 15 of the line, 11 and 12 after the name, in
    // ticks of 1/100 s on Linux.
    Ok((ticks(11)? + ticks(12)?) / 100.0)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
