// Offer the phone's own share sheet (the Web Share API) where the browser has one.
// Without it, or without JavaScript, the link and the plain share links remain.
"use strict";

document.querySelectorAll("[data-share-url]").forEach((button) => {
  if (typeof navigator.share !== "function") {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.share({ title: button.dataset.shareTitle, url: button.dataset.shareUrl });
    } catch {
      // The reader closed the sheet: nothing to do.
    }
  });
});
