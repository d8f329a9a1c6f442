// Keyboard movement of the caret and selection in crowd-entity-annotation. A selection is an
// anchor and a focus (UTF-16 positions, always on grapheme-cluster boundaries); the caret is the
// focus. Movement never splits a cluster, so it never splits a surrogate pair either.

/**
 * Where the keys move the focus, or null when the key is not a movement key.
 * @param {KeyboardEvent} event
 * @param {{anchor: number, focus: number}} selection
 * @param {import("./entity-text.js").EntityText} text
 * @param {(direction: -1|1, focus: number) => number|null} lineMove vertical move, from the view
 * @returns {{anchor: number, focus: number}|null}
 */
export function moveSelection(event, { anchor, focus }, text, lineMove) {
  const extend = event.shiftKey;
  const collapsed = anchor === focus;
  let target;
  switch (event.key) {
    case "ArrowRight":
    case "ArrowLeft": {
      const forward = (event.key === "ArrowRight") === !isRtlAt(text, focus);
      if (!extend && !collapsed && !event.altKey) {
        target = forward ? Math.max(anchor, focus) : Math.min(anchor, focus);
      } else if (event.altKey) {
        target = forward ? text.nextBoundary(focus) : text.prevBoundary(focus);
      } else if (forward) {
        target = extend ? text.nextWordEnd(focus) : text.nextWordStart(focus);
      } else {
        target = text.prevWordStart(focus);
      }
      break;
    }
    case "ArrowUp":
    case "ArrowDown":
      target = lineMove(event.key === "ArrowUp" ? -1 : 1, focus);
      if (target === null) return null;
      break;
    case "Home":
    case "End": {
      const block = text.blocks[text.blockIndexAt(focus)];
      const whole = event.ctrlKey || event.metaKey;
      if (event.key === "Home") target = whole ? 0 : block.start;
      else target = whole ? text.length : block.end;
      break;
    }
    default:
      return null;
  }
  target = snapBack(text, target);
  return extend ? { anchor, focus: target } : { anchor: target, focus: target };
}

/** The nearest grapheme boundary at or before `unit`. */
export function snapBack(text, unit) {
  let u = Math.max(0, Math.min(text.length, unit));
  while (u > 0 && !text.isBoundary(u)) u--;
  return u;
}

const RTL_LETTER =
  /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]/u;

// Arrow keys follow the block's direction, which the view takes from its first letter
// (unicode-bidi: plaintext), so Right moves back in a line of Hebrew.
function isRtlAt(text, unit) {
  const block = text.blocks[text.blockIndexAt(unit)];
  const sample = text.text.slice(block.start, Math.min(block.end, block.start + 400));
  const letter = sample.match(/\p{L}/u);
  return Boolean(letter && RTL_LETTER.test(letter[0]));
}
