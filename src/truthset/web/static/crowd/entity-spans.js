// The entities of one crowd-entity-annotation: a set of (label, start, end) spans that may overlap
// and may share a span under different labels, with undo history and the layout the view draws
// (one underline lane per entity, pieces of text with the entities covering them). No DOM here.
//
// Offsets are kept as code points, the unit of the answer, so an initial-value span comes back
// exactly as it went in; UTF-16 positions are derived from them for the view.

const HISTORY_LIMIT = 200;

export class EntitySet {
  /** @param {import("./entity-text.js").EntityText} text */
  constructor(text) {
    this.text = text;
    this.entities = [];
    this.nextId = 1;
    this.undoStack = [];
    this.redoStack = [];
  }

  /** Loads `initial-value` entries, skipping malformed ones; returns a message per skipped one. */
  load(initialValue) {
    const problems = [];
    this.entities = [];
    const entries = Array.isArray(initialValue) ? initialValue : [];
    entries.forEach((entry, i) => {
      const start = Number(entry?.startOffset);
      const end = Number(entry?.endOffset);
      const label = entry?.label;
      const max = this.text.codePointLength;
      if (typeof label !== "string" || !Number.isInteger(start) || !Number.isInteger(end)) {
        problems.push(`initial-value[${i}]: needs a label and integer startOffset/endOffset`);
      } else if (start < 0 || end > max || start >= end) {
        problems.push(`initial-value[${i}]: offsets ${start}-${end} outside the text (0-${max})`);
      } else if (!this.#find(label, start, end)) {
        this.entities.push(this.#make(label, start, end));
      }
    });
    this.undoStack = [];
    this.redoStack = [];
    return problems;
  }

  /** Adds a span given in UTF-16 positions; returns the entity (the existing one if present). */
  add(label, unitStart, unitEnd) {
    const start = this.text.toCodePoint(unitStart);
    const end = this.text.toCodePoint(unitEnd);
    const existing = this.#find(label, start, end);
    if (existing) return existing;
    this.#remember();
    const entity = this.#make(label, start, end);
    this.entities.push(entity);
    return entity;
  }

  remove(id) {
    const index = this.entities.findIndex((e) => e.id === id);
    if (index < 0) return;
    this.#remember();
    this.entities.splice(index, 1);
  }

  /** Gives an entity another label; if that span already has the label, the two merge. */
  relabel(id, label) {
    const entity = this.byId(id);
    if (!entity || entity.label === label) return entity;
    const twin = this.#find(label, entity.startOffset, entity.endOffset);
    this.#remember();
    if (twin) {
      this.entities.splice(this.entities.indexOf(entity), 1);
      return twin;
    }
    entity.label = label;
    return entity;
  }

  byId(id) {
    return this.entities.find((e) => e.id === id) || null;
  }

  /** Entities on exactly the span of `entity`, itself included. */
  sameSpan(entity) {
    return this.entities.filter(
      (e) => e.startOffset === entity.startOffset && e.endOffset === entity.endOffset,
    );
  }

  find(label, unitStart, unitEnd) {
    return this.#find(label, this.text.toCodePoint(unitStart), this.text.toCodePoint(unitEnd));
  }

  /** Entities in reading order: start, then end, then label (the answer's order). */
  sorted() {
    return [...this.entities].sort(
      (a, b) =>
        a.startOffset - b.startOffset ||
        a.endOffset - b.endOffset ||
        (a.label < b.label ? -1 : a.label > b.label ? 1 : 0),
    );
  }

  answer() {
    return {
      entities: this.sorted().map((e) => ({
        label: e.label,
        startOffset: e.startOffset,
        endOffset: e.endOffset,
      })),
    };
  }

  undo() {
    return this.#travel(this.undoStack, this.redoStack);
  }

  redo() {
    return this.#travel(this.redoStack, this.undoStack);
  }

  #travel(from, to) {
    if (!from.length) return false;
    to.push(this.#snapshot());
    this.entities = from.pop().map((e) => this.#make(e.label, e.startOffset, e.endOffset, e.id));
    return true;
  }

  #remember() {
    this.undoStack.push(this.#snapshot());
    if (this.undoStack.length > HISTORY_LIMIT) this.undoStack.shift();
    this.redoStack = [];
  }

  #snapshot() {
    return this.entities.map(({ id, label, startOffset, endOffset }) => ({
      id,
      label,
      startOffset,
      endOffset,
    }));
  }

  #find(label, start, end) {
    return (
      this.entities.find(
        (e) => e.label === label && e.startOffset === start && e.endOffset === end,
      ) || null
    );
  }

  #make(label, startOffset, endOffset, id = this.nextId++) {
    return {
      id,
      label,
      startOffset,
      endOffset,
      start: this.text.toUnit(startOffset),
      end: this.text.toUnit(endOffset),
    };
  }
}

/** Assigns each entity the lowest underline lane free over its whole span (outer spans first),
 * which is the fewest lanes any drawing can use. Returns Map(id -> lane). */
export function assignLanes(sortedEntities) {
  const laneEnds = [];
  const lanes = new Map();
  const order = [...sortedEntities].sort((a, b) => a.start - b.start || b.end - a.end);
  for (const entity of order) {
    let lane = laneEnds.findIndex((end) => end <= entity.start);
    if (lane < 0) lane = laneEnds.length;
    laneEnds[lane] = entity.end;
    lanes.set(entity.id, lane);
  }
  return lanes;
}

/** Per block: the entities touching it and, by UTF-16 offset, the entities whose label tag is
 * drawn there. A tag sits at the entity's end, or at the end of the block before the line break
 * when the entity ends inside one. */
export function layoutBlocks(text, sortedEntities) {
  const layout = text.blocks.map(() => ({ entities: [], tags: new Map() }));
  for (const entity of sortedEntities) {
    const first = text.blockIndexAt(entity.start);
    const last = text.blockIndexAt(Math.max(entity.start, entity.end - 1));
    for (let p = first; p <= last; p++) {
      const block = text.blocks[p];
      const touches = entity.start < block.end && entity.end > block.start;
      if (touches || p === last) layout[p].entities.push(entity);
    }
    const block = text.blocks[last];
    const at = Math.max(block.start, Math.min(block.end, entity.end));
    const tags = layout[last].tags;
    if (!tags.has(at)) tags.set(at, []);
    tags.get(at).push(entity);
  }
  return layout;
}

/** Splits a block into pieces of text covered by the same entities:
 * [{start, end, covering: [entity]}] in UTF-16 positions, cut at every tag position too. */
export function blockPieces(block, entities, tags) {
  const cuts = new Set([block.start, block.end, ...tags.keys()]);
  const clip = (u) => Math.max(block.start, Math.min(block.end, u));
  for (const e of entities) {
    cuts.add(clip(e.start));
    cuts.add(clip(e.end));
  }
  const points = [...cuts].sort((a, b) => a - b);
  const pieces = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const start = points[i];
    const end = points[i + 1];
    const covering = entities.filter((e) => e.start <= start && e.end >= end);
    pieces.push({ start, end, covering });
  }
  return pieces;
}
