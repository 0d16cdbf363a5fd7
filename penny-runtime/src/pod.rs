//! The `Pod` marker: types a task state may carry across an iteration boundary.
//!
//! A task's state is copied between workers as bytes and may be resumed on any thread, so
//! everything in it must be `Copy` (no `Drop`, no owned heap data), `Send` and `'static`
//! (no borrowed data). `Pod` is implemented for the primitives, arrays and tuples of `Pod`,
//! `Option<Pod>`, and Penny's shared-buffer handles; `#[derive(penny::Pod)]` implements it for
//! a user struct whose fields are all `Pod`.

/// Plain old data that can live in a task's state.
///
/// `ZERO` is the value a state field holds before the kernel assigns it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` can't be kept in a Penny task's state",
    label = "not plain old data: a task's state must be `Copy`, `Send` and hold no borrows",
    note = "a `let` without a value starts its field at `Pod::ZERO`: give the variable its value where it is declared (then any `Copy + Send + 'static` type will do), or add `#[derive(penny::Pod)]` to your struct"
)]
pub trait Pod: Copy + Send + 'static {
    /// The initial value of a state field of this type.
    const ZERO: Self;
}

macro_rules! impl_pod {
    ($($ty:ty = $zero:expr),* $(,)?) => {
        $(impl Pod for $ty { const ZERO: Self = $zero; })*
    };
}

impl_pod! {
    u8 = 0, u16 = 0, u32 = 0, u64 = 0, u128 = 0, usize = 0,
    i8 = 0, i16 = 0, i32 = 0, i64 = 0, i128 = 0, isize = 0,
    f32 = 0.0, f64 = 0.0, bool = false, char = '\0', () = (),
}

impl<T: Pod, const N: usize> Pod for [T; N] {
    const ZERO: Self = [T::ZERO; N];
}

impl<T: Pod> Pod for Option<T> {
    const ZERO: Self = None;
}

impl<T: ?Sized + 'static> Pod for core::marker::PhantomData<T>
where
    core::marker::PhantomData<T>: Send,
{
    const ZERO: Self = core::marker::PhantomData;
}

macro_rules! impl_pod_tuple {
    ($($name:ident)+) => {
        impl<$($name: Pod),+> Pod for ($($name,)+) {
            const ZERO: Self = ($($name::ZERO,)+);
        }
    };
}

impl_pod_tuple!(A);
impl_pod_tuple!(A B);
impl_pod_tuple!(A B C);
impl_pod_tuple!(A B C D);
impl_pod_tuple!(A B C D E);
impl_pod_tuple!(A B C D E F);
impl_pod_tuple!(A B C D E F G);
impl_pod_tuple!(A B C D E F G H);

#[cfg(test)]
mod tests {
    use super::Pod;

    #[test]
    fn zero_values_are_the_obvious_ones() {
        assert_eq!(<(u32, f64, bool)>::ZERO, (0, 0.0, false));
        assert_eq!(<[i16; 3]>::ZERO, [0, 0, 0]);
        assert_eq!(<Option<char>>::ZERO, None);
    }
}
