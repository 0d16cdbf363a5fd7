//! Compile-fail cases: every construct `#[penny::task]` can't lower gets a Penny error at
//! the offending span that says what to write instead (`tests/ui/*.stderr`).

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
