// The document view of crowd-entity-annotation: blocks of text with entity highlights and
// label tags, the keyboard caret, and the mapping between DOM positions and UTF-16 positions.
//
// Each text node of the document is one piece of the text with a known start, so a DOM
// position converts to a text position in O(1) and back by a binary search. Label tags and the
// caret are not text: they carry no offsets of their own and cannot be selected.

import { assignLanes, layoutBlocks, blockPieces } from "./entity-spans.js";

const LANE_PX = 5; // vertical step between stacked underlines
const UNDERLINE_PX = 3;
let instances = 0;
const TAIL_MAX = 24; // longest last word kept on one line with its label tags

export class EntityView {
  /**
   * @param {HTMLElement} scroller element that scrolls the document and holds the caret
   * @param {HTMLElement} doc element the blocks are rendered into
   */
  constructor(scroller, doc) {
    this.scroller = scroller;
    this.doc = doc;
    this.caret = scroller.querySelector(".caret");
    // The highlight registry is shared by the page, so each element has its own name.
    this.highlightName = `crowd-entity-selected-${++instances}`;
    const style = document.createElement("style");
    style.textContent =
      `::highlight(${this.highlightName}) { background-color: var(--selected-tint); }`;
    scroller.after(style);
    this.starts = new WeakMap();
    this.walker = null;
  }

  /** Builds one empty element per block (line) for a new text. */
  setText(text) {
    this.text = text;
    this.doc.replaceChildren();
    this.blockEls = text.blocks.map((block, i) => {
      const el = document.createElement("div");
      el.className = block.gap === "paragraph" ? "block paragraph" : "block";
      el.dataset.p = String(i);
      el.dataset.start = String(block.start);
      this.doc.appendChild(el);
      return el;
    });
    if (!text.length) {
      this.blockEls[0].innerHTML = `<span class="empty-text">No text to annotate.</span>`;
    }
    this.signatures = this.blockEls.map(() => null);
    this.nodesByBlock = this.blockEls.map(() => []);
    this.walker = document.createTreeWalker(this.doc, NodeFilter.SHOW_ALL, {
      acceptNode: (node) => this.#accept(node),
    });
  }

  /** Draws the entities; only blocks whose drawing changed are rebuilt (returns how many).
   * @param {{sorted: object[], labelOf: (name: string) => object}} state */
  render({ sorted, labelOf }) {
    if (!this.text.length) return 0;
    const lanes = assignLanes(sorted);
    const layout = layoutBlocks(this.text, sorted);
    let redrawn = 0;
    layout.forEach((block, p) => {
      const bounds = this.text.blocks[p];
      const pieces = blockPieces(bounds, block.entities, block.tags);
      const laneCount = block.entities.reduce((n, e) => Math.max(n, lanes.get(e.id) + 1), 0);
      const signature = signatureOf(pieces, block.tags, lanes, laneCount, labelOf);
      if (signature === this.signatures[p]) return;
      this.signatures[p] = signature;
      this.#drawBlock(p, pieces, block.tags, { lanes, laneCount, labelOf });
      redrawn++;
    });
    return redrawn;
  }

  #drawBlock(p, pieces, tags, drawing) {
    const el = this.blockEls[p];
    const nodes = [];
    const fragment = document.createDocumentFragment();
    el.style.setProperty("--lanes", String(drawing.laneCount));
    const add = (start, end, piece, parent) => {
      const node = document.createTextNode(this.text.text.slice(start, end));
      this.starts.set(node, start);
      nodes.push({ start, node });
      parent.appendChild(piece.covering.length ? this.#highlight(node, piece, drawing) : node);
    };
    // Only spans lying in line breaks before the first block end at a block's start.
    const bounds = this.text.blocks[p];
    for (const entity of tags.get(bounds.start) || []) {
      fragment.appendChild(tagElement(entity, drawing));
    }
    for (const piece of pieces) {
      const ending = tags.get(piece.end);
      if (!ending) {
        add(piece.start, piece.end, piece, fragment);
        continue;
      }
      // The last word and the label tags after it wrap to the next line together.
      const cut = this.#tailStart(piece);
      if (cut > piece.start) add(piece.start, cut, piece, fragment);
      const keep = document.createElement("span");
      keep.className = "keep";
      add(cut, piece.end, piece, keep);
      for (const entity of ending) keep.appendChild(tagElement(entity, drawing));
      fragment.appendChild(keep);
    }
    el.replaceChildren(fragment);
    this.nodesByBlock[p] = nodes;
  }

  #tailStart({ start, end }) {
    const text = this.text.text;
    for (let u = end - 1; u >= Math.max(start, end - TAIL_MAX); u--) {
      if (/\s/.test(text[u])) return u + 1 < end ? u + 1 : this.text.prevBoundary(end);
    }
    return end - start <= TAIL_MAX ? start : Math.max(start, this.text.prevBoundary(end));
  }

  #highlight(node, piece, { lanes, laneCount, labelOf }) {
    const span = document.createElement("span");
    span.className = "ent";
    span.dataset.ids = piece.covering.map((e) => e.id).join(" ");
    const innermost = piece.covering.reduce((a, b) => (b.end - b.start < a.end - a.start ? b : a));
    const alpha = piece.covering.length > 1 ? 0.22 : 0.14;
    const layers = [`linear-gradient(${rgba(labelOf(innermost.label).color, alpha)} 0 0)`];
    const positions = ["left 0 top 0"];
    const sizes = [`100% calc(100% - ${laneCount * LANE_PX + 2}px)`];
    for (const entity of piece.covering) {
      const lane = lanes.get(entity.id);
      const color = labelOf(entity.label).color;
      layers.push(`linear-gradient(${color} 0 0)`);
      positions.push(`left 0 bottom ${(laneCount - lane) * LANE_PX - UNDERLINE_PX}px`);
      sizes.push(`100% ${UNDERLINE_PX}px`);
    }
    span.style.backgroundImage = layers.join(",");
    span.style.backgroundPosition = positions.join(",");
    span.style.backgroundSize = sizes.join(",");
    span.style.paddingBottom = `${laneCount * LANE_PX + 2}px`;
    span.appendChild(node);
    return span;
  }

  /** Marks the selected entity (or none) without redrawing: a CSS custom highlight over its
   * text and a ring on its tag, so selecting stays instant in a long line. */
  showSelected(entity, color) {
    for (const tag of this.doc.querySelectorAll(".tag.selected")) tag.classList.remove("selected");
    const highlight = new Highlight();
    if (entity) {
      this.doc.querySelector(`.tag[data-id="${entity.id}"]`)?.classList.add("selected");
      this.doc.style.setProperty("--selected-tint", rgba(color, 0.32));
      const first = this.text.blockIndexAt(entity.start);
      const last = this.text.blockIndexAt(Math.max(entity.start, entity.end - 1));
      for (let p = first; p <= last; p++) {
        for (const { start, node } of this.nodesByBlock[p]) {
          const a = Math.max(start, entity.start);
          const b = Math.min(start + node.data.length, entity.end);
          if (a >= b) continue;
          const range = new StaticRange({
            startContainer: node,
            startOffset: a - start,
            endContainer: node,
            endOffset: b - start,
          });
          highlight.add(range);
        }
      }
    }
    CSS.highlights.set(this.highlightName, highlight);
  }

  // Positions ------------------------------------------------------------------------------

  /** UTF-16 position of a DOM position (a selection or caret end), or null outside the text. */
  offsetAt(node, offset) {
    if (!node) return null;
    if (this.starts.has(node)) return this.starts.get(node) + offset;
    const element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
    const tag = element?.closest(".tag");
    if (tag && this.doc.contains(tag)) return Number(tag.dataset.at);
    if (!this.doc.contains(node)) return this.#outside(node, offset);
    if (node.nodeType !== Node.ELEMENT_NODE) return this.#firstFrom(node);
    if (offset < node.childNodes.length) return this.#firstFrom(node.childNodes[offset]);
    let last = node;
    while (last.lastChild) last = last.lastChild;
    this.walker.currentNode = last;
    return this.#valueOf(this.walker.nextNode());
  }

  #firstFrom(node) {
    if (this.#accept(node) === NodeFilter.FILTER_ACCEPT) return this.#valueOf(node);
    this.walker.currentNode = node;
    return this.#valueOf(this.walker.nextNode());
  }

  #valueOf(node) {
    if (!node) return this.text.length;
    if (this.starts.has(node)) return this.starts.get(node);
    return Number(node.dataset.at);
  }

  #accept(node) {
    if (this.starts.has(node)) return NodeFilter.FILTER_ACCEPT;
    if (node.classList?.contains("tag")) return NodeFilter.FILTER_ACCEPT;
    return NodeFilter.FILTER_SKIP;
  }

  // A selection end outside the text (dragged past it, or in the page around the element) means
  // the text's start or end, depending on which side it lies.
  #outside(node, offset) {
    const root = this.doc.getRootNode();
    const inShadow = node.getRootNode() === root;
    const reference = inShadow ? this.doc : root.host || this.doc;
    if (node.contains?.(reference)) {
      let child = reference;
      while (child.parentNode !== node) child = child.parentNode || child.host;
      const index = Array.prototype.indexOf.call(node.childNodes, child);
      return offset <= index ? 0 : this.text.length;
    }
    const position = reference.compareDocumentPosition(node);
    return position & Node.DOCUMENT_POSITION_PRECEDING ? 0 : this.text.length;
  }

  /** DOM position of a UTF-16 position (inside a text node). */
  pointAt(unit) {
    const p = this.text.blockIndexAt(unit);
    const block = this.text.blocks[p];
    const u = Math.max(block.start, Math.min(block.end, unit));
    const nodes = this.nodesByBlock[p];
    if (!nodes.length) return { node: this.blockEls[p], offset: 0 };
    let lo = 0;
    let hi = nodes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (nodes[mid].start <= u) lo = mid;
      else hi = mid - 1;
    }
    const { start, node } = nodes[lo];
    return { node, offset: Math.min(u - start, node.data.length) };
  }

  /** Client rectangle of the caret position `unit` (zero width). */
  caretRect(unit) {
    const range = document.createRange();
    const { node, offset } = this.pointAt(unit);
    range.setStart(node, offset);
    range.collapse(true);
    const rects = range.getClientRects();
    if (rects.length) return rects[rects.length - 1];
    // A collapsed range at the very start of a line may have no box; use the next character's.
    if (node.nodeType === Node.TEXT_NODE && offset < node.data.length) {
      range.setEnd(node, offset + 1);
      const r = range.getBoundingClientRect();
      return new DOMRect(r.left, r.top, 0, r.height);
    }
    return node.parentElement?.getBoundingClientRect() || this.doc.getBoundingClientRect();
  }

  /** Moves the drawn caret to `unit`; `visible` false hides it. */
  placeCaret(unit, visible) {
    this.caret.hidden = !visible;
    if (!visible) return;
    const rect = this.caretRect(unit);
    const box = this.scroller.getBoundingClientRect();
    this.caret.style.left = `${rect.left - box.left + this.scroller.scrollLeft - 1}px`;
    this.caret.style.top = `${rect.top - box.top + this.scroller.scrollTop}px`;
    this.caret.style.height = `${Math.max(rect.height, 16)}px`;
  }

  /** Scrolls so the position `unit` is in view, with some room around it. */
  reveal(unit) {
    const rect = this.caretRect(unit);
    const box = this.scroller.getBoundingClientRect();
    const margin = 48;
    if (rect.top < box.top + margin) {
      this.scroller.scrollTop -= box.top + margin - rect.top;
    } else if (rect.bottom > box.bottom - margin) {
      this.scroller.scrollTop += rect.bottom - (box.bottom - margin);
    }
  }

  /** Caret position for a point on screen (for Up/Down), or null. */
  unitAtPoint(x, y) {
    const root = this.doc.getRootNode();
    const position = document.caretPositionFromPoint?.(x, y, { shadowRoots: [root] });
    if (!position) return null;
    return this.offsetAt(position.offsetNode, position.offset);
  }
}

function tagElement(entity, { labelOf }) {
  const label = labelOf(entity.label);
  const tag = document.createElement("span");
  tag.className = "tag";
  tag.dataset.id = String(entity.id);
  tag.dataset.at = String(entity.end);
  tag.title = label.full;
  tag.style.setProperty("--c", label.color);
  tag.style.setProperty("--on-c", label.ink);
  tag.textContent = label.short;
  return tag;
}

function signatureOf(pieces, tags, lanes, laneCount, labelOf) {
  const parts = [laneCount];
  for (const piece of pieces) {
    parts.push(piece.start, piece.end);
    for (const e of piece.covering) {
      parts.push(`${e.id}/${lanes.get(e.id)}/${labelOf(e.label).color}`);
    }
    for (const e of tags.get(piece.end) || []) parts.push(`t${e.id}/${e.label}`);
  }
  return parts.join(",");
}

/** `#rrggbb` at the given opacity. */
export function rgba(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}
