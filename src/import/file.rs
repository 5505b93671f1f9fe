//! `kg import`: reports from files (or standard input) through the one import path. NDJSON
//! (one report per line) is streamed: a batch at a time is in memory, whatever the file's
//! size. A file whose first line is not a whole JSON value is read as one JSON document:
//! one report, or an array of them.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::input::{Line, MergeKeys};
use super::target::{BatchOutcome, ImportTarget, Merged};
use super::{InputError, InputErrorCode};

/// How a file import runs.
#[derive(Clone, Debug)]
pub struct FileImportOptions {
    /// Reports per transaction.
    pub batch: usize,
    /// Stop at the first bad report, importing nothing of its batch.
    pub strict: bool,
    /// Where to write the rejected lines, as given (errors go beside, in `FILE.errors`).
    pub rejects: Option<PathBuf>,
}

/// What a file import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub created: usize,
    /// Merge lines that merged entities now (those done already count as already present).
    pub merged: usize,
    pub already_present: usize,
    pub rejected: usize,
    /// Whether `--strict` stopped the import at a bad report.
    pub stopped: bool,
}

/// One report's refusal, as written to `FILE.errors` and shown on standard error.
#[derive(Clone, Debug, Serialize)]
pub struct Rejection {
    /// Where it came from: `file:line` (or `file:item` in a JSON array).
    pub at: String,
    pub errors: Vec<RejectionError>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectionError {
    pub code: String,
    pub input_path: String,
    pub message: String,
}

impl From<&InputError> for RejectionError {
    fn from(error: &InputError) -> Self {
        // The first segments are the batch's own (`line`, its index); what follows is
        // the path inside the report.
        let inner: Vec<String> = error.path.iter().skip(2).map(ToString::to_string).collect();
        Self {
            code: error.code.as_str().to_string(),
            input_path: inner.join("."),
            message: error.message.clone(),
        }
    }
}

/// Told as the import goes.
pub trait Progress {
    /// `reports` more were read, `bytes` of the file so far.
    fn advance(&self, reports: usize, bytes: u64);
    /// A report was refused.
    fn rejected(&self, rejection: &Rejection);
}

/// Where a report came from, kept for the rejects file and the messages.
struct Origin {
    /// `file:line`, or `file:item N` in a JSON array.
    at: String,
    /// The line as given.
    text: String,
}

/// One report read from a file, not yet imported.
struct Item {
    origin: Origin,
    parsed: Result<Line, String>,
}

impl Item {
    fn new(at: String, text: String, parsed: Result<Line, String>) -> Self {
        Self {
            origin: Origin { at, text },
            parsed,
        }
    }
}

fn parse(text: &str) -> Result<Line, String> {
    serde_json::from_str::<serde_json::Value>(text)
        .map_err(|e| e.to_string())
        .and_then(Line::parse)
}

/// Counts bytes read, for progress.
struct Counted<R> {
    inner: R,
    bytes: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

fn open(path: &Path) -> anyhow::Result<Box<dyn Read + Send>> {
    if path == Path::new("-") {
        return Ok(Box::new(std::io::stdin()));
    }
    let file = std::fs::File::open(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    Ok(Box::new(file))
}

/// Imports every report of `paths` in order, in batches, and returns what it did.
pub async fn import_files(
    target: &dyn ImportTarget,
    paths: &[PathBuf],
    options: &FileImportOptions,
    progress: &dyn Progress,
) -> anyhow::Result<ImportSummary> {
    let mut run = Run {
        target,
        options,
        progress,
        summary: ImportSummary::default(),
        rejects: match &options.rejects {
            Some(path) => Some(Rejects::create(path)?),
            None => None,
        },
        sent: VecDeque::new(),
    };
    read_all(&mut run, paths).await?;
    run.finish().await?;
    Ok(run.summary)
}

/// Reads and sends every report of `paths`; stops early when `--strict` says so.
async fn read_all(run: &mut Run<'_>, paths: &[PathBuf]) -> anyhow::Result<()> {
    let options = run.options;
    // Bytes of the files already read, so that progress runs over all of them.
    let mut offset = 0;
    for path in paths {
        let name = path.display().to_string();
        let mut reader = BufReader::new(Counted {
            inner: open(path)?,
            bytes: 0,
        });
        let mut first = String::new();
        reader.read_line(&mut first)?;
        let ndjson = first.trim().is_empty()
            || serde_json::from_str::<serde_json::Value>(first.trim()).is_ok_and(|v| v.is_object());
        if !ndjson {
            let mut rest = first;
            reader.read_to_string(&mut rest)?;
            let items = whole_document(&name, &rest);
            if run.batch(items, offset + reader.get_ref().bytes).await? {
                return Ok(());
            }
            offset += reader.get_ref().bytes;
            continue;
        }
        let mut batch = Vec::with_capacity(options.batch);
        let mut line_number = 0;
        let mut line = first;
        while !line.is_empty() {
            line_number += 1;
            let text = line.trim_end_matches(['\n', '\r']).to_string();
            if !text.trim().is_empty() {
                let parsed = parse(&text);
                batch.push(Item::new(format!("{name}:{line_number}"), text, parsed));
            }
            if batch.len() >= options.batch {
                let items = std::mem::take(&mut batch);
                if run.batch(items, offset + reader.get_ref().bytes).await? {
                    return Ok(());
                }
            }
            line = String::new();
            reader.read_line(&mut line)?;
        }
        if run.batch(batch, offset + reader.get_ref().bytes).await? {
            return Ok(());
        }
        offset += reader.get_ref().bytes;
    }
    Ok(())
}

/// One `kg import` run's state.
struct Run<'a> {
    target: &'a dyn ImportTarget,
    options: &'a FileImportOptions,
    progress: &'a dyn Progress,
    summary: ImportSummary,
    rejects: Option<Rejects>,
    /// Batches sent whose outcome has not come back yet, oldest first.
    sent: VecDeque<Sent>,
}

/// A batch sent to the target: where its items came from, and what was known of them
/// before sending.
struct Sent {
    items: Vec<Origin>,
    /// The position among `items` of each input sent.
    positions: Vec<usize>,
    /// Items refused before sending (unreadable lines), by position.
    refused: Vec<(usize, Vec<RejectionError>)>,
}

impl Run<'_> {
    /// Imports one batch, read up to `bytes`; whether `--strict` stops the run here.
    async fn batch(&mut self, items: Vec<Item>, bytes: u64) -> anyhow::Result<bool> {
        self.progress.advance(0, bytes);
        // A merge applies between the reports before it and those after it.
        let mut reports = Vec::new();
        for item in items {
            let Ok(Line::Merge(keys)) = &item.parsed else {
                reports.push(item);
                continue;
            };
            let keys = keys.clone();
            self.reports(std::mem::take(&mut reports)).await?;
            if self.summary.stopped {
                return Ok(true);
            }
            self.merge(item, &keys).await?;
            if self.summary.stopped {
                return Ok(true);
            }
        }
        self.reports(reports).await?;
        Ok(self.summary.stopped)
    }

    /// Sends a batch of report lines, and settles the batches whose outcome came back.
    async fn reports(&mut self, items: Vec<Item>) -> anyhow::Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let mut refused: Vec<(usize, Vec<RejectionError>)> = Vec::new();
        let mut inputs = Vec::new();
        let mut positions = Vec::new();
        let mut origins = Vec::with_capacity(items.len());
        // The inputs move to the target; the lines stay, for the rejects.
        for (position, item) in items.into_iter().enumerate() {
            origins.push(item.origin);
            match item.parsed {
                Ok(Line::Report(input)) => {
                    inputs.push(*input);
                    positions.push(position);
                }
                // Split off before: never reaches here.
                Ok(Line::Merge(_)) => {}
                Err(message) => refused.push((
                    position,
                    vec![RejectionError {
                        code: InputErrorCode::InvalidValue.as_str().to_string(),
                        input_path: String::new(),
                        message,
                    }],
                )),
            }
        }
        let strict = self.options.strict;
        let sent = Sent {
            items: origins,
            positions,
            refused,
        };
        // Under --strict a batch with an unreadable line is not sent at all.
        if strict && !sent.refused.is_empty() {
            self.finish().await?;
            return self.settle(sent, BatchOutcome::default());
        }
        self.sent.push_back(sent);
        let outcomes = self.target.import_batch(inputs, strict).await?;
        self.settle_all(outcomes)
    }

    /// Waits for every batch sent, and settles them.
    async fn finish(&mut self) -> anyhow::Result<()> {
        let outcomes = self.target.finish().await?;
        self.settle_all(outcomes)
    }

    fn settle_all(&mut self, outcomes: Vec<BatchOutcome>) -> anyhow::Result<()> {
        for outcome in outcomes {
            let Some(sent) = self.sent.pop_front() else {
                anyhow::bail!("the import answered for a batch it was not sent");
            };
            self.settle(sent, outcome)?;
        }
        Ok(())
    }

    /// Counts a batch's outcome, and reports its refused lines.
    fn settle(&mut self, sent: Sent, outcome: BatchOutcome) -> anyhow::Result<()> {
        let Sent {
            items,
            positions,
            mut refused,
        } = sent;
        self.summary.created += outcome.created;
        self.summary.already_present += outcome.already_present;
        for (index, errors) in outcome.rejected {
            let Some(position) = positions.get(index) else {
                anyhow::bail!(
                    "the import refused report {index} of a batch of {}",
                    positions.len()
                );
            };
            match refused.iter_mut().find(|(p, _)| p == position) {
                Some((_, known)) => known.extend(errors),
                None => refused.push((*position, errors)),
            }
        }
        if self.options.strict && !refused.is_empty() {
            self.summary.stopped = true;
        }
        refused.sort_by_key(|(position, _)| *position);
        for (position, errors) in refused {
            reject(
                &mut self.summary,
                &mut self.rejects,
                self.progress,
                &items[position],
                errors,
            )?;
        }
        self.progress.advance(items.len(), 0);
        Ok(())
    }

    async fn merge(&mut self, item: Item, keys: &MergeKeys) -> anyhow::Result<()> {
        // After every report before it.
        self.finish().await?;
        if self.summary.stopped {
            return Ok(());
        }
        match self.target.merge(keys).await? {
            Merged::Now => self.summary.merged += 1,
            Merged::Already => self.summary.already_present += 1,
            Merged::Refused(errors) => {
                if self.options.strict {
                    self.summary.stopped = true;
                }
                reject(
                    &mut self.summary,
                    &mut self.rejects,
                    self.progress,
                    &item.origin,
                    errors,
                )?;
            }
        }
        self.progress.advance(1, 0);
        Ok(())
    }
}

/// A refused item: counted, told, and written to the rejects file.
fn reject(
    summary: &mut ImportSummary,
    rejects: &mut Option<Rejects>,
    progress: &dyn Progress,
    origin: &Origin,
    errors: Vec<RejectionError>,
) -> anyhow::Result<()> {
    let rejection = Rejection {
        at: origin.at.clone(),
        errors,
    };
    summary.rejected += 1;
    progress.rejected(&rejection);
    if let Some(rejects) = rejects {
        rejects.write(&origin.text, &rejection)?;
    }
    Ok(())
}

/// The reports of a whole JSON document: one object, or an array of them.
fn whole_document(name: &str, text: &str) -> Vec<Item> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(n, value)| {
                let text = value.to_string();
                Item::new(format!("{name}:item {}", n + 1), text, Line::parse(value))
            })
            .collect(),
        Ok(value) => {
            let text = value.to_string();
            vec![Item::new(name.to_string(), text, Line::parse(value))]
        }
        Err(error) => vec![Item::new(
            name.to_string(),
            String::new(),
            Err(format!("not JSON or NDJSON: {error}")),
        )],
    }
}

/// The rejected lines, as given, and their errors beside them.
struct Rejects {
    lines: std::fs::File,
    errors: std::fs::File,
}

impl Rejects {
    fn create(path: &Path) -> anyhow::Result<Self> {
        let errors_path = PathBuf::from(format!("{}.errors", path.display()));
        let create = |p: &Path| {
            std::fs::File::create(p)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))
        };
        Ok(Self {
            lines: create(path)?,
            errors: create(&errors_path)?,
        })
    }

    fn write(&mut self, text: &str, rejection: &Rejection) -> anyhow::Result<()> {
        writeln!(self.lines, "{text}")?;
        writeln!(self.errors, "{}", serde_json::to_string(rejection)?)?;
        Ok(())
    }
}

/// Progress on a terminal: reports, rate and elapsed time, and, when the input's size is
/// known, a bar over its bytes with an ETA.
pub struct BarProgress {
    bar: indicatif::ProgressBar,
    reports: std::sync::atomic::AtomicUsize,
}

impl BarProgress {
    /// A bar over `total_bytes` (the files' sizes), or a spinner when unknown.
    pub fn new(total_bytes: Option<u64>) -> Self {
        let bar = match total_bytes {
            Some(total) => {
                let bar = indicatif::ProgressBar::new(total);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{bar:30} {bytes}/{total_bytes} · {msg} · {elapsed} (ETA {eta})",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar
            }
            None => indicatif::ProgressBar::new_spinner(),
        };
        Self {
            bar,
            reports: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for BarProgress {
    fn advance(&self, reports: usize, bytes: u64) {
        use std::sync::atomic::Ordering;
        let total = self.reports.fetch_add(reports, Ordering::Relaxed) + reports;
        if bytes > 0 {
            self.bar.set_position(bytes.max(self.bar.position()));
        }
        let seconds = self.bar.elapsed().as_secs_f64().max(0.001);
        self.bar
            .set_message(format!("{total} reports, {:.0}/s", total as f64 / seconds));
    }

    fn rejected(&self, rejection: &Rejection) {
        self.bar.println(describe(rejection));
    }
}

/// Plain progress lines, at most one every `every`, for logs that are not terminals.
pub struct LineProgress {
    started: Instant,
    every: Duration,
    state: std::sync::Mutex<(usize, Instant)>,
}

impl LineProgress {
    pub fn new(every: Duration) -> Self {
        let now = Instant::now();
        Self {
            started: now,
            every,
            state: std::sync::Mutex::new((0, now)),
        }
    }
}

impl Progress for LineProgress {
    fn advance(&self, reports: usize, _bytes: u64) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.0 += reports;
        if state.1.elapsed() >= self.every {
            state.1 = Instant::now();
            let seconds = self.started.elapsed().as_secs_f64();
            eprintln!(
                "{} reports read in {seconds:.0} s ({:.0} reports/s)",
                state.0,
                state.0 as f64 / seconds.max(0.001)
            );
        }
    }

    fn rejected(&self, rejection: &Rejection) {
        eprintln!("{}", describe(rejection));
    }
}

/// A rejection in one line of text per error.
pub fn describe(rejection: &Rejection) -> String {
    rejection
        .errors
        .iter()
        .map(|e| {
            let path = if e.input_path.is_empty() {
                String::new()
            } else {
                format!(" at {}", e.input_path)
            };
            format!(
                "{}: rejected{path}: {} ({})",
                rejection.at, e.message, e.code
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
