// Reveal "Copy" buttons and make them copy their target's text (a field's value).
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
    const text = "value" in field ? field.value : field.textContent.trim();
    await navigator.clipboard.writeText(text);
    button.textContent = button.dataset.copiedLabel || "✓";
    setTimeout(() => {
      button.textContent = label;
    }, 2000);
  });
});
