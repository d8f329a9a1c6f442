// <crowd-text-ranking>: rank a model's responses to a prompt on one or more dimensions.
//
// Attributes (Ground Truth's Crowd HTML Elements V2 reference): name, text (the prompt),
// responses (JSON array of strings), ordinal-ranking-dimensions (JSON array of {name, allowTie}).
// Output under `name`:
//   {"ordinalRankingDimensions": [{"name": "Clarity", "responseRankings": [2, 1, 3]}, ...]}
// where responseRankings[i] is the rank of response i + 1 (1 = best). That is the field AWS's
// text-ranking notebook reads back (answerContent.ordinalRankingDimensions[].responseRankings,
// "[2,1,3] means the second response was ranked first"); the reference itself gives no example.
//
// For each dimension every response gets a rank from 1 to the number of responses. Without
// allowTie, giving a response a rank another response holds swaps the two, so ranks stay
// distinct. Keyboard: each rank picker is a radio group; arrow keys change the rank, digit keys
// pick it directly, Tab moves to the next response.
import { attachStyledShadow, parseAttr } from "./base.js";
import { createInstructionsPanel } from "./crowd-instructions.js";

const RANKING_CSS = `
  :host { display: block; }
  .layout { display: grid; grid-template-columns: minmax(200px, 260px) minmax(0, 1fr); gap: 20px; }
  .layout.no-instructions { grid-template-columns: minmax(0, 1fr); }
  .prompt { margin: 0 0 16px; padding: 14px 18px; background: #f8fafc; border: 1px solid #e5e7eb;
            border-radius: 12px; line-height: 1.6; }
  .prompt-text { white-space: pre-wrap; }
  .prompt h2, .dims h2 { margin: 0 0 6px; font-size: 0.75rem; letter-spacing: 0.06em;
            text-transform: uppercase; color: var(--crowd-muted); }
  .responses { display: flex; flex-direction: column; gap: 12px; }
  .response { display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: 16px;
              padding: 14px 18px; background: #fff; border: 1px solid #e5e7eb; border-radius: 12px; }
  .response h3 { margin: 0 0 6px; font-size: 0.95rem; }
  .text { line-height: 1.6; white-space: pre-wrap; overflow-wrap: anywhere; }
  .ranks { display: flex; flex-direction: column; gap: 10px; min-width: 220px; }
  .dim-name { font-size: 0.8rem; font-weight: 600; color: #374151; margin-bottom: 4px; }
  .tie { font-weight: 400; color: var(--crowd-muted); }
  .picker { display: flex; gap: 4px; flex-wrap: wrap; }
  .rank { min-width: 36px; height: 34px; padding: 0 8px; font-weight: 600;
          font-variant-numeric: tabular-nums; }
  .rank[aria-checked="true"] { background: var(--crowd-accent); border-color: var(--crowd-accent);
          color: #fff; }
  .rank:focus-visible { outline: 3px solid #93c5fd; outline-offset: 1px; }
  .problem { color: var(--crowd-danger); margin: 8px 0 0; }
  .problem:empty { display: none; }
  @media (max-width: 900px) { .layout { grid-template-columns: minmax(0, 1fr); }
    .response { grid-template-columns: minmax(0, 1fr); } }
`;

function parseDimensions(raw) {
  const parsed = parseAttr(raw, []);
  if (!Array.isArray(parsed)) throw new Error("ordinal-ranking-dimensions must be an array");
  return parsed.map((d, i) => ({
    name: String(typeof d === "string" ? d : d?.name ?? `Dimension ${i + 1}`),
    allowTie: typeof d === "object" && d !== null && (d.allowTie === true || d.allowTie === "true"),
  }));
}

function parseResponses(raw) {
  const parsed = parseAttr(raw, []);
  if (!Array.isArray(parsed)) throw new Error("responses must be an array");
  return parsed.map((r) => (typeof r === "string" ? r : JSON.stringify(r)));
}

class CrowdTextRanking extends HTMLElement {
  static observedAttributes = ["text", "responses", "ordinal-ranking-dimensions"];

  constructor() {
    super();
    this.root = attachStyledShadow(this, RANKING_CSS);
    this.dimensions = [];
    this.responses = [];
    this.rankings = [];
    this.problem = null;
    this.root.addEventListener("click", (event) => this.onClick(event));
    this.root.addEventListener("keydown", (event) => this.onKey(event));
  }

  connectedCallback() {
    if (!this.built) this.build();
  }

  attributeChangedCallback() {
    if (this.built) this.render();
  }

  build() {
    this.built = true;
    const layout = document.createElement("div");
    layout.className = "layout";
    layout.innerHTML = `<div class="main"><section class="prompt" part="prompt"><h2>Prompt</h2>
      <div class="prompt-text"></div></section><div class="responses" part="responses"></div>
      <p class="problem" role="alert"></p></div>`;
    const panel = createInstructionsPanel(this);
    if (panel) layout.prepend(panel);
    layout.classList.toggle("no-instructions", !panel);
    this.root.appendChild(layout);
    this.render();
  }

  render() {
    try {
      this.dimensions = parseDimensions(this.getAttribute("ordinal-ranking-dimensions"));
      this.responses = parseResponses(this.getAttribute("responses"));
      this.problem = null;
    } catch (error) {
      this.dimensions = [];
      this.responses = [];
      this.problem = `The text ranking is not set up correctly: ${error.message}`;
    }
    const fits = (row) => Array.isArray(row) && row.length === this.responses.length;
    this.rankings = this.dimensions.map((_, d) => (fits(this.rankings[d]) ? this.rankings[d] : this.responses.map(() => null)));
    this.root.querySelector(".prompt-text").textContent = this.getAttribute("text") || "";
    this.root.querySelector(".responses").replaceChildren(...this.responses.map((text, i) => this.responseCard(text, i)));
    this.root.querySelector(".problem").textContent = this.problem || "";
    this.update();
  }

  responseCard(text, index) {
    const card = document.createElement("article");
    card.className = "response";
    card.setAttribute("part", "response");
    card.innerHTML = `<div><h3 id="response-${index}">Response ${index + 1}</h3><div class="text"></div></div>
      <div class="ranks"></div>`;
    card.querySelector(".text").textContent = text;
    const ranks = card.querySelector(".ranks");
    this.dimensions.forEach((dim, d) => {
      const row = document.createElement("div");
      const label = `${dim.name} rank of response ${index + 1}`;
      row.innerHTML = `<div class="dim-name" aria-hidden="true"></div>
        <div class="picker" role="radiogroup" aria-label="${label.replace(/"/g, "&quot;")}"></div>`;
      row.querySelector(".dim-name").textContent = dim.name;
      if (dim.allowTie) row.querySelector(".dim-name").insertAdjacentHTML("beforeend", ` <span class="tie">(ties allowed)</span>`);
      const picker = row.querySelector(".picker");
      for (let rank = 1; rank <= this.responses.length; rank++) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "rank";
        button.setAttribute("role", "radio");
        button.setAttribute("aria-label", `Rank ${rank}`);
        Object.assign(button.dataset, { dim: String(d), response: String(index), rank: String(rank) });
        button.textContent = String(rank);
        picker.appendChild(button);
      }
      ranks.appendChild(row);
    });
    return card;
  }

  /** Gives a response a rank on a dimension; without ties, the response holding it swaps. */
  setRank(dim, response, rank) {
    const row = this.rankings[dim];
    if (!row || response >= row.length) return;
    if (!this.dimensions[dim].allowTie) {
      const holder = row.findIndex((r, i) => r === rank && i !== response);
      if (holder >= 0) row[holder] = row[response];
    }
    row[response] = rank;
    this.update();
    this.dispatchEvent(new Event("input", { bubbles: true, composed: true }));
    this.dispatchEvent(new Event("change", { bubbles: true }));
  }

  update() {
    for (const button of this.root.querySelectorAll(".rank")) {
      const { dim, response, rank } = button.dataset;
      const current = this.rankings[dim]?.[response];
      button.setAttribute("aria-checked", String(current === Number(rank)));
    }
    // Roving tab stop per picker: the chosen rank, else rank 1.
    for (const picker of this.root.querySelectorAll(".picker")) {
      const buttons = [...picker.children];
      const chosen = buttons.find((b) => b.getAttribute("aria-checked") === "true") || buttons[0];
      for (const b of buttons) b.tabIndex = b === chosen ? 0 : -1;
    }
  }

  onClick(event) {
    const button = event.target.closest(".rank");
    if (!button) return;
    const { dim, response, rank } = button.dataset;
    this.setRank(Number(dim), Number(response), Number(rank));
  }

  onKey(event) {
    const button = event.composedPath().find((node) => node.classList?.contains("rank"));
    if (!button || event.ctrlKey || event.metaKey || event.altKey) return;
    const { dim, response, rank } = button.dataset;
    const count = this.responses.length;
    const steps = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
    let next = null;
    if (event.key in steps) next = ((Number(rank) - 1 + steps[event.key] + count) % count) + 1;
    else if (/^[1-9]$/.test(event.key) && Number(event.key) <= count) next = Number(event.key);
    else if (event.key === "Home") next = 1;
    else if (event.key === "End") next = count;
    if (next === null) return;
    event.preventDefault();
    this.setRank(Number(dim), Number(response), next);
    button.parentElement.children[next - 1].focus();
  }

  get crowdValue() {
    return {
      ordinalRankingDimensions: this.dimensions.map((dim, d) => ({
        name: dim.name,
        responseRankings: [...this.rankings[d]],
      })),
    };
  }

  crowdValidate() {
    if (this.problem) return this.problem;
    for (const [d, dim] of this.dimensions.entries()) {
      const missing = this.rankings[d].findIndex((r) => r === null);
      if (missing >= 0) return `Rank response ${missing + 1} on ${dim.name}`;
    }
    return null;
  }

  crowdReset() {
    this.rankings = this.dimensions.map(() => this.responses.map(() => null));
    this.update();
  }
}

customElements.define("crowd-text-ranking", CrowdTextRanking);
