// Reveal "Copy link" buttons and make them copy their target field's text.
// Without JavaScript the field itself stays selectable.
"use strict";

document.querySelectorAll("[data-copy-target]").forEach((button) => {
  const field = document.getElementById(button.dataset.copyTarget);
  if (!field || !navigator.clipboard) {
    return;
  }
  const label = button.textContent;
  button.hidden = false;
  button.addEventListener("click", async () => {
    await navigator.clipboard.writeText(field.value);
    button.textContent = button.dataset.copiedLabel || "✓";
    setTimeout(() => {
      button.textContent = label;
    }, 2000);
  });
});
