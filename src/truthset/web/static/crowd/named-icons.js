// Icons by the names Ground Truth templates use (`icon="report-problem"` on crowd-button,
// crowd-icon-button, crowd-fab and crowd-badge; AWS preloads Polymer's iron-icons set). These are
// truthset's own 24x24 outline drawings of the commonly used names; an `icon` that looks like a
// URL is shown as an image instead, and an unknown name falls back to its first letter.

const svg = (body) =>
  `<svg viewBox="0 0 24 24" width="100%" height="100%" fill="none" stroke="currentColor"
        stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"
        focusable="false">${body}</svg>`;

const DRAWINGS = {
  add: `<path d="M12 5v14M5 12h14"/>`,
  check: `<path d="M5 12.5l4.5 4.5L19 7"/>`,
  close: `<path d="M6 6l12 12M18 6 6 18"/>`,
  clear: `<path d="M6 6l12 12M18 6 6 18"/>`,
  delete: `<path d="M5 7h14M10 7V4.5h4V7M7 7l1 13h8l1-13"/>`,
  edit: `<path d="M4 20h4L19 9l-4-4L4 16z"/><path d="M13.5 6.5l4 4"/>`,
  search: `<circle cx="10.5" cy="10.5" r="6"/><path d="M15 15l5 5"/>`,
  star: `<path d="M12 3.5l2.6 5.3 5.9.9-4.3 4.1 1 5.8L12 16.9l-5.2 2.7 1-5.8-4.3-4.1 5.9-.9z"/>`,
  help: `<circle cx="12" cy="12" r="9"/><path d="M9.5 9.5a2.5 2.5 0 1 1 3.5 2.3c-.7.3-1 .9-1 1.7"/>
         <path d="M12 17h.01"/>`,
  info: `<circle cx="12" cy="12" r="9"/><path d="M12 11v6M12 7.5h.01"/>`,
  warning: `<path d="M12 4 2.5 20h19z"/><path d="M12 10v4.5M12 17.5h.01"/>`,
  "report-problem": `<path d="M12 4 2.5 20h19z"/><path d="M12 10v4.5M12 17.5h.01"/>`,
  error: `<circle cx="12" cy="12" r="9"/><path d="M12 7.5v5.5M12 16.5h.01"/>`,
  flag: `<path d="M5 21V4M5 4h11l-2 4 2 4H5"/>`,
  favorite: `<path d="M12 20s-7-4.4-7-10a4 4 0 0 1 7-2.6A4 4 0 0 1 19 10c0 5.6-7 10-7 10z"/>`,
  "thumb-up": `<path d="M7 11v9H4v-9zM7 11l4-7c1.5 0 2.5 1 2 3l-.7 3H19a1.5 1.5 0 0 1 1.5 1.8L19 19
               a1.5 1.5 0 0 1-1.5 1H7"/>`,
  "thumb-down": `<path d="M7 13V4H4v9zM7 13l4 7c1.5 0 2.5-1 2-3l-.7-3H19a1.5 1.5 0 0 0 1.5-1.8L19 5
                 a1.5 1.5 0 0 0-1.5-1H7"/>`,
  "question-answer": `<path d="M3 4h12v8H7l-4 3zM9 15v1h8l4 3V8h-3"/>`,
  send: `<path d="M3 11.5 21 3l-8.5 18-2-7.5z"/><path d="M10.5 13.5 21 3"/>`,
  refresh: `<path d="M19 8a7.5 7.5 0 1 0 .5 6"/><path d="M19.5 3.5V8H15"/>`,
  menu: `<path d="M4 7h16M4 12h16M4 17h16"/>`,
  "arrow-forward": `<path d="M4 12h15M13 6l6 6-6 6"/>`,
  "arrow-back": `<path d="M20 12H5M11 6l-6 6 6 6"/>`,
  visibility: `<path d="M2 12s3.5-6.5 10-6.5S22 12 22 12s-3.5 6.5-10 6.5S2 12 2 12z"/>
               <circle cx="12" cy="12" r="3"/>`,
};

/** True when an `icon` attribute names an image rather than a drawing. */
export function isIconUrl(icon) {
  return /^(https?:|data:|blob:|\/|\.)/.test(icon) || /\.(png|svg|jpe?g|gif|webp)(\?|$)/i.test(icon);
}

/** The HTML of an icon by name or URL (an empty string for none). URLs are escaped. */
export function iconMarkup(icon) {
  if (!icon) return "";
  if (isIconUrl(icon)) {
    const safe = icon.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
    return `<img src="${safe}" alt="" style="width: 100%; height: 100%; object-fit: contain">`;
  }
  const name = icon.replace(/^icons:/, "");
  if (DRAWINGS[name]) return svg(DRAWINGS[name]);
  const letter = (name.match(/[a-z0-9]/i)?.[0] || "?").toUpperCase();
  return `<span aria-hidden="true" style="font-weight: 700">${letter}</span>`;
}

/** An accessible name for an icon-only control: "report-problem" -> "Report problem". */
export function iconLabel(icon) {
  if (!icon || isIconUrl(icon)) return "";
  const words = icon.replace(/^icons:/, "").replace(/[-_]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
