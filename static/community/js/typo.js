// Select text and press Ctrl+Enter (Cmd+Enter on a Mac) to report a mistake.
// The report goes to this site only. Without JavaScript, the footer links to a form.
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
    const start = Math.max(text.lastIndexOf(". ", at) + 2, 0, at - 200);
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

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || dialog.open) {
      return;
    }
    const selection = window.getSelection();
    const selected = selection && selection.rangeCount ? squeeze(selection.toString()) : "";
    if (!selected) {
      return;
    }
    event.preventDefault();
    open(selected, selection.getRangeAt(0));
  });

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
