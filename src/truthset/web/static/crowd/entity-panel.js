// The chrome around the document of crowd-entity-annotation: the label picker (which is also the
// legend of colours and keys), the status line, the side panel with instructions, the list of
// entities and the keyboard help. Builds DOM; decides nothing.

import { labelColor } from "./base.js";
import { rgba } from "./entity-view.js";

const KEY_NAMES = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"];
const QUOTE_MAX = 60;

export const FRAME_HTML = `
<div class="layout" part="layout">
  <h1 class="header" part="header" id="header" hidden></h1>
  <div class="work" part="work">
    <div class="scroller" part="text">
      <div class="doc" tabindex="0" role="textbox" aria-readonly="true" aria-multiline="true"
           aria-label="Text to annotate" aria-describedby="keys-help"></div>
      <div class="caret" hidden></div>
    </div>
    <div class="status" part="status" role="status" aria-live="polite"></div>
  </div>
  <aside class="side" part="labels">
    <section class="box labels-box">
      <div class="box-head"><h2 id="labels-title">Labels</h2>
        <span class="keys-hint" aria-hidden="true"></span></div>
      <div class="toolbar" role="group" aria-labelledby="labels-title"></div>
    </section>
    <section class="box entities-box" part="entities">
      <div class="box-head"><h2>Entities</h2><span class="total"></span></div>
      <p class="empty">None yet. Select text, then choose a label.</p>
      <ol class="entity-list" aria-label="Entities in reading order"></ol>
    </section>
  </aside>
  <div class="help" part="help">
    <details class="box keys" part="keys" id="keys-help" open>
      <summary>Keyboard</summary>
      <dl>
        <dt><kbd>←</kbd> <kbd>→</kbd></dt><dd>next, previous word</dd>
        <dt><kbd>Shift</kbd> <kbd>←</kbd> <kbd>→</kbd></dt><dd>select words</dd>
        <dt><kbd>Alt</kbd> <kbd>←</kbd> <kbd>→</kbd></dt><dd>one character</dd>
        <dt><kbd>↑</kbd> <kbd>↓</kbd></dt><dd>line up, down</dd>
        <dt><kbd>Home</kbd> <kbd>End</kbd></dt><dd>line start, end</dd>
        <dt class="label-keys"></dt><dd>label the selection</dd>
        <dt><kbd>Shift</kbd> <span class="label-keys"></span></dt><dd>change the label</dd>
        <dt><kbd>[</kbd> <kbd>]</kbd></dt><dd>previous, next entity</dd>
        <dt><kbd>Del</kbd></dt><dd>remove the entity</dd>
        <dt><kbd>Esc</kbd></dt><dd>clear the selection</dd>
        <dt><kbd>Ctrl</kbd> <kbd>Z</kbd> <kbd>Y</kbd></dt><dd>undo, redo</dd>
      </dl>
    </details>
  </div>
</div>`;

/** Label set from the `labels` attribute: [{name, short, full, color, ink, key}], one per
 * distinct label, keys 1..9 then 0 for the first ten. */
export function labelSet(raw) {
  const seen = new Set();
  const labels = [];
  for (const item of Array.isArray(raw) ? raw : []) {
    const spec = typeof item === "string" ? { label: item } : item || {};
    const name = spec.label === undefined ? "" : String(spec.label);
    if (!name || seen.has(name)) continue;
    seen.add(name);
    labels.push(describeLabel(name, spec, labels.length));
  }
  return labels;
}

/** A label that is only known from initial-value: drawn, counted, but without a key. */
export function extraLabel(name, index) {
  return { ...describeLabel(name, {}, index), key: null, extra: true };
}

function describeLabel(name, spec, index) {
  const color = labelColor(index);
  return {
    name,
    short: spec.shortDisplayName ? String(spec.shortDisplayName) : name,
    full: spec.fullDisplayName ? String(spec.fullDisplayName) : name,
    color,
    ink: inkOn(color),
    key: index < KEY_NAMES.length ? KEY_NAMES[index] : null,
    index,
  };
}

// Dark text on light label colours (the second half of tab20), white on the rest.
function inkOn(hex) {
  const n = parseInt(hex.slice(1), 16);
  const luminance = 0.299 * ((n >> 16) & 255) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255);
  return luminance > 165 ? "#111827" : "#ffffff";
}

/** Fills the label picker; `active` marks the chips of labels on the selected entity's span. */
export function renderPicker(toolbar, labels, counts, active) {
  toolbar.replaceChildren(
    ...labels.map((label) => {
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = "chip";
      chip.setAttribute("part", "label");
      chip.dataset.label = label.name;
      chip.style.setProperty("--c", label.color);
      chip.style.setProperty("--c-soft", rgba(label.color, 0.14));
      chip.style.setProperty("--on-c", label.ink);
      chip.title = label.key ? `${label.full} (key ${label.key})` : label.full;
      chip.setAttribute("aria-pressed", String(active.has(label.name)));
      if (label.key) chip.setAttribute("aria-keyshortcuts", label.key);
      chip.innerHTML = `${label.key ? "<kbd></kbd>" : ""}<span class="abbr"></span>
        <span class="name"></span><span class="count"></span>`;
      if (label.key) chip.querySelector("kbd").textContent = label.key;
      chip.querySelector(".abbr").textContent = label.short;
      chip.querySelector(".name").textContent = label.full === label.short ? "" : label.full;
      chip.querySelector(".count").textContent = String(counts.get(label.name) || 0);
      return chip;
    }),
  );
}

/** Fills the side list of entities, in reading order. */
export function renderEntityList(side, sorted, text, labelOf, selectedId) {
  const list = side.querySelector(".entity-list");
  side.querySelector(".total").textContent = sorted.length ? String(sorted.length) : "";
  side.querySelector(".empty").hidden = sorted.length > 0;
  const fragment = document.createDocumentFragment();
  for (const entity of sorted) {
    const label = labelOf(entity.label);
    const words = quote(text, entity);
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.id = String(entity.id);
    button.setAttribute("aria-label", `${label.full}: ${words}`);
    if (entity.id === selectedId) button.setAttribute("aria-current", "true");
    const tag = document.createElement("span");
    tag.className = "tag";
    tag.style.cssText = `--c: ${label.color}; --on-c: ${label.ink}`;
    tag.textContent = label.short;
    const body = document.createElement("span");
    body.className = "quote";
    body.textContent = words;
    button.append(tag, body);
    item.appendChild(button);
    fragment.appendChild(item);
  }
  list.replaceChildren(fragment);
}

/** Scrolls the entity list (only the list, never the page) to the selected entity's item. */
export function revealListItem(side, id) {
  if (id === null) return;
  const list = side.querySelector(".entity-list");
  const button = list.querySelector(`button[data-id="${id}"]`);
  if (!button) return;
  const item = button.parentElement;
  const top = item.offsetTop - list.offsetTop;
  if (top < list.scrollTop) list.scrollTop = top;
  else if (top + item.offsetHeight > list.scrollTop + list.clientHeight) {
    list.scrollTop = top + item.offsetHeight - list.clientHeight;
  }
}

/** Writes the status line: what is selected and what the keys will do. */
export function renderStatus(status, { text, selection, entity, labels, labelOf, notice }) {
  const keys = labelKeysText(labels);
  status.replaceChildren();
  if (notice) {
    const said = document.createElement("strong");
    said.className = "notice";
    said.textContent = notice;
    status.append(said);
  }
  if (entity) {
    const label = labelOf(entity.label);
    const hint = keys
      ? `${keys} adds a label, Shift+${keys} changes it`
      : "click a label to add it";
    const words = document.createElement("span");
    words.className = "quote";
    words.textContent = `“${quote(text, entity)}”`;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove";
    remove.textContent = "Remove";
    remove.title = "Remove this entity (Delete)";
    const where = `${entity.startOffset}–${entity.endOffset}`;
    status.append(chipText(label), words, hintText(`${where} · ${hint}`), remove);
  } else if (selection) {
    const words = document.createElement("span");
    words.className = "quote";
    words.textContent = `“${quote(text, selection)}”`;
    status.append("Selected", words, hintText(`· ${keys ? `press ${keys} or ` : ""}click a label`));
  } else {
    status.append("Select text with the mouse or the arrow keys, then choose a label.");
  }
}

function hintText(text) {
  const span = document.createElement("span");
  span.className = "hint";
  span.textContent = text;
  return span;
}

function chipText(label) {
  const span = document.createElement("span");
  span.className = "tag";
  span.style.setProperty("--c", label.color);
  span.style.setProperty("--on-c", label.ink);
  span.textContent = label.short;
  span.title = label.full;
  return span;
}

function quote(text, span) {
  const body = text.text.slice(span.start, span.end).replace(/\s+/g, " ");
  if (body.length <= QUOTE_MAX) return body;
  // Cut between code points so the quote never ends in half a surrogate pair.
  const cps = Array.from(body);
  return cps.length <= QUOTE_MAX ? body : `${cps.slice(0, QUOTE_MAX - 1).join("")}…`;
}

export function labelKeysText(labels) {
  const keys = labels.filter((l) => l.key).map((l) => l.key);
  if (!keys.length) return "";
  return keys.length === 1 ? keys[0] : `${keys[0]}–${keys.at(-1)}`;
}
