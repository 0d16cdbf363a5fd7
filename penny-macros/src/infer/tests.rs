//! Each test parses a kernel, runs [`annotate_lets`], and checks the annotation of the
//! `let`s binding one name: the type written (without spaces), or `None` when the `let` is
//! left as written.

use quote::ToTokens;
use syn::visit::Visit;
use syn::{parse_quote, ItemFn, Local, Pat};

use super::annotate_lets;

/// The annotations of every `let` that binds `name`, in source order (closures and nested
/// items included).
fn anns(func: &ItemFn, name: &str) -> Vec<Option<String>> {
    struct Binds<'n>(&'n str, bool);
    impl<'ast> Visit<'ast> for Binds<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.1 |= p.ident == self.0;
            syn::visit::visit_pat_ident(self, p);
        }
    }
    struct Lets<'n> {
        name: &'n str,
        out: Vec<Option<String>>,
    }
    impl<'ast> Visit<'ast> for Lets<'_> {
        fn visit_local(&mut self, local: &'ast Local) {
            let (pat, ty) = match &local.pat {
                Pat::Type(pt) => (
                    &*pt.pat,
                    Some(pt.ty.to_token_stream().to_string().replace(' ', "")),
                ),
                other => (other, None),
            };
            let mut binds = Binds(self.name, false);
            binds.visit_pat(pat);
            if binds.1 {
                self.out.push(ty);
            }
            syn::visit::visit_local(self, local);
        }
    }
    let mut lets = Lets {
        name,
        out: Vec::new(),
    };
    lets.visit_item_fn(func);
    lets.out
}

/// The annotation `annotate_lets` gives the only `let` binding `name`.
fn ann(func: &ItemFn, name: &str) -> Option<String> {
    let annotated = annotate_lets(func);
    let found = anns(&annotated, name);
    assert_eq!(found.len(), 1, "one `let` binds `{name}`");
    found.into_iter().next().flatten()
}

fn all(func: &ItemFn, name: &str) -> Vec<Option<String>> {
    anns(&annotate_lets(func), name)
}

fn some(ty: &str) -> Option<String> {
    Some(ty.replace(' ', ""))
}

#[test]
fn float_accumulator_takes_the_array_element_type() {
    let f: ItemFn = parse_quote! {
        fn dot(a: [f32; 8], b: [f32; 8]) -> u32 {
            let mut acc = 0.0;
            for i in 0..8 {
                acc += a[i] * b[i];
            }
            acc as u32
        }
    };
    assert_eq!(ann(&f, "acc"), some("f32"));
}

#[test]
fn comparison_and_assignment_give_the_argument_type() {
    let f: ItemFn = parse_quote! {
        fn best_of(x: u64, n: u32) -> u32 {
            let mut best = 0;
            for _ in 0..n {
                if x > best {
                    best = x
                }
            }
            best as u32
        }
    };
    assert_eq!(ann(&f, "best"), some("u64"));
}

#[test]
fn none_then_some_of_a_range_variable() {
    let f: ItemFn = parse_quote! {
        fn find(n: usize, k: usize) -> bool {
            let mut found = None;
            for i in 0..n {
                if i * i == k {
                    found = Some(i);
                }
            }
            found.is_some()
        }
    };
    assert_eq!(ann(&f, "found"), some("Option<usize>"));
}

#[test]
fn loop_variables_of_ranges_and_iterators() {
    let f: ItemFn = parse_quote! {
        fn walk(a: [f32; 4], b: [u8; 4], n: usize, m: u16, pairs: [(u32, u16); 2]) {
            for x in a.iter() { let r = x; }
            for (i, x) in a.iter().enumerate() { let e = (i, x); }
            for x in a { let v = x; }
            for c in a.chunks(2) { let ch = c; }
            for (x, y) in a.iter().zip(b.iter()) { let z = (x, y); }
            for i in (0..n).rev() { let j = i; }
            for i in (0..m).step_by(2) { let k = i; }
            for i in 0..=m { let l = i; }
            for &x in a.iter() { let d = x; }
            for x in a.iter().copied() { let cp = x; }
            for (p, q) in pairs.iter() { let pq = (p, q); }
            for &(p, q) in pairs.iter() { let pv = (p, q); }
            for (i, &x) in b.iter().enumerate() { let bx = (i, x); }
            for x in &b { let rb = x; }
        }
    };
    assert_eq!(ann(&f, "r"), some("&f32"));
    assert_eq!(ann(&f, "e"), some("(usize, &f32)"));
    assert_eq!(ann(&f, "v"), some("f32"));
    assert_eq!(ann(&f, "ch"), some("&[f32]"));
    assert_eq!(ann(&f, "z"), some("(&f32, &u8)"));
    assert_eq!(ann(&f, "j"), some("usize"));
    assert_eq!(ann(&f, "k"), some("u16"));
    assert_eq!(ann(&f, "l"), some("u16"));
    assert_eq!(ann(&f, "d"), some("f32"));
    assert_eq!(ann(&f, "cp"), some("f32"));
    assert_eq!(ann(&f, "pq"), some("(&u32, &u16)"));
    assert_eq!(ann(&f, "pv"), some("(u32, u16)"));
    assert_eq!(ann(&f, "bx"), some("(usize, u8)"));
    assert_eq!(ann(&f, "rb"), some("&u8"));
}

#[test]
fn declared_without_a_value_then_assigned_in_branches() {
    let f: ItemFn = parse_quote! {
        fn pick(c: bool) -> u64 {
            let step;
            if c {
                step = 1u32
            } else {
                step = 2
            }
            step as u64
        }
    };
    assert_eq!(ann(&f, "step"), some("u32"));
}

#[test]
fn tuple_of_literals_linked_later() {
    let f: ItemFn = parse_quote! {
        fn powers(x: u64, n: u32) -> u64 {
            let (mut a, mut b) = (1, 0);
            for _ in 0..n {
                a = a.wrapping_mul(x);
                b += 1;
            }
            a ^ (b as u64)
        }
    };
    assert_eq!(ann(&f, "a"), some("(u64, i32)"));
}

#[test]
fn len_is_usize() {
    let f: ItemFn = parse_quote! {
        fn lens(a: [u32; 8], s: &[u8], i: In<f32>, o: penny::Out<u32>, v: Vec<u8>) {
            let mut hi = a.len();
            let n2 = s.len();
            let n3 = i.len();
            let n4 = o.len();
            let n5 = v.len();
        }
    };
    for name in ["hi", "n2", "n3", "n4", "n5"] {
        assert_eq!(ann(&f, name), some("usize"), "{name}");
    }
}

#[test]
fn consts_declared_in_the_body_are_visible() {
    let f: ItemFn = parse_quote! {
        fn grow(n: u32) {
            let mut acc = K;
            for _ in 0..n {
                acc = acc * 2;
            }
            const K: u64 = 3;
            static TABLE: [i16; 4] = [1, 2, 3, 4];
            let t = TABLE[1];
        }
    };
    assert_eq!(ann(&f, "acc"), some("u64"));
    assert_eq!(ann(&f, "t"), some("i16"));
}

#[test]
fn module_level_consts_are_unknown() {
    let f: ItemFn = parse_quote! {
        fn grow(n: u32) {
            let mut acc = K;
            for _ in 0..n {
                acc = acc * 2;
            }
        }
    };
    assert_eq!(ann(&f, "acc"), None);
}

#[test]
fn copies_of_typed_values() {
    let f: ItemFn = parse_quote! {
        fn copy(a: u16, p: (i8, char)) {
            let start = a + 1;
            let mut x = start;
            let mut q = p;
        }
    };
    assert_eq!(ann(&f, "start"), some("u16"));
    assert_eq!(ann(&f, "x"), some("u16"));
    assert_eq!(ann(&f, "q"), some("(i8, char)"));
}

#[test]
fn unconstrained_literals_take_rustc_defaults() {
    let f: ItemFn = parse_quote! {
        fn count(n: u32) -> u64 {
            let mut count = 0;
            let mut s = 0.0;
            for _ in 0..n {
                count += 1;
                s += 0.5;
            }
            count as u64 + s as u64
        }
    };
    assert_eq!(ann(&f, "count"), some("i32"));
    assert_eq!(ann(&f, "s"), some("f64"));
}

#[test]
fn values_of_loops_ifs_blocks_and_matches() {
    let f: ItemFn = parse_quote! {
        fn values(c: bool, k: u8, o: Option<i16>) -> u64 {
            let mut i = 0u32;
            let r = loop {
                i += 1;
                if i > 10 {
                    break i;
                }
            };
            let v = if c { 1u8 } else { 2 };
            let b = {
                let t = 3u16;
                t * 2
            };
            let m = match k {
                0 => 1i64,
                _ => 2,
            };
            let w = match o {
                Some(x) => x,
                None => 0,
            };
            let lb = 'blk: {
                if c {
                    break 'blk 1u8;
                }
                2
            };
            let d = if c { 3 } else { return 0 };
            r as u64
        }
    };
    assert_eq!(ann(&f, "r"), some("u32"));
    assert_eq!(ann(&f, "v"), some("u8"));
    assert_eq!(ann(&f, "b"), some("u16"));
    assert_eq!(ann(&f, "t"), some("u16"));
    assert_eq!(ann(&f, "m"), some("i64"));
    assert_eq!(ann(&f, "w"), some("i16"));
    assert_eq!(ann(&f, "lb"), some("u8"));
    assert_eq!(ann(&f, "d"), some("i32"));
}

#[test]
fn shadowed_bindings_are_separate_and_scoped() {
    let f: ItemFn = parse_quote! {
        fn shadow(n: u32) -> u64 {
            let total = 0u32;
            let total = total as u64;
            {
                let inner = 5u8;
            }
            let inner = 1.0;
            let x = 0;
            let y: u8 = x;
            let x = 1.5f32;
            total + n as u64
        }
    };
    assert_eq!(all(&f, "total"), [some("u32"), some("u64")]);
    assert_eq!(all(&f, "inner"), [some("u8"), some("f64")]);
    assert_eq!(all(&f, "x"), [some("u8"), some("f32")]);
}

#[test]
fn generic_kernels_name_their_parameters() {
    let f: ItemFn = parse_quote! {
        fn sum<const N: usize>(a: [u32; N]) -> u32 {
            let mut acc = 0;
            let mut buf = a;
            let n = N;
            for i in 0..N {
                acc += a[i];
            }
            acc
        }
    };
    assert_eq!(ann(&f, "acc"), some("u32"));
    assert_eq!(ann(&f, "buf"), some("[u32; N]"));
    assert_eq!(ann(&f, "n"), some("usize"));
    let g: ItemFn = parse_quote! {
        fn scale<T: Copy + core::ops::Mul<Output = T>>(x: T, k: T, n: u32) -> T {
            let mut acc = x;
            let two = 2;
            for _ in 0..n {
                acc = acc * k;
            }
            let scaled = acc * two;
            acc
        }
    };
    assert_eq!(ann(&g, "acc"), some("T"));
    // `T * {integer}` is `T`'s `Mul`: not modeled, so neither side is guessed.
    assert_eq!(ann(&g, "two"), None);
    assert_eq!(ann(&g, "scaled"), None);
}

#[test]
fn nested_fns_link_arguments_and_results() {
    let f: ItemFn = parse_quote! {
        fn outer(n: u32) -> u64 {
            fn sq(x: u64) -> u64 {
                x * x
            }
            fn id<U>(u: U) -> U {
                u
            }
            let mut acc = sq(3);
            let mut y = 0;
            for _ in 0..n {
                acc += sq(y);
                y += 1;
            }
            let z = 0;
            let w = id(z);
            acc
        }
    };
    assert_eq!(ann(&f, "acc"), some("u64"));
    assert_eq!(ann(&f, "y"), some("u64"));
    // A generic nested fn is not modeled: its argument could be constrained by it.
    assert_eq!(ann(&f, "z"), None);
    assert_eq!(ann(&f, "w"), None);
}

#[test]
fn arrays_take_their_element_type_from_later_uses() {
    let f: ItemFn = parse_quote! {
        fn hist(x: i16) {
            let mut hist = [0; 16];
            for k in 0..16 {
                hist[k] += 1u32;
            }
            let mut h2 = [0; 4];
            h2[1] = x;
            let lit = [1.5f32, 2.0];
            let m: [[f32; 8]; 8] = [[0.0; 8]; 8];
            let e = m[1][2];
            let row = m[3];
        }
    };
    assert_eq!(ann(&f, "hist"), some("[u32; 16]"));
    assert_eq!(ann(&f, "h2"), some("[i16; 4]"));
    assert_eq!(ann(&f, "lit"), some("[f32; 2]"));
    assert_eq!(ann(&f, "e"), some("f32"));
    assert_eq!(ann(&f, "row"), some("[f32; 8]"));
}

#[test]
fn struct_literals_and_fields() {
    let f: ItemFn = parse_quote! {
        fn points(n: u32) {
            struct Q {
                x: f32,
                y: u8,
            }
            let p = P { x: 0.0 };
            let mut q = Q { x: 0.0, y: 0 };
            let qx = q.x;
            let mut qy = 0;
            qy = q.y;
            let px = p.x;
        }
    };
    assert_eq!(ann(&f, "p"), some("P"));
    assert_eq!(ann(&f, "q"), some("Q"));
    assert_eq!(ann(&f, "qx"), some("f32"));
    assert_eq!(ann(&f, "qy"), some("u8"));
    // `P` is declared outside the kernel: its fields are unknown.
    assert_eq!(ann(&f, "px"), None);
}

#[test]
fn numeric_methods_casts_and_operators() {
    let f: ItemFn = parse_quote! {
        fn nums(x: u64, y: f32, z: f64, n: u32, s: i8, flag: bool, m: [[f32; 8]; 8], p: (u8, f32), h: u16) {
            let c = n as f32;
            let b = n > 3;
            let r = f32::sqrt(2.0);
            let sq = z.sqrt();
            let mx = u32::MAX;
            let pi = core::f64::consts::PI;
            let ones = x.count_ones();
            let bits = y.to_bits();
            let mut w = 0;
            let from = f64::from_bits(w);
            let mut lo = 0;
            lo = lo.min(x);
            let pw = x.pow(2);
            let ab = s.abs();
            let diff = s.abs_diff(-3);
            let e = m[1][2];
            let p0 = p.0;
            let p1 = p.1;
            let neg = -s;
            let not = !flag;
            let sh = h << n;
            let mut amount = 1;
            let sh2 = h >> amount;
            let wr = x.wrapping_add(1);
            let sc = y.sin_cos();
        }
    };
    let expected = [
        ("c", "f32"),
        ("b", "bool"),
        ("r", "f32"),
        ("sq", "f64"),
        ("mx", "u32"),
        ("pi", "f64"),
        ("ones", "u32"),
        ("bits", "u32"),
        ("w", "u64"),
        ("from", "f64"),
        ("lo", "u64"),
        ("pw", "u64"),
        ("ab", "i8"),
        ("diff", "u8"),
        ("e", "f32"),
        ("p0", "u8"),
        ("p1", "f32"),
        ("neg", "i8"),
        ("not", "bool"),
        ("sh", "u16"),
        ("amount", "i32"),
        ("sh2", "u16"),
        ("wr", "u64"),
        ("sc", "(f32, f32)"),
    ];
    for (name, ty) in expected {
        assert_eq!(ann(&f, name), some(ty), "{name}");
    }
}

#[test]
fn references_and_penny_buffers() {
    let f: ItemFn = parse_quote! {
        fn bufs(input: In<f32>, out: Out<u32>, n: usize) {
            let mut acc = 0.0;
            let mut total = 0;
            for i in 0..n {
                acc += input[i];
                total += 1;
                out.set(i, total);
            }
            let mut x = 0.0;
            for v in input.iter() {
                x = *v;
            }
            let mut y = 0.0;
            for v in input.iter() {
                y += v;
            }
            let head = &input[..2];
            let first = input.first().copied();
        }
    };
    assert_eq!(ann(&f, "first"), some("Option<f32>"));
    assert_eq!(ann(&f, "acc"), some("f32"));
    assert_eq!(ann(&f, "total"), some("u32"));
    assert_eq!(ann(&f, "x"), some("f32"));
    assert_eq!(ann(&f, "y"), some("f32"));
    assert_eq!(ann(&f, "head"), some("&[f32]"));
}

#[test]
fn let_else_and_partial_patterns() {
    let f: ItemFn = parse_quote! {
        fn lets(o: Option<u32>, p: (u8, u16)) {
            let Some(x) = o else { return };
            let (a, _) = (1u8, unknown());
            let (_, b) = p;
            let _ = 5;
        }
    };
    assert_eq!(ann(&f, "x"), some("Option<u32>"));
    assert_eq!(ann(&f, "a"), some("(u8, _)"));
    assert_eq!(ann(&f, "b"), some("(u8, u16)"));
    let annotated = annotate_lets(&f);
    let text = annotated.to_token_stream().to_string();
    assert!(text.contains("let _ = 5"), "{text}");
}

#[test]
fn format_macros_see_uses_without_constraining() {
    let f: ItemFn = parse_quote! {
        fn fmt(x: u64, n: u32) {
            let mut total = 0;
            let mut shown = 0;
            let count = 0;
            let w = 4;
            for _ in 0..n {
                println!("{} {}", total + x, shown);
                shown += 1;
            }
            assert_eq!(count, 3u8, "count is {}", count);
            assert!(n > 0);
            println!("{:w$}", 1.0);
        }
    };
    assert_eq!(ann(&f, "total"), some("u64"));
    assert_eq!(ann(&f, "shown"), some("i32"));
    assert_eq!(ann(&f, "count"), some("u8"));
    // A width argument is a `usize`: not modeled, so no guess.
    assert_eq!(ann(&f, "w"), None);
}

#[test]
fn unknown_functions_methods_and_macros_give_up() {
    let f: ItemFn = parse_quote! {
        fn unknowns(n: u32, p: P) {
            let mut a = 0;
            let mut b = 0;
            let mut c = 0;
            let mut d = 0;
            let mut e = 0.0;
            let mut g = 0;
            for _ in 0..n {
                foo(a);
                b.bar();
                my_macro!(c);
                p.frob(d);
                e = e + thing();
                g = DATA[g];
            }
        }
    };
    for name in ["a", "b", "c", "d", "e", "g"] {
        assert_eq!(ann(&f, name), None, "{name}");
    }
}

#[test]
fn closure_bodies_type_what_they_read() {
    let f: ItemFn = parse_quote! {
        fn closure(n: u32) {
            let mut count = 0;
            let mut add = |x: u32| count += x;
            for _ in 0..n {
                add(1);
            }
            let k = 3;
            let scale = |x: u64| x * k;
            let m = 5;
            let untyped = |x| x * m;
            let r = 0;
            let early = |x: u8| -> u8 { if x > 3 { return r; } x };
            let q = 0;
            let unwritten = |x: u8| { if x > 3 { return q; } x };
            let shadowed = 7;
            let hides = |shadowed: u16| shadowed + 1;
            let sq = |x: u32| u64::from(x) * u64::from(x);
            let mut total = 0;
            total += sq(n);
            let mut arg = 0;
            let _ = sq(arg);
            arg += 1;
        }
    };
    assert_eq!(ann(&f, "count"), some("u32"));
    assert_eq!(ann(&f, "k"), some("u64"));
    // A call gives what the closure returns, and its arguments the parameters' types.
    assert_eq!(ann(&f, "total"), some("u64"));
    assert_eq!(ann(&f, "arg"), some("u32"));
    // A `return` meets the written return type, or the body's value; what an untyped
    // parameter meets is not guessed.
    assert_eq!(ann(&f, "r"), some("u8"));
    assert_eq!(ann(&f, "q"), some("u8"));
    assert_eq!(ann(&f, "m"), None);
    // A parameter hides the variable of its name.
    assert_eq!(ann(&f, "shadowed"), some("i32"));
    assert_eq!(ann(&f, "add"), None);
    assert_eq!(ann(&f, "scale"), None);
}

#[test]
fn conflicting_uses_give_up() {
    let f: ItemFn = parse_quote! {
        fn conflict(a: u8, b: u16) {
            let mut x = 0;
            x = a;
            x = b;
            let y = x;
            let z = 1.0;
            let w = z + 1u32;
        }
    };
    assert_eq!(ann(&f, "x"), None);
    assert_eq!(ann(&f, "y"), None);
    assert_eq!(ann(&f, "z"), None);
}

#[test]
fn lets_in_closures_and_nested_fns_are_untouched() {
    let f: ItemFn = parse_quote! {
        fn outer(n: u32) -> u32 {
            let c = |x: u32| {
                let y = 1u32;
                x + y
            };
            fn helper() -> u32 {
                let z = 2u32;
                z
            }
            let w = 3u32;
            c(n) + helper() + w
        }
    };
    assert_eq!(ann(&f, "y"), None);
    assert_eq!(ann(&f, "z"), None);
    assert_eq!(ann(&f, "w"), some("u32"));
}

#[test]
fn annotated_lets_are_unchanged() {
    let f: ItemFn = parse_quote! {
        fn annotated(n: u32) {
            let x: u64 = 0;
            let (a, b): (u8, _) = (1, 2u16);
            let h: [u8; 4] = [0; 4];
            for _ in 0..n {}
        }
    };
    let annotated = annotate_lets(&f);
    assert_eq!(
        annotated.to_token_stream().to_string(),
        f.to_token_stream().to_string()
    );
}

#[test]
fn returned_values_take_the_return_type() {
    let f: ItemFn = parse_quote! {
        fn ret(c: bool) -> u8 {
            let x = 0;
            let y = 1;
            if c {
                return y;
            }
            x
        }
    };
    assert_eq!(ann(&f, "x"), some("u8"));
    assert_eq!(ann(&f, "y"), some("u8"));
}

#[test]
fn types_only_where_their_names_resolve_the_same() {
    let f: ItemFn = parse_quote! {
        fn scoped(n: u32) {
            let mut a;
            {
                const M: usize = 4;
                a = [0u8; M];
                let b = [0u8; M];
            }
            struct S;
            let s = S;
        }
    };
    assert_eq!(ann(&f, "a"), None);
    assert_eq!(ann(&f, "b"), some("[u8; M]"));
    assert_eq!(ann(&f, "s"), some("S"));
}

#[test]
fn matches_bind_through_references() {
    let f: ItemFn = parse_quote! {
        fn refs(o: Option<u32>, t: (u8, i64)) {
            let r = &o;
            let inner = match r {
                Some(v) => v,
                None => &0,
            };
            let (x, y) = &t;
            if let Some(k) = o {
                let kk = k;
            }
            let mut c = 0;
            match c {
                1..=9 => {}
                _ => {}
            }
            c = t.0;
        }
    };
    assert_eq!(ann(&f, "inner"), some("&u32"));
    assert_eq!(ann(&f, "x"), some("&(u8, i64)"));
    assert_eq!(ann(&f, "kk"), some("u32"));
    assert_eq!(ann(&f, "c"), some("u8"));
}

#[test]
fn literal_receivers_and_big_literals_take_no_default() {
    let f: ItemFn = parse_quote! {
        fn hashes(n: u32, seed: u64) {
            let mut h = 1;
            let x = 2.0;
            let mut ones = 5;
            let big = 3_000_000_000;
            let mut linked = 7;
            let small = 2_147_483_647;
            for _ in 0..n {
                h = h.wrapping_mul(31);
                let r = x.sqrt();
                let c = ones.count_ones();
                linked = linked.wrapping_mul(seed);
            }
            let r2 = big + 1;
        }
    };
    // rustc asks for these types (E0689): no guess.
    assert_eq!(ann(&f, "h"), None);
    assert_eq!(ann(&f, "x"), None);
    assert_eq!(ann(&f, "r"), None);
    assert_eq!(ann(&f, "ones"), None);
    assert_eq!(ann(&f, "c"), some("u32"));
    // An `i32` can't hold it.
    assert_eq!(ann(&f, "big"), None);
    assert_eq!(ann(&f, "r2"), None);
    // A typed argument decides.
    assert_eq!(ann(&f, "linked"), some("u64"));
    assert_eq!(ann(&f, "small"), some("i32"));
}

#[test]
fn struct_literals_of_generic_structs_are_not_guessed() {
    let f: ItemFn = parse_quote! {
        fn generic_structs(n: u32, w: Wrap<u8>) {
            struct Local<T> {
                v: T,
            }
            let a = Local { v: 1u8 };
            let b = Wrap { v: 2u8 };
            let c = Plain { v: 3u8 };
        }
    };
    assert_eq!(ann(&f, "a"), None);
    // `Wrap<u8>` is written in the signature: `Wrap` alone is not a type.
    assert_eq!(ann(&f, "b"), None);
    assert_eq!(ann(&f, "c"), some("Plain"));
}

/// Every `fn` of the example kernels and the UI tests: no panic, annotations already written
/// stay as they are, and a second pass adds nothing.
#[test]
fn every_kernel_of_the_repository_is_annotated_idempotently() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    let mut dirs = vec![root.join("penny-examples/src"), root.join("tests/ui")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable directory") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut count = 0;
    for path in files {
        let source = std::fs::read_to_string(&path).expect("readable file");
        let Ok(file) = syn::parse_file(&source) else {
            continue;
        };
        for item in file.items {
            let syn::Item::Fn(func) = item else { continue };
            let once = annotate_lets(&func);
            let twice = annotate_lets(&once);
            assert_eq!(
                once.to_token_stream().to_string(),
                twice.to_token_stream().to_string(),
                "{}: {}",
                path.display(),
                func.sig.ident
            );
            let before: Vec<Option<String>> = lets_of(&func);
            let after: Vec<Option<String>> = lets_of(&once);
            assert_eq!(before.len(), after.len());
            for (b, a) in before.iter().zip(&after) {
                if b.is_some() {
                    assert_eq!(b, a, "{}: {}", path.display(), func.sig.ident);
                }
            }
            count += 1;
        }
    }
    assert!(count > 50, "found {count} fns");
}

/// Every `let`'s annotation, in source order, but for those that bind a name to itself
/// (`let k: u32 = k;`, which the annotation adds at the top of an arm's block).
fn lets_of(func: &ItemFn) -> Vec<Option<String>> {
    struct Lets(Vec<Option<String>>);
    impl<'ast> Visit<'ast> for Lets {
        fn visit_local(&mut self, local: &'ast Local) {
            let name = match &local.pat {
                Pat::Type(pt) => &*pt.pat,
                other => other,
            };
            let itself = matches!(
                (name, local.init.as_ref().map(|i| &*i.expr)),
                (Pat::Ident(p), Some(syn::Expr::Path(e))) if e.path.is_ident(&p.ident)
            );
            if itself {
                return;
            }
            self.0.push(match &local.pat {
                Pat::Type(pt) => Some(pt.ty.to_token_stream().to_string()),
                _ => None,
            });
            syn::visit::visit_local(self, local);
        }
    }
    let mut lets = Lets(Vec::new());
    lets.visit_item_fn(func);
    lets.0
}

#[test]
fn odd_code_never_panics() {
    let f: ItemFn = parse_quote! {
        fn odd(n: u32, r#type: u8, s: &[u16], o: Option<(u8, u8)>) -> u32 {
            let mut x = 0;
            x = (x, 1);
            let mut y = None;
            y = Some(y);
            let r#loop = r#type;
            let [a, b, rest @ ..] = [1u8, 2, 3, 4];
            let [a2, b2, ..] = [1u8, 2, 3, 4];
            let [first, ..] = s else { return 0 };
            let (p, .., q) = (1u8, 2u16, 3u32, 4u64);
            let Some((c, _)) = o else { return 1 };
            let t = async { 5 };
            let u = n.checked_add(1)?;
            let v = (|| 3)();
            let w = 'l: loop { break 'l; };
            let z = loop {};
            let m = match n { _ if n > 3 => 1u8, 0 | 1 => 2, _ => unreachable!() };
            let e = [(); 0];
            let g = &mut [0u8; 3][..];
            let h = (1, "text", b'c', 'd', 2.5, true);
            let k = -(-n as i64);
            let deep = ((((((((((((1u8,),),),),),),),),),),),);
            0
        }
    };
    let out = annotate_lets(&f);
    assert_eq!(ann(&f, "r#loop"), some("u8"));
    assert_eq!(ann(&f, "b2"), some("[u8; 4]"));
    assert_eq!(ann(&f, "first"), some("&[u16]"));
    assert_eq!(ann(&f, "q"), some("(u8, u16, u32, u64)"));
    assert_eq!(ann(&f, "c"), some("Option<(u8, u8)>"));
    assert_eq!(ann(&f, "m"), some("u8"));
    assert_eq!(
        ann(&f, "h"),
        some("(i32, &'static str, u8, char, f64, bool)")
    );
    for name in ["x", "y", "t", "u", "v", "z", "rest", "b"] {
        assert_eq!(ann(&f, name), None, "{name}");
    }
    let again = annotate_lets(&out);
    assert_eq!(
        out.to_token_stream().to_string(),
        again.to_token_stream().to_string()
    );
}

#[test]
fn results_from_constructors_patterns_and_methods() {
    let f: ItemFn = parse_quote! {
        fn results(r: Result<u32, u8>, n: u32) {
            let mut last = Ok(0);
            for i in 0..n {
                if i % 2 == 0 { last = Err(i as u8) } else { last = Ok(i) }
            }
            let mut v = 0;
            if let Ok(x) = r { v = x; }
            let mut e = None;
            if let Err(c) = r { e = Some(c); }
            let mut m = 0;
            m = last.unwrap_or(m);
            let mut o = None;
            o = r.ok();
        }
    };
    assert_eq!(ann(&f, "last"), some("Result<u32,u8>"));
    assert_eq!(ann(&f, "v"), some("u32"));
    assert_eq!(ann(&f, "e"), some("Option<u8>"));
    assert_eq!(ann(&f, "m"), some("u32"));
    assert_eq!(ann(&f, "o"), some("Option<u32>"));
}

#[test]
fn a_result_with_one_side_unknown_is_left_alone() {
    let f: ItemFn = parse_quote! {
        fn results(n: u32) {
            let mut last = Ok(0u32);
            for i in 0..n { last = Ok(i); }
        }
    };
    assert_eq!(ann(&f, "last"), None);
}

/// The types of `closure`'s parameters after annotation (`None` where untyped).
fn closure_params(func: &ItemFn, closure: &str) -> Vec<Option<String>> {
    struct Find<'n>(&'n str, Vec<Option<String>>);
    impl<'ast> Visit<'ast> for Find<'_> {
        fn visit_local(&mut self, local: &'ast Local) {
            let named = matches!(&local.pat, Pat::Ident(p) if p.ident == self.0);
            if let (true, Some(init)) = (named, &local.init) {
                if let syn::Expr::Closure(c) = &*init.expr {
                    self.1 = c
                        .inputs
                        .iter()
                        .map(|p| match p {
                            Pat::Type(t) => {
                                Some(t.ty.to_token_stream().to_string().replace(' ', ""))
                            }
                            _ => None,
                        })
                        .collect();
                }
            }
            syn::visit::visit_local(self, local);
        }
    }
    let mut find = Find(closure, Vec::new());
    find.visit_item_fn(&annotate_lets(func));
    find.1
}

#[test]
fn closure_parameters_typed_by_their_calls() {
    let f: ItemFn = parse_quote! {
        fn k(n: u32, a: [u64; 4]) {
            let f = |i| i * 2;
            let g = |x, y| x + y;
            let lit = |z| z - 1;
            let unused = |q| q;
            let by_ref = |v: &u64, w| *v + w;
            for i in 0..n {
                f(i);
                g(a[0], 1);
                lit(3);
                by_ref(&a[1], 2);
            }
        }
    };
    assert_eq!(closure_params(&f, "f"), vec![some("u32")]);
    assert_eq!(closure_params(&f, "g"), vec![some("u64"), some("u64")]);
    assert_eq!(closure_params(&f, "lit"), vec![some("i32")]);
    assert_eq!(closure_params(&f, "unused"), vec![None]);
    assert_eq!(
        closure_params(&f, "by_ref"),
        vec![some("&u64"), some("u64")]
    );
}

#[test]
fn a_closure_handed_to_a_helper_keeps_untyped_parameters() {
    let f: ItemFn = parse_quote! {
        fn k(n: u32) {
            let h = |x| x + 1;
            let also = |y| y + 1;
            for i in 0..n {
                helper(h, i);
                also(i);
                helper(also, i);
            }
        }
    };
    assert_eq!(closure_params(&f, "h"), vec![None]);
    assert_eq!(closure_params(&f, "also"), vec![None]);
}

#[test]
fn two_dimensional_view_indexing_keeps_types() {
    let f: ItemFn = parse_quote! {
        fn k(src: View<u32>, dst: Stripes<u32>, cols: u32) {
            let c = cols as usize;
            let rows = src.len() / c;
            let mut s = 0;
            for r in 0..rows {
                for k in 0..c {
                    dst[(r, k)] = src[(r, c - 1 - k)];
                    s += src[(r, k)];
                }
            }
        }
    };
    assert_eq!(ann(&f, "rows"), some("usize"));
    assert_eq!(ann(&f, "s"), some("u32"));
}
