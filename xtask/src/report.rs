//! Stages: each runs under a printed header, is timed, and ends up as one row of the summary
//! table printed at the end.

use std::time::{Duration, Instant};

use crate::cmd::{flush, Result};

#[derive(Debug)]
enum Outcome {
    Passed,
    Failed(String),
    Skipped(String),
}

#[derive(Debug)]
struct Row {
    name: String,
    outcome: Outcome,
    elapsed: Duration,
    /// A short remark for the table ("12 passed, 0 failed", "already installed").
    note: String,
}

/// Collects the outcome of every stage of one xtask invocation.
#[derive(Debug)]
pub struct Report {
    title: String,
    rows: Vec<Row>,
    started: Instant,
}

impl Report {
    pub fn new(title: &str) -> Self {
        Report {
            title: title.to_owned(),
            rows: Vec::new(),
            started: Instant::now(),
        }
    }

    /// Runs one stage under a header. The stage returns a note for the summary table; an
    /// `Err` marks it failed and later stages still run, so one run shows every failure.
    pub fn stage(&mut self, name: &str, f: impl FnOnce() -> Result<String>) -> bool {
        let number = self.rows.len() + 1;
        println!();
        println!("==> [{number}] {name}");
        flush();
        let start = Instant::now();
        let result = f();
        let elapsed = start.elapsed();
        let (outcome, note, ok) = match result {
            Ok(note) => {
                println!("<== [{number}] {name}: ok in {}", fmt_duration(elapsed));
                (Outcome::Passed, note, true)
            }
            Err(err) => {
                eprintln!("<== [{number}] {name}: FAILED in {}", fmt_duration(elapsed));
                eprintln!("    error: {err}");
                (Outcome::Failed(err), String::new(), false)
            }
        };
        flush();
        self.rows.push(Row {
            name: name.to_owned(),
            outcome,
            elapsed,
            note,
        });
        ok
    }

    /// Records a stage that was deliberately not run, and why.
    pub fn skip(&mut self, name: &str, why: &str) {
        let number = self.rows.len() + 1;
        println!();
        println!("==> [{number}] {name}: skipped ({why})");
        self.rows.push(Row {
            name: name.to_owned(),
            outcome: Outcome::Skipped(why.to_owned()),
            elapsed: Duration::ZERO,
            note: String::new(),
        });
    }

    pub fn failed(&self) -> bool {
        self.rows
            .iter()
            .any(|row| matches!(row.outcome, Outcome::Failed(_)))
    }

    /// Prints the summary table; returns whether every stage that ran passed.
    pub fn finish(self) -> bool {
        let name_width = self
            .rows
            .iter()
            .map(|r| r.name.len())
            .max()
            .unwrap_or(0)
            .max(5);
        println!();
        println!("==> summary: {}", self.title);
        println!(
            "  {:<name_width$}  {:<7}  {:>9}  note",
            "stage", "result", "time"
        );
        println!("  {}", "-".repeat(name_width + 2 + 7 + 2 + 9 + 2 + 4));
        for row in &self.rows {
            let (result, note) = match &row.outcome {
                Outcome::Passed => ("ok", row.note.clone()),
                Outcome::Failed(err) => ("FAILED", first_line(err)),
                Outcome::Skipped(why) => ("skipped", why.clone()),
            };
            let time = match row.outcome {
                Outcome::Skipped(_) => "-".to_owned(),
                _ => fmt_duration(row.elapsed),
            };
            println!(
                "  {:<name_width$}  {result:<7}  {time:>9}  {note}",
                row.name
            );
        }
        let ok = !self.failed();
        println!(
            "  total {} — {}",
            fmt_duration(self.started.elapsed()),
            if ok {
                "all stages passed"
            } else {
                "SOME STAGES FAILED"
            }
        );
        flush();
        ok
    }
}

/// The first line of an error, cut to fit the summary table.
fn first_line(s: &str) -> String {
    const MAX: usize = 72;
    let line = s.lines().next().unwrap_or_default();
    if line.chars().count() <= MAX {
        line.to_owned()
    } else {
        let cut: String = line.chars().take(MAX - 1).collect();
        format!("{cut}…")
    }
}

pub fn fmt_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        let whole = d.as_secs();
        format!("{}m{:02}s", whole / 60, whole % 60)
    }
}
