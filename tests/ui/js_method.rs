// `js` exports a free function's kernel, not a method.
#[derive(Clone, Copy)]
pub struct Counter {
    pub step: u32,
}

impl Counter {
    #[penny::task(js)]
    pub fn count(self, n: u32) -> u32 {
        let mut acc = 0u32;
        for _ in 0..n {
            acc += self.step;
        }
        acc
    }
}

fn main() {}
