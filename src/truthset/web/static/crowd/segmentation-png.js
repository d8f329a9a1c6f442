// A small synchronous PNG encoder for label masks (RGBA, 8 bits per channel, no filtering).
//
// Why not canvas.toDataURL: the mask is kept as label indices, not on a canvas, and may be up to
// 100 megapixels; crowdValue is a plain getter, so encoding must be synchronous; and every pixel
// must keep its exact label colour. Masks are long runs of one colour, so the deflate stream is
// built from run matches (same pixel as the one before) and row matches (same pixel as the row
// above), then written with dynamic Huffman codes (RFC 1951), in blocks of bounded size.

const BLOCK_TOKENS = 1 << 20;
const ADLER_MOD = 65521;
const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

// Length 3..258 -> index into LEN_BASE (symbol = 257 + index).
const LEN_INDEX = new Uint8Array(259);
for (let i = 0; i < LEN_BASE.length; i++) {
  const end = i + 1 < LEN_BASE.length ? LEN_BASE[i + 1] : 259;
  for (let len = LEN_BASE[i]; len < end; len++) LEN_INDEX[len] = i;
}
LEN_INDEX[258] = 28;

function distanceIndex(distance) {
  let i = DIST_BASE.length - 1;
  while (DIST_BASE[i] > distance) i--;
  return i;
}

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

class ByteSink {
  constructor(capacity = 1 << 16) {
    this.bytes = new Uint8Array(capacity);
    this.length = 0;
    this.bitBuffer = 0;
    this.bitCount = 0;
  }

  push(byte) {
    if (this.length === this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.length++] = byte;
  }

  pushAll(bytes) {
    for (const byte of bytes) this.push(byte);
  }

  uint32(value) {
    this.pushAll([value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255]);
  }

  /** Writes `count` bits of `value`, least significant first (deflate's bit order). */
  bits(value, count) {
    this.bitBuffer |= value << this.bitCount;
    this.bitCount += count;
    while (this.bitCount >= 8) {
      this.push(this.bitBuffer & 255);
      this.bitBuffer >>>= 8;
      this.bitCount -= 8;
    }
  }

  alignToByte() {
    if (this.bitCount > 0) this.push(this.bitBuffer & 255);
    this.bitBuffer = 0;
    this.bitCount = 0;
  }

  result() {
    return this.bytes.subarray(0, this.length);
  }
}

// ---- Huffman codes ------------------------------------------------------------------------------

function huffmanLengths(freqs) {
  const lengths = new Uint8Array(freqs.length);
  let nodes = [];
  freqs.forEach((freq, symbol) => freq > 0 && nodes.push({ freq, symbol }));
  if (nodes.length === 1) lengths[nodes[0].symbol] = 1;
  if (nodes.length <= 1) return lengths;
  while (nodes.length > 1) {
    nodes.sort((a, b) => a.freq - b.freq);
    const [a, b] = nodes;
    nodes = [{ freq: a.freq + b.freq, children: [a, b] }, ...nodes.slice(2)];
  }
  const walk = (node, depth) => {
    if (node.children) node.children.forEach((child) => walk(child, depth + 1));
    else lengths[node.symbol] = depth;
  };
  walk(nodes[0], 0);
  return lengths;
}

/** Code lengths of at most `maxBits`: rarer symbols are flattened until the tree fits. */
function limitedLengths(freqs, maxBits) {
  let current = Array.from(freqs);
  for (;;) {
    const lengths = huffmanLengths(current);
    if (Math.max(...lengths) <= maxBits) return lengths;
    current = current.map((freq) => (freq ? Math.max(1, Math.floor(freq / 2)) : 0));
  }
}

/** Canonical codes, bit-reversed so ByteSink.bits writes them most significant bit first. */
function canonicalCodes(lengths) {
  const maxBits = Math.max(...lengths);
  const count = new Uint16Array(maxBits + 1);
  for (const len of lengths) if (len) count[len]++;
  const next = new Uint16Array(maxBits + 2);
  let code = 0;
  for (let bits = 1; bits <= maxBits; bits++) {
    code = (code + count[bits - 1]) << 1;
    next[bits] = code;
  }
  return Array.from(lengths, (len) => {
    if (!len) return 0;
    let value = next[len]++;
    let reversed = 0;
    for (let i = 0; i < len; i++) {
      reversed = (reversed << 1) | (value & 1);
      value >>= 1;
    }
    return reversed;
  });
}

/** Run-length form of the code lengths (symbols 16, 17, 18 of the code-length alphabet). */
function codeLengthRuns(lengths) {
  const runs = [];
  for (let i = 0; i < lengths.length; ) {
    const value = lengths[i];
    let run = 1;
    while (i + run < lengths.length && lengths[i + run] === value) run++;
    i += run;
    if (value === 0) {
      while (run >= 11) {
        const n = Math.min(run, 138);
        runs.push([18, 7, n - 11]);
        run -= n;
      }
      if (run >= 3) {
        runs.push([17, 3, run - 3]);
        run = 0;
      }
    } else {
      runs.push([value, 0, 0]);
      run--;
      while (run >= 3) {
        const n = Math.min(run, 6);
        runs.push([16, 2, n - 3]);
        run -= n;
      }
    }
    for (; run > 0; run--) runs.push([value, 0, 0]);
  }
  return runs;
}

// ---- deflate ----------------------------------------------------------------------------------

class DeflateBlocks {
  // A block is flushed between rows, so it may overrun BLOCK_TOKENS by one row's tokens.
  constructor(sink, rowTokens) {
    this.sink = sink;
    this.tokens = new Uint32Array(BLOCK_TOKENS + rowTokens);
    this.count = 0;
    this.litFreq = new Uint32Array(286);
    this.distFreq = new Uint32Array(30);
  }

  literal(byte) {
    this.tokens[this.count++] = byte;
    this.litFreq[byte]++;
  }

  /** `length` bytes copied from `distance` back; split into deflate's 3..258 byte matches. */
  copy(length, distance) {
    const distIndex = distanceIndex(distance);
    while (length > 0) {
      let n = Math.min(length, 258);
      if (length - n > 0 && length - n < 3) n = length - 3;
      this.tokens[this.count++] = (n << 16) | distance;
      this.litFreq[257 + LEN_INDEX[n]]++;
      this.distFreq[distIndex]++;
      length -= n;
    }
  }

  get full() {
    return this.count >= BLOCK_TOKENS;
  }

  /** Writes the collected tokens as one dynamic-Huffman block. */
  flush(final) {
    const sink = this.sink;
    this.litFreq[256] = 1;
    const litLengths = limitedLengths(this.litFreq, 15);
    if (!this.distFreq.some(Boolean)) this.distFreq[0] = 1;
    const distLengths = limitedLengths(this.distFreq, 15);
    const hlit = Math.max(257, lastNonZero(litLengths) + 1);
    const hdist = Math.max(1, lastNonZero(distLengths) + 1);
    const runs = codeLengthRuns([...litLengths.slice(0, hlit), ...distLengths.slice(0, hdist)]);
    const clFreq = new Uint32Array(19);
    for (const [symbol] of runs) clFreq[symbol]++;
    const clLengths = limitedLengths(clFreq, 7);
    const clCodes = canonicalCodes(clLengths);
    let hclen = 19;
    while (hclen > 4 && clLengths[CODE_LENGTH_ORDER[hclen - 1]] === 0) hclen--;
    sink.bits(final ? 1 : 0, 1);
    sink.bits(2, 2);
    sink.bits(hlit - 257, 5);
    sink.bits(hdist - 1, 5);
    sink.bits(hclen - 4, 4);
    for (let i = 0; i < hclen; i++) sink.bits(clLengths[CODE_LENGTH_ORDER[i]], 3);
    for (const [symbol, extraBits, extra] of runs) {
      sink.bits(clCodes[symbol], clLengths[symbol]);
      if (extraBits) sink.bits(extra, extraBits);
    }
    this.writeTokens(litLengths, canonicalCodes(litLengths), distLengths, canonicalCodes(distLengths));
    this.count = 0;
    this.litFreq.fill(0);
    this.distFreq.fill(0);
  }

  writeTokens(litLengths, litCodes, distLengths, distCodes) {
    const sink = this.sink;
    for (let i = 0; i < this.count; i++) {
      const token = this.tokens[i];
      if (token < 256) {
        sink.bits(litCodes[token], litLengths[token]);
        continue;
      }
      const length = token >>> 16;
      const distance = token & 0xffff;
      const li = LEN_INDEX[length];
      sink.bits(litCodes[257 + li], litLengths[257 + li]);
      if (LEN_EXTRA[li]) sink.bits(length - LEN_BASE[li], LEN_EXTRA[li]);
      const di = distanceIndex(distance);
      sink.bits(distCodes[di], distLengths[di]);
      if (DIST_EXTRA[di]) sink.bits(distance - DIST_BASE[di], DIST_EXTRA[di]);
    }
    sink.bits(litCodes[256], litLengths[256]);
  }
}

function lastNonZero(values) {
  for (let i = values.length - 1; i >= 0; i--) if (values[i]) return i;
  return -1;
}

// ---- rows -------------------------------------------------------------------------------------

/** Adler-32 of the raw image data; a row equal to the previous one reuses its sums. */
class Adler32 {
  constructor() {
    this.a = 1;
    this.b = 0;
    this.rowSum = 0;
    this.rowWeighted = 0;
  }

  // Row bytes are preceded by the filter-type byte 0, which adds nothing to the sums.
  row(bytes, sameAsPrevious) {
    const n = bytes.length + 1;
    if (!sameAsPrevious) {
      let sum = 0;
      let weighted = 0;
      for (let i = 0; i < bytes.length; i++) {
        sum += bytes[i];
        weighted += (n - 1 - i) * bytes[i];
      }
      this.rowSum = sum % ADLER_MOD;
      this.rowWeighted = weighted % ADLER_MOD;
    }
    this.b = (this.b + ((n % ADLER_MOD) * this.a) % ADLER_MOD + this.rowWeighted) % ADLER_MOD;
    this.a = (this.a + this.rowSum) % ADLER_MOD;
  }

  get value() {
    return ((this.b << 16) | this.a) >>> 0;
  }
}

function tokenizeRow(blocks, cur, curBytes, prev, usePrevious, stride) {
  const width = cur.length;
  blocks.literal(0);
  let j = 0;
  while (j < width) {
    let run = 0;
    if (j > 0) {
      const value = cur[j - 1];
      while (j + run < width && cur[j + run] === value) run++;
    }
    let up = 0;
    if (usePrevious && j + run < width) {
      while (j + up < width && cur[j + up] === prev[j + up]) up++;
    }
    // Row matches cost extra distance bits; a row that is one long run is cheaper as a literal
    // first pixel and a run.
    if (j === 0 && up > 0 && runLength(cur, 1) + 1 >= up) up = 0;
    if (run === 0 && up === 0) {
      for (let k = 4 * j; k < 4 * j + 4; k++) blocks.literal(curBytes[k]);
      j++;
    } else if (run >= up) {
      blocks.copy(4 * run, 4);
      j += run;
    } else {
      blocks.copy(4 * up, stride);
      j += up;
    }
  }
}

function runLength(row, start) {
  let n = 0;
  while (start + n < row.length && row[start + n] === row[start - 1]) n++;
  return n;
}

function sameRow(a, b) {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Encodes an RGBA image as PNG bytes. `fillRow(y, pixels)` writes row y into `pixels`, a
 * Uint32Array(width) viewing RGBA bytes in platform order (so `new Uint32Array(imageData.data
 * .buffer)` values can be copied as they are).
 *
 *   const png = encodeRgbaPng(640, 480, (y, pixels) => pixels.fill(0));   // all transparent
 */
export function encodeRgbaPng(width, height, fillRow) {
  const sink = new ByteSink();
  sink.pushAll([137, 80, 78, 71, 13, 10, 26, 10]);
  const header = new Uint8Array(13);
  new DataView(header.buffer).setUint32(0, width);
  new DataView(header.buffer).setUint32(4, height);
  header.set([8, 6, 0, 0, 0], 8);
  writeChunk(sink, "IHDR", header);
  writeChunk(sink, "IDAT", zlibImageData(width, height, fillRow));
  writeChunk(sink, "IEND", new Uint8Array(0));
  return sink.result();
}

function zlibImageData(width, height, fillRow) {
  const sink = new ByteSink(1 << 20);
  sink.pushAll([0x78, 0x01]);
  const blocks = new DeflateBlocks(sink, 4 * width + 1);
  const adler = new Adler32();
  const stride = 4 * width + 1;
  let cur = new Uint32Array(width);
  let prev = new Uint32Array(width);
  for (let y = 0; y < height; y++) {
    fillRow(y, cur);
    const curBytes = new Uint8Array(cur.buffer);
    const same = y > 0 && sameRow(cur, prev);
    adler.row(curBytes, same);
    tokenizeRow(blocks, cur, curBytes, prev, y > 0 && stride <= 32768, stride);
    if (blocks.full) blocks.flush(false);
    [cur, prev] = [prev, cur];
  }
  blocks.flush(true);
  sink.alignToByte();
  sink.uint32(adler.value);
  return sink.result();
}

function writeChunk(sink, type, data) {
  const typed = new Uint8Array(4 + data.length);
  typed.set([...type].map((ch) => ch.charCodeAt(0)));
  typed.set(data, 4);
  sink.uint32(data.length);
  for (let i = 0; i < typed.length; i++) sink.push(typed[i]);
  sink.uint32(crc32(typed));
}

/** Base64 of bytes (no `data:` prefix). */
export function bytesToBase64(bytes) {
  if (typeof bytes.toBase64 === "function") return bytes.toBase64();
  const parts = [];
  const chunk = 3 * 8192;
  for (let i = 0; i < bytes.length; i += chunk) {
    parts.push(btoa(String.fromCharCode.apply(null, bytes.subarray(i, i + chunk))));
  }
  return parts.join("");
}
