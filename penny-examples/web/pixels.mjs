// Escape counts → pixels, and the image's hash. Pure functions, no DOM state.

// The classic Ultra Fractal gradient: deep blue, white, gold, near black, and around again.
const STOPS = [
  [0.0, [0, 7, 100]],
  [0.16, [32, 107, 203]],
  [0.42, [237, 255, 255]],
  [0.6425, [255, 170, 0]],
  [0.8575, [0, 2, 0]],
  [1.0, [0, 7, 100]],
];

/**
 * A colour per escape count `0..=maxIter`, as little-endian RGBA words (what a Uint32Array
 * over `ImageData.data` holds). Points that never escaped are black; the rest run through
 * the gradient on a log scale, so the outside stays dark and deep zooms with many
 * iterations keep their contrast.
 */
export function palette(maxIter) {
  const lut = new Uint32Array(maxIter + 1);
  for (let i = 0; i < maxIter; i++) {
    const t = (Math.log2(1 + i) * 0.15) % 1;
    const k = STOPS.findIndex(([at]) => at > t);
    const [[t0, c0], [t1, c1]] = [STOPS[k - 1], STOPS[k]];
    const f = (t - t0) / (t1 - t0);
    const [r, g, b] = c0.map((v, n) => Math.round(v + (c1[n] - v) * f));
    lut[i] = (0xff << 24) | (b << 16) | (g << 8) | r;
  }
  lut[maxIter] = 0xff000000;
  return lut;
}

/**
 * Copies one tile out of the shared escape counts (`counts`, row-major, `width` per row) into
 * `ctx` as colours. ImageData can't wrap shared memory, so the copy is the colouring itself.
 */
export function drawTile(ctx, counts, width, lut, tile) {
  const { x0, y0, w, h } = tile;
  const image = new ImageData(w, h);
  const px = new Uint32Array(image.data.buffer);
  const top = lut.length - 1;
  for (let y = 0; y < h; y++) {
    const row = (y0 + y) * width + x0;
    for (let x = 0; x < w; x++) px[y * w + x] = lut[Math.min(counts[row + x], top)];
  }
  ctx.putImageData(image, x0, y0);
}

/**
 * FNV-1a 64 over the u32 values (each xored in whole, as penny-examples' web_expected does),
 * as a decimal string. Done on two 32-bit halves in doubles (exact below 2^53) instead of
 * BigInts: no allocation per value. A 1120x640 view is hashed in slices of `slice` values,
 * yielding to the event loop between them, so the page never stalls for it.
 */
export async function fnv1a64(values, slice = 1 << 17) {
  const TWO32 = 4294967296;
  // The offset basis 0xcbf29ce484222325 and the prime 0x100000001b3 = 2^40 + 0x1b3.
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let start = 0; start < values.length; start += slice) {
    if (start > 0) await new Promise((resolve) => setTimeout(resolve));
    const end = Math.min(values.length, start + slice);
    for (let i = start; i < end; i++) {
      lo = (lo ^ values[i]) >>> 0;
      const low = lo * 0x1b3; // < 2^41
      const carry = Math.floor(low / TWO32);
      // h * 2^40 moves lo's low 24 bits into hi's top; hi's own bits shift out.
      hi = (hi * 0x1b3 + carry + ((lo << 8) >>> 0)) % TWO32;
      lo = low % TWO32;
    }
  }
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}
