// Shared pieces of the Crowd HTML Elements: attribute parsing, label colours, keyboard rules and
// the element contract that <crowd-form> relies on.
//
// Element contract (every annotation element follows it, so crowd-form needs no per-tool code):
//   - the `name` attribute is the key of the element's output in the answer (answerContent);
//   - the `crowdValue` getter returns the JSON-serialisable output under that key;
//   - `crowdValidate()` returns null when the answer may be submitted, or a message for the worker.

/** Parses an attribute the way Ground Truth templates write them: JSON, or a JS-style literal
 * with single quotes and bare keys (`{ text: 'None' }`, `['a', 'b']`). Returns `fallback` for
 * an empty or missing value. */
export function parseAttr(value, fallback = null) {
  if (value === null || value === undefined) return fallback;
  const text = String(value).trim();
  if (text === "") return fallback;
  try {
    return JSON.parse(text);
  } catch (_) {
    return JSON.parse(jsLiteralToJson(text));
  }
}

function jsLiteralToJson(text) {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "'" || ch === '"') {
      const quote = ch;
      let body = "";
      i++;
      while (i < text.length && text[i] !== quote) {
        if (text[i] === "\\" && i + 1 < text.length) {
          body += text[i + 1] === quote ? quote : "\\" + text[i + 1];
          i += 2;
          continue;
        }
        body += text[i];
        i++;
      }
      out += JSON.stringify(body.replace(/\\\\/g, "\\"));
    } else if (/[A-Za-z_$]/.test(ch)) {
      let word = ch;
      while (i + 1 < text.length && /[\w$-]/.test(text[i + 1])) word += text[++i];
      out += ["true", "false", "null"].includes(word) ? word : JSON.stringify(word);
    } else {
      out += ch;
    }
  }
  return out.replace(/,\s*([}\]])/g, "$1");
}

// Colours for labels, by label index: the matplotlib "tab10" then "tab20" palettes, the colours
// Ground Truth itself writes into `labelMappings` and `internal-color-map`.
export const LABEL_COLORS = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
  "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
];

export function labelColor(index) {
  return LABEL_COLORS[index % LABEL_COLORS.length];
}

/** True when a key press belongs to a text field and must not trigger a shortcut. */
export function isTyping(event) {
  const path = event.composedPath ? event.composedPath() : [event.target];
  return path.some(
    (node) =>
      node instanceof HTMLElement &&
      (node.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(node.tagName)),
  );
}

/** Digit shortcut for the n-th choice (0-based): keys 1..9, then 0 for the tenth. */
export function choiceIndexForKey(key) {
  if (!/^[0-9]$/.test(key)) return -1;
  return key === "0" ? 9 : Number(key) - 1;
}

// Styles every element shares through its shadow root: one look across tools.
export const THEME_CSS = `
  :host { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2937;
          --crowd-accent: #2563eb; --crowd-accent-soft: #dbeafe; --crowd-border: #d1d5db;
          --crowd-muted: #6b7280; --crowd-danger: #b91c1c; --crowd-radius: 8px; }
  button { font: inherit; cursor: pointer; border-radius: var(--crowd-radius);
           border: 1px solid var(--crowd-border); background: #fff; padding: 6px 12px; }
  button:hover { border-color: var(--crowd-accent); }
  button:focus-visible { outline: 3px solid var(--crowd-accent-soft); outline-offset: 1px; }
  kbd { font-family: ui-monospace, monospace; font-size: 0.8em; border: 1px solid var(--crowd-border);
        border-bottom-width: 2px; border-radius: 4px; padding: 0 4px; background: #f9fafb; color: #374151; }
`;

/** Creates an open shadow root holding the shared theme plus the element's own CSS. */
export function attachStyledShadow(element, css = "") {
  const root = element.attachShadow({ mode: "open" });
  const style = document.createElement("style");
  style.textContent = THEME_CSS + css;
  root.appendChild(style);
  return root;
}
