//! Views: the plain-data handles of a buffer that tasks carry ([`View`] to read,
//! [`Stripes`] to write), and what code gets when it opens one ([`ViewGuard`],
//! [`StripesGuard`]): slice-like access with plain loads and stores.
//!
//! # Why writes are disjoint
//!
//! A writable view is plain data, so copies of it can exist anywhere; what makes writing
//! through it safe is that it can only be *opened* by one party at a time: the task that
//! holds the buffer's write lock (taken at spawn), or whoever takes the lock for the time
//! the view is open. The halves of a split task share their task's lock, and each half opens
//! its stripes restricted to its own iterations ([`StripesGuard::restrict`], which the
//! generated code calls for every chunk of a split loop): iteration `k` of the split loop
//! may touch elements `k * width .. (k + 1) * width`, and halves own disjoint iterations. An
//! index outside the open part panics, so no two threads can reach the same element.

use core::marker::PhantomData;
use core::ops::{Deref, Index, IndexMut};

use super::header::Header;
use super::lease::{BufferBusy, OpenLease, ViewRef};

/// What every view holds: the buffer's header and generation, its memory, its shape.
pub(crate) struct Raw<T> {
    pub(crate) header: &'static Header,
    pub(crate) generation: u32,
    /// The memory (dereferenced only by an open view or guard, which holds a lease).
    pub(crate) ptr: core::ptr::NonNull<T>,
    pub(crate) len: usize,
    /// Row length for 2-D indexing (and a stripe's width).
    pub(crate) cols: usize,
    pub(crate) elem: PhantomData<fn() -> T>,
}

impl<T> Clone for Raw<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Raw<T> {}

// SAFETY: a `Raw` is an address and a shape; the memory behind it is reached only through
// guards that hold a lease (a read lock for shared access, the write lock or a disjoint part
// of it for writes), so sending or sharing the handle between threads shares nothing
// unsynchronised. `T: Send + Sync` because guards on other threads read and write `T`s.
unsafe impl<T: Send + Sync> Send for Raw<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for Raw<T> {}

impl<T> Raw<T> {
    fn view_ref(&self, write: bool) -> ViewRef {
        ViewRef {
            header: self.header,
            generation: self.generation,
            write,
        }
    }

    pub(crate) fn ptr(&self) -> *mut T {
        self.ptr.as_ptr()
    }
}

/// A read-only view of a [`Buffer`](super::Buffer): plain data a task can carry. Inside a
/// kernel (a `View<T>` argument of a `#[penny::task]` function) it reads like a slice:
/// `xs[i]`, `xs.len()`, `xs.iter()`, and `xs[(row, col)]` for a view made with
/// [`Buffer::view_2d`](super::Buffer::view_2d).
pub struct View<T: Copy + Send + Sync + 'static> {
    raw: Raw<T>,
}

/// A writable view of a [`Buffer`](super::Buffer) in stripes of `width` elements: inside a
/// `#[penny::split]` loop, iteration `k` owns elements `k * width .. (k + 1) * width`; the
/// kernel writes them with `out[i] = x`, `out[i] += x`, `out.set(i, x)` or
/// `out[(row, col)]` (rows of `width`). Outside split loops the task owns all of it.
pub struct Stripes<T: Copy + Send + Sync + 'static> {
    raw: Raw<T>,
}

macro_rules! plain_data {
    ($name:ident) => {
        impl<T: Copy + Send + Sync + 'static> Clone for $name<T> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<T: Copy + Send + Sync + 'static> Copy for $name<T> {}
        impl<T: Copy + Send + Sync + 'static> core::fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("len", &self.raw.len)
                    .field("cols", &self.raw.cols)
                    .finish()
            }
        }
    };
}
plain_data!(View);
plain_data!(Stripes);

impl<T: Copy + Send + Sync + 'static> View<T> {
    pub(crate) fn new(raw: Raw<T>) -> Self {
        View { raw }
    }

    /// Elements in the view.
    pub fn len(&self) -> usize {
        self.raw.len
    }

    /// Whether it has none.
    pub fn is_empty(&self) -> bool {
        self.raw.len == 0
    }

    /// What the runtime leases for a task holding this view.
    pub fn view_ref(&self) -> ViewRef {
        self.raw.view_ref(false)
    }

    /// The same elements read as arrays of `N` (`[x, y, z, mass]` per body from a flat
    /// `f32` buffer): a view of `len / N` arrays of the same buffer, leased like it. `None`
    /// when `N` is 0 or doesn't divide the length. From JS, a flat `SharedBuffer` passes
    /// for a `View<[T; N]>` argument the same way.
    pub fn arrays<const N: usize>(&self) -> Option<View<[T; N]>> {
        if N == 0 || self.raw.len % N != 0 {
            return None;
        }
        // `[T; N]` has `T`'s alignment and `N` times its size: `len / N` arrays cover
        // exactly the `len` elements.
        Some(View::new(Raw {
            header: self.raw.header,
            generation: self.raw.generation,
            ptr: self.raw.ptr.cast(),
            len: self.raw.len / N,
            cols: 1,
            elem: PhantomData,
        }))
    }

    /// Opens the view for reading: fails while someone writes the buffer, or once it was
    /// freed. (Kernels don't call this: `#[penny::task]` opens view arguments.)
    pub fn try_open(&self) -> Result<ViewGuard<T>, BufferBusy> {
        let lease = OpenLease::open(self.view_ref())?;
        Ok(ViewGuard {
            raw: self.raw,
            _lease: lease,
        })
    }

    /// [`View::try_open`], panicking with the reason.
    pub fn open(&self) -> ViewGuard<T> {
        self.try_open()
            .unwrap_or_else(|busy| panic!("penny: can't read the view: {busy}"))
    }
}

impl<T: Copy + Send + Sync + 'static> Stripes<T> {
    pub(crate) fn new(raw: Raw<T>) -> Self {
        Stripes { raw }
    }

    /// Elements in the buffer.
    pub fn len(&self) -> usize {
        self.raw.len
    }

    /// Whether it has none.
    pub fn is_empty(&self) -> bool {
        self.raw.len == 0
    }

    /// Elements per iteration of the split loop (and per row for 2-D indexing).
    pub fn width(&self) -> usize {
        self.raw.cols
    }

    /// What the runtime leases for a task holding this view.
    pub fn view_ref(&self) -> ViewRef {
        self.raw.view_ref(true)
    }

    /// Opens all of it for writing: the running task's own (its write lock, taken at spawn)
    /// or, elsewhere, taking the lock while the guard lives. Fails while anyone else reads or
    /// writes the buffer, or once it was freed. (Kernels don't call this:
    /// `#[penny::task]` opens view arguments.)
    pub fn try_open(&self) -> Result<StripesGuard<T>, BufferBusy> {
        let lease = OpenLease::open(self.view_ref())?;
        Ok(StripesGuard {
            part: Part {
                raw: self.raw,
                lo: 0,
                hi: self.raw.len,
            },
            _lease: lease,
        })
    }

    /// [`Stripes::try_open`], panicking with the reason.
    pub fn open(&self) -> StripesGuard<T> {
        self.try_open()
            .unwrap_or_else(|busy| panic!("penny: can't write the view: {busy}"))
    }
}

/// An open [`View`]: a slice of the buffer, readable while it lives.
pub struct ViewGuard<T: Copy + Send + Sync + 'static> {
    raw: Raw<T>,
    _lease: OpenLease,
}

impl<T: Copy + Send + Sync + 'static> Deref for ViewGuard<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        // SAFETY: the lease keeps the memory (`len` initialised `T`s at `ptr`, allocated by
        // `Buffer`) alive and holds a read lock (or sits inside a task's read lease), so no
        // one writes it while the slice lives.
        unsafe { core::slice::from_raw_parts(self.raw.ptr(), self.raw.len) }
    }
}

/// An open [`View`] as kernel code uses it: plain data borrowed from its guard (so the
/// compiler keeps it in registers), reading like a slice.
pub struct ViewSlice<'a, T: Copy + Send + Sync + 'static> {
    raw: Raw<T>,
    _guard: PhantomData<&'a ViewGuard<T>>,
}

impl<T: Copy + Send + Sync + 'static> Clone for ViewSlice<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: Copy + Send + Sync + 'static> Copy for ViewSlice<'_, T> {}

impl<T: Copy + Send + Sync + 'static> ViewGuard<T> {
    /// The open view as plain data, for as long as the guard lives.
    pub fn slice(&self) -> ViewSlice<'_, T> {
        ViewSlice {
            raw: self.raw,
            _guard: PhantomData,
        }
    }
}

impl<T: Copy + Send + Sync + 'static> Deref for ViewSlice<'_, T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        // SAFETY: as for `ViewGuard::deref`: the guard this borrows from holds the lease.
        unsafe { core::slice::from_raw_parts(self.raw.ptr(), self.raw.len) }
    }
}

/// Slice indexing (an index or a range) and 2-D `[(row, col)]`: one impl per index type,
/// since a generic one would overlap the tuple's. `$generics` are the impl's parameters,
/// `$ty` the type.
macro_rules! readable {
    ([$($generics:tt)*] $ty:ty) => {
        impl<$($generics)*> Index<(usize, usize)> for $ty {
            type Output = T;
            #[inline]
            fn index(&self, (row, col): (usize, usize)) -> &T {
                let cols = self.raw.cols;
                assert!(col < cols, "penny: column {col} of a view with {cols} columns");
                let slice: &[T] = self;
                &slice[row * cols + col]
            }
        }
        readable!(@index [$($generics)*] $ty, usize => T);
        readable!(@index [$($generics)*] $ty, core::ops::Range<usize> => [T]);
        readable!(@index [$($generics)*] $ty, core::ops::RangeInclusive<usize> => [T]);
        readable!(@index [$($generics)*] $ty, core::ops::RangeFrom<usize> => [T]);
        readable!(@index [$($generics)*] $ty, core::ops::RangeTo<usize> => [T]);
        readable!(@index [$($generics)*] $ty, core::ops::RangeToInclusive<usize> => [T]);
        readable!(@index [$($generics)*] $ty, core::ops::RangeFull => [T]);
    };
    (@index [$($generics:tt)*] $ty:ty, $index:ty => $out:ty) => {
        impl<$($generics)*> Index<$index> for $ty {
            type Output = $out;
            #[inline]
            fn index(&self, index: $index) -> &$out {
                let slice: &[T] = self;
                &slice[index]
            }
        }
    };
}
readable!([T: Copy + Send + Sync + 'static] ViewGuard<T>);
readable!(['a, T: Copy + Send + Sync + 'static] ViewSlice<'a, T>);

impl<T: Copy + Send + Sync + 'static> core::fmt::Debug for ViewSlice<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ViewSlice")
            .field("len", &self.raw.len)
            .finish()
    }
}

impl<T: Copy + Send + Sync + 'static> core::fmt::Debug for ViewGuard<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ViewGuard")
            .field("len", &self.raw.len)
            .finish()
    }
}

/// The elements `lo..hi` of a writable view that one open guard (or part of it) owns.
struct Part<T> {
    raw: Raw<T>,
    lo: usize,
    hi: usize,
}

impl<T> Clone for Part<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Part<T> {}

impl<T> Part<T> {
    #[inline]
    fn check(&self, index: usize) {
        // One comparison: below `lo` wraps around to a huge offset.
        if index.wrapping_sub(self.lo) >= self.hi - self.lo {
            // By value: a `&self` reaching a function that isn't inlined gives the part an
            // address (even on this cold path), and then any store through the view may
            // change `lo`/`hi` for all LLVM knows; by value they can live in registers.
            outside(index, self.lo, self.hi, self.raw.len, self.raw.cols);
        }
    }
    /// The elements of iterations `first..end` (stripes of `cols`), within this part.
    fn restrict(&self, first: u64, end: u64) -> Part<T> {
        let width = self.raw.cols as u64;
        let clamp = |i: u64| (i.saturating_mul(width) as usize).clamp(self.lo, self.hi);
        let lo = clamp(first);
        Part {
            raw: self.raw,
            lo,
            hi: clamp(end).max(lo),
        }
    }

    #[inline]
    fn at(&self, index: usize) -> *mut T {
        self.check(index);
        // In bounds: `index < hi <= len`.
        self.raw.ptr().wrapping_add(index)
    }
}

/// The panic of an index outside a part `lo..hi` of a view of `len` elements, `cols` per
/// stripe.
#[cold]
#[inline(never)]
fn outside(index: usize, lo: usize, hi: usize, len: usize, cols: usize) -> ! {
    if index >= len {
        panic!("penny: index {index} out of bounds of a view of {len} elements");
    }
    panic!(
        "penny: element {index} is outside the stripes this part of the split loop owns \
         ({lo}..{hi}, {cols} per iteration): in a `#[penny::split]` loop, iteration k (counted \
         from 0 at the loop's first iteration, whatever its range starts at) may touch only \
         elements k * width .. (k + 1) * width of a `Stripes` view. So a loop over `1..n - 1` \
         writing element `i` writes outside its stripe: split a loop over the whole range \
         (`for i in 0..n`, iteration i writing element i) and handle the edges in its body"
    );
}

/// What an open writable view offers, on [`StripesGuard`] and [`StripesPart`].
macro_rules! writable {
    ($ty:ident $(<$lt:lifetime>)?) => {
        impl<$($lt,)? T: Copy + Send + Sync + 'static> $ty<$($lt,)? T> {
            /// Element `index`.
            #[inline]
            pub fn get(&self, index: usize) -> T {
                self[index]
            }

            /// Writes element `index`.
            #[inline]
            pub fn set(&mut self, index: usize, value: T) {
                self[index] = value;
            }

            /// Elements in the buffer.
            pub fn len(&self) -> usize {
                self.part.raw.len
            }

            /// Whether it has none.
            pub fn is_empty(&self) -> bool {
                self.part.raw.len == 0
            }

            /// Elements per stripe (and per row for `[(row, col)]`).
            pub fn width(&self) -> usize {
                self.part.raw.cols
            }

            /// Stripe `k` (elements `k * width .. (k + 1) * width`, the last one shorter
            /// when the width doesn't divide the length) as a slice: checked once, so a loop
            /// over it has no per-element checks and can vectorize. In a `#[penny::split]`
            /// loop, iteration `k` may take stripe `k`; another panics like an index outside
            /// the part.
            #[inline]
            pub fn stripe_mut(&mut self, k: usize) -> &mut [T] {
                let (cols, len) = (self.part.raw.cols, self.part.raw.len);
                let lo = k.saturating_mul(cols);
                let hi = lo.saturating_add(cols).min(len);
                if lo >= hi || lo < self.part.lo || hi > self.part.hi {
                    // The first element of the stripe the part doesn't own.
                    let at = if lo < self.part.lo || lo >= len { lo } else { self.part.hi };
                    outside(at, self.part.lo, self.part.hi, len, cols);
                }
                // SAFETY: `lo..hi` lies inside this part (checked above), so as in
                // `index_mut` for each of its elements; `&mut self` makes it the only
                // reference this guard hands out while it lives.
                unsafe { core::slice::from_raw_parts_mut(self.part.raw.ptr().add(lo), hi - lo) }
            }

            /// The part this guard may touch, as a slice, and the index it starts at.
            pub fn part_mut(&mut self) -> (usize, &mut [T]) {
                let lo = self.part.lo;
                let len = self.part.hi - lo;
                // SAFETY: as in `index_mut`, for the whole part `lo..hi`.
                let part = unsafe { core::slice::from_raw_parts_mut(self.part.raw.ptr().add(lo), len) };
                (lo, part)
            }
        }

        impl<$($lt,)? T: Copy + Send + Sync + 'static> Index<usize> for $ty<$($lt,)? T> {
            type Output = T;
            #[inline]
            fn index(&self, index: usize) -> &T {
                // SAFETY: `at` checked `index` is in `lo..hi`, inside the buffer's `len`
                // initialised `T`s, which the lease keeps alive; no one else reads or writes
                // this part (the write lock is this guard's or its task's, and the task's
                // other parts own other stripes).
                unsafe { &*self.part.at(index) }
            }
        }

        impl<$($lt,)? T: Copy + Send + Sync + 'static> IndexMut<usize> for $ty<$($lt,)? T> {
            #[inline]
            fn index_mut(&mut self, index: usize) -> &mut T {
                // SAFETY: as in `index`; `&mut self` makes this the only reference this guard
                // hands out, and no other guard can reach the element.
                unsafe { &mut *self.part.at(index) }
            }
        }

        impl<$($lt,)? T: Copy + Send + Sync + 'static> Index<(usize, usize)> for $ty<$($lt,)? T> {
            type Output = T;
            #[inline]
            fn index(&self, (row, col): (usize, usize)) -> &T {
                let cols = self.part.raw.cols;
                assert!(col < cols, "penny: column {col} of rows of {cols}");
                &self[row * cols + col]
            }
        }

        impl<$($lt,)? T: Copy + Send + Sync + 'static> IndexMut<(usize, usize)> for $ty<$($lt,)? T> {
            #[inline]
            fn index_mut(&mut self, (row, col): (usize, usize)) -> &mut T {
                let cols = self.part.raw.cols;
                assert!(col < cols, "penny: column {col} of rows of {cols}");
                &mut self[row * cols + col]
            }
        }

        impl<$($lt,)? T: Copy + Send + Sync + 'static> core::fmt::Debug for $ty<$($lt,)? T> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("lo", &self.part.lo)
                    .field("hi", &self.part.hi)
                    .finish()
            }
        }
    };
}

/// An open [`Stripes`]: readable and writable while it lives, all of the buffer (a task's
/// code outside split loops, or code that took the write lock to open it).
pub struct StripesGuard<T: Copy + Send + Sync + 'static> {
    part: Part<T>,
    _lease: OpenLease,
}

impl<T: Copy + Send + Sync + 'static> StripesGuard<T> {
    /// The stripes of iterations `first..end` of a split loop: what one chunk of it may
    /// touch (generated code calls this for every chunk of a split loop).
    pub fn restrict(&mut self, first: u64, end: u64) -> StripesPart<'_, T> {
        StripesPart {
            part: self.part.restrict(first, end),
            _guard: PhantomData,
        }
    }

    /// All of the open view as plain data borrowed from the guard (so the compiler keeps it
    /// in registers), for as long as the guard lives.
    pub fn part(&mut self) -> StripesPart<'_, T> {
        StripesPart {
            part: self.part,
            _guard: PhantomData,
        }
    }
}

impl<T: Copy + Send + Sync + 'static> StripesPart<'_, T> {
    /// The stripes of iterations `first..end` of a split loop, within this part.
    pub fn restrict(&mut self, first: u64, end: u64) -> StripesPart<'_, T> {
        StripesPart {
            part: self.part.restrict(first, end),
            _guard: PhantomData,
        }
    }
}

/// The stripes of some iterations of a split loop, borrowed from an open [`Stripes`].
pub struct StripesPart<'a, T: Copy + Send + Sync + 'static> {
    part: Part<T>,
    _guard: PhantomData<&'a mut StripesGuard<T>>,
}

writable!(StripesGuard);
writable!(StripesPart<'a>);
