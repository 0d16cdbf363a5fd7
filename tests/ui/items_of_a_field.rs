// Items loops over a field or an element (`p.0.iter()`, `rows[1].chunks(2)`, zipped): Penny
// indexes the sequence again on resume, from a variable, and says to copy the field into one.
#[penny::task]
fn over_fields(p: ([u32; 4], u32), rows: [[u32; 4]; 3]) -> u32 {
    let mut s = 0u32;
    for x in p.0.iter() {
        s += x * p.1;
    }
    for (a, b) in rows[0].iter().zip(rows[1].iter()) {
        s ^= a + b;
    }
    s
}

fn main() {}
