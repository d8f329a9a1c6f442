// Inside the worker portal a template runs in a sandboxed frame. The portal cannot move the
// keyboard focus into it from outside, so it asks the frame to take focus, and forwards keys
// pressed while the focus is on the portal's own bar, so shortcuts work wherever the worker is.
if (window.parent !== window) {
  window.addEventListener("message", (event) => {
    if (event.source !== window.parent || !event.data) return;
    if (event.data.type === "truthset:focus") window.focus();
    if (event.data.type === "truthset:key") {
      const { key, code, shiftKey, ctrlKey, altKey, metaKey } = event.data;
      const target = document.activeElement || document.body;
      target.dispatchEvent(
        new KeyboardEvent("keydown", { key, code, shiftKey, ctrlKey, altKey, metaKey, bubbles: true, composed: true, cancelable: true }),
      );
    }
  });
}
