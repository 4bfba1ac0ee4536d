// Selects the whole of a read-only address field (a personal give link, a calendar feed) when it
// gets focus, so it can be copied in one go. Loaded as a file: the Content-Security-Policy allows
// no inline script or event handler attributes.
document.addEventListener("focusin", (event) => {
  const field = event.target;
  if (field instanceof HTMLInputElement && field.hasAttribute("data-select-on-focus")) {
    field.select();
  }
});
