// Styles of crowd-entity-annotation (added to base.js's THEME_CSS in its shadow root). The
// layout matches the classifiers: instructions left, the work in the middle, choices right, the
// whole filling the viewport above crowd-form's footer (--crowd-footer-height).
//
// Entities draw as a light tint plus one underline per entity, stacked in lanes under the text,
// so overlapping spans and several labels on one span all stay visible. Each block's line
// height grows with the number of lanes it needs (--lanes, set by the view). A block is one line
// of the text; .paragraph marks those after a blank line.

export const ENTITY_CSS = `
  :host { display: block; --crowd-gap: 20px; }
  [hidden] { display: none !important; }
  .layout { display: grid; gap: 14px var(--crowd-gap); box-sizing: border-box;
            grid-template-columns: minmax(210px, 260px) minmax(0, 1fr) minmax(250px, 300px);
            grid-template-rows: auto minmax(0, 1fr);
            grid-template-areas: "help header header" "help work side";
            height: max(520px, calc(100dvh - var(--crowd-footer-height, 0px) - 32px));
            user-select: none; -webkit-user-select: none; }
  .help { grid-area: help; display: flex; flex-direction: column; gap: 12px; min-height: 0;
          min-width: 0; }
  crowd-instructions-panel { flex: 1 1 auto; min-height: 140px; user-select: text;
                             -webkit-user-select: text; }
  .help .keys { flex: none; }
  .header { grid-area: header; margin: 0; font-size: 1.35rem; font-weight: 650; line-height: 1.3;
            color: #111827; overflow-wrap: anywhere; }
  .work { grid-area: work; display: flex; flex-direction: column; gap: 8px; min-height: 0;
          min-width: 0; }

  .scroller { position: relative; flex: 1; min-height: 0; overflow: auto;
              overscroll-behavior: contain; background: #fff; border: 1px solid #e5e7eb;
              border-radius: 12px; box-shadow: 0 1px 3px rgba(15, 23, 42, 0.06); }
  .scroller:has(.doc:focus-visible) { border-color: #93c5fd;
                                      box-shadow: 0 0 0 3px var(--crowd-accent-soft); }
  .doc { max-width: 74ch; margin: 0 auto; padding: 26px 36px 48px; outline: none;
         font-size: 1.05rem; color: #1f2937; white-space: pre-wrap; overflow-wrap: anywhere;
         user-select: text; -webkit-user-select: text; cursor: text; }
  .doc ::selection { background: rgba(37, 99, 235, 0.26); }
  .block { margin: 0; unicode-bidi: plaintext;
           line-height: calc(1.8em + max(0, var(--lanes, 0) - 1) * 5px);
           content-visibility: auto; contain-intrinsic-size: auto 1.8em; }
  .block.paragraph { margin-top: 0.95em; }
  .keep { white-space: pre; }
  .ent { background-repeat: no-repeat; border-radius: 2px; cursor: pointer;
         box-decoration-break: clone; -webkit-box-decoration-break: clone; }
  .tag { display: inline-block; user-select: none; -webkit-user-select: none; cursor: pointer;
         margin: 0 3px 0 2px; padding: 0 5px; border-radius: 4px; vertical-align: 1px;
         font: 650 10.5px/1.6 system-ui, -apple-system, "Segoe UI", sans-serif;
         letter-spacing: 0.03em; white-space: nowrap; max-width: 11em; overflow: hidden;
         text-overflow: ellipsis; text-indent: 0; background: var(--c); color: var(--on-c, #fff); }
  .doc .tag.selected { outline: 2px solid var(--c); outline-offset: 1.5px; }
  .caret { position: absolute; width: 2px; border-radius: 1px; background: var(--crowd-accent);
           pointer-events: none; animation: blink 1.1s steps(1) infinite; }
  @keyframes blink { 50% { opacity: 0; } }
  @media (prefers-reduced-motion: reduce) { .caret { animation: none; } }
  .empty-text { color: var(--crowd-muted); font-style: italic; }

  .status { min-height: 32px; display: flex; align-items: center; gap: 6px; padding: 0 4px;
            font-size: 0.88rem; color: #4b5563; white-space: nowrap; overflow: hidden; }
  .status .quote { min-width: 0; max-width: 40%; overflow: hidden; text-overflow: ellipsis;
                   color: #111827; font-weight: 550; }
  .status .tag { font-size: 11px; }
  .status .notice { flex: none; font-weight: 600; color: #111827; }
  .status .hint { min-width: 0; overflow: hidden; text-overflow: ellipsis; }
  .status .tag { flex: none; }
  .status .remove { flex: none; margin-left: auto; padding: 2px 10px; font-size: 0.84rem;
                    color: var(--crowd-danger); }

  .side { grid-area: side; display: flex; flex-direction: column; gap: 12px; min-height: 0;
          min-width: 0; font-size: 0.9rem; }
  .box { background: #fff; border: 1px solid #e5e7eb; border-radius: 12px; padding: 12px 12px; }
  .box-head { display: flex; align-items: baseline; justify-content: space-between; gap: 8px;
              margin: 0 2px 8px; }
  .box h2, .keys summary { margin: 0; font-size: 0.75rem; font-weight: 700; letter-spacing: 0.06em;
              text-transform: uppercase; color: var(--crowd-muted); }
  .keys-hint, .total { font-size: 0.8rem; color: var(--crowd-muted); }

  .toolbar { display: flex; flex-direction: column; gap: 6px; max-height: 40vh; overflow: auto;
             padding: 2px; margin: -2px; }
  .chip { display: flex; align-items: center; gap: 9px; width: 100%; min-height: 40px;
          padding: 6px 10px; text-align: left; background: #fff; border: 1.5px solid #e5e7eb;
          border-radius: 10px; transition: background 100ms, border-color 100ms; }
  .chip kbd { flex: none; min-width: 22px; text-align: center; }
  .chip .abbr { flex: none; max-width: 7em; overflow: hidden; text-overflow: ellipsis;
                white-space: nowrap; background: var(--c); color: var(--on-c, #fff);
                font-size: 0.74rem; font-weight: 650; letter-spacing: 0.03em; padding: 1px 8px;
                border-radius: 5px; }
  .chip .name { flex: 1; min-width: 0; font-weight: 550; color: #111827; overflow-wrap: anywhere;
                line-height: 1.25; }
  .chip .count { flex: none; margin-left: auto; font-size: 0.78rem; color: var(--crowd-muted);
                 background: #f3f4f6; border-radius: 999px; padding: 0 8px;
                 font-variant-numeric: tabular-nums; }
  .chip:hover { border-color: var(--c); background: var(--c-soft); }
  .chip[aria-pressed="true"] { border-color: var(--c); background: var(--c-soft);
                               box-shadow: inset 0 0 0 1px var(--c); }

  .entities-box { flex: 1; min-height: 120px; display: flex; flex-direction: column; }
  .empty { margin: 0 2px; color: var(--crowd-muted); }
  .entity-list { list-style: none; margin: 0 -4px; padding: 0; flex: 1; min-height: 0;
                 overflow: auto; }
  .entity-list li { content-visibility: auto; contain-intrinsic-size: auto 29px; }
  .entity-list button { display: flex; align-items: baseline; gap: 8px; width: 100%;
                        border: 0; border-radius: 6px; padding: 4px 6px; background: transparent;
                        text-align: left; line-height: 1.45; }
  .entity-list button:hover { background: #f3f4f6; }
  .entity-list button[aria-current="true"] { background: var(--crowd-accent-soft); }
  .entity-list .tag { flex: none; }
  .entity-list .quote { overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
                        min-width: 0; color: #1f2937; }

  .keys summary { cursor: pointer; margin: 0 2px; }
  .keys[open] summary { margin-bottom: 8px; }
  .keys dl { display: grid; grid-template-columns: auto 1fr; gap: 5px 10px; margin: 0;
             align-items: baseline; font-size: 0.82rem; line-height: 1.35; }
  .keys dt { white-space: nowrap; }
  .keys dd { margin: 0; color: #4b5563; }

  @media (max-width: 900px) {
    .layout { height: auto; grid-template-columns: minmax(0, 1fr);
              grid-template-areas: "header" "help" "work" "side"; }
    .work { height: 70vh; }
  }
`;
