struct View<'a> {
    data: &'a [u32],
}

#[penny::task]
fn first<'a>(view: View<'a>, n: u32) -> u32 {
    let mut acc = 0u32;
    for i in 0..n {
        acc += view.data[i as usize];
    }
    acc
}

fn main() {}
