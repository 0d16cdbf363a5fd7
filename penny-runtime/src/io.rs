//! Shared buffers a task can carry in its state: [`In`] to read, [`Out`] to write.
//!
//! Both are `Copy` handles to `'static` memory, so a suspended task that holds one can be
//! resumed on any worker. Neither needs `unsafe`: `In` is a `&'static [T]`, and `Out` writes
//! through relaxed atomic stores, which compile to plain stores on x86, ARM and wasm, so two
//! tasks writing the same element race benignly (one value wins) instead of being UB.

use core::fmt;
use core::ops::Deref;
use core::sync::atomic::{
    AtomicI16, AtomicI32, AtomicI64, AtomicI8, AtomicU16, AtomicU32, AtomicU64, AtomicU8, Ordering,
};

use crate::Pod;

/// A read-only view of `'static` data that a task can keep in its state.
///
/// Build one from leaked or static data: `In::new(Vec::leak(v))` or `In::new(&TABLE)`.
pub struct In<T: 'static> {
    items: &'static [T],
}

impl<T: 'static> In<T> {
    /// Wraps a `'static` slice.
    pub const fn new(items: &'static [T]) -> Self {
        In { items }
    }

    /// The wrapped slice.
    pub const fn as_slice(&self) -> &'static [T] {
        self.items
    }
}

impl<T: 'static> Clone for In<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: 'static> Copy for In<T> {}

impl<T: 'static> Deref for In<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        self.items
    }
}

impl<T: fmt::Debug + 'static> fmt::Debug for In<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("In").field(&self.items).finish()
    }
}

impl<T: Sync + 'static> Pod for In<T> {
    const ZERO: Self = In { items: &[] };
}

/// An element type [`Out`] can write: it has an atomic twin of the same size.
pub trait AtomicElem: Copy + 'static {
    /// The atomic cell that stores one element.
    type Cell: Sync + 'static;
    /// A cell holding `value`.
    fn new_cell(value: Self) -> Self::Cell;
    /// Relaxed load.
    fn load(cell: &Self::Cell) -> Self;
    /// Relaxed store.
    fn store(cell: &Self::Cell, value: Self);
}

macro_rules! atomic_elem {
    ($($ty:ty => $cell:ty),* $(,)?) => {$(
        impl AtomicElem for $ty {
            type Cell = $cell;
            #[inline]
            fn new_cell(value: Self) -> Self::Cell { <$cell>::new(value) }
            #[inline]
            fn load(cell: &Self::Cell) -> Self { cell.load(Ordering::Relaxed) }
            #[inline]
            fn store(cell: &Self::Cell, value: Self) { cell.store(value, Ordering::Relaxed) }
        }
    )*};
}

atomic_elem! {
    u8 => AtomicU8, u16 => AtomicU16, u32 => AtomicU32, u64 => AtomicU64,
    i8 => AtomicI8, i16 => AtomicI16, i32 => AtomicI32, i64 => AtomicI64,
}

impl AtomicElem for f32 {
    type Cell = AtomicU32;
    #[inline]
    fn new_cell(value: Self) -> Self::Cell {
        AtomicU32::new(value.to_bits())
    }
    #[inline]
    fn load(cell: &Self::Cell) -> Self {
        f32::from_bits(cell.load(Ordering::Relaxed))
    }
    #[inline]
    fn store(cell: &Self::Cell, value: Self) {
        cell.store(value.to_bits(), Ordering::Relaxed)
    }
}

impl AtomicElem for f64 {
    type Cell = AtomicU64;
    #[inline]
    fn new_cell(value: Self) -> Self::Cell {
        AtomicU64::new(value.to_bits())
    }
    #[inline]
    fn load(cell: &Self::Cell) -> Self {
        f64::from_bits(cell.load(Ordering::Relaxed))
    }
    #[inline]
    fn store(cell: &Self::Cell, value: Self) {
        cell.store(value.to_bits(), Ordering::Relaxed)
    }
}

/// A writable view of `'static` shared memory that a task can keep in its state.
///
/// Several tasks may hold the same `Out` and write disjoint parts of it (rows of an image,
/// bins of a histogram); the owner reads the result with [`Out::get`] or [`Out::to_vec`]
/// once the tasks finished.
pub struct Out<T: AtomicElem> {
    cells: &'static [T::Cell],
}

impl<T: AtomicElem> Out<T> {
    /// Wraps `'static` cells (see [`Out::leak_filled`] to allocate some).
    pub const fn new(cells: &'static [T::Cell]) -> Self {
        Out { cells }
    }

    /// Allocates `len` cells holding `value` and leaks them, so the handle lives forever.
    pub fn leak_filled(len: usize, value: T) -> Self {
        let cells: Vec<T::Cell> = (0..len).map(|_| T::new_cell(value)).collect();
        Out {
            cells: Vec::leak(cells),
        }
    }

    /// [`leak_filled`](Self::leak_filled), or `None` when the memory can't be had (instead
    /// of aborting: on wasm, for JS's `OutArray`).
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn try_leak_filled(len: usize, value: T) -> Option<Self> {
        let mut cells: Vec<T::Cell> = Vec::new();
        cells.try_reserve_exact(len).ok()?;
        cells.extend((0..len).map(|_| T::new_cell(value)));
        Some(Out {
            cells: Vec::leak(cells),
        })
    }

    /// Copies every element out (relaxed loads).
    pub fn to_vec(&self) -> Vec<T> {
        self.cells.iter().map(T::load).collect()
    }

    /// Writes `value` to every element.
    pub fn fill(&self, value: T) {
        for cell in self.cells {
            T::store(cell, value)
        }
    }

    /// Number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// The address of the first element (what a JS typed array over the memory starts at).
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn addr(&self) -> usize {
        self.cells.as_ptr() as usize
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Writes element `index`. Panics when `index` is out of bounds, like slice indexing.
    #[inline]
    pub fn set(&self, index: usize, value: T) {
        T::store(&self.cells[index], value)
    }

    /// Reads element `index`. Panics when `index` is out of bounds, like slice indexing.
    #[inline]
    pub fn get(&self, index: usize) -> T {
        T::load(&self.cells[index])
    }
}

impl<T: AtomicElem> Clone for Out<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: AtomicElem> Copy for Out<T> {}

impl<T: AtomicElem + fmt::Debug> fmt::Debug for Out<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Out")
            .field("len", &self.cells.len())
            .finish()
    }
}

impl<T: AtomicElem + Send> Pod for Out<T> {
    const ZERO: Self = Out { cells: &[] };
}
