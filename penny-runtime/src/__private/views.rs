//! What `#[penny::task]` generates for buffer view arguments (`View<T>`, `Stripes<T>`):
//! opening them where the kernel's code runs, restricting stripes to a split chunk, and
//! naming them for the pool's leases.

use crate::buffer::{
    Stripes, StripesGuard, StripesPart, Tiles, TilesGuard, TilesPart, View, ViewGuard, ViewRef,
    ViewSlice,
};

/// A view argument of a kernel.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Penny buffer view",
    note = "a kernel argument whose type is named `View` or `Stripes` must be `penny::View<T>` or `penny::Stripes<T>`"
)]
pub trait OpenView {
    /// What opening it gives.
    type Guard;
    /// Opens it (panics with the reason when it can't be).
    fn penny_open(&self) -> Self::Guard;
    /// What the pool leases.
    fn penny_view_ref(&self) -> ViewRef;
}

impl<T: Copy + Send + Sync + 'static> OpenView for View<T> {
    type Guard = ViewGuard<T>;
    fn penny_open(&self) -> ViewGuard<T> {
        self.open()
    }
    fn penny_view_ref(&self) -> ViewRef {
        self.view_ref()
    }
}

impl<T: Copy + Send + Sync + 'static> OpenView for Stripes<T> {
    type Guard = StripesGuard<T>;
    fn penny_open(&self) -> StripesGuard<T> {
        self.open()
    }
    fn penny_view_ref(&self) -> ViewRef {
        self.view_ref()
    }
}

impl<T: Copy + Send + Sync + 'static> OpenView for Tiles<T> {
    type Guard = TilesGuard<T>;
    fn penny_open(&self) -> TilesGuard<T> {
        self.open()
    }
    fn penny_view_ref(&self) -> ViewRef {
        self.view_ref()
    }
}

/// Opens a view argument.
#[inline]
pub fn open_view<V: OpenView>(view: &V) -> V::Guard {
    view.penny_open()
}

/// The lease a view argument needs.
#[inline]
pub fn view_ref<V: OpenView>(view: &V) -> ViewRef {
    view.penny_view_ref()
}

/// An open view's guard, giving kernel code its plain-data access.
pub trait Access {
    /// What kernel code uses.
    type Out<'a>
    where
        Self: 'a;
    /// The access, borrowed from the guard.
    fn penny_access(&mut self) -> Self::Out<'_>;
}

impl<T: Copy + Send + Sync + 'static> Access for ViewGuard<T> {
    type Out<'a> = ViewSlice<'a, T>;
    fn penny_access(&mut self) -> ViewSlice<'_, T> {
        self.slice()
    }
}

impl<T: Copy + Send + Sync + 'static> Access for StripesGuard<T> {
    type Out<'a> = StripesPart<'a, T>;
    fn penny_access(&mut self) -> StripesPart<'_, T> {
        self.part()
    }
}

impl<T: Copy + Send + Sync + 'static> Access for TilesGuard<T> {
    type Out<'a> = TilesPart<'a, T>;
    fn penny_access(&mut self) -> TilesPart<'_, T> {
        self.part()
    }
}

/// Kernel code's access to an open view.
#[inline]
pub fn access<G: Access>(guard: &mut G) -> G::Out<'_> {
    guard.penny_access()
}

/// A writable view's access, narrowed to the iterations `first..end` of a split chunk.
pub trait Restrict {
    /// The narrowed access.
    type Out<'a>
    where
        Self: 'a;
    /// Narrows it.
    fn penny_restrict(&mut self, first: u64, end: u64) -> Self::Out<'_>;
}

impl<T: Copy + Send + Sync + 'static> Restrict for StripesPart<'_, T> {
    type Out<'a>
        = StripesPart<'a, T>
    where
        Self: 'a;
    fn penny_restrict(&mut self, first: u64, end: u64) -> StripesPart<'_, T> {
        self.restrict(first, end)
    }
}

impl<T: Copy + Send + Sync + 'static> Restrict for TilesPart<'_, T> {
    type Out<'a>
        = TilesPart<'a, T>
    where
        Self: 'a;
    fn penny_restrict(&mut self, first: u64, end: u64) -> TilesPart<'_, T> {
        self.restrict(first, end)
    }
}

/// The part of a writable view that split-loop iterations `first..end` own.
#[inline]
pub fn restrict<R: Restrict>(part: &mut R, first: u64, end: u64) -> R::Out<'_> {
    part.penny_restrict(first, end)
}

/// The type of a kernel argument the attribute did not recognise as a view by its name,
/// probed for being one all the same (a view named through a `type` alias or a
/// `use .. as`): the attribute can't see through names, so such an argument would be
/// neither opened nor leased. The generated code calls `(&ArgType::<A>::NEW).penny_check()`
/// in a function nobody calls: for a view type [`ViewThroughAlias`] is picked (by value
/// beats autoref) and its bound fails with the message below; for any other type
/// [`NotAView`]'s no-op.
#[derive(Debug)]
pub struct ArgType<A>(core::marker::PhantomData<A>);

impl<A> ArgType<A> {
    /// The probe value.
    pub const NEW: Self = ArgType(core::marker::PhantomData);
}

/// Never implemented: names the mistake when a view hides behind another name.
#[diagnostic::on_unimplemented(
    message = "this argument is a Penny view (`{Self}`) under another name: write `View<..>`, `Stripes<..>` or `Tiles<..>` in the kernel's signature",
    label = "a view named through a `type` alias or `use .. as`",
    note = "`#[penny::task]` recognises view arguments by their type's name, to open and lease them; under another name the kernel would index the closed view"
)]
pub trait ViewNamedInSignature {}

/// The probe for views: its bound can't hold.
pub trait ViewThroughAlias {
    /// The view type.
    type View;
    /// Fails to compile (the bound).
    fn penny_check(&self)
    where
        Self::View: ViewNamedInSignature,
    {
    }
}

macro_rules! view_through_alias {
    ($($view:ident),*) => {$(
        impl<T: Copy + Send + Sync + 'static> ViewThroughAlias for ArgType<$view<T>> {
            type View = $view<T>;
        }
    )*};
}
view_through_alias!(View, Stripes, Tiles);

/// The probe for every other type: nothing to say.
pub trait NotAView {
    /// Does nothing.
    fn penny_check(&self) {}
}

impl<A> NotAView for &ArgType<A> {}
