use penny::{Stripes, View};

type Img = Stripes<f32>;
type Src = View<f32>;

#[penny::task]
fn brighten(img: Img, src: Src, gain: f32) {
    #[penny::split]
    for i in 0..img.len() {
        img[i] = src[i] * gain;
    }
}

#[penny::task]
fn hand_back(img: Stripes<f32>, n: usize) -> Stripes<f32> {
    for i in 0..n {
        img[i] = 1.0;
    }
    img
}

use penny::Stripes as Image;

#[penny::task]
fn clear(img: Image<u8>) {
    for i in 0..img.len() {
        img[i] = 0;
    }
}

fn helper(v: View<f32>) -> f32 {
    let _ = v;
    0.0
}

#[penny::task]
fn pass_on(src: View<f32>, n: usize) -> f32 {
    let mut acc = 0.0f32;
    for i in 0..n {
        acc += src[i];
    }
    acc + helper(src)
}

fn main() {}
