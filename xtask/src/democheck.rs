//! `cargo xtask demo-check`: the demo page (`penny-examples/web/`) in headless Chromium, on an
//! in-process server with the cross-origin isolation headers. `?check=1` renders the native
//! reference image (256x128, 32 px tiles, 200 iterations) on the page's pool; its hash must
//! equal the native one (`web_expected`, kernel `mandelbrot_image`). Then the big view (it
//! must finish every tile) and the page without isolation (it must say which headers it
//! needs). Screenshots go to `target/artifacts/`.

use crate::cmd::Result;
use crate::page::{self, field, no_error};
use crate::{serve, stages};

/// The page's result: `window.__pennyDemo` once its first render is done (or it failed).
pub const DEMO_DONE: &str =
    "window.__pennyDemo && window.__pennyDemo.done && JSON.stringify(window.__pennyDemo)";

const DEMO: &str = "/penny-examples/web/index.html";

/// The stage: returns a note for the summary table.
pub fn stage() -> Result<String> {
    page::tools()?;
    let cases = page::expected()?;
    let native = page::expected_result(&cases, "mandelbrot_image", &[])?;
    let server = serve::start(&stages::root(), 0, false)
        .map_err(|e| format!("could not start the test server: {e}"))?;
    let artifacts = stages::root().join(page::ARTIFACTS);

    // 1. The reference image: the page's hash must be the native one.
    let shot = artifacts.join("demo.png");
    let check = page::open(
        &server.url(&format!("{DEMO}?check=1")),
        DEMO_DONE,
        Some(&shot),
    )?;
    no_error(&check, "the demo page (?check=1)")?;
    let hash = field(&check, "hash");
    if hash != native {
        return Err(format!(
            "the demo's image hash {hash} differs from the native {native} \
             (target/web-expected.json, mandelbrot_image)"
        ));
    }
    all_tiles(&check)?;
    println!(
        "demo (?check=1): hash {hash} = native {native}; {} tiles in {} ms on {} worker(s), \
         {} long task(s)",
        field(&check, "tiles"),
        field(&check, "ms"),
        field(&check, "workers"),
        field(&check, "longTasks")
    );
    println!("screenshot: {}", page::describe(&shot));

    // 2. The big view: every tile finishes (no reference: a screenshot to look at).
    let view_shot = artifacts.join("demo-view.png");
    let view = page::open(&server.url(DEMO), DEMO_DONE, Some(&view_shot))?;
    no_error(&view, "the demo page")?;
    all_tiles(&view)?;
    println!(
        "demo (big view): {}x{}, {} tiles, {} iterations in {} ms; frames: median {} ms, \
         worst {} ms; {} long task(s)",
        field(&view, "width"),
        field(&view, "height"),
        field(&view, "tiles"),
        field(&view, "maxIter"),
        field(&view, "ms"),
        field(&view, "medianFrameMs"),
        field(&view, "worstFrameMs"),
        field(&view, "longTasks")
    );
    println!("screenshot: {}", page::describe(&view_shot));

    // 3. Without cross-origin isolation: one clear message naming the headers.
    let url = server.url(&format!("{}{DEMO}?check=1", serve::NO_ISOLATION));
    let unisolated = page::open(&url, DEMO_DONE, None)?;
    let error = field(&unisolated, "error");
    for header in [
        "Cross-Origin-Opener-Policy: same-origin",
        "Cross-Origin-Embedder-Policy: require-corp",
    ] {
        if !error.contains(header) {
            return Err(format!(
                "without isolation the demo page should name `{header}`; it said: {error}"
            ));
        }
    }
    println!("demo without isolation: shows the error naming both headers");
    drop(server);

    Ok(format!(
        "hash {hash} = native; screenshots {}, {}",
        page::describe(&shot),
        page::describe(&view_shot)
    ))
}

/// Every tile of the page's render finished.
fn all_tiles(result: &crate::json::Value) -> Result<()> {
    let (done, tiles) = (field(result, "tilesDone"), field(result, "tiles"));
    if done == tiles && tiles != "?" {
        Ok(())
    } else {
        Err(format!("the demo finished {done} of {tiles} tiles"))
    }
}
