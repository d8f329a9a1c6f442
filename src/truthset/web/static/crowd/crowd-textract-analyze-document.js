// <crowd-textract-analyze-document> (Amazon A2I): review the key-value pairs Amazon Textract found
// in a document image and correct them.
//
// Attributes (A2I's element reference): header, src, initial-value (Textract blocks: KEY_VALUE_SET
// blocks whose KEY has a VALUE relationship; their text is `text`, or that of their CHILD WORD
// blocks), block-types (only KEY_VALUE_SET exists), keys ([{importantFormKey,
// importantFormKeyAliases}]: keys the document should have), no-key-edit, no-geometry-edit
// (geometry is never editable here). Regions: short-instructions, full-instructions.
//
// Each pair can be corrected (value text; key text unless no-key-edit), marked "Not a key-value
// pair" (left out) or "Value is blank". An important key that no pair has must be given a value
// or marked "Key not found". Output, under a fixed key (A2I's reference):
//   {"AWS/Textract/AnalyzeDocument/Forms/V1": {"blocks": [{blockType, id, relationships,
//     entityTypes, text}, ...]}}: a KEY and a VALUE block per kept pair, new ids for added keys.
import { attachStyledShadow, parseAttr } from "./base.js";
import { ImageStage, STAGE_CSS } from "./crowd-image-stage.js";
import { createInstructionsPanel } from "./crowd-instructions.js";

export const TEXTRACT_KEY = "AWS/Textract/AnalyzeDocument/Forms/V1";

const TEXTRACT_CSS = `
  :host { display: block; }
  [hidden] { display: none !important; }
  .layout { display: grid; gap: 16px 20px; grid-template-columns: minmax(200px, 260px) minmax(0, 1fr) minmax(300px, 380px);
            grid-template-rows: auto minmax(0, 1fr);
            grid-template-areas: "instructions header header" "instructions work pairs";
            height: max(520px, calc(100dvh - var(--crowd-footer-height, 0px) - 32px)); }
  .layout.no-instructions { grid-template-columns: minmax(0, 1fr) minmax(300px, 380px);
            grid-template-areas: "header header" "work pairs"; }
  crowd-instructions-panel { grid-area: instructions; }
  .header { grid-area: header; margin: 0; font-size: 1.2rem; font-weight: 650; }
  .work { grid-area: work; display: flex; flex-direction: column; min-height: 0; }
  .pairs { grid-area: pairs; overflow: auto; display: flex; flex-direction: column; gap: 10px; padding: 2px; }
  h2 { margin: 6px 0 0; font-size: 0.75rem; letter-spacing: 0.06em; text-transform: uppercase;
       color: var(--crowd-muted); }
  .pair { padding: 10px 12px; border: 1.5px solid #e5e7eb; border-radius: 10px; background: #fff; }
  .pair.selected { border-color: var(--crowd-accent); box-shadow: 0 0 0 3px var(--crowd-accent-soft); }
  .pair.dropped { opacity: 0.6; }
  .pair label { display: block; font-size: 0.8rem; font-weight: 600; color: #374151; margin: 4px 0 2px; }
  .pair input[type="text"] { font: inherit; width: 100%; box-sizing: border-box; padding: 6px 8px;
             border: 1px solid var(--crowd-border); border-radius: 6px; }
  .pair input[type="text"]:focus { outline: none; border-color: var(--crowd-accent);
             box-shadow: 0 0 0 3px var(--crowd-accent-soft); }
  .pair input[readonly] { background: #f3f4f6; }
  .marks { display: flex; flex-wrap: wrap; gap: 4px 14px; margin-top: 6px; font-size: 0.85rem; }
  .marks label { display: inline-flex; gap: 6px; align-items: center; font-weight: 500; margin: 0; }
`;

function blockText(block, byId) {
  if (typeof block?.text === "string") return block.text;
  const children = (block?.relationships || []).filter((r) => r.type === "CHILD").flatMap((r) => r.ids || []);
  return children.map((id) => byId.get(id)?.text).filter(Boolean).join(" ");
}

/** Key-value pairs of Textract blocks: [{key, value, keyBlock, valueBlock}]. */
export function keyValuePairs(blocks) {
  const list = Array.isArray(blocks) ? blocks : [];
  const byId = new Map(list.filter((b) => b?.id).map((b) => [b.id, b]));
  const isKey = (b) => b?.blockType === "KEY_VALUE_SET" && (b.entityTypes || []).includes("KEY");
  return list.filter(isKey).map((keyBlock) => {
    const valueId = (keyBlock.relationships || []).find((r) => r.type === "VALUE")?.ids?.[0];
    const valueBlock = byId.get(valueId) || null;
    return { keyBlock, valueBlock, key: blockText(keyBlock, byId), value: blockText(valueBlock, byId) };
  });
}

const newId = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`);

class CrowdTextractAnalyzeDocument extends HTMLElement {
  static observedAttributes = ["src", "header", "initial-value", "keys", "no-key-edit"];

  constructor() {
    super();
    this.root = attachStyledShadow(this, TEXTRACT_CSS + STAGE_CSS);
    this.pairs = [];
    this.missing = [];
    this.selectedPair = -1;
    this.root.addEventListener("input", (event) => this.onInput(event));
    this.root.addEventListener("focusin", (event) => this.select(event.target.closest?.(".pair")));
  }

  get crowdName() {
    return TEXTRACT_KEY;
  }

  connectedCallback() {
    if (this.built) return;
    this.built = true;
    const layout = document.createElement("div");
    layout.className = "layout";
    layout.innerHTML = `<h1 class="header" part="header"></h1><div class="work" part="work"></div>
      <aside class="pairs" part="pairs" aria-label="Key-value pairs"></aside>`;
    const panel = createInstructionsPanel(this);
    if (panel) layout.prepend(panel);
    layout.classList.toggle("no-instructions", !panel);
    this.root.appendChild(layout);
    this.stage = new ImageStage(layout.querySelector(".work"), () => this.getAttribute("header") || "Document");
    this.stage.image.addEventListener("load", () => this.drawSelection());
    this.stage.setSource(this.getAttribute("src"));
    this.readPairs();
  }

  attributeChangedCallback(name) {
    if (!this.built) return;
    if (name === "src") this.stage.setSource(this.getAttribute("src"));
    else this.readPairs();
  }

  readPairs() {
    this.root.querySelector(".header").textContent = this.getAttribute("header") || "";
    let blocks = [];
    let keys = [];
    try {
      blocks = parseAttr(this.getAttribute("initial-value"), []);
      keys = parseAttr(this.getAttribute("keys"), []);
    } catch (error) {
      console.warn("truthset: crowd-textract-analyze-document attributes are not valid", error);
    }
    this.pairs = keyValuePairs(blocks).map((pair) => ({ ...pair, dropped: false, blank: false }));
    const known = this.pairs.map((p) => p.key.trim().toLowerCase());
    this.missing = (Array.isArray(keys) ? keys : [])
      .map((k) => ({ key: String(k?.importantFormKey ?? k ?? ""), aliases: (k?.importantFormKeyAliases || []).map(String) }))
      .filter((k) => k.key && ![k.key, ...k.aliases].some((name) => known.includes(name.trim().toLowerCase())))
      .map((k) => ({ key: k.key, value: "", notFound: false }));
    this.renderPairs();
  }

  renderPairs() {
    const readonly = this.hasAttribute("no-key-edit") ? "readonly" : "";
    const rows = this.pairs.map((pair, i) => `<section class="pair" data-pair="${i}" part="pair">
        <label for="k${i}">Key</label><input type="text" id="k${i}" class="key" ${readonly}>
        <label for="v${i}">Value</label><input type="text" id="v${i}" class="value">
        <div class="marks"><label><input type="checkbox" class="dropped">Not a key-value pair</label>
          <label><input type="checkbox" class="blank">Value is blank</label></div></section>`);
    const missing = this.missing.map((m, i) => `<section class="pair" data-missing="${i}" part="missing-key">
        <label for="m${i}"></label><input type="text" id="m${i}" class="value">
        <div class="marks"><label><input type="checkbox" class="not-found">Key not found</label></div></section>`);
    const aside = this.root.querySelector(".pairs");
    aside.innerHTML = `<h2>Key-value pairs</h2>${rows.join("") || "<p>No key-value pairs were found.</p>"}
      ${missing.length ? `<h2>Keys to find</h2>${missing.join("")}` : ""}`;
    aside.querySelectorAll("[data-pair]").forEach((section, i) => {
      section.querySelector(".key").value = this.pairs[i].key;
      section.querySelector(".value").value = this.pairs[i].value;
    });
    aside.querySelectorAll("[data-missing]").forEach((section, i) => {
      section.querySelector("label").textContent = this.missing[i].key;
    });
  }

  select(section) {
    if (!section || section.dataset.pair === undefined) return;
    this.selectedPair = Number(section.dataset.pair);
    for (const s of this.root.querySelectorAll(".pair")) s.classList.toggle("selected", s === section);
    this.drawSelection();
  }

  // The selected pair's key and value boxes (Textract geometry is relative to the page size).
  drawSelection() {
    const pair = this.pairs[this.selectedPair];
    const { naturalWidth: width, naturalHeight: height } = this.stage.image;
    if (!pair || !width) return;
    const boxes = [["key", pair.keyBlock], ["value", pair.valueBlock]]
      .map(([label, block]) => [label, block?.geometry?.boundingBox])
      .filter(([, box]) => box)
      .map(([label, box]) => ({
        label,
        left: box.left * width,
        top: box.top * height,
        width: box.width * width,
        height: (box.height ?? box.weight) * height,
      }));
    this.stage.overlay = { boundingBox: { labels: ["key", "value"], value: boxes } };
    this.stage.drawOverlay();
  }

  onInput(event) {
    const t = event.target;
    const section = t.closest(".pair");
    if (!section) return;
    if (section.dataset.pair !== undefined) {
      const pair = this.pairs[Number(section.dataset.pair)];
      if (t.classList.contains("key")) pair.key = t.value;
      else if (t.classList.contains("value")) pair.value = t.value;
      else if (t.classList.contains("dropped")) pair.dropped = t.checked;
      else if (t.classList.contains("blank")) pair.blank = t.checked;
      section.classList.toggle("dropped", pair.dropped);
      section.querySelector(".value").disabled = pair.blank || pair.dropped;
    } else {
      const missing = this.missing[Number(section.dataset.missing)];
      if (t.classList.contains("value")) missing.value = t.value;
      else missing.notFound = t.checked;
      section.querySelector(".value").disabled = missing.notFound;
    }
  }

  get crowdValue() {
    const blocks = [];
    const add = (keyId, valueId, key, value, original) => {
      const children = (block) => (block?.relationships || []).filter((r) => r.type === "CHILD");
      blocks.push({
        blockType: "KEY_VALUE_SET",
        id: keyId,
        relationships: [{ type: "VALUE", ids: [valueId] }, ...children(original?.keyBlock)],
        entityTypes: ["KEY"],
        text: key,
      });
      blocks.push({
        blockType: "KEY_VALUE_SET",
        id: valueId,
        relationships: children(original?.valueBlock),
        entityTypes: ["VALUE"],
        text: value,
      });
    };
    for (const pair of this.pairs) {
      if (pair.dropped) continue;
      add(pair.keyBlock.id || newId(), pair.valueBlock?.id || newId(), pair.key, pair.blank ? "" : pair.value, pair);
    }
    for (const missing of this.missing) {
      if (!missing.notFound && missing.value.trim()) add(newId(), newId(), missing.key, missing.value, null);
    }
    return { blocks };
  }

  crowdValidate() {
    const open = this.missing.find((m) => !m.notFound && !m.value.trim());
    return open ? `Give the value of “${open.key}”, or mark it “Key not found”` : null;
  }
}

customElements.define("crowd-textract-analyze-document", CrowdTextractAnalyzeDocument);
