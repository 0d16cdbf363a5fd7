//! [`Tiles`]: a writable view of a row-major 2-D buffer in blocks: in a `#[penny::split]`
//! loop over tile numbers, iteration `t` owns tile `t` (tiles numbered row-major), so the
//! halves of a split task write disjoint blocks. The same lease rules as [`Stripes`]
//! (see `view`).

use core::marker::PhantomData;
use core::ops::{Index, IndexMut};

use super::lease::{BufferBusy, OpenLease, ViewRef};
use super::view::Raw;

/// The shape of a tiling: a `rows x cols` row-major buffer in tiles of `tile_rows x
/// tile_cols` (edge tiles smaller).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Shape {
    pub rows: usize,
    pub cols: usize,
    pub tile_rows: usize,
    pub tile_cols: usize,
}

impl Shape {
    fn per_row(&self) -> usize {
        self.cols.div_ceil(self.tile_cols)
    }

    fn count(&self) -> usize {
        self.rows.div_ceil(self.tile_rows) * self.per_row()
    }

    fn tile_of(&self, row: usize, col: usize) -> usize {
        (row / self.tile_rows) * self.per_row() + col / self.tile_cols
    }

    /// Tile `t`'s first row, first column, rows and columns.
    fn rect(&self, t: usize) -> (usize, usize, usize, usize) {
        let (tr, tc) = (t / self.per_row(), t % self.per_row());
        let (r0, c0) = (tr * self.tile_rows, tc * self.tile_cols);
        (
            r0,
            c0,
            self.tile_rows.min(self.rows.saturating_sub(r0)),
            self.tile_cols.min(self.cols.saturating_sub(c0)),
        )
    }
}

/// A writable view of a 2-D buffer in tiles: see the module docs. `out[(row, col)]` in the
/// buffer's coordinates; `out.tile_rect(t)` gives tile `t`'s place.
pub struct Tiles<T: Copy + Send + Sync + 'static> {
    raw: Raw<T>,
    shape: Shape,
}

impl<T: Copy + Send + Sync + 'static> Clone for Tiles<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: Copy + Send + Sync + 'static> Copy for Tiles<T> {}

impl<T: Copy + Send + Sync + 'static> core::fmt::Debug for Tiles<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Tiles").field("shape", &self.shape).finish()
    }
}

impl<T: Copy + Send + Sync + 'static> Tiles<T> {
    pub(crate) fn new(raw: Raw<T>, shape: Shape) -> Self {
        Tiles { raw, shape }
    }

    /// How many tiles (the split loop's length: `for t in 0..out.tile_count()`).
    pub fn tile_count(&self) -> usize {
        self.shape.count()
    }

    /// Tile `t`: first row, first column, rows, columns.
    pub fn tile_rect(&self, t: usize) -> (usize, usize, usize, usize) {
        self.shape.rect(t)
    }

    /// What the runtime leases for a task holding this view.
    pub fn view_ref(&self) -> ViewRef {
        ViewRef {
            header: self.raw.header,
            generation: self.raw.generation,
            write: true,
        }
    }

    /// Opens all of it for writing (as [`Stripes::try_open`](super::Stripes::try_open)).
    pub fn try_open(&self) -> Result<TilesGuard<T>, BufferBusy> {
        let lease = OpenLease::open(self.view_ref())?;
        Ok(TilesGuard {
            part: TilePart {
                raw: self.raw,
                shape: self.shape,
                first: 0,
                end: self.shape.count(),
            },
            _lease: lease,
        })
    }

    /// [`Tiles::try_open`], panicking with the reason.
    pub fn open(&self) -> TilesGuard<T> {
        self.try_open()
            .unwrap_or_else(|busy| panic!("penny: can't write the view: {busy}"))
    }
}

/// The tiles `first..end` one guard (or part of it) owns.
struct TilePart<T> {
    raw: Raw<T>,
    shape: Shape,
    first: usize,
    end: usize,
}

impl<T> Clone for TilePart<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for TilePart<T> {}

/// The panic of (`row`, `col`) outside the tiles `first..end` of a view shaped `shape`.
#[cold]
#[inline(never)]
fn outside(row: usize, col: usize, shape: Shape, first: usize, end: usize) -> ! {
    if row >= shape.rows || col >= shape.cols {
        panic!(
            "penny: ({row}, {col}) is outside a {} x {} view",
            shape.rows, shape.cols
        );
    }
    panic!(
        "penny: ({row}, {col}) lies in tile {}, outside the tiles {first}..{end} this part of \
         the split loop owns: in a `#[penny::split]` loop over tiles, iteration t may touch \
         only tile t",
        shape.tile_of(row, col),
    );
}

impl<T> TilePart<T> {
    #[inline]
    fn at(&self, row: usize, col: usize) -> *mut T {
        let t = if row < self.shape.rows && col < self.shape.cols {
            self.shape.tile_of(row, col)
        } else {
            usize::MAX
        };
        if t.wrapping_sub(self.first) >= self.end - self.first {
            // By value, not `&self`: see `view::Part::check`.
            outside(row, col, self.shape, self.first, self.end);
        }
        // In bounds: `row < rows`, `col < cols`, and `rows * cols <= len`.
        self.raw.ptr().wrapping_add(row * self.shape.cols + col)
    }

    fn restrict(&self, first: u64, end: u64) -> TilePart<T> {
        let clamp = |t: u64| (t.min(usize::MAX as u64) as usize).clamp(self.first, self.end);
        let first = clamp(first);
        TilePart {
            first,
            end: clamp(end).max(first),
            ..*self
        }
    }
}

/// An open [`Tiles`] (all tiles).
pub struct TilesGuard<T: Copy + Send + Sync + 'static> {
    part: TilePart<T>,
    _lease: OpenLease,
}

/// Some tiles of an open [`Tiles`], borrowed from its guard: what a chunk of a split loop
/// may touch.
pub struct TilesPart<'a, T: Copy + Send + Sync + 'static> {
    part: TilePart<T>,
    _guard: PhantomData<&'a mut TilesGuard<T>>,
}

impl<T: Copy + Send + Sync + 'static> TilesGuard<T> {
    /// All tiles as plain data borrowed from the guard.
    pub fn part(&mut self) -> TilesPart<'_, T> {
        TilesPart {
            part: self.part,
            _guard: PhantomData,
        }
    }
}

impl<T: Copy + Send + Sync + 'static> TilesPart<'_, T> {
    /// Tiles `first..end` (a split chunk), within this part.
    pub fn restrict(&mut self, first: u64, end: u64) -> TilesPart<'_, T> {
        TilesPart {
            part: self.part.restrict(first, end),
            _guard: PhantomData,
        }
    }

    /// How many tiles the view has.
    pub fn tile_count(&self) -> usize {
        self.part.shape.count()
    }

    /// Tile `t`: first row, first column, rows, columns.
    pub fn tile_rect(&self, t: usize) -> (usize, usize, usize, usize) {
        self.part.shape.rect(t)
    }

    /// The buffer's rows and columns.
    pub fn dims(&self) -> (usize, usize) {
        (self.part.shape.rows, self.part.shape.cols)
    }
}

impl<T: Copy + Send + Sync + 'static> Index<(usize, usize)> for TilesPart<'_, T> {
    type Output = T;
    #[inline]
    fn index(&self, (row, col): (usize, usize)) -> &T {
        // SAFETY: `at` checked the element is inside the buffer and in a tile this part
        // owns; the lease keeps the memory alive and the write lock is this task's (or this
        // guard's), and the task's other parts own other tiles.
        unsafe { &*self.part.at(row, col) }
    }
}

impl<T: Copy + Send + Sync + 'static> IndexMut<(usize, usize)> for TilesPart<'_, T> {
    #[inline]
    fn index_mut(&mut self, (row, col): (usize, usize)) -> &mut T {
        // SAFETY: as in `index`; `&mut self` makes it the only reference from this part.
        unsafe { &mut *self.part.at(row, col) }
    }
}

impl<T: Copy + Send + Sync + 'static> core::fmt::Debug for TilesGuard<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TilesGuard")
            .field("shape", &self.part.shape)
            .finish()
    }
}

impl<T: Copy + Send + Sync + 'static> core::fmt::Debug for TilesPart<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TilesPart")
            .field("first", &self.part.first)
            .field("end", &self.part.end)
            .finish()
    }
}
