// A method can't be a kernel: the state struct must live outside the `impl`.
#[derive(Clone, Copy)]
struct World {
    steps: u32,
}

impl World {
    #[penny::task]
    fn advance(self, n: u32) -> u32 {
        let mut s = self.steps;
        for i in 0..n {
            s += i;
        }
        s
    }
}

fn main() {}
