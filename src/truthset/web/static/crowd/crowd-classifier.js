// The classifiers: <crowd-classifier>, <crowd-classifier-multi-select>, <crowd-image-classifier>
// and <crowd-image-classifier-multi-select>. One element class, four configurations.
//
// Output under the element's `name`: {"label": "<category>"} (single) or {"labels": [...]} (multi,
// in category order), plus "workerComment" when a <worker-comment> region exists and the worker
// typed one. The exclusion category of the multi-selects is not a category: choosing it outputs
// {"labels": []}.
import { attachStyledShadow, choiceIndexForKey, isTyping, parseAttr } from "./base.js";
import { shortcutAllowed } from "./crowd-form.js";
import { MEDIA_CSS, mediaKey, mediaPlayers, setUpMediaTarget } from "./classifier-media.js";
import { ImageStage, STAGE_CSS } from "./crowd-image-stage.js";
import { createInstructionsPanel, ensureRegionStyles } from "./crowd-instructions.js";

// The tool fills the viewport above crowd-form's footer (--crowd-footer-height, set by the form).
const CLASSIFIER_CSS = `
  :host { display: block; --crowd-gap: 20px; }
  [hidden] { display: none !important; }
  .layout { display: grid; gap: 16px var(--crowd-gap); box-sizing: border-box;
            grid-template-columns: auto minmax(0, 1fr) minmax(240px, 320px);
            grid-template-rows: auto minmax(0, 1fr);
            grid-template-areas: "instructions header header" "instructions work choices";
            height: max(480px, calc(100dvh - var(--crowd-footer-height, 0px) - 32px)); }
  .layout.no-instructions { grid-template-columns: minmax(0, 1fr) minmax(240px, 320px);
            grid-template-areas: "header header" "work choices"; }
  crowd-instructions-panel { grid-area: instructions; width: clamp(220px, 20vw, 280px);
                             max-width: 45vw; }
  .header { grid-area: header; margin: 0; font-size: 1.35rem; font-weight: 650; line-height: 1.3;
            color: #111827; overflow-wrap: anywhere; }
  .work { grid-area: work; display: flex; flex-direction: column; min-height: 0; min-width: 0; }
  .target { flex: 0 1 auto; min-height: 0; overflow: auto; background: #fff;
            border: 1px solid #e5e7eb; border-radius: 12px;
            box-shadow: 0 1px 3px rgba(15, 23, 42, 0.06); }
  .target:focus-visible { outline: 3px solid var(--crowd-accent-soft); }
  .target-body { max-width: 72ch; margin: 0 auto; padding: 28px 36px; font-size: 1.07rem;
                 line-height: 1.7; color: #1f2937; overflow-wrap: break-word; }
  ::slotted([data-crowd-plain]) { white-space: pre-line; }
  .empty { color: var(--crowd-muted); }
  .choices { grid-area: choices; display: flex; flex-direction: column; min-height: 0; gap: 10px; }
  .choices-head { display: flex; align-items: baseline; justify-content: space-between; gap: 8px; }
  .choices h2 { margin: 0; font-size: 0.75rem; font-weight: 700; letter-spacing: 0.06em;
                text-transform: uppercase; color: var(--crowd-muted); }
  .keys-hint { font-size: 0.8rem; color: var(--crowd-muted); }
  .choices-sub { margin: -4px 0 2px; font-size: 0.9rem; color: var(--crowd-muted); }
  .choice-list { display: flex; flex-direction: column; gap: 8px; min-height: 0; overflow-y: auto;
                 padding: 3px; margin: -3px; }
  .choice { display: flex; align-items: center; gap: 12px; width: 100%; min-height: 52px;
            padding: 10px 14px; text-align: left; font-size: 1rem; font-weight: 550;
            color: #111827; background: #fff; border: 1.5px solid var(--crowd-border);
            border-radius: 10px; transition: background 100ms, border-color 100ms; }
  .choice:hover { border-color: var(--crowd-accent); background: #f5f8ff; }
  .choice[aria-pressed="true"]:hover { background: #1d4ed8; }
  .choice:focus-visible { outline: 3px solid #93c5fd; outline-offset: 1px; }
  .choice[aria-pressed="true"] { background: var(--crowd-accent); border-color: var(--crowd-accent);
            color: #fff; box-shadow: 0 2px 6px rgba(37, 99, 235, 0.3); }
  .key { flex: none; min-width: 26px; height: 26px; box-sizing: border-box; display: inline-grid;
         place-items: center; padding: 0 4px; font-size: 0.85rem; font-weight: 600; }
  .key.blank { visibility: hidden; }
  .choice[aria-pressed="true"] .key { background: rgba(255, 255, 255, 0.18);
            border-color: rgba(255, 255, 255, 0.4); color: #fff; }
  .name { flex: 1; min-width: 0; line-height: 1.3; overflow-wrap: anywhere; }
  .mark { flex: none; width: 22px; height: 22px; box-sizing: border-box; display: grid;
          place-items: center; border: 2px solid #cbd5e1; border-radius: 50%; color: transparent; }
  .mark.square { border-radius: 6px; }
  .mark svg { width: 14px; height: 14px; }
  .choice[aria-pressed="true"] .mark { background: #fff; border-color: #fff;
            color: var(--crowd-accent); }
  .more { align-self: center; margin-top: -4px; padding: 3px 12px; font-size: 0.85rem;
          font-weight: 600; color: var(--crowd-muted); border-radius: 999px; background: #f3f4f6;
          border-color: transparent; }
  .more:hover { color: #111827; border-color: transparent; }
  .exclusion-wrap { display: flex; flex-direction: column; gap: 8px; }
  .or { display: flex; align-items: center; gap: 10px; font-size: 0.8rem; color: var(--crowd-muted);
        text-transform: uppercase; letter-spacing: 0.06em; }
  .or::before, .or::after { content: ""; flex: 1; border-top: 1px solid #e5e7eb; }
  .config-problem { margin: 0; padding: 10px 12px; border-radius: 8px; font-size: 0.9rem;
                    color: var(--crowd-danger); background: #fef2f2; border: 1px solid #fecaca; }
  .comment { border-top: 1px solid #e5e7eb; padding-top: 10px; }
  .comment-toggle { display: inline-flex; gap: 6px; border: none; background: none; padding: 4px 0;
                    font-weight: 600; color: var(--crowd-accent); }
  .sign { display: inline-block; width: 0.8em; text-align: center; }
  .comment-toggle:hover { text-decoration: underline; }
  .comment-box { display: flex; flex-direction: column; gap: 6px; margin-top: 6px; }
  .comment-box label { font-size: 0.9rem; font-weight: 600; color: #374151; }
  textarea { font: inherit; font-size: 0.95rem; resize: vertical; min-height: 72px;
             padding: 8px 10px;
             border: 1px solid var(--crowd-border); border-radius: 8px; }
  textarea:focus { outline: 3px solid var(--crowd-accent-soft); border-color: var(--crowd-accent); }
  @media (max-width: 900px) {
    .layout, .layout.no-instructions { height: auto; grid-template-columns: minmax(0, 1fr);
            grid-template-areas: "header" "instructions" "work" "choices"; }
    .work { height: 60vh; }
    crowd-instructions-panel { width: auto; max-width: none; }
  }
`;

const CLASSIFIER_TAGS = [
  "crowd-classifier",
  "crowd-classifier-multi-select",
  "crowd-image-classifier",
  "crowd-image-classifier-multi-select",
  "crowd-rekognition-detect-moderation-labels",
];

const CHECK_SVG = `<svg viewBox="0 0 16 16" aria-hidden="true"><path d="M3.5 8.5l3 3 6-7"
  fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round"
  stroke-linejoin="round"/></svg>`;

/** Category text from a `categories` entry: a string, or an object with a label/text/name. */
export function categoryText(entry) {
  if (typeof entry === "string") return entry;
  if (entry && typeof entry === "object") {
    const text = entry.label ?? entry.text ?? entry.name;
    if (text !== undefined) return String(text);
  }
  return JSON.stringify(entry);
}

function parseCategories(value) {
  const parsed = parseAttr(value, []);
  if (!Array.isArray(parsed)) throw new Error("categories must be an array");
  return parsed.map(categoryText);
}

function parseExclusion(value) {
  const parsed = parseAttr(value, null);
  if (parsed === null) return null;
  return typeof parsed === "string" ? parsed : categoryText(parsed);
}

class Classifier extends HTMLElement {
  static observedAttributes = ["categories", "header", "src", "overlay", "exclusion-category"];
  static multiSelect = false;
  static showsImage = false;

  constructor() {
    super();
    this.root = attachStyledShadow(this, CLASSIFIER_CSS + STAGE_CSS + MEDIA_CSS);
    this.categoryNames = [];
    this.selected = new Set();
    this.exclusion = null;
    this.exclusionChosen = false;
    this.problems = {};
    this.onKeydown = (event) => this.handleKeydown(event);
  }

  get multi() {
    return this.constructor.multiSelect;
  }

  connectedCallback() {
    document.addEventListener("keydown", this.onKeydown);
    if (this.built) return;
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", () => this.build(), { once: true });
    } else {
      this.build();
    }
  }

  disconnectedCallback() {
    document.removeEventListener("keydown", this.onKeydown);
  }

  attributeChangedCallback(name) {
    if (!this.built) return;
    if (name === "categories" || name === "exclusion-category") this.renderChoices();
    else if (name === "header") this.renderHeader();
    else if (name === "src") this.stage?.setSource(this.getAttribute("src"));
    else if (name === "overlay") this.stage?.setOverlay(this.getAttribute("overlay"));
  }

  build() {
    if (this.built) return;
    this.built = true;
    ensureRegionStyles(this.ownerDocument);
    const layout = document.createElement("div");
    // "annotation-area" and "category-picker-wrapper" are the class names of AWS's own layout;
    // the gallery's two-tier templates insert their follow-up questions after the latter.
    layout.className = "layout annotation-area";
    layout.setAttribute("part", "layout");
    layout.innerHTML = `
      <h1 class="header" part="header" id="header"></h1>
      <div class="work" part="work"></div>
      <aside class="choices" part="choices" aria-labelledby="choices-title">
        <div class="choices-head"><h2 id="choices-title">Categories</h2>
          <span class="keys-hint" aria-hidden="true"></span></div>
        <p class="choices-sub" id="choices-sub"></p>
        <div class="choice-list category-picker-wrapper" role="group" aria-labelledby="choices-title"
             aria-describedby="choices-sub"></div>
        <button type="button" class="more" tabindex="-1" aria-hidden="true" hidden>
          More categories below ↓</button>
        <p class="config-problem" role="alert" hidden></p>
      </aside>`;
    const panel = createInstructionsPanel(this);
    if (panel) layout.prepend(panel);
    layout.classList.toggle("no-instructions", !panel);
    this.root.appendChild(layout);
    this.layout = layout;
    this.list = layout.querySelector(".choice-list");
    this.list.addEventListener("click", (event) => this.onChoiceClick(event));
    this.list.addEventListener("keydown", (event) => this.moveFocus(event));
    this.list.addEventListener("scroll", () => this.updateMore(), { passive: true });
    new ResizeObserver(() => this.updateMore()).observe(this.list);
    layout.querySelector(".more").addEventListener("click", () => {
      this.list.scrollBy({ top: this.list.clientHeight * 0.8, behavior: "smooth" });
    });
    this.buildWork(layout.querySelector(".work"));
    this.buildComment(layout.querySelector(".choices"));
    this.renderHeader();
    this.renderChoices();
  }

  buildWork(work) {
    if (this.constructor.showsImage) {
      this.stage = new ImageStage(work, () => this.getAttribute("header"));
      this.stage.onProblem = (problem) => this.setProblem("overlay", problem);
      this.stage.setSource(this.getAttribute("src"));
      this.stage.setOverlay(this.getAttribute("overlay"));
      return;
    }
    const target = this.querySelector(":scope > classification-target");
    work.innerHTML = `<div class="target" part="target" tabindex="0" role="region"
      aria-labelledby="header"><div class="target-body"><slot name="classification-target">
      <p class="empty">Nothing to classify.</p></slot></div></div>`;
    if (!target) return;
    target.slot = "classification-target";
    this.players = mediaPlayers(target);
    if (this.players) setUpMediaTarget(work.querySelector(".target"), target);
    // Plain text (Liquid output) keeps its line breaks; HTML content keeps its own layout.
    if (!target.children.length) {
      target.textContent = target.textContent.trim();
      target.setAttribute("data-crowd-plain", "");
    }
  }

  buildComment(choices) {
    const region = this.querySelector(":scope > worker-comment");
    if (!region) return;
    const wrap = document.createElement("div");
    wrap.className = "comment";
    wrap.setAttribute("part", "comment");
    wrap.innerHTML = `
      <button type="button" class="comment-toggle" aria-expanded="false"
              aria-controls="comment-box"><span class="sign" aria-hidden="true">+</span>
        <span></span></button>
      <div class="comment-box" id="comment-box" hidden>
        <label for="comment-input"></label>
        <textarea id="comment-input" part="comment-input" rows="4"></textarea></div>`;
    const toggle = wrap.querySelector(".comment-toggle");
    const box = wrap.querySelector(".comment-box");
    this.commentInput = wrap.querySelector("textarea");
    toggle.lastElementChild.textContent = region.getAttribute("link-text") || "Add a comment";
    wrap.querySelector("label").textContent = region.getAttribute("header") || "Comment";
    this.commentInput.placeholder = region.getAttribute("placeholder") || "";
    toggle.addEventListener("click", () => {
      const open = box.hidden;
      box.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      toggle.querySelector(".sign").textContent = open ? "−" : "+";
      if (open) this.commentInput.focus();
    });
    choices.appendChild(wrap);
  }

  renderHeader() {
    const header = this.root.querySelector(".header");
    header.textContent = this.getAttribute("header") || "";
    header.hidden = !header.textContent;
  }

  renderChoices() {
    const previous = this.multi
      ? [...this.selected].map((i) => this.categoryNames[i])
      : [this.categoryNames[[...this.selected][0]]];
    try {
      this.categoryNames = parseCategories(this.getAttribute("categories"));
      this.exclusion = this.multi ? parseExclusion(this.getAttribute("exclusion-category")) : null;
      this.setProblem("categories", null);
    } catch (error) {
      this.categoryNames = [];
      this.exclusion = null;
      this.setProblem("categories", `The categories attribute is not valid: ${error.message}`);
    }
    this.selected = new Set(
      this.categoryNames.map((c, i) => (previous.includes(c) ? i : -1)).filter((i) => i >= 0),
    );
    if (!this.multi && this.selected.size > 1) this.selected = new Set([[...this.selected][0]]);
    if (!this.exclusion) this.exclusionChosen = false;
    const entries = this.choiceEntries();
    this.list.replaceChildren(...entries.map((entry, i) => this.choiceButton(entry, i)));
    this.renderHints();
    this.updateChoiceStates();
    this.updateMore();
  }

  // A scrolled list gives no sign of what is below it; this one does.
  updateMore() {
    const { scrollTop, clientHeight, scrollHeight } = this.list;
    this.root.querySelector(".more").hidden = scrollTop + clientHeight >= scrollHeight - 4;
  }

  // Everything the worker can pick, in shortcut order: the categories, then the exclusion.
  choiceEntries() {
    const entries = this.categoryNames.map((text, index) => ({ text, index }));
    if (this.exclusion !== null) entries.push({ text: this.exclusion, index: -1 });
    return entries;
  }

  choiceButton(entry, position) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = entry.index < 0 ? "choice exclusion" : "choice";
    button.setAttribute("part", "choice");
    button.setAttribute("data-enter-submits", "");
    button.dataset.position = String(position);
    const key = position < 10 ? String((position + 1) % 10) : "";
    if (key) button.setAttribute("aria-keyshortcuts", key);
    button.innerHTML = `<kbd class="key" aria-hidden="true"></kbd><span class="name"></span>
      <span class="mark ${this.multi ? "square" : "round"}" aria-hidden="true">${CHECK_SVG}</span>`;
    const badge = button.querySelector(".key");
    badge.textContent = key;
    badge.classList.toggle("blank", !key);
    button.querySelector(".name").textContent = entry.text;
    if (entry.index >= 0) return button;
    const divider = document.createElement("div");
    divider.className = "exclusion-wrap";
    divider.innerHTML = `<span class="or" aria-hidden="true">or</span>`;
    divider.appendChild(button);
    return divider;
  }

  renderHints() {
    const count = Math.min(this.choiceEntries().length, 10);
    const last = count === 10 ? "0" : String(count);
    const hint = this.root.querySelector(".keys-hint");
    const keys = count > 1 ? `<kbd>1</kbd>–<kbd>${last}</kbd>` : "<kbd>1</kbd>";
    hint.innerHTML = count ? `Keys ${keys}` : "";
    this.root.querySelector(".choices-sub").textContent = this.multi
      ? "Select all that apply."
      : "Choose one.";
  }

  buttons() {
    return [...this.list.querySelectorAll(".choice")];
  }

  onChoiceClick(event) {
    const button = event.target.closest(".choice");
    if (button) this.choose(Number(button.dataset.position));
  }

  /** Picks the choice at a shortcut position: selects it (single) or toggles it (multi). */
  choose(position) {
    const entry = this.choiceEntries()[position];
    if (!entry) return;
    if (!this.multi) {
      this.selected = new Set([entry.index]);
    } else if (entry.index < 0) {
      this.exclusionChosen = !this.exclusionChosen;
      if (this.exclusionChosen) this.selected.clear();
    } else if (this.selected.has(entry.index)) {
      this.selected.delete(entry.index);
    } else {
      this.selected.add(entry.index);
      this.exclusionChosen = false;
    }
    this.updateChoiceStates();
    this.buttons()[position].scrollIntoView({ block: "nearest" });
    this.dispatchEvent(new Event("change", { bubbles: true, composed: true }));
  }

  updateChoiceStates() {
    for (const button of this.buttons()) {
      const entry = this.choiceEntries()[Number(button.dataset.position)];
      const on = entry.index < 0 ? this.exclusionChosen : this.selected.has(entry.index);
      button.setAttribute("aria-pressed", String(on));
    }
  }

  moveFocus(event) {
    const steps = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 };
    const buttons = this.buttons();
    const current = buttons.indexOf(event.target.closest(".choice"));
    if (current < 0) return;
    let next = null;
    if (event.key in steps) next = (current + steps[event.key] + buttons.length) % buttons.length;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = buttons.length - 1;
    if (next === null) return;
    buttons[next].focus();
    event.preventDefault();
  }

  // With several classifiers on a page, the one holding the focus (else the first) takes keys.
  ownsShortcuts(event) {
    const path = event.composedPath();
    if (path.includes(this)) return true;
    const selector = CLASSIFIER_TAGS.join(",");
    if (path.some((node) => node instanceof Element && node.matches(selector))) return false;
    return document.querySelector(selector) === this;
  }

  handleKeydown(event) {
    if (!this.built || !this.ownsShortcuts(event)) return;
    // Ctrl+arrows set a DICOM image's window (other Ctrl keys stay the browser's).
    if (event.ctrlKey && !isTyping(event) && !event.defaultPrevented && this.stage?.handleKey(event)) {
      event.preventDefault();
      return;
    }
    if (!shortcutAllowed(event)) return;
    const position = choiceIndexForKey(event.key);
    if (position >= 0 && position < this.choiceEntries().length) {
      this.choose(position);
      event.preventDefault();
    } else if (mediaKey(event, this.players)) {
      event.preventDefault();
    } else if (event.key.toLowerCase() === "h" && this.stage?.hasOverlay) {
      this.stage.toggleOverlay();
      event.preventDefault();
    } else if (this.stage?.handleKey(event)) {
      event.preventDefault();
    }
  }

  setProblem(kind, problem) {
    this.problems[kind] = problem;
    const box = this.root.querySelector(".config-problem");
    if (!box) return;
    const text = Object.values(this.problems).filter(Boolean).join(" ");
    box.textContent = text;
    box.hidden = !text;
  }

  /** The chosen category (a list of them for the multi-selects), as AWS's element exposes it to
   * template scripts (`classifier.addEventListener("change", (e) => e.target.value)`). */
  get value() {
    const labels = [...this.selected].sort((a, b) => a - b).map((i) => this.categoryNames[i]);
    return this.multi ? labels : labels[0] ?? null;
  }

  get categories() {
    return this.categoryNames;
  }

  /** Templates may set the categories from a script: `classifier.categories = [...]`. */
  set categories(list) {
    this.setAttribute("categories", JSON.stringify(list));
  }

  get workerComment() {
    return this.commentInput ? this.commentInput.value : "";
  }

  /** The answer under this element's name (see the module comment for the shapes). */
  get crowdValue() {
    const indices = [...this.selected].sort((a, b) => a - b);
    const value = this.multi
      ? { labels: indices.map((i) => this.categoryNames[i]) }
      : { label: indices.length ? this.categoryNames[indices[0]] : null };
    if (this.workerComment.trim()) value.workerComment = this.workerComment;
    return value;
  }

  crowdValidate() {
    if (this.problems.categories) return this.problems.categories;
    if (this.selected.size || this.exclusionChosen) return null;
    if (!this.multi) return "Choose a category";
    return this.exclusion
      ? `Choose at least one category, or “${this.exclusion}”`
      : "Choose at least one category";
  }

  crowdReset() {
    this.selected.clear();
    this.exclusionChosen = false;
    if (this.commentInput) this.commentInput.value = "";
    this.updateChoiceStates();
  }
}

/** The classifier element class for a configuration (crowd-rekognition-detect-moderation-labels
 * builds on the image multi-select one). */
export function classifierClass(multiSelect, showsImage) {
  return class extends Classifier {
    static multiSelect = multiSelect;
    static showsImage = showsImage;
  };
}

customElements.define("crowd-classifier", classifierClass(false, false));
customElements.define("crowd-classifier-multi-select", classifierClass(true, false));
customElements.define("crowd-image-classifier", classifierClass(false, true));
customElements.define("crowd-image-classifier-multi-select", classifierClass(true, true));
