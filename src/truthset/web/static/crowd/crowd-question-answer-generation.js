// <crowd-question-answer-generation>: write question and answer pairs about a passage, each with
// an optional tag and the parts of the passage it refers to.
//
// Attributes (Ground Truth's Crowd HTML Elements V2 reference): name, text (the passage),
// min-questions (default 1), max-questions, question-min-words (1), question-max-words,
// answer-min-words (1), answer-max-words, question-tags (JSON array; empty hides the tag),
// allow-custom-question-tags (the worker may type a tag of their own).
//
// Output under `name` (the reference shows none; this is truthset's, field names in the style of
// Ground Truth's other outputs, offsets in code points like crowd-entity-annotation's):
//   {"questionAnswerPairs": [{"question": "...", "answer": "...", "questionTag": "Who",
//     "textReferences": [{"startOffset": 10, "endOffset": 24, "text": "..."}]}]}
// questionTag is present when the element has tags. To add a reference, select text in the
// passage and press "Add selected text" on a pair (or Alt+R in its question or answer).
import { attachStyledShadow, parseAttr } from "./base.js";
import { createInstructionsPanel } from "./crowd-instructions.js";

const QA_CSS = `
  :host { display: block; }
  .layout { display: grid; grid-template-columns: minmax(200px, 260px) minmax(0, 1fr) minmax(320px, 1fr);
            gap: 20px; align-items: start; }
  .layout.no-instructions { grid-template-columns: minmax(0, 1fr) minmax(320px, 1fr); }
  .passage { position: sticky; top: 12px; max-height: calc(100vh - var(--crowd-footer-height, 0px) - 40px);
             overflow: auto; padding: 16px 20px; background: #fff; border: 1px solid #e5e7eb;
             border-radius: 12px; line-height: 1.7; }
  .passage-text { white-space: pre-wrap; }
  h2 { margin: 0 0 8px; font-size: 0.75rem; letter-spacing: 0.06em; text-transform: uppercase;
       color: var(--crowd-muted); }
  .pairs { display: flex; flex-direction: column; gap: 14px; }
  .pair { padding: 14px 16px; border: 1px solid #e5e7eb; border-radius: 12px; background: #f8fafc; }
  .pair-head { display: flex; align-items: center; gap: 10px; margin-bottom: 8px; }
  .pair-head h3 { flex: 1; margin: 0; font-size: 0.95rem; }
  label { display: block; font-size: 0.85rem; font-weight: 600; margin: 8px 0 4px; color: #374151; }
  textarea, input, select { font: inherit; width: 100%; box-sizing: border-box; padding: 8px 10px;
             border: 1px solid var(--crowd-border); border-radius: 8px; background: #fff; }
  textarea { resize: vertical; min-height: 2.6em; }
  textarea:focus, input:focus, select:focus { outline: none; border-color: var(--crowd-accent);
             box-shadow: 0 0 0 3px var(--crowd-accent-soft); }
  .count { font-weight: 400; color: var(--crowd-muted); font-size: 0.8rem; }
  .refs { display: flex; flex-wrap: wrap; gap: 6px; margin: 6px 0; }
  .ref { display: inline-flex; align-items: center; gap: 4px; max-width: 100%; padding: 2px 4px 2px 8px;
         border-radius: 999px; background: var(--crowd-accent-soft); font-size: 0.85rem; }
  .ref span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 28ch; }
  .ref button { border: none; background: none; padding: 0 4px; }
  .add { margin-top: 4px; }
  .problem { color: var(--crowd-danger); margin: 0; }
  .problem:empty { display: none; }
  [hidden] { display: none !important; }
`;

const words = (text) => (text.trim() ? text.trim().split(/\s+/).length : 0);

function intAttr(element, name, fallback) {
  const value = Number(element.getAttribute(name));
  return element.getAttribute(name) !== null && Number.isInteger(value) && value >= 0 ? value : fallback;
}

class CrowdQuestionAnswerGeneration extends HTMLElement {
  static observedAttributes = ["text", "question-tags", "allow-custom-question-tags"];

  constructor() {
    super();
    this.root = attachStyledShadow(this, QA_CSS);
    this.pairs = [];
    this.root.addEventListener("click", (event) => this.onClick(event));
    this.root.addEventListener("input", (event) => this.onInput(event));
    this.root.addEventListener("keydown", (event) => this.onKey(event));
    // Focusing a question or answer box clears the page's selection, so the last selection made
    // in the passage is remembered for "Add selected text" and Alt+R.
    this.onSelection = () => {
      const ref = this.selectedReference();
      if (ref) this.lastSelection = ref;
    };
  }

  disconnectedCallback() {
    document.removeEventListener("selectionchange", this.onSelection);
  }

  connectedCallback() {
    document.addEventListener("selectionchange", this.onSelection);
    if (this.built) return;
    this.built = true;
    const layout = document.createElement("div");
    layout.className = "layout";
    layout.innerHTML = `<section class="passage" part="passage" aria-labelledby="passage-title">
        <h2 id="passage-title">Passage</h2><div class="passage-text"></div></section>
      <section part="pairs"><h2>Questions and answers</h2><div class="pairs"></div>
        <button type="button" class="add-pair" part="add-pair">Add a question</button>
        <p class="problem" role="alert"></p></section>`;
    const panel = createInstructionsPanel(this);
    if (panel) layout.prepend(panel);
    layout.classList.toggle("no-instructions", !panel);
    this.root.appendChild(layout);
    this.render();
    for (let i = 0; i < Math.max(1, this.minQuestions); i++) this.addPair(false);
  }

  attributeChangedCallback() {
    if (this.built) this.render();
  }

  get passage() {
    return this.getAttribute("text") || "";
  }

  get minQuestions() {
    return intAttr(this, "min-questions", 1);
  }

  get maxQuestions() {
    return intAttr(this, "max-questions", Infinity);
  }

  get tags() {
    try {
      const tags = parseAttr(this.getAttribute("question-tags"), []);
      return Array.isArray(tags) ? tags.map(String) : [];
    } catch (_) {
      return [];
    }
  }

  get customTags() {
    const value = this.getAttribute("allow-custom-question-tags");
    return value !== null && value !== "false";
  }

  render() {
    this.root.querySelector(".passage-text").textContent = this.passage;
    this.renderPairs();
  }

  addPair(focus = true) {
    if (this.pairs.length >= this.maxQuestions) return;
    this.pairs.push({ question: "", answer: "", tag: "", refs: [] });
    this.renderPairs();
    const fields = this.root.querySelectorAll(".question");
    if (focus) fields[fields.length - 1]?.focus();
  }

  renderPairs() {
    const tags = this.tags;
    const list = this.root.querySelector(".pairs");
    list.replaceChildren(...this.pairs.map((pair, i) => this.pairCard(pair, i, tags)));
    this.root.querySelector(".add-pair").hidden = this.pairs.length >= this.maxQuestions;
  }

  pairCard(pair, i, tags) {
    const card = document.createElement("article");
    card.className = "pair";
    card.setAttribute("part", "pair");
    card.dataset.index = String(i);
    const options = tags.map((t) => `<option></option>`).join("");
    card.innerHTML = `<div class="pair-head"><h3>Question ${i + 1}</h3>
        <button type="button" class="remove" aria-label="Remove question ${i + 1}">Remove</button></div>
      <label for="q-${i}">Question <span class="count"></span></label>
      <textarea id="q-${i}" class="question" rows="2"></textarea>
      <label for="a-${i}">Answer <span class="count"></span></label>
      <textarea id="a-${i}" class="answer" rows="2"></textarea>
      <div class="tag-row" ${tags.length || this.customTags ? "" : "hidden"}>
        <label for="t-${i}">Question tag</label>
        <select id="t-${i}" class="tag"><option value="">(choose a tag)</option>${options}
          ${this.customTags ? `<option value="__custom">Other…</option>` : ""}</select>
        <input class="custom-tag" aria-label="Custom tag of question ${i + 1}" placeholder="Your tag" hidden></div>
      <label>Text references</label><div class="refs" role="list"></div>
      <button type="button" class="add" title="Select text in the passage first (Alt+R)">Add selected text</button>`;
    const select = card.querySelector(".tag");
    [...select.options].slice(1, tags.length + 1).forEach((option, k) => {
      option.value = tags[k];
      option.textContent = tags[k];
    });
    card.querySelector(".question").value = pair.question;
    card.querySelector(".answer").value = pair.answer;
    const custom = pair.tag && !tags.includes(pair.tag);
    select.value = custom ? "__custom" : pair.tag;
    card.querySelector(".custom-tag").hidden = !custom;
    card.querySelector(".custom-tag").value = custom ? pair.tag : "";
    card.querySelector(".remove").hidden = this.pairs.length <= 1;
    card.querySelector(".refs").replaceChildren(...pair.refs.map((ref, k) => this.refChip(ref, k)));
    this.updateCounts(card, pair);
    return card;
  }

  refChip(ref, k) {
    const chip = document.createElement("span");
    chip.className = "ref";
    chip.setAttribute("role", "listitem");
    chip.innerHTML = `<span></span><button type="button" class="remove-ref" data-ref="${k}"
      aria-label="Remove reference">&times;</button>`;
    chip.querySelector("span").textContent = `“${ref.text}”`;
    chip.title = ref.text;
    return chip;
  }

  updateCounts(card, pair) {
    const [q, a] = card.querySelectorAll(".count");
    q.textContent = `${words(pair.question)} words`;
    a.textContent = `${words(pair.answer)} words`;
  }

  pairOf(node) {
    const card = node.closest?.(".pair");
    return card ? { card, index: Number(card.dataset.index), pair: this.pairs[Number(card.dataset.index)] } : null;
  }

  onInput(event) {
    const found = this.pairOf(event.target);
    if (!found) return;
    const { card, pair } = found;
    const t = event.target;
    if (t.classList.contains("question")) pair.question = t.value;
    else if (t.classList.contains("answer")) pair.answer = t.value;
    else if (t.classList.contains("tag")) {
      const custom = t.value === "__custom";
      card.querySelector(".custom-tag").hidden = !custom;
      pair.tag = custom ? card.querySelector(".custom-tag").value : t.value;
      if (custom) card.querySelector(".custom-tag").focus();
    } else if (t.classList.contains("custom-tag")) pair.tag = t.value;
    this.updateCounts(card, pair);
    this.root.querySelector(".problem").textContent = "";
  }

  onClick(event) {
    const target = event.target;
    if (target.closest(".add-pair")) return this.addPair();
    const found = this.pairOf(target);
    if (!found) return;
    if (target.closest(".remove")) {
      this.pairs.splice(found.index, 1);
      this.renderPairs();
    } else if (target.closest(".remove-ref")) {
      found.pair.refs.splice(Number(target.closest(".remove-ref").dataset.ref), 1);
      this.renderPairs();
    } else if (target.closest(".add")) {
      this.addReference(found.index);
    }
  }

  onKey(event) {
    if (!event.altKey || event.key.toLowerCase() !== "r") return;
    const found = this.pairOf(event.composedPath()[0]);
    if (!found) return;
    event.preventDefault();
    this.addReference(found.index);
  }

  /** The passage text the worker selected: {startOffset, endOffset, text} in code points. */
  selectedReference() {
    const selection = this.root.getSelection ? this.root.getSelection() : document.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    const range = selection.getRangeAt(0);
    const holder = this.root.querySelector(".passage-text");
    const node = holder.firstChild;
    if (!node || !holder.contains(range.startContainer) || !holder.contains(range.endContainer)) return null;
    const text = this.passage;
    const toCodePoints = (units) => [...text.slice(0, units)].length;
    const start = range.startContainer === node ? range.startOffset : 0;
    const end = range.endContainer === node ? range.endOffset : text.length;
    if (end <= start) return null;
    return { startOffset: toCodePoints(start), endOffset: toCodePoints(end), text: text.slice(start, end) };
  }

  addReference(index) {
    const ref = this.selectedReference() || this.lastSelection;
    this.lastSelection = null;
    const problem = this.root.querySelector(".problem");
    if (!ref) {
      problem.textContent = "Select text in the passage first, then add it.";
      return;
    }
    const refs = this.pairs[index].refs;
    if (!refs.some((r) => r.startOffset === ref.startOffset && r.endOffset === ref.endOffset)) refs.push(ref);
    this.renderPairs();
    this.dispatchEvent(new Event("input", { bubbles: true, composed: true }));
  }

  get crowdValue() {
    const tagged = this.tags.length > 0 || this.customTags;
    return {
      questionAnswerPairs: this.pairs.map((pair) => ({
        question: pair.question.trim(),
        answer: pair.answer.trim(),
        ...(tagged ? { questionTag: pair.tag } : {}),
        textReferences: pair.refs.map((ref) => ({ ...ref })),
      })),
    };
  }

  crowdValidate() {
    const count = this.pairs.length;
    if (count < this.minQuestions) return `Write at least ${this.minQuestions} questions`;
    const limits = {
      question: [intAttr(this, "question-min-words", 1), intAttr(this, "question-max-words", Infinity)],
      answer: [intAttr(this, "answer-min-words", 1), intAttr(this, "answer-max-words", Infinity)],
    };
    for (const [i, pair] of this.pairs.entries()) {
      for (const [field, [min, max]] of Object.entries(limits)) {
        const n = words(pair[field]);
        if (n < min) return `Question ${i + 1}: the ${field} needs at least ${min} word${min === 1 ? "" : "s"}`;
        if (n > max) return `Question ${i + 1}: the ${field} has ${n} words; at most ${max} are allowed`;
      }
      if (this.tags.length && !pair.tag.trim()) return `Question ${i + 1}: choose a question tag`;
    }
    return null;
  }

  crowdReset() {
    this.pairs = [];
    for (let i = 0; i < Math.max(1, this.minQuestions); i++) this.addPair(false);
  }
}

customElements.define("crowd-question-answer-generation", CrowdQuestionAnswerGeneration);
