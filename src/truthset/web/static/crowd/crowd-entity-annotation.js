// <crowd-entity-annotation>: named entity recognition, Ground Truth's element with the same
// attributes (`name`, `text`, `labels`, `initial-value`, `header`) and the same answer:
//   {"entities": [{"label", "startOffset", "endOffset"}]}  (code points, end exclusive)
// See docs/crowd-elements-entity-annotation.md for the behaviour, keys and offset rules.

import { attachStyledShadow, choiceIndexForKey, isTyping, parseAttr } from "./base.js";
import { ownForm, shortcutAllowed } from "./crowd-form.js";
import { createInstructionsPanel } from "./crowd-instructions.js";
import { moveSelection, snapBack } from "./entity-caret.js";
import {
  extraLabel,
  FRAME_HTML,
  labelKeysText,
  labelSet,
  renderEntityList,
  renderPicker,
  renderStatus,
  revealListItem,
} from "./entity-panel.js";
import { EntitySet } from "./entity-spans.js";
import { ENTITY_CSS } from "./entity-styles.js";
import { EntityText } from "./entity-text.js";
import { EntityView } from "./entity-view.js";

const CLICK_SLOP_PX = 4;

class CrowdEntityAnnotation extends HTMLElement {
  static observedAttributes = ["text", "labels", "initial-value", "header"];

  constructor() {
    super();
    this.root = attachStyledShadow(this, ENTITY_CSS);
    const template = document.createElement("template");
    template.innerHTML = FRAME_HTML;
    this.root.appendChild(template.content);
    const $ = (selector) => this.root.querySelector(selector);
    this.ui = {
      layout: $(".layout"),
      title: $(".header"),
      toolbar: $(".toolbar"),
      status: $(".status"),
      side: $(".side"),
      doc: $(".doc"),
    };
    this.view = new EntityView($(".scroller"), this.ui.doc);
    this.anchor = 0;
    this.focus = 0;
    this.selectedId = null;
    this.goalX = null;
    this.notice = null;
    this.loaded = false;
    this.#listen();
  }

  connectedCallback() {
    if (!this.instructionsAdopted) this.#adoptInstructions();
    // Gallery templates use this element without a crowd-form, as AWS's brings its own.
    ownForm(this);
    document.addEventListener("selectionchange", this.onSelectionChange);
    window.addEventListener("mouseup", this.onMouseUp);
    if (!this.loaded) this.#load();
  }

  disconnectedCallback() {
    document.removeEventListener("selectionchange", this.onSelectionChange);
    window.removeEventListener("mouseup", this.onMouseUp);
    CSS.highlights.delete(this.view.highlightName);
  }

  attributeChangedCallback(name, oldValue, newValue) {
    if (!this.loaded || oldValue === newValue) return;
    if (name === "header") this.#showHeader();
    else if (name === "labels") this.#loadLabels();
    else this.#load();
  }

  // Element contract (base.js) ---------------------------------------------------------------

  get crowdValue() {
    return this.entitySet ? this.entitySet.answer() : { entities: [] };
  }

  /** An answer without entities is valid: the text may mention none. */
  crowdValidate() {
    return null;
  }

  /** crowd-form's reset: back to the initial value. */
  crowdReset() {
    this.#load();
  }

  // Loading ------------------------------------------------------------------------------------

  #load() {
    this.loaded = true;
    this.text = new EntityText(this.getAttribute("text") ?? "");
    this.entitySet = new EntitySet(this.text);
    const problems = this.entitySet.load(this.#parse("initial-value", []));
    for (const problem of problems) console.warn(`crowd-entity-annotation: ${problem}`);
    this.anchor = this.focus = 0;
    this.selectedId = null;
    this.view.setText(this.text);
    this.#showHeader();
    this.#loadLabels();
  }

  // A new label set keeps the worker's entities (their labels may lose their keys).
  #loadLabels() {
    this.labels = labelSet(this.#parse("labels", []));
    for (const entity of this.entitySet.entities) this.labelOf(entity.label);
    const keys = labelKeysText(this.labels);
    this.ui.side.querySelector(".keys-hint").textContent = keys ? `keys ${keys}` : "";
    for (const holder of this.root.querySelectorAll(".label-keys")) {
      holder.innerHTML = keys
        .split("–")
        .map((key) => `<kbd>${key}</kbd>`)
        .join("–");
    }
    this.#refresh({ entitiesChanged: true });
  }

  #parse(attribute, fallback) {
    try {
      return parseAttr(this.getAttribute(attribute), fallback);
    } catch (error) {
      console.warn(`crowd-entity-annotation: ${attribute} is not valid JSON: ${error}`);
      return fallback;
    }
  }

  #showHeader() {
    const header = this.getAttribute("header") || "";
    this.ui.title.textContent = header;
    this.ui.title.hidden = !header;
  }

  // The template's <short-instructions>/<full-instructions> children, in the shared side panel.
  #adoptInstructions() {
    this.instructionsAdopted = true;
    const panel = createInstructionsPanel(this);
    if (panel) this.root.querySelector(".help").prepend(panel);
  }

  /** The label named `name`; a name only initial-value knows gets a colour but no key. */
  labelOf = (name) => {
    let label = this.labels.find((l) => l.name === name);
    if (!label) {
      label = extraLabel(name, this.labels.length);
      this.labels.push(label);
    }
    return label;
  };

  // Drawing ------------------------------------------------------------------------------------

  /** Redraws after a change. `select` also shows the model's selection as the browser's; a
   * redrawn line loses the browser's selection, so it is written again then too. */
  #refresh({ entitiesChanged = false, reveal = false, select = false } = {}) {
    const sorted = this.entitySet.sorted();
    const selected = this.entitySet.byId(this.selectedId);
    if (!selected) this.selectedId = null;
    const holdsSelection = this.#readSelection() !== null;
    const redrawn = this.view.render({ sorted, labelOf: this.labelOf });
    this.view.showSelected(selected, selected && this.labelOf(selected.label).color);
    if (select || (redrawn && holdsSelection)) this.#writeSelection();
    const counts = new Map();
    for (const e of sorted) counts.set(e.label, (counts.get(e.label) || 0) + 1);
    const active = new Set(selected ? this.entitySet.sameSpan(selected).map((e) => e.label) : []);
    renderPicker(this.ui.toolbar, this.labels, counts, active);
    if (entitiesChanged) {
      renderEntityList(this.ui.side, sorted, this.text, this.labelOf, this.selectedId);
    } else {
      for (const button of this.ui.side.querySelectorAll(".entity-list button")) {
        const current = Number(button.dataset.id) === this.selectedId;
        if (current) button.setAttribute("aria-current", "true");
        else button.removeAttribute("aria-current");
      }
    }
    revealListItem(this.ui.side, this.selectedId);
    this.#refreshSelection(reveal);
  }

  #refreshSelection(reveal = false) {
    const entity = this.entitySet.byId(this.selectedId);
    const selection = this.anchor === this.focus ? null : this.#pendingRange();
    renderStatus(this.ui.status, {
      text: this.text,
      selection,
      entity,
      labels: this.labels,
      labelOf: this.labelOf,
      notice: this.notice,
    });
    this.notice = null;
    const focused = this.root.activeElement === this.ui.doc;
    this.view.placeCaret(this.focus, focused && !entity && this.anchor === this.focus);
    if (reveal) this.view.reveal(entity ? entity.start : this.focus);
  }

  #pendingRange() {
    return this.text.normalizeRange(this.anchor, this.focus);
  }

  /** Shows the model's selection as the browser's selection (so it is highlighted). */
  #writeSelection() {
    if (!this.text.length) return;
    const a = this.view.pointAt(this.anchor);
    const f = this.view.pointAt(this.focus);
    document.getSelection()?.setBaseAndExtent(a.node, a.offset, f.node, f.offset);
  }

  // Actions ------------------------------------------------------------------------------------

  /** A label key or chip: labels the selection (or the word at the caret); on a selected entity
   * adds the label to its span or removes it if present, or with `replace` changes its label. */
  applyLabel(labelName, { replace = false } = {}) {
    const entity = this.entitySet.byId(this.selectedId);
    if (entity) {
      this.#labelEntity(entity, labelName, replace);
    } else {
      const range = this.#pendingRange() || this.#wordAtCaret();
      if (!range) {
        this.#say("Select some text first.");
        this.#refreshSelection();
        return;
      }
      const added = this.entitySet.add(labelName, range.start, range.end);
      this.#say(`Labeled ${this.labelOf(labelName).full}.`);
      this.selectedId = added.id;
      this.anchor = this.focus = range.end;
    }
    this.#refresh({ entitiesChanged: true, select: true });
  }

  #labelEntity(entity, labelName, replace) {
    if (replace) {
      this.selectedId = this.entitySet.relabel(entity.id, labelName).id;
      return;
    }
    const twin = this.entitySet.find(labelName, entity.start, entity.end);
    if (!twin) {
      this.selectedId = this.entitySet.add(labelName, entity.start, entity.end).id;
      return;
    }
    this.entitySet.remove(twin.id);
    const rest = this.entitySet.sameSpan(entity);
    this.selectedId = rest.length ? rest[0].id : null;
    this.anchor = this.focus = entity.end;
  }

  #wordAtCaret() {
    if (this.anchor !== this.focus) return null;
    const word = this.text.wordAt(this.focus);
    if (word && word.start <= this.focus) return word;
    const before = this.text.wordAt(this.text.prevWordStart(this.focus));
    return before && before.end === this.focus ? before : null;
  }

  removeSelected() {
    const entity = this.entitySet.byId(this.selectedId);
    if (!entity) return;
    this.entitySet.remove(entity.id);
    const rest = this.entitySet.sameSpan(entity);
    this.selectedId = rest.length ? rest[0].id : null;
    this.anchor = this.focus = entity.start;
    this.#say(`Removed ${this.labelOf(entity.label).full}.`);
    this.#refresh({ entitiesChanged: true, select: true });
  }

  selectEntity(id, { reveal = true } = {}) {
    const entity = this.entitySet.byId(id);
    this.selectedId = entity ? entity.id : null;
    if (entity) this.anchor = this.focus = entity.end;
    this.#refresh({ reveal });
  }

  #stepEntity(direction) {
    const sorted = this.entitySet.sorted();
    if (!sorted.length) return;
    const index = sorted.findIndex((e) => e.id === this.selectedId);
    let next;
    if (index >= 0) next = sorted[(index + direction + sorted.length) % sorted.length];
    else if (direction > 0) next = sorted.find((e) => e.start >= this.focus) || sorted[0];
    else next = [...sorted].reverse().find((e) => e.end <= this.focus) || sorted.at(-1);
    this.selectEntity(next.id);
  }

  #undo(redo) {
    const moved = redo ? this.entitySet.redo() : this.entitySet.undo();
    if (!moved) return;
    this.selectedId = null;
    this.#say(redo ? "Redone." : "Undone.");
    this.#refresh({ entitiesChanged: true });
  }

  /** A message for the status line (a live region) with the next redraw of it. */
  #say(message) {
    this.notice = message;
  }

  // Events -------------------------------------------------------------------------------------

  #listen() {
    this.addEventListener("keydown", (event) => this.#onKeyDown(event));
    this.ui.doc.addEventListener("mousedown", (event) => {
      this.pressedAt = { x: event.clientX, y: event.clientY, button: event.button };
    });
    this.ui.doc.addEventListener("focus", () => this.#refreshSelection());
    this.ui.doc.addEventListener("blur", () => this.view.placeCaret(0, false));
    const keepSelection = (event) => event.preventDefault();
    this.ui.toolbar.addEventListener("mousedown", keepSelection);
    this.ui.toolbar.addEventListener("click", (event) => {
      const chip = event.target.closest(".chip");
      if (chip) this.applyLabel(chip.dataset.label, { replace: event.shiftKey });
    });
    this.ui.status.addEventListener("mousedown", keepSelection);
    this.ui.status.addEventListener("click", (event) => {
      if (event.target.closest(".remove")) this.removeSelected();
    });
    this.ui.side.querySelector(".entity-list").addEventListener("click", (event) => {
      const item = event.target.closest("button");
      if (!item) return;
      this.selectEntity(Number(item.dataset.id));
      this.ui.doc.focus({ preventScroll: true });
    });
  }

  onSelectionChange = () => {
    const range = this.#readSelection();
    if (!range) return;
    if (range.anchor === this.anchor && range.focus === this.focus) return;
    this.anchor = range.anchor;
    this.focus = range.focus;
    if (this.anchor !== this.focus) this.selectedId = null;
    this.#refreshSelection();
  };

  /** The browser's selection as UTF-16 positions, or null when it is not in this text. */
  #readSelection() {
    const selection = document.getSelection();
    if (!selection || !selection.rangeCount || !this.text?.length) return null;
    const [range] = selection.getComposedRanges
      ? selection.getComposedRanges({ shadowRoots: [this.root] })
      : [selection.getRangeAt(0)];
    if (!range) return null;
    const doc = this.ui.doc;
    if (!doc.contains(range.startContainer) && !doc.contains(range.endContainer)) return null;
    const start = this.view.offsetAt(range.startContainer, range.startOffset);
    const end = this.view.offsetAt(range.endContainer, range.endOffset);
    const backward = selection.direction === "backward";
    return { anchor: backward ? end : start, focus: backward ? start : end };
  }

  onMouseUp = (event) => {
    const pressed = this.pressedAt;
    this.pressedAt = null;
    if (!pressed || pressed.button !== 0) return;
    this.onSelectionChange();
    const still =
      Math.hypot(event.clientX - pressed.x, event.clientY - pressed.y) < CLICK_SLOP_PX;
    if (still && this.anchor === this.focus) {
      this.#clickAt(event);
      return;
    }
    // A drag: show exactly what will be labeled (whole clusters, no outer whitespace).
    const range = this.#pendingRange();
    const backward = this.focus < this.anchor;
    if (range) {
      this.anchor = backward ? range.end : range.start;
      this.focus = backward ? range.start : range.end;
    }
    this.selectedId = null;
    this.#refresh({ select: true });
  };

  // A click on a highlight selects its innermost entity; clicking again cycles through the
  // entities under the pointer. A click on a label tag selects that tag's entity.
  #clickAt(event) {
    const path = event.composedPath();
    const tag = path.find((n) => n.classList?.contains("tag") && this.ui.doc.contains(n));
    const piece = path.find((n) => n.classList?.contains("ent"));
    let id = null;
    if (tag) {
      id = Number(tag.dataset.id);
    } else if (piece) {
      const under = piece.dataset.ids
        .split(" ")
        .map((i) => this.entitySet.byId(Number(i)))
        .filter(Boolean)
        .sort((a, b) => a.end - a.start - (b.end - b.start) || a.start - b.start);
      const at = under.findIndex((e) => e.id === this.selectedId);
      id = under[(at + 1) % under.length]?.id ?? null;
    }
    this.focus = this.anchor = snapBack(this.text, this.focus);
    this.selectedId = id;
    this.#refresh();
  }

  #onKeyDown(event) {
    if (isTyping(event) || !this.text || event.defaultPrevented) return;
    if (event.composedPath().some((node) => node.tagName === "DIALOG")) return;
    const mod = event.ctrlKey || event.metaKey;
    if (mod && (event.key === "z" || event.key === "Z" || event.key === "y")) {
      this.#undo(event.key === "y" || event.shiftKey);
    } else if (shortcutAllowed(event) && !event.repeat && this.#labelForKey(event)) {
      this.applyLabel(this.#labelForKey(event).name, { replace: event.shiftKey });
    } else if ((event.key === "Delete" || event.key === "Backspace") && this.selectedId) {
      this.removeSelected();
    } else if (event.key === "Escape" && (this.selectedId || this.anchor !== this.focus)) {
      this.selectedId = null;
      this.anchor = this.focus;
      this.#refresh({ select: true });
    } else if (!mod && (event.key === "[" || event.key === "]")) {
      this.#stepEntity(event.key === "]" ? 1 : -1);
    } else if (event.composedPath().includes(this.ui.doc) && this.#move(event)) {
      // moved
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  }

  #labelForKey(event) {
    const digit = /^(?:Digit|Numpad)([0-9])$/.exec(event.code)?.[1] ?? event.key;
    const index = choiceIndexForKey(digit);
    const label = index >= 0 ? this.labels[index] : null;
    return label && label.key ? label : null;
  }

  #move(event) {
    // From a selected entity: Shift grows its span; plain keys move on from its end (or its
    // start, going back).
    const entity = this.entitySet.byId(this.selectedId);
    let from = { anchor: this.anchor, focus: this.focus };
    if (entity && event.shiftKey) from = { anchor: entity.start, focus: entity.end };
    else if (entity && event.key === "ArrowLeft") from = collapsedAt(entity.start);
    else if (entity) from = collapsedAt(entity.end);
    const vertical = event.key === "ArrowUp" || event.key === "ArrowDown";
    const next = moveSelection(event, from, this.text, (direction, focus) =>
      this.#lineMove(direction, focus),
    );
    if (!next) return false;
    if (!vertical) this.goalX = null;
    this.selectedId = null;
    this.anchor = next.anchor;
    this.focus = next.focus;
    this.#refresh({ reveal: true, select: true });
    return true;
  }

  // Up/Down: the position one line above or below, keeping the column the caret started in.
  #lineMove(direction, focus) {
    const rect = this.view.caretRect(focus);
    if (this.goalX === null) this.goalX = rect.left;
    this.view.reveal(focus);
    const moved = this.view.caretRect(focus);
    const y = direction < 0 ? moved.top - moved.height * 0.5 : moved.bottom + moved.height * 0.5;
    const unit = this.view.unitAtPoint(this.goalX, y);
    if (unit === null || unit === focus) return direction < 0 ? 0 : this.text.length;
    return unit;
  }
}

function collapsedAt(unit) {
  return { anchor: unit, focus: unit };
}

if (!customElements.get("crowd-entity-annotation")) {
  customElements.define("crowd-entity-annotation", CrowdEntityAnnotation);
}
