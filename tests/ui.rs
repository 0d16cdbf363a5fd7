//! Compile-fail cases: every construct `#[penny::task]` can't lower gets a Penny error at
//! the offending span that says what to write instead (`tests/ui/*.stderr`). Pass cases
//! (`tests/ui/pass/`) hold generated code to strict lints and run it.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
