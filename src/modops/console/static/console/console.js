// modops console behaviour: keyboard shortcuts, lease countdown, exposure heartbeat, safe media.
// Served from modops itself; no inline scripts (the Content-Security-Policy forbids them).
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  // htmx requests carry the CSRF token from the meta tag (the cookie is HttpOnly).
  document.body.addEventListener("htmx:configRequest", function (e) { e.detail.headers["X-CSRFToken"] = csrf; });

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Content-Type": "application/x-www-form-urlencoded" },
      body: body || ""
    });
  }

  // Media is blurred and greyscale by each moderator's own preferences until revealed.
  var blur = parseInt(document.body.dataset.blur || "24", 10);
  var grey = document.body.dataset.greyscale !== "0";
  function guard(el) {
    el.style.setProperty("filter", "blur(" + blur + "px)" + (grey ? " grayscale(1)" : ""));
    if (el.tagName === "VIDEO") { el.muted = true; el.controls = false; }
  }
  document.querySelectorAll(".guarded").forEach(guard);

  document.querySelectorAll(".reveal-form").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var fig = form.closest("figure");
      post(form.action, new URLSearchParams(new FormData(form)).toString()).then(function (r) {
        if (!r.ok) { fig.querySelector("figcaption").insertAdjacentHTML("beforeend", '<span class="badge bad">refused</span>'); return null; }
        return r.json();
      }).then(function (data) {
        if (!data) return;
        var el = fig.querySelector("img, video");
        if (!el) {
          // Tier 3: nothing was loaded until now.
          var isVideo = data.content_type.indexOf("video/") === 0;
          el = document.createElement(isVideo ? "video" : "img");
          if (isVideo) { el.muted = true; el.controls = true; } else { el.alt = "revealed media"; }
          fig.querySelector(".media-placeholder").replaceWith(el);
          el.src = data.src;
        }
        el.style.removeProperty("filter");
        if (el.tagName === "VIDEO") { el.controls = true; }
        fig.classList.add("revealed");
      });
    });
  });

  // Lease countdown, renewal, and the exposure heartbeat while the item is on screen.
  var lease = document.getElementById("lease");
  if (lease) {
    var expires = new Date(lease.dataset.expires).getTime();
    var left = document.getElementById("lease-left");
    var tick = function () {
      var s = Math.round((expires - Date.now()) / 1000);
      if (s <= 0) { left.textContent = "expired"; lease.className = "lease gone"; return; }
      left.textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
      lease.className = s < 60 ? "lease low" : "lease";
    };
    tick(); setInterval(tick, 1000);
    var renew = function () {
      post(lease.dataset.renew).then(function (r) { return r.ok ? r.json() : null; }).then(function (d) {
        if (d) { expires = new Date(d.lease_expires_at).getTime(); tick(); }
      });
    };
    document.getElementById("renew-lease").addEventListener("click", renew);
    setInterval(function () { post(lease.dataset.heartbeat); }, 15000);
    window.modopsRenew = renew;
  }

  // Keyboard: single keys act unless the focus is in a text field (Esc leaves it).
  function typing(el) {
    return el && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && /^(text|search|password|number)$/.test(el.type)));
  }
  function click(id) { var el = document.getElementById(id); if (el) { el.click(); return true; } return false; }
  var form = document.getElementById("decision-form");
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (e.key === "Escape") { if (t && t.blur) t.blur(); return; }
    if (typing(t)) {
      if (e.key === "Enter" && t.tagName === "INPUT" && form && form.contains(t)) { e.preventDefault(); form.requestSubmit(); }
      return;
    }
    var k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    if (k === "c" && click("claim-next")) { e.preventDefault(); return; }
    if (!form) {
      if (k === "?") { e.preventDefault(); }
      return;
    }
    var sel = document.getElementById("id_policy");
    if (/^[1-9]$/.test(k)) {
      var opt = sel.querySelector('option[data-key="' + k + '"]');
      if (opt) { sel.value = opt.value; e.preventDefault(); }
    } else if (k === "v") { form.querySelector('input[name=violation][value=yes]').checked = true; e.preventDefault(); }
    else if (k === "o") { form.querySelector('input[name=violation][value=no]').checked = true; e.preventDefault(); }
    else if (k === "a") { document.getElementById("id_action").focus(); e.preventDefault(); }
    else if (k === "n") { document.getElementById("id_note").focus(); e.preventDefault(); }
    else if (k === "s") { e.preventDefault(); click("skip"); }
    else if (k === "e") {
      e.preventDefault();
      var box = document.getElementById("escalate-box"); box.open = true; document.getElementById("id_queue").focus();
    }
    else if (k === "r" && window.modopsRenew) { e.preventDefault(); window.modopsRenew(); }
    else if (k === "?") { e.preventDefault(); var h = document.querySelector(".shortcuts"); h.classList.add("flash"); h.scrollIntoView(); setTimeout(function () { h.classList.remove("flash"); }, 1200); }
    else if (k === "Enter" && (!t || t === document.body || form.contains(t) || t.tagName === "SELECT")) {
      if (t && (t.tagName === "BUTTON" || t.tagName === "A" || t.tagName === "SUMMARY") && !form.contains(t)) return;
      e.preventDefault(); form.requestSubmit();
    }
  });
})();
