//! A thin wrapper over `std::process::Command` that prints what it runs and turns every way a
//! command can fail into one readable error message.

use std::ffi::OsString;
use std::fmt;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The error type of the whole xtask: a message meant for a person.
pub type Result<T, E = String> = std::result::Result<T, E>;

/// A command line to run, with the environment changes it needs.
#[derive(Debug, Clone)]
pub struct Cmd {
    program: String,
    args: Vec<OsString>,
    /// `(name, Some(value))` sets a variable, `(name, None)` removes it.
    env: Vec<(String, Option<OsString>)>,
    cwd: Option<PathBuf>,
}

impl Cmd {
    pub fn new(program: &str) -> Self {
        Cmd {
            program: program.to_owned(),
            args: Vec::new(),
            env: Vec::new(),
            cwd: None,
        }
    }

    /// `cargo` through the rustup proxy, so that `+toolchain` works.
    pub fn cargo() -> Self {
        Cmd::new("cargo")
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, name: &str, value: impl Into<OsString>) -> Self {
        self.env.push((name.to_owned(), Some(value.into())));
        self
    }

    pub fn env_remove(mut self, name: &str) -> Self {
        self.env.push((name.to_owned(), None));
        self
    }

    pub fn cwd(mut self, dir: impl AsRef<Path>) -> Self {
        self.cwd = Some(dir.as_ref().to_owned());
        self
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args);
        for (name, value) in &self.env {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        if let Some(cwd) = &self.cwd {
            command.current_dir(cwd);
        }
        command
    }

    fn spawn_error(&self, err: std::io::Error) -> String {
        let hint = match self.program.as_str() {
            "cargo" | "rustup" => {
                " (is rustup installed and ~/.cargo/bin on PATH? see https://rustup.rs)"
            }
            "apt-get" | "sudo" => " (this step expects a Debian/Ubuntu machine)",
            _ => "",
        };
        format!("could not start `{}`: {err}{hint}", self.program)
    }

    fn status_error(&self, status: std::process::ExitStatus) -> String {
        match status.code() {
            Some(code) => format!("exited with status {code}: `{self}`"),
            None => format!("killed by a signal ({status}): `{self}`"),
        }
    }

    /// Prints the command line, runs it with inherited stdio, fails on a nonzero exit.
    pub fn run(&self) -> Result<()> {
        println!("$ {self}");
        flush();
        let status = self.command().status().map_err(|e| self.spawn_error(e))?;
        if status.success() {
            Ok(())
        } else {
            Err(self.status_error(status))
        }
    }

    /// Like [`Cmd::run`], but also reads the test harness's stdout as it streams past and
    /// adds up its `test result:` lines.
    pub fn run_tests(&self) -> Result<TestCounts> {
        println!("$ {self}");
        flush();
        let mut child = self
            .command()
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| self.spawn_error(e))?;
        let mut counts = TestCounts::default();
        if let Some(stdout) = child.stdout.take() {
            let out = std::io::stdout();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                counts.add_line(&line);
                let mut out = out.lock();
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
        }
        let status = child.wait().map_err(|e| self.spawn_error(e))?;
        if status.success() {
            Ok(counts)
        } else {
            Err(format!("{counts}; {}", self.status_error(status)))
        }
    }

    /// Runs quietly and returns stdout, or `None` if it could not run or failed. For probes
    /// ("is this installed?"), where failure is an answer, not an error.
    pub fn probe(&self) -> Option<String> {
        let output = self
            .command()
            .stderr(Stdio::null())
            .stdin(Stdio::null())
            .output()
            .ok()?;
        if output.status.success() {
            Some(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            None
        }
    }

    /// Runs with stdout and stderr captured; on failure the error carries the output, so a
    /// caller can decide what a failure means.
    pub fn output(&self) -> Result<String, String> {
        let output = self
            .command()
            .stdin(Stdio::null())
            .output()
            .map_err(|e| self.spawn_error(e))?;
        let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        if output.status.success() {
            Ok(text)
        } else {
            Err(text)
        }
    }
}

impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(cwd) = &self.cwd {
            if *cwd != crate::stages::root() {
                write!(f, "(in {}) ", cwd.display())?;
            }
        }
        // `env -u A -u B X=1 program ...`: removals first, as env(1) wants its options first.
        if self.env.iter().any(|(_, value)| value.is_none()) {
            write!(f, "env ")?;
        }
        for (name, _) in self.env.iter().filter(|(_, value)| value.is_none()) {
            write!(f, "-u {name} ")?;
        }
        for (name, value) in &self.env {
            if let Some(value) = value {
                write!(f, "{name}={} ", quote(&value.to_string_lossy()))?;
            }
        }
        write!(f, "{}", self.program)?;
        for arg in &self.args {
            write!(f, " {}", quote(&arg.to_string_lossy()))?;
        }
        Ok(())
    }
}

fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:+,@%".contains(c));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

pub fn flush() {
    let _ = std::io::stdout().flush();
}

/// Totals of the libtest `test result:` lines seen in one or more test runs.
#[derive(Debug, Default, Clone, Copy)]
pub struct TestCounts {
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
}

impl TestCounts {
    fn add_line(&mut self, line: &str) {
        // test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 5 filtered out; ...
        let Some(rest) = line.trim_start().strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(kind), Some(n)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(n) = n.parse::<u64>() else { continue };
            match kind {
                "passed" => self.passed += n,
                "failed" => self.failed += n,
                "ignored" => self.ignored += n,
                _ => {}
            }
        }
    }

    pub fn merge(&mut self, other: TestCounts) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.ignored += other.ignored;
    }

    pub fn ran(&self) -> u64 {
        self.passed + self.failed
    }
}

impl fmt::Display for TestCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)?;
        if self.ignored > 0 {
            write!(f, ", {} ignored", self.ignored)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_test_result_lines() {
        let mut counts = TestCounts::default();
        counts.add_line("test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 5 filtered out; finished in 0.01s");
        counts.add_line(
            "test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out",
        );
        counts.add_line("test foo ... ok");
        assert_eq!((counts.passed, counts.failed, counts.ignored), (4, 2, 1));
    }

    #[test]
    fn displays_a_copyable_command_line() {
        let cmd = Cmd::cargo()
            .env("RUSTFLAGS", "--cfg loom")
            .env_remove("X")
            .args(["test", "-p", "a b"]);
        assert_eq!(
            cmd.to_string(),
            "env -u X RUSTFLAGS='--cfg loom' cargo test -p 'a b'"
        );
    }
}
