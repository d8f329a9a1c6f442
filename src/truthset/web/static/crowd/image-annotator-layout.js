// Markup and styles of the image annotation tools' shell: header, instructions on the left, the
// toolbar + image stage + status line in the middle, labels and annotations on the right.
import { ICONS } from "./image-icons.js";

export const ANNOTATOR_CSS = `
  :host { display: block; box-sizing: border-box; min-height: 480px;
          height: var(--crowd-tool-height,
                      max(480px, calc(100vh - var(--crowd-footer-height, 0px) - 24px))); }
  :host([hidden]) { display: none; }
  [hidden] { display: none !important; }
  .tool { display: flex; flex-direction: column; height: 100%; box-sizing: border-box;
          background: #fff; border: 1px solid #e5e7eb; border-radius: 12px; overflow: hidden;
          box-shadow: 0 1px 3px rgba(15, 23, 42, 0.06); }
  .top { display: flex; align-items: center; gap: 16px; padding: 12px 18px;
         border-bottom: 1px solid #e5e7eb; }
  .title { flex: 1; margin: 0; font-size: 1.05rem; font-weight: 650; color: #111827;
           overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .meta { font-size: 0.8rem; color: var(--crowd-muted); font-variant-numeric: tabular-nums;
          white-space: nowrap; }
  .body { flex: 1; min-height: 0; display: flex; }
  .side-left { flex: none; width: 236px; padding: 12px; box-sizing: border-box;
               border-right: 1px solid #e5e7eb; display: flex; flex-direction: column; }
  .side-left > * { flex: 1; min-height: 0; }
  .work { flex: 1; min-width: 0; display: flex; flex-direction: column; }
  .toolbar { display: flex; align-items: center; gap: 2px; padding: 6px 10px; min-height: 46px;
             box-sizing: border-box; border-bottom: 1px solid #e5e7eb; flex-wrap: wrap; }
  .group { display: flex; align-items: center; gap: 2px; }
  .sep { width: 1px; height: 22px; background: #e5e7eb; margin: 0 6px; }
  .icon-btn { width: 34px; height: 34px; padding: 0; display: inline-grid; place-items: center;
              border: 1px solid transparent; background: transparent; color: #374151; }
  .icon-btn:hover:not(:disabled) { background: #f3f4f6; border-color: transparent; color: #111827; }
  .icon-btn[aria-pressed="true"] { background: var(--crowd-accent-soft); color: var(--crowd-accent);
                                   border-color: #bfdbfe; }
  .icon-btn:disabled { opacity: 0.35; cursor: default; }
  .zoom-level { min-width: 46px; text-align: center; font-size: 0.8rem; color: #374151;
                font-variant-numeric: tabular-nums; }
  .options { margin-left: auto; display: flex; align-items: center; gap: 12px; font-size: 0.8rem;
             color: #374151; padding-left: 8px; }
  .options label { display: flex; align-items: center; gap: 6px; white-space: nowrap; }
  .options input[type="range"] { width: 72px; margin: 0; accent-color: var(--crowd-accent); }
  .options output { min-width: 2.8em; font-variant-numeric: tabular-nums; color: var(--crowd-muted); }
  .stage { position: relative; flex: 1; min-height: 0; overflow: hidden; touch-action: none;
           user-select: none; -webkit-user-select: none; outline: none;
           background: var(--crowd-stage-background,
             #23272e radial-gradient(circle, #2f343c 1px, transparent 1.2px) 0 0 / 18px 18px); }
  .stage canvas { position: absolute; inset: 0; width: 100%; height: 100%; }
  .message { position: absolute; inset: 0; display: flex; flex-direction: column; gap: 10px;
             align-items: center; justify-content: center; color: #e5e7eb; font-size: 0.95rem;
             text-align: center; padding: 24px; pointer-events: none; }
  .message small { color: #9ca3af; max-width: 60ch; overflow-wrap: anywhere; }
  .spinner { width: 28px; height: 28px; border-radius: 50%; border: 3px solid #4b5563;
             border-top-color: #e5e7eb; animation: spin 0.9s linear infinite; }
  @keyframes spin { to { transform: rotate(360deg); } }
  .status { display: flex; align-items: center; gap: 16px; padding: 6px 12px; min-height: 30px;
            box-sizing: border-box; font-size: 0.75rem; color: var(--crowd-muted);
            border-top: 1px solid #e5e7eb; background: #f9fafb; white-space: nowrap; }
  /* Hints that do not fit wrap onto a second line, which is cut off: no half-shown hint. */
  .hints { flex: 1; min-width: 0; display: flex; flex-wrap: wrap; column-gap: 14px; row-gap: 20px;
           height: 20px; overflow: hidden; align-items: center; align-content: flex-start; }
  .hints > span { height: 20px; }
  .hints span { display: inline-flex; align-items: center; gap: 4px; }
  .hints b { font-weight: 600; color: #374151; }
  .coords { font-variant-numeric: tabular-nums; color: #374151; }
  .side-right { flex: none; width: 240px; display: flex; flex-direction: column; min-height: 0;
                border-left: 1px solid #e5e7eb; }
  .side-right section { display: flex; flex-direction: column; min-height: 0; }
  .label-section { flex: 0 1 auto; max-height: 60%; }
  .shape-section { flex: 1 1 auto; border-top: 1px solid #e5e7eb; }
  h2 { margin: 14px 16px 8px; font-size: 0.72rem; font-weight: 700; letter-spacing: 0.06em;
       text-transform: uppercase; color: var(--crowd-muted); display: flex; gap: 6px; }
  ul { list-style: none; margin: 0; padding: 0 8px 10px; overflow: auto; }
  .label { display: flex; align-items: center; gap: 10px; width: 100%; text-align: left;
           padding: 7px 8px; margin: 1px 0; border: 1px solid transparent; background: transparent;
           color: #1f2937; }
  .label:hover { background: #f3f4f6; border-color: transparent; }
  .label[aria-pressed="true"] { background: color-mix(in srgb, var(--swatch) 12%, #fff);
                                border-color: color-mix(in srgb, var(--swatch) 60%, #fff);
                                font-weight: 600; }
  .swatch { flex: none; width: 14px; height: 14px; border-radius: 4px; background: var(--swatch);
            box-shadow: inset 0 0 0 1px rgba(0, 0, 0, 0.15); }
  .name { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .count { font-size: 0.75rem; color: var(--crowd-muted); font-variant-numeric: tabular-nums;
           font-weight: 500; }
  .label kbd { min-width: 1.1em; text-align: center; }
  .shape { display: flex; align-items: center; gap: 8px; padding: 5px 6px 5px 8px; margin: 1px 0;
           border-radius: 8px; font-size: 0.85rem; cursor: pointer; border: 1px solid transparent; }
  .shape:hover { background: #f3f4f6; }
  .shape[aria-selected="true"] { background: var(--crowd-accent-soft); border-color: #bfdbfe; }
  .shape .detail { color: var(--crowd-muted); font-size: 0.75rem; font-variant-numeric: tabular-nums; }
  .shape .remove { width: 24px; height: 24px; padding: 0; border: none; background: transparent;
                   color: #9ca3af; display: grid; place-items: center; visibility: hidden; }
  .shape:hover .remove, .shape[aria-selected="true"] .remove { visibility: visible; }
  .shape .remove:hover { color: var(--crowd-danger); background: #fee2e2; }
  .empty { margin: 2px 16px; font-size: 0.82rem; color: #9ca3af; }
`;

const button = (action, icon, title) =>
  `<button type="button" class="icon-btn" data-action="${action}" title="${title}"
           aria-label="${title}">${ICONS[icon]}</button>`;

export const ANNOTATOR_MARKUP = `
  <div class="tool" part="tool">
    <header class="top" part="header"><h1 class="title"></h1><span class="meta"></span></header>
    <div class="body">
      <aside class="side-left" hidden></aside>
      <div class="work">
        <div class="toolbar" part="toolbar" role="toolbar" aria-label="Annotation tools">
          <div class="group tools"></div><span class="sep tools-sep"></span>
          <div class="group">
            ${button("zoom-out", "zoomOut", "Zoom out (−)")}
            <span class="zoom-level" aria-live="polite">100%</span>
            ${button("zoom-in", "zoomIn", "Zoom in (+)")}
            ${button("fit", "fit", "Fit image (F)")}
          </div><span class="sep"></span>
          <div class="group">
            ${button("undo", "undo", "Undo (Ctrl+Z)")}
            ${button("redo", "redo", "Redo (Ctrl+Shift+Z)")}
          </div><span class="sep"></span>
          <div class="group">
            ${button("delete", "trash", "Delete selected (Del)")}
            ${button("toggle-hidden", "eye", "Hide annotations (H)")}
          </div>
          <div class="options"></div>
        </div>
        <div class="stage" part="stage" tabindex="-1" role="application" aria-label="Image"><div class="message"></div></div>
        <div class="status" part="status"><div class="hints"></div><span class="coords"></span></div>
      </div>
      <aside class="side-right" part="labels">
        <section class="label-section"><h2>Labels</h2><ul class="labels" role="list"></ul></section>
        <section class="shape-section"><h2>Annotations <span class="shape-count"></span></h2>
          <ul class="shapes" role="listbox" aria-label="Annotations"></ul>
          <p class="empty">Nothing drawn yet.</p></section>
      </aside>
    </div>
  </div>`;
