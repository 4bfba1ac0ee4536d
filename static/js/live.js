// The live pages (the big screen, the organizers' control room): every few seconds, asks the
// server for the page's panels with the ETag it has, and swaps the panels that changed. An
// unchanged fragment is a 304 without a body. Loaded as a file: the Content-Security-Policy
// allows no inline script. Without script the pages still show the figures of their last load.
(() => {
  "use strict";
  const root = document.querySelector("[data-live-src]");
  if (!root || !window.fetch || !window.DOMParser) {
    return;
  }
  const every = Math.max(1000, Number(root.dataset.liveEvery) || 2000);
  const languages = (root.dataset.liveLangs || "").split(" ").filter(Boolean);
  const switchEvery = Number(root.dataset.liveSwitch) || 0;
  let language = root.dataset.liveLang || document.documentElement.lang;
  let etag = root.dataset.liveEtag || "";
  let shown = language; // the language of the panels on the page
  let failures = 0;
  let busy = false;
  let timer = 0;

  function address() {
    const url = new URL(root.dataset.liveSrc, window.location.href);
    // The control room's panels follow the page's filters and pages.
    new URLSearchParams(window.location.search).forEach((value, key) => {
      url.searchParams.set(key, value);
    });
    if (root.dataset.liveLang) {
      url.searchParams.set("lang", language);
    }
    return url;
  }

  function showStatus(lost) {
    document.querySelectorAll("[data-live-status]").forEach((status) => {
      status.hidden = !lost;
    });
    root.dataset.liveState = lost ? "lost" : "ok";
  }

  function swap(html, flash) {
    const fresh = new DOMParser().parseFromString(html, "text/html");
    fresh.querySelectorAll("[data-live-panel]").forEach((panel) => {
      const current = panel.id && document.getElementById(panel.id);
      if (!current || current.innerHTML === panel.innerHTML) {
        return;
      }
      // A scrolling table a keyboard user is on keeps focus and position across the swap.
      const active = document.activeElement;
      const focused = current.contains(active) && active.classList.contains("table-wrap");
      const before = current.querySelector(".table-wrap");
      const scrolled = before ? before.scrollLeft : 0;
      // A copy first: moving a node into the page takes it out of the parsed fragment.
      current.replaceChildren(...Array.from(panel.childNodes));
      const wrap = current.querySelector(".table-wrap");
      if (wrap) {
        wrap.scrollLeft = scrolled;
        if (focused) {
          wrap.focus({ preventScroll: true });
        }
      }
      if (flash) {
        current.classList.remove("live-changed");
        void current.offsetWidth; // restarts the highlight's animation
        current.classList.add("live-changed");
      }
    });
    root.dataset.liveUpdated = String(Date.now());
  }

  async function poll() {
    if (busy) {
      return;
    }
    busy = true;
    const asked = language;
    try {
      const headers = etag ? { "If-None-Match": etag } : {};
      const response = await fetch(address(), {
        headers,
        cache: "no-store",
        credentials: "same-origin",
        redirect: "error", // signed out: the sign-in page is not a fragment
      });
      if (response.status === 200) {
        etag = response.headers.get("ETag") || "";
        // New figures flash; the same figures in the other language do not.
        swap(await response.text(), asked === shown);
        shown = asked;
      } else if (response.status !== 304) {
        throw new Error(`HTTP ${response.status}`);
      }
      failures = 0;
      showStatus(false);
    } catch (error) {
      failures += 1;
      if (failures >= 2) {
        showStatus(true);
      }
    } finally {
      busy = false;
    }
  }

  function start() {
    if (!timer) {
      timer = window.setInterval(poll, every);
    }
  }

  function stop() {
    window.clearInterval(timer);
    timer = 0;
  }

  // A hidden tab asks nothing; it catches up as soon as it is seen again.
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) {
      stop();
    } else {
      poll();
      start();
    }
  });

  if (languages.length > 1 && switchEvery > 0) {
    window.setInterval(() => {
      language = languages[(languages.indexOf(language) + 1) % languages.length];
      document.documentElement.lang = language;
      etag = "";
      poll();
    }, switchEvery);
  }

  if (!document.hidden) {
    start();
  }
})();
