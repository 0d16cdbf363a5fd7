//! What an items loop over a bare name (`for x in data`, `.zip(data)`) binds: Rust's
//! `IntoIterator` gives an array's elements by value, but a reference's (`&[T]`, `&[T; N]`,
//! such as an outer loop's `row` from `grid.iter()` or a chunk from `.chunks(k)`) by
//! reference. The macro can't see which a name is, so the lowered loop asks this trait, and
//! binds what the plain function binds: one element by its index, or the elements of a chunk
//! of indices.

/// A sequence an items loop iterates by index.
#[diagnostic::on_unimplemented(
    message = "a resumable `for` loop can't iterate over `{Self}`",
    label = "Penny resumes a `for` loop over a name by index: an array, `&[T]` or `&[T; N]`",
    note = "iterate over an index range instead (`for i in 0..n`), or over an array"
)]
pub trait Items {
    /// What the loop binds: `T` for an array by value, `&T` for a reference.
    type Item;
    /// The items at indices `from..to`, in order.
    type Chunk<'s>: Iterator<Item = Self::Item>
    where
        Self: 's;
    /// How many items there are.
    fn item_count(&self) -> usize;
    /// The item at `index`.
    fn item_at(&self, index: usize) -> Self::Item;
    /// The items at indices `from..to`: a sub-slice iterated, one bounds check per chunk.
    fn item_chunk(&self, from: usize, to: usize) -> Self::Chunk<'_>;
}

impl<T: Copy, const N: usize> Items for [T; N] {
    type Item = T;
    type Chunk<'s>
        = core::iter::Copied<core::slice::Iter<'s, T>>
    where
        Self: 's;
    #[inline(always)]
    fn item_count(&self) -> usize {
        N
    }
    #[inline(always)]
    fn item_at(&self, index: usize) -> T {
        self[index]
    }
    #[inline(always)]
    fn item_chunk(&self, from: usize, to: usize) -> Self::Chunk<'_> {
        self[from..to].iter().copied()
    }
}

impl<'a, T> Items for &'a [T] {
    type Item = &'a T;
    type Chunk<'s>
        = core::slice::Iter<'a, T>
    where
        Self: 's;
    #[inline(always)]
    fn item_count(&self) -> usize {
        self.len()
    }
    #[inline(always)]
    fn item_at(&self, index: usize) -> &'a T {
        let items: &'a [T] = self;
        &items[index]
    }
    #[inline(always)]
    fn item_chunk(&self, from: usize, to: usize) -> Self::Chunk<'_> {
        let items: &'a [T] = self;
        items[from..to].iter()
    }
}

impl<'a, T, const N: usize> Items for &'a [T; N] {
    type Item = &'a T;
    type Chunk<'s>
        = core::slice::Iter<'a, T>
    where
        Self: 's;
    #[inline(always)]
    fn item_count(&self) -> usize {
        N
    }
    #[inline(always)]
    fn item_at(&self, index: usize) -> &'a T {
        let items: &'a [T; N] = self;
        &items[index]
    }
    #[inline(always)]
    fn item_chunk(&self, from: usize, to: usize) -> Self::Chunk<'_> {
        let items: &'a [T; N] = self;
        items[from..to].iter()
    }
}

#[cfg(test)]
mod tests {
    use super::Items;

    #[test]
    fn items_are_what_into_iterator_gives() {
        let grid = [[1u32, 2, 3], [4, 5, 6]];
        // By value: copies (the macro calls these with the trait's path, as here: a method
        // call on a reference would find the array's impl first).
        let row: [u32; 3] = grid[1];
        assert_eq!(Items::item_at(&row, 2), 6u32);
        assert_eq!(Items::item_count(&row), 3);
        assert_eq!(
            Items::item_chunk(&row, 1, 3).collect::<Vec<u32>>(),
            vec![5, 6]
        );
        // By reference: references into the same memory.
        let row: &[u32; 3] = &grid[0];
        assert!(core::ptr::eq(Items::item_at(&row, 1), &grid[0][1]));
        assert_eq!(
            Items::item_chunk(&row, 0, 2).collect::<Vec<&u32>>(),
            vec![&1, &2]
        );
        let slice: &[u32] = &grid[1][..2];
        assert!(core::ptr::eq(Items::item_at(&slice, 1), &grid[1][1]));
        assert_eq!(Items::item_count(&slice), 2);
        assert_eq!(Items::item_chunk(&slice, 0, 2).copied().sum::<u32>(), 9);
    }
}
