// Select text and press Ctrl+Enter (Cmd+Enter on a Mac) to report a mistake; on a
// touch screen, a button appears while text is selected. The report goes to this
// site only. Without JavaScript, the footer links to a form.
"use strict";

(() => {
  const dialog = document.getElementById("typo-dialog");
  if (!dialog || typeof dialog.showModal !== "function") {
    return;
  }
  const form = dialog.querySelector("form");
  const contextBox = dialog.querySelector("[data-typo-context]");
  const status = dialog.querySelector(".typo-status");
  const send = dialog.querySelector("[data-typo-send]");
  const comment = form.elements.comment;
  const MAX_SELECTION = 500;
  let opener = null;

  const squeeze = (text) => text.replace(/\s+/g, " ").trim();

  // The sentence around the selection, from the block of text it sits in.
  function sentenceAround(range, selected) {
    let node = range.commonAncestorContainer;
    if (node.nodeType !== Node.ELEMENT_NODE) {
      node = node.parentElement;
    }
    const block = node.closest("p, li, h1, h2, h3, h4, blockquote, td, dd, figcaption") || node;
    const text = squeeze(block.textContent || "");
    const at = text.indexOf(selected);
    if (at < 0) {
      return { before: "", after: "" };
    }
    const sentence = text.lastIndexOf(". ", at);
    const start = Math.max(sentence < 0 ? 0 : sentence + 2, at - 200);
    const stop = text.indexOf(". ", at + selected.length);
    const end = Math.min(stop < 0 ? text.length : stop + 1, at + selected.length + 200);
    return { before: text.slice(start, at), after: text.slice(at + selected.length, end) };
  }

  function showContext(before, selected, after) {
    const mark = document.createElement("mark");
    mark.textContent = selected;
    contextBox.replaceChildren(before, mark, after);
  }

  function open(selected, range) {
    const { before, after } = sentenceAround(range, selected);
    showContext(before, selected, after);
    form.elements.page_url.value = window.location.pathname + window.location.search;
    form.elements.selected_text.value = selected;
    form.elements.context.value = `${before}${selected}${after}`;
    comment.value = "";
    comment.hidden = false;
    send.hidden = false;
    const tooLong = selected.length > MAX_SELECTION;
    status.textContent = tooLong ? status.dataset.tooLong : "";
    send.disabled = tooLong;
    opener = document.activeElement;
    dialog.showModal();
    comment.focus();
  }

  // What is selected in the page (not in a form field), with its range, or null.
  function currentSelection() {
    const selection = window.getSelection();
    const selected = selection && selection.rangeCount ? squeeze(selection.toString()) : "";
    if (!selected || dialog.contains(selection.anchorNode)) {
      return null;
    }
    return { selected, range: selection.getRangeAt(0) };
  }

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || dialog.open) {
      return;
    }
    const found = currentSelection();
    if (!found) {
      return;
    }
    event.preventDefault();
    open(found.selected, found.range);
  });

  // Touch screens have no Ctrl+Enter: a button shows while text is selected.
  const touchButton = document.querySelector("[data-typo-touch]");
  const hint = document.querySelector("[data-touch-hint]");
  if (touchButton && window.matchMedia("(pointer: coarse)").matches) {
    if (hint) {
      hint.textContent = hint.dataset.touchHint;
    }
    document.addEventListener("selectionchange", () => {
      touchButton.hidden = dialog.open || !currentSelection();
    });
    // Tapping the button must not clear the selection it reports.
    touchButton.addEventListener("pointerdown", (event) => event.preventDefault());
    touchButton.addEventListener("click", () => {
      const found = currentSelection();
      touchButton.hidden = true;
      if (found) {
        open(found.selected, found.range);
      }
    });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    send.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const data = await response.json();
      status.textContent = data.message;
      if (response.ok) {
        comment.hidden = true;
        send.hidden = true;
        dialog.querySelector("[data-typo-cancel]").focus();
      } else {
        send.disabled = false;
      }
    } catch {
      status.textContent = status.dataset.failed;
      send.disabled = false;
    }
  });

  dialog.querySelector("[data-typo-cancel]").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    if (opener && typeof opener.focus === "function") {
      opener.focus();
    }
  });
})();
