// The text of a crowd-entity-annotation and the positions in it: code points versus UTF-16 code
// units, grapheme clusters, words, and blocks (the lines and paragraphs the view draws). No DOM
// here.
//
// Offsets in answers are code points (Python string indices), because Ground Truth calls them
// "Unicode offsets" and every consumer of the output manifest slices Python strings. The browser
// works in UTF-16 code units, so every position crossing that line goes through this module.

// The characters JavaScript's `\s` matches, spelled out so the tests can use the same set.
const WHITESPACE = /^[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+$/;

// Text is drawn as blocks, one per line: a line break ends a block, and a blank line (or
// U+2029) also starts a new paragraph. The breaks themselves are not drawn; small blocks keep
// re-drawing and layout after a change local to a few lines.
const BREAK = /\r?\n(?:[ \t\f\v\u00a0]*\r?\n)*|\u2029/g;

export class EntityText {
  /** @param {string} text */
  constructor(text) {
    this.text = text;
    this.length = text.length;
    this.#indexCodePoints();
    this.graphemeBoundary = boundaries(text, "grapheme");
    this.words = wordStops(text, this.graphemeBoundary);
    this.blocks = blocks(text);
    this.blockStarts = Uint32Array.from(this.blocks.map((p) => p.start));
  }

  #indexCodePoints() {
    const n = this.text.length;
    // cpBefore[u]: code points wholly before code unit u (a position between the two halves of a
    // surrogate pair counts the pair as not yet passed).
    this.cpBefore = new Uint32Array(n + 1);
    const unitOf = [0];
    let cp = 0;
    for (let u = 0; u < n; u++) {
      this.cpBefore[u] = cp;
      const code = this.text.charCodeAt(u);
      const high = code >= 0xd800 && code <= 0xdbff;
      const low = u + 1 < n ? this.text.charCodeAt(u + 1) : 0;
      if (high && low >= 0xdc00 && low <= 0xdfff) {
        this.cpBefore[u + 1] = cp;
        u++;
      }
      cp++;
      unitOf.push(u + 1);
    }
    this.cpBefore[n] = cp;
    this.codePointLength = cp;
    this.unitOfCp = Uint32Array.from(unitOf);
  }

  /** UTF-16 position -> code point offset. */
  toCodePoint(unit) {
    return this.cpBefore[Math.max(0, Math.min(this.length, unit))];
  }

  /** Code point offset -> UTF-16 position. */
  toUnit(codePoint) {
    return this.unitOfCp[Math.max(0, Math.min(this.codePointLength, codePoint))];
  }

  isBoundary(unit) {
    return this.graphemeBoundary[unit] === 1;
  }

  prevBoundary(unit) {
    let u = Math.max(0, unit - 1);
    while (u > 0 && !this.graphemeBoundary[u]) u--;
    return u;
  }

  nextBoundary(unit) {
    let u = Math.min(this.length, unit + 1);
    while (u < this.length && !this.graphemeBoundary[u]) u++;
    return u;
  }

  /** Widens [start, end) to whole grapheme clusters, then drops whitespace clusters at both
   * ends. Returns null when nothing but whitespace is left. */
  normalizeRange(start, end) {
    let a = Math.max(0, Math.min(start, end));
    let b = Math.min(this.length, Math.max(start, end));
    while (a > 0 && !this.graphemeBoundary[a]) a--;
    while (b < this.length && !this.graphemeBoundary[b]) b++;
    while (a < b && this.#blankCluster(a, this.nextBoundary(a))) a = this.nextBoundary(a);
    while (a < b && this.#blankCluster(this.prevBoundary(b), b)) b = this.prevBoundary(b);
    return a < b ? { start: a, end: b } : null;
  }

  #blankCluster(start, end) {
    return WHITESPACE.test(this.text.slice(start, end));
  }

  // Keyboard movement. Word stops are the non-blank word-segmenter segments (words, numbers,
  // punctuation), so Shift+Right grows a selection word by word without the spaces.

  /** Start of the first word after `unit`, or the end of the text. */
  nextWordStart(unit) {
    const i = firstAbove(this.words.starts, unit);
    return i < this.words.starts.length ? this.words.starts[i] : this.length;
  }

  /** Start of the word containing `unit` or of the one before it, or 0. */
  prevWordStart(unit) {
    const i = firstAbove(this.words.starts, unit - 1) - 1;
    return i >= 0 ? this.words.starts[i] : 0;
  }

  /** End of the word containing `unit` or of the next one, or the end of the text. */
  nextWordEnd(unit) {
    const i = firstAbove(this.words.ends, unit);
    return i < this.words.ends.length ? this.words.ends[i] : this.length;
  }

  /** The word starting at or containing `unit`, else the next one; null past the last word. */
  wordAt(unit) {
    const i = firstAbove(this.words.ends, unit);
    if (i >= this.words.ends.length) return null;
    return { start: this.words.starts[i], end: this.words.ends[i] };
  }

  /** Index of the block holding `unit` (a position in a line break belongs to the block
   * before it). */
  blockIndexAt(unit) {
    const i = firstAbove(this.blockStarts, unit) - 1;
    return Math.max(0, i);
  }
}

/** Index of the first element of the sorted array that is greater than `value`. */
function firstAbove(sorted, value) {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] > value) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function boundaries(text, granularity) {
  const marks = new Uint8Array(text.length + 1);
  const segmenter = new Intl.Segmenter(undefined, { granularity });
  for (const { index } of segmenter.segment(text)) marks[index] = 1;
  marks[text.length] = 1;
  return marks;
}

function wordStops(text, graphemeBoundary) {
  const starts = [];
  const ends = [];
  const segmenter = new Intl.Segmenter(undefined, { granularity: "word" });
  for (const { segment, index } of segmenter.segment(text)) {
    if (WHITESPACE.test(segment)) continue;
    let end = index + segment.length;
    // Word boundaries are grapheme boundaries by UAX #29; this guards against engines that differ.
    let start = index;
    while (start > 0 && !graphemeBoundary[start]) start--;
    while (end < text.length && !graphemeBoundary[end]) end++;
    if (starts.length && start < ends[ends.length - 1]) {
      ends[ends.length - 1] = Math.max(ends[ends.length - 1], end);
      continue;
    }
    starts.push(start);
    ends.push(end);
  }
  return { starts: Uint32Array.from(starts), ends: Uint32Array.from(ends) };
}

function blocks(text) {
  const out = [];
  let start = 0;
  let gap = null;
  for (const match of text.matchAll(BREAK)) {
    if (match.index > start) out.push({ start, end: match.index, gap });
    const newlines = match[0].split("\n").length - 1;
    gap = newlines === 1 ? "line" : "paragraph";
    start = match.index + match[0].length;
  }
  if (text.length > start || out.length === 0) out.push({ start, end: text.length, gap });
  if (out.length) out[0].gap = null;
  return out;
}
