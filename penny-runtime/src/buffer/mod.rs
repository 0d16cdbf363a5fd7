//! [`Buffer`]: memory for a kernel's data, and the views tasks carry of it.
//!
//! A `Buffer<T>` owns `len` elements (on wasm in the shared `WebAssembly.Memory`, where
//! every worker sees them). Tasks don't hold the buffer: they hold views, plain data —
//! [`View`] to read, [`Stripes`] to write — so a task's state stays a few `Copy` bytes.
//!
//! # What keeps it safe
//!
//! - **Memory.** The owner and every lease hold a reference ([`header`]); the memory is
//!   freed when the owner is dropped and no task or open view holds the buffer any more.
//!   A copy of a view that outlives all of them can't be opened again (a clear panic).
//! - **Borrows, checked at run time.** The pool takes a lease on each view a task holds
//!   when it is spawned (a read lock for a `View`, the write lock for `Stripes`) and gives it
//!   back when the task ends. While a task writes a buffer, its owner can't read or write it
//!   ([`Buffer::read`] / [`Buffer::write`] panic, the `try_` forms say why), nor can a second
//!   task be spawned with a view of it; while tasks read it, nobody writes it.
//! - **Disjoint writes.** The halves of a split task share its write lock, and each writes
//!   only the stripes of its own iterations (see [`view`]).
//!
//! JavaScript's typed arrays over the shared memory can't be fenced this way: JS that writes
//! a buffer's array while a task runs races with it (the values are unspecified; the wasm
//! side stays memory-safe).

pub(crate) mod header;
mod lease;
mod tiles;
mod view;

#[cfg(target_arch = "wasm32")]
pub(crate) use lease::release_abandoned;
pub(crate) use lease::{take_all, Holder, TaskLease};
pub use lease::{BufferBusy, SplitPart, ViewRef};
pub use tiles::{Tiles, TilesGuard, TilesPart};
pub use view::{Stripes, StripesGuard, StripesPart, View, ViewGuard, ViewSlice};

use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};

use header::Header;
use lease::next_token;
use view::Raw;

/// Memory for `len` elements of `T`, whose views tasks carry. See the module docs.
pub struct Buffer<T: Copy + Send + Sync + 'static> {
    raw: Raw<T>,
}

impl<T: Copy + Send + Sync + 'static> core::fmt::Debug for Buffer<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Buffer")
            .field("len", &self.raw.len)
            .finish()
    }
}

impl<T: Copy + Send + Sync + 'static> Buffer<T> {
    /// A buffer holding `values`.
    pub fn from_vec(values: Vec<T>) -> Self {
        Self::try_from_vec(values).unwrap_or_else(|| {
            std::alloc::handle_alloc_error(std::alloc::Layout::new::<header::Header>())
        })
    }

    /// [`from_vec`](Self::from_vec), or `None` (and `values` dropped) where the memory can't
    /// hold the buffer's bookkeeping: on wasm a failed allocation would trap the caller (JS's
    /// `SharedBuffer`). `values` should have no spare capacity (`try_reserve_exact`), or
    /// making it a boxed slice reallocates, which may still abort.
    pub(crate) fn try_from_vec(values: Vec<T>) -> Option<Self> {
        let boxed: Box<[T]> = values.into_boxed_slice();
        let len = boxed.len();
        let ptr = Box::into_raw(boxed) as *mut T;
        let addr = ptr.expose_provenance();
        let free = move || {
            let ptr: *mut T = core::ptr::with_exposed_provenance_mut(addr);
            // SAFETY: `addr` and `len` are the `Box<[T]>` leaked above, freed once: by the
            // release that brought the buffer's references to zero (`Header::release`), or
            // below when no header could be made (then nothing else has the pointer).
            drop(unsafe { Box::from_raw(core::ptr::slice_from_raw_parts_mut(ptr, len)) });
        };
        let ptr = core::ptr::NonNull::new(ptr).expect("a box is never null");
        let boxed_free: Box<dyn FnOnce() + Send> = match header::try_box(free) {
            Ok(boxed) => boxed,
            Err(free) => {
                free();
                return None;
            }
        };
        let (header, generation) = match Header::try_new(boxed_free) {
            Ok(made) => made,
            Err(free) => {
                free();
                return None;
            }
        };
        Some(Buffer {
            raw: Raw {
                header,
                generation,
                ptr,
                len,
                cols: 1,
                elem: PhantomData,
            },
        })
    }

    /// `len` copies of `value`.
    pub fn filled(len: usize, value: T) -> Self {
        Self::from_vec(vec![value; len])
    }

    /// `len` zeros (`T`'s `Pod::ZERO`).
    pub fn zeroed(len: usize) -> Self
    where
        T: crate::Pod,
    {
        Self::filled(len, T::ZERO)
    }

    /// Elements in the buffer.
    pub fn len(&self) -> usize {
        self.raw.len
    }

    /// The memory's address (for JS typed arrays over the shared memory; nothing reads
    /// through it here).
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn addr(&self) -> usize {
        self.raw.ptr.as_ptr() as usize
    }

    /// Whether it has none.
    pub fn is_empty(&self) -> bool {
        self.raw.len == 0
    }

    /// A read-only view, for tasks to carry.
    pub fn view(&self) -> View<T> {
        View::new(self.raw)
    }

    /// A read-only view indexed `[(row, col)]` in rows of `cols` elements.
    pub fn view_2d(&self, cols: usize) -> View<T> {
        assert!(
            cols > 0,
            "penny: rows of a 2-D view need at least one column"
        );
        View::new(Raw { cols, ..self.raw })
    }

    /// A writable view in stripes of `width` elements per iteration of a split loop (and
    /// rows of `width` for `[(row, col)]`). Takes `&mut self`: no guard of the owner's
    /// can be alive when it is made.
    pub fn stripes(&mut self, width: usize) -> Stripes<T> {
        assert!(
            width > 0,
            "penny: stripes need a width of at least one element"
        );
        Stripes::new(Raw {
            cols: width,
            ..self.raw
        })
    }

    /// A writable view of the buffer as `rows` rows (its length over `rows` columns) in
    /// tiles of `tile_rows x tile_cols`: in a split loop over `0..tiles.tile_count()`,
    /// iteration `t` owns tile `t` (row-major). Takes `&mut self`, as [`Buffer::stripes`].
    pub fn tiles(&mut self, rows: usize, tile_rows: usize, tile_cols: usize) -> Tiles<T> {
        assert!(
            rows > 0 && self.raw.len % rows == 0,
            "penny: {rows} rows don't divide a buffer of {} elements",
            self.raw.len
        );
        assert!(
            tile_rows > 0 && tile_cols > 0,
            "penny: tiles need at least one row and one column"
        );
        let shape = tiles::Shape {
            rows,
            cols: self.raw.len / rows,
            tile_rows,
            tile_cols,
        };
        Tiles::new(self.raw, shape)
    }

    /// Reads the buffer: fails while a task (or an open view) writes it.
    pub fn try_read(&self) -> Result<BufferRef<'_, T>, BufferBusy> {
        if !self.raw.header.lock_read() {
            return Err(BufferBusy::Written);
        }
        Ok(BufferRef { buffer: self })
    }

    /// [`Buffer::try_read`], panicking with the reason.
    pub fn read(&self) -> BufferRef<'_, T> {
        self.try_read()
            .unwrap_or_else(|busy| panic!("penny: can't read the buffer: {busy}"))
    }

    /// Writes the buffer: fails while any task (or open view) reads or writes it.
    pub fn try_write(&mut self) -> Result<BufferMut<'_, T>, BufferBusy> {
        if !self.raw.header.lock_write(next_token()) {
            return Err(lease::busy(self.raw.header));
        }
        Ok(BufferMut { buffer: self })
    }

    /// [`Buffer::try_write`], panicking with the reason.
    pub fn write(&mut self) -> BufferMut<'_, T> {
        self.try_write()
            .unwrap_or_else(|busy| panic!("penny: can't write the buffer: {busy}"))
    }

    /// A copy of the contents (reads them: panics while a task writes).
    pub fn to_vec(&self) -> Vec<T> {
        self.read().to_vec()
    }
}

impl<T: Copy + Send + Sync + 'static> Drop for Buffer<T> {
    fn drop(&mut self) {
        self.raw.header.release();
    }
}

/// The owner reading its buffer: a slice, while no task writes it.
pub struct BufferRef<'a, T: Copy + Send + Sync + 'static> {
    buffer: &'a Buffer<T>,
}

impl<T: Copy + Send + Sync + 'static> Deref for BufferRef<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        let raw = &self.buffer.raw;
        // SAFETY: the owner's reference keeps the memory alive (`len` initialised `T`s) and
        // this guard's read lock keeps writers out while the slice lives.
        unsafe { core::slice::from_raw_parts(raw.ptr(), raw.len) }
    }
}

impl<T: Copy + Send + Sync + 'static> Drop for BufferRef<'_, T> {
    fn drop(&mut self) {
        self.buffer.raw.header.unlock_read();
    }
}

/// The owner writing its buffer: a mutable slice, while no task holds a view of it.
pub struct BufferMut<'a, T: Copy + Send + Sync + 'static> {
    buffer: &'a mut Buffer<T>,
}

impl<T: Copy + Send + Sync + 'static> Deref for BufferMut<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        let raw = &self.buffer.raw;
        // SAFETY: as in `deref_mut`, shared.
        unsafe { core::slice::from_raw_parts(raw.ptr(), raw.len) }
    }
}

impl<T: Copy + Send + Sync + 'static> DerefMut for BufferMut<'_, T> {
    fn deref_mut(&mut self) -> &mut [T] {
        let raw = &self.buffer.raw;
        // SAFETY: the owner's reference keeps the memory alive and this guard holds the
        // write lock: no task or open view reads or writes it while the slice lives.
        unsafe { core::slice::from_raw_parts_mut(raw.ptr(), raw.len) }
    }
}

impl<T: Copy + Send + Sync + 'static> Drop for BufferMut<'_, T> {
    fn drop(&mut self) {
        self.buffer.raw.header.unlock_write();
    }
}

impl<T: Copy + Send + Sync + 'static> core::fmt::Debug for BufferRef<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BufferRef")
            .field("len", &self.len())
            .finish()
    }
}

impl<T: Copy + Send + Sync + 'static> core::fmt::Debug for BufferMut<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BufferMut")
            .field("len", &self.len())
            .finish()
    }
}

#[cfg(test)]
mod tests;
