//! Pages checked in headless Chromium (the demo page, the bundled pages): `tests/web/chromium.mjs
//! --wait-for EXPR` opens a page and waits until EXPR, a JSON string the page builds, is
//! truthy; this reads that JSON back, and the native reference results it is compared with.

use std::path::Path;

use crate::cmd::{Cmd, Result};
use crate::json::{self, Value};
use crate::{stages, webtest};

/// Where screenshots go, relative to the repository root (CI keeps `target/`).
pub const ARTIFACTS: &str = "target/artifacts";

/// Node (>= 18), Chromium and chromedriver: what opening a page needs.
pub fn tools() -> Result<()> {
    webtest::node()?;
    for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
        if !Path::new(tool).exists() {
            return Err(format!("{tool} is missing: run `cargo xtask setup`"));
        }
    }
    Ok(())
}

/// Opens `url` until `expr` (an expression giving `JSON.stringify` of the page's result) is
/// truthy; takes a screenshot to `screenshot` if given; returns the page's result.
pub fn open(url: &str, expr: &str, screenshot: Option<&Path>) -> Result<Value> {
    let mut cmd = Cmd::new("node")
        .cwd(stages::root())
        .arg("tests/web/chromium.mjs")
        .args(["--url", url, "--wait-for", expr, "--timeout", "120"])
        // Wide enough for the demo's image, controls and job list side by side.
        .args(["--flag", "--window-size=1440,1000"]);
    if let Some(path) = screenshot {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        cmd = cmd.arg("--screenshot").arg(path);
    }
    println!("$ {cmd}");
    let out = cmd
        .output()
        .map_err(|out| format!("`{cmd}` failed:\n{out}"))?;
    print!("{out}");
    // chromium.mjs ends with `EXPR = VALUE`, VALUE being JSON.stringify of EXPR's value: here
    // a string that holds the page's JSON.
    let prefix = format!("{expr} = ");
    let printed = out
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix(&prefix))
        .ok_or_else(|| format!("chromium.mjs printed no `{expr} = ...` line"))?;
    let inner = json::parse(printed)?;
    let inner = inner
        .as_str()
        .ok_or_else(|| format!("{expr} is not a JSON string: {printed}"))?;
    json::parse(inner)
}

/// `value[key]` as text, whatever its JSON type (`?` when missing).
pub fn field(value: &Value, key: &str) -> String {
    match value.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Null) => "null".to_owned(),
        Some(_) => "…".to_owned(),
        None => "?".to_owned(),
    }
}

/// Fails with the page's own message if it reported an `error`.
pub fn no_error(value: &Value, page: &str) -> Result<()> {
    match value.get("error") {
        Some(Value::String(error)) => Err(format!("{page} failed: {error}")),
        _ => Ok(()),
    }
}

/// The native reference results (`penny-examples`' `web_expected`), written afresh.
pub fn expected() -> Result<Vec<Value>> {
    let path = webtest::write_expected()?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(json::parse(&text)?.items().to_vec())
}

/// The native result of `kernel` for `args` (the JS spellings, e.g. `"7n"`), without the
/// BigInt `n`.
pub fn expected_result(cases: &[Value], kernel: &str, args: &[&str]) -> Result<String> {
    cases
        .iter()
        .find(|case| {
            case.get("kernel").and_then(Value::as_str) == Some(kernel)
                && (args.is_empty() || arg_texts(case) == args)
        })
        .and_then(|case| case.get("result"))
        .map(|result| match result {
            Value::String(s) => s.trim_end_matches('n').to_owned(),
            Value::Number(n) => n.clone(),
            other => format!("{other:?}"),
        })
        .ok_or_else(|| format!("no native `{kernel}` result for {args:?} in the reference"))
}

/// A case's `args` as text (strings as they are, numbers as written).
pub fn arg_texts(case: &Value) -> Vec<String> {
    let args = case.get("args").map(Value::items).unwrap_or_default();
    args.iter()
        .map(|arg| match arg {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.clone(),
            other => format!("{other:?}"),
        })
        .collect()
}

/// A file's size for the log, e.g. `target/artifacts/demo.png (183 KiB)`.
pub fn describe(path: &Path) -> String {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    format!("{} ({} KiB)", stages::relative(path), size.div_ceil(1024))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_native_results_by_kernel_and_args() {
        let cases = json::parse(
            r#"[{"kernel":"checksum","args":["0n","0n"],"result":"114n"},
                {"kernel":"checksum","args":["1n","7n"],"result":"250n"},
                {"kernel":"sum_squares","args":[1000],"result":332833500},
                {"kernel":"mandelbrot_image","args":[256,128,32,200],"result":"613n"}]"#,
        )
        .unwrap();
        let cases = cases.items();
        assert_eq!(
            expected_result(cases, "checksum", &["1n", "7n"]).unwrap(),
            "250"
        );
        assert_eq!(
            expected_result(cases, "sum_squares", &["1000"]).unwrap(),
            "332833500"
        );
        assert_eq!(
            expected_result(cases, "mandelbrot_image", &[]).unwrap(),
            "613"
        );
        assert!(expected_result(cases, "checksum", &["2n", "7n"]).is_err());
        let page = json::parse(r#"{"hash":"613","tiles":32,"ok":true,"error":"no"}"#).unwrap();
        assert_eq!(
            (
                field(&page, "hash"),
                field(&page, "tiles"),
                field(&page, "x")
            ),
            ("613".into(), "32".into(), "?".into())
        );
        assert!(no_error(&page, "page").is_err());
    }
}
