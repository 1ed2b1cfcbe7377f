// Remember the language a reader picks, for the addresses without one (a shared
// link, an old email): they then open in it. Set here, in the browser, so that no
// page the site sends carries a cookie (every reader gets the same copy).
"use strict";

(() => {
  const YEAR = 365 * 24 * 60 * 60;
  for (const link of document.querySelectorAll("a[data-language]")) {
    link.addEventListener("click", () => {
      const secure = window.location.protocol === "https:" ? "; Secure" : "";
      document.cookie = `django_language=${link.dataset.language}; Path=/; Max-Age=${YEAR}; SameSite=Lax${secure}`;
    });
  }
})();
