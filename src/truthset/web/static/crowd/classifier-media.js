// Audio and video as the classification target of <crowd-classifier> (the gallery's audio and
// video templates put a <video> or <audio controls> in <classification-target>): the player gets
// the card's full width and as much height as fits, and keys work it without reaching for it.
//
// Keys, while the focus is not in a text field or on the player itself (which has its own):
//   Space or K   play / pause            J / L   back / forward 5 seconds
// Number keys still pick categories, as with any other target.

const SEEK_SECONDS = 5;

export const MEDIA_CSS = `
  .target.media { display: flex; flex-direction: column; }
  .target.media .target-body { max-width: none; width: 100%; box-sizing: border-box;
                               padding: 16px; display: flex; flex-direction: column; gap: 10px; }
  .media-keys { margin: 0; font-size: 0.85rem; color: var(--crowd-muted); }
`;

// Slotted media are styled by the document: they fill the card, video keeps within the viewport.
const DOCUMENT_CSS = `
  classification-target :where(video) { display: block; width: 100%; height: auto;
    max-height: calc(100dvh - var(--crowd-footer-height, 0px) - 220px); background: #000;
    border-radius: 8px; }
  classification-target :where(audio) { display: block; width: 100%; }
`;

let documentSheet = null;

function ensureDocumentStyles(doc) {
  if (documentSheet && doc.adoptedStyleSheets.includes(documentSheet)) return;
  documentSheet = documentSheet || new CSSStyleSheet();
  documentSheet.replaceSync(DOCUMENT_CSS);
  doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, documentSheet];
}

/** The players of a classification target (null when it has none). */
export function mediaPlayers(target) {
  const players = target ? [...target.querySelectorAll("video, audio")] : [];
  return players.length ? players : null;
}

/** Prepares the target card for its players: layout, and the line that names the keys. */
export function setUpMediaTarget(card, target) {
  ensureDocumentStyles(target.ownerDocument);
  card.classList.add("media");
  const keys = document.createElement("p");
  keys.className = "media-keys";
  keys.setAttribute("aria-hidden", "true");
  keys.innerHTML = "<kbd>Space</kbd> play / pause · <kbd>J</kbd> <kbd>L</kbd> −/+ 5 s";
  card.querySelector(".target-body").appendChild(keys);
  for (const player of mediaPlayers(target)) {
    if (!player.hasAttribute("controls")) player.controls = true;
    player.preload = player.preload || "metadata";
  }
}

/** Handles a media key for the first player of the target; true when the key was used. */
export function mediaKey(event, players) {
  if (!players || event.composedPath().some((node) => players.includes(node))) return false;
  const player = players.find((p) => !p.paused) || players[0];
  const key = event.key.toLowerCase();
  const onButton = event.composedPath().some((node) => node.tagName === "BUTTON");
  if ((key === " " && !onButton) || key === "k") {
    if (player.paused) player.play().catch(() => {});
    else player.pause();
    return true;
  }
  if (key === "j" || key === "l") {
    const step = key === "j" ? -SEEK_SECONDS : SEEK_SECONDS;
    const end = Number.isFinite(player.duration) ? player.duration : Infinity;
    player.currentTime = Math.max(0, Math.min(end, player.currentTime + step));
    return true;
  }
  return false;
}
