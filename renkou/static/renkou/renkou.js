/* renkou — page behaviour kept out of the HTML, so the Content-Security-Policy can forbid
   inline scripts. */
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target.matches && target.matches("select[data-submit-on-change]")) {
    target.form.submit();
  }
});
document.addEventListener("click", function (event) {
  var target = event.target;
  if (target.matches && target.matches("[data-print]")) {
    event.preventDefault();
    window.print();
  }
});

/* A form that changes something (method="post") is sent once. On submit its submit buttons
   are disabled and the form says it is working (aria-busy, the pressed button's class
   "working" and the page's words "working…", or the button's own data-busy words), so a
   slow action is not sent twice. GET forms (searches, filters) stay as they are; so do
   forms sent by htmx, forms opening another window and forms marked data-no-busy (a
   download that leaves the page in place). A page shown again from the back-forward
   cache, or still in place after a while (a download), gets its buttons back. */
(function () {
  var RESTORE_AFTER_MS = 60000;

  function submitButtons(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return (el.type === "submit" || el.type === "image") && !el.disabled;
    });
  }

  function restore(form) {
    if (form.getAttribute("aria-busy") !== "true") { return; }
    form.removeAttribute("aria-busy");
    Array.prototype.forEach.call(form.querySelectorAll(".busy-note"), function (note) { note.remove(); });
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.hasAttribute("data-busy-disabled")) { return; }
      el.removeAttribute("data-busy-disabled");
      el.disabled = false;
      el.classList.remove("working");
      el.removeAttribute("aria-disabled");
      if (el.hasAttribute("data-idle-label")) {
        el.textContent = el.getAttribute("data-idle-label");
        el.removeAttribute("data-idle-label");
      }
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target, submitter = event.submitter;
    if (event.defaultPrevented || !form.elements) { return; }
    var method = (submitter && submitter.getAttribute("formmethod")) || form.getAttribute("method") || "get";
    var target = (submitter && submitter.getAttribute("formtarget")) || form.getAttribute("target") || "";
    if (method.toLowerCase() !== "post" || form.hasAttribute("data-no-busy") ||
        (target && target !== "_self")) { return; }
    if (form.getAttribute("aria-busy") === "true") { event.preventDefault(); return; }
    var buttons = submitButtons(form);
    form.setAttribute("aria-busy", "true");
    buttons.forEach(function (button) {
      button.setAttribute("data-busy-disabled", "");
      button.setAttribute("aria-disabled", "true");
    });
    var pressed = submitter || buttons[0];
    if (pressed) {
      pressed.classList.add("working");
      if (pressed.hasAttribute("data-busy") && pressed.tagName === "BUTTON") {
        pressed.setAttribute("data-idle-label", pressed.textContent);
        pressed.textContent = pressed.getAttribute("data-busy");
      } else if (document.body.getAttribute("data-working")) {
        var note = document.createElement("span");
        note.className = "busy-note";
        note.setAttribute("role", "status");
        note.textContent = document.body.getAttribute("data-working");
        pressed.insertAdjacentElement("afterend", note);
      }
    }
    /* disabled only once the browser has read the form: a disabled button's name and
       value would not be sent */
    window.setTimeout(function () {
      buttons.forEach(function (button) {
        if (button.hasAttribute("data-busy-disabled")) { button.disabled = true; }
      });
    }, 0);
    window.setTimeout(function () { restore(form); }, RESTORE_AFTER_MS);
  });

  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      Array.prototype.forEach.call(document.querySelectorAll("form[aria-busy=true]"), restore);
    }
  });
})();

/* The menu on a small screen: folded behind its button, opened and closed by it (and
   closed by Escape). Without JavaScript the button stays hidden and the menu open. */
(function () {
  var nav = document.querySelector("nav.nav");
  var toggle = nav && nav.querySelector(".nav-toggle");
  if (!toggle) { return; }
  function setOpen(open) {
    nav.classList.toggle("open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }
  nav.classList.add("collapsible");
  toggle.hidden = false;
  toggle.addEventListener("click", function () { setOpen(!nav.classList.contains("open")); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && nav.classList.contains("open")) { setOpen(false); toggle.focus(); }
  });
})();

/* "Back to the previous page" (error pages): the browser's own back when there is a page
   to go back to; else the link's address (the referring page, or the home page). */
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a[data-back]");
  if (link && window.history.length > 1 && document.referrer) {
    event.preventDefault();
    window.history.back();
  }
});

/* A background job's page: ask for its state every second and move the bar. */
(function () {
  var box = document.querySelector("[data-job-status]");
  if (!box || box.hasAttribute("data-finished")) { return; }
  var url = box.getAttribute("data-job-status");
  function show(state) {
    var bar = box.querySelector("[data-job-bar]");
    box.querySelector("[data-job-label]").textContent = state.label;
    box.querySelector("[data-job-phase]").textContent = state.phase || "";
    box.querySelector("[data-job-done]").textContent = (state.done || 0).toLocaleString();
    box.querySelector("[data-job-total]").textContent = state.total ? " / " + state.total.toLocaleString() : "";
    box.querySelector("[data-job-message]").textContent = state.message || "";
    var log = document.querySelector("[data-job-log]");
    if (log && state.log) { log.textContent = state.log.join("\n"); }
    var percent = box.querySelector("[data-job-percent]");
    if (state.total) {
      bar.max = state.total; bar.value = state.done || 0;
      if (percent) { percent.textContent = Math.floor(100 * (state.done || 0) / state.total) + " %"; }
    } else { bar.removeAttribute("value"); }
    if (state.finished) {
      bar.max = 1; bar.value = 1;
      box.setAttribute("data-finished", "");
      window.location.reload();  /* the finished page lists the problems, if any */
      return;
    }
    window.setTimeout(poll, 1000);
  }
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); }).then(show)
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();

/* Pickers (issue 13): choose a person or an org unit instead of typing its number.
   Both enhance an ordinary form control, which keeps the value and is what the form
   sends; without JavaScript the control works as it is. Their words come from the
   page (data- attributes written in the page's language). */

/* A person: <input data-person-picker data-pick-url=… data-sex=F data-parent=mother>.
   The input becomes hidden and keeps the chosen person's number (or the reference of a
   parent found by full ID number outside the user's units); a search box asks
   /persons/pick/?q= as one types. A number or ID typed and not chosen is sent as typed. */
(function () {
  var seq = 0;

  function make(tag, className, text) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    if (text) { el.textContent = text; }
    return el;
  }

  function enhance(input) {
    var box = make("input");
    var list = make("ul", "picker-list");
    var chosen = make("div", "picker-chosen");
    var wrap = make("div", "person-picker");
    var timer = null, active = -1, options = [];
    var listId = (input.id || input.name) + "_list";

    box.type = "search";
    box.id = input.id;
    input.id = input.id + "_value";
    box.setAttribute("role", "combobox");
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-expanded", "false");
    box.setAttribute("aria-controls", listId);
    box.setAttribute("autocomplete", "off");
    box.maxLength = 50;
    box.placeholder = input.getAttribute("data-search-label") || "";
    if (input.getAttribute("aria-describedby")) {
      box.setAttribute("aria-describedby", input.getAttribute("aria-describedby"));
    }
    list.id = listId;
    list.setAttribute("role", "listbox");
    list.hidden = true;
    chosen.setAttribute("aria-live", "polite");

    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(box);
    wrap.appendChild(list);
    wrap.appendChild(chosen);
    wrap.appendChild(input);
    input.type = "hidden";

    var label = input.getAttribute("data-chosen");
    if (input.value && label) {
      chosen.textContent = "✓ " + label;
    } else if (input.value) {
      box.value = input.value;  /* typed before, shown again with the form's reason */
    }

    function close() {
      list.hidden = true;
      box.setAttribute("aria-expanded", "false");
      box.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function choose(option) {
      input.value = option.value;
      box.value = option.name || "";
      chosen.textContent = "✓ " + option.label;
      close();
      input.dispatchEvent(new Event("change", {bubbles: true}));
    }

    function mark(index) {
      var items = list.querySelectorAll("li[role=option]");
      for (var i = 0; i < items.length; i++) {
        items[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      active = index;
      if (items[index]) {
        box.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({block: "nearest"});
      }
    }

    function note(text) {
      list.appendChild(make("li", "note", text));
    }

    function show(answer) {
      list.textContent = "";
      options = [];
      (answer.results || []).forEach(function (r) {
        options.push({value: r.value, name: r.name, label: r.label});
        var li = make("li");
        li.id = listId + "_" + options.length;
        li.setAttribute("role", "option");
        li.setAttribute("data-value", r.value);
        li.appendChild(make("strong", "", r.name));
        var bits = [r.birth_date, r.unit, r.id_number, r.status].filter(Boolean).join(" · ");
        li.appendChild(make("span", "muted", " " + bits));
        list.appendChild(li);
      });
      if (answer.outside) {
        options.push({value: answer.outside.value, name: "", label: answer.outside.label});
        var li = make("li", "outside", answer.outside.label);
        li.id = listId + "_" + options.length;
        li.setAttribute("role", "option");
        li.setAttribute("data-value", answer.outside.value);
        list.appendChild(li);
      }
      if (answer.problem) { note(answer.problem); }
      else if (!options.length) { note(input.getAttribute("data-none-label") || "—"); }
      if (answer.more) { note(input.getAttribute("data-more-label") || "…"); }
      list.hidden = false;
      box.setAttribute("aria-expanded", "true");
      active = -1;
    }

    function search() {
      var q = box.value.trim();
      if (!q) { close(); return; }
      var mine = ++seq;
      var url = input.getAttribute("data-pick-url") + "?q=" + encodeURIComponent(q);
      if (input.getAttribute("data-sex")) { url += "&sex=" + encodeURIComponent(input.getAttribute("data-sex")); }
      if (input.getAttribute("data-parent")) { url += "&parent=" + encodeURIComponent(input.getAttribute("data-parent")); }
      var request = new XMLHttpRequest();
      request.open("GET", url);
      request.setRequestHeader("Accept", "application/json");
      request.onload = function () {
        if (mine !== seq) { return; }  /* an older answer, overtaken by typing */
        try { show(JSON.parse(request.responseText)); } catch (e) { close(); }
      };
      request.send();
    }

    box.addEventListener("input", function () {
      input.value = "";  /* a new search undoes the choice */
      chosen.textContent = "";
      window.clearTimeout(timer);
      timer = window.setTimeout(search, 250);
    });
    box.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!options.length) { return; }
        var step = event.key === "ArrowDown" ? 1 : -1;
        mark((active + step + options.length) % options.length);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();  /* choose, do not send the form */
        choose(options[active]);
      } else if (event.key === "Escape") {
        close();
      }
    });
    list.addEventListener("mousedown", function (event) {
      var li = event.target.closest ? event.target.closest("li[role=option]") : null;
      event.preventDefault();  /* keep the focus in the box */
      if (!li) { return; }
      for (var i = 0; i < options.length; i++) {
        if (options[i].value === li.getAttribute("data-value")) { choose(options[i]); return; }
      }
    });
    box.addEventListener("blur", function () { window.setTimeout(close, 150); });
    input.form && input.form.addEventListener("submit", function () {
      /* typed and not chosen: send what was typed (a person number or a full ID number) */
      if (!input.value && box.value.trim()) { input.value = box.value.trim(); }
    });
  }

  var inputs = document.querySelectorAll("input[data-person-picker]");
  for (var i = 0; i < inputs.length; i++) { enhance(inputs[i]); }
})();

/* An org unit: <select data-unit-tree> whose options carry data-parent (the parent's
   code) and data-name. The select becomes hidden and keeps the value; a button shows
   the chosen unit and opens a tree (county → township → village) with a filter box. */
(function () {
  function make(tag, className, text) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    if (text) { el.textContent = text; }
    return el;
  }

  function enhance(select) {
    var wrap = make("div", "unit-tree");
    var toggle = make("button", "secondary unit-tree-toggle");
    var panel = make("div", "unit-tree-panel");
    var filter = make("input");
    var tree = make("ul", "unit-tree-nodes");
    var none = make("p", "muted unit-tree-none", select.getAttribute("data-none-label") || "—");
    var nodes = {}, order = [], blank = null;

    toggle.type = "button";
    toggle.id = select.id;
    select.id = select.id + "_select";
    toggle.setAttribute("aria-haspopup", "tree");
    toggle.setAttribute("aria-expanded", "false");
    filter.type = "search";
    filter.placeholder = select.getAttribute("data-filter-label") || "";
    filter.setAttribute("aria-label", filter.placeholder);
    filter.setAttribute("autocomplete", "off");
    tree.setAttribute("role", "tree");
    panel.hidden = true;
    none.hidden = true;
    panel.appendChild(filter);
    panel.appendChild(tree);
    panel.appendChild(none);
    select.parentNode.insertBefore(wrap, select);
    wrap.appendChild(toggle);
    wrap.appendChild(panel);
    wrap.appendChild(select);
    select.hidden = true;

    function item(code, name, depthClass) {
      var li = make("li", depthClass);
      var row = make("div", "unit-tree-row");
      var twist = make("button", "link unit-tree-twist");
      var pick = make("button", "link unit-tree-pick", name);
      var kids = make("ul");
      twist.type = "button";
      pick.type = "button";
      twist.setAttribute("aria-label", select.getAttribute("data-expand-label") || "+");
      twist.hidden = true;
      kids.setAttribute("role", "group");
      kids.hidden = true;
      li.setAttribute("role", "treeitem");
      pick.setAttribute("data-code", code);
      if (code) { pick.appendChild(make("span", "muted mono", " " + code)); }
      row.appendChild(twist);
      row.appendChild(pick);
      li.appendChild(row);
      li.appendChild(kids);
      return {code: code, name: name.toLowerCase(), title: code ? name + "（" + code + "）" : name,
              li: li, twist: twist, pick: pick, kids: kids, children: [], parent: null};
    }

    for (var i = 0; i < select.options.length; i++) {
      var option = select.options[i];
      if (!option.value) {  /* "none": a choice only where the field may stay empty */
        if (!select.required) { blank = item("", option.textContent.trim() || "—", "unit-tree-blank"); }
        continue;
      }
      var name = option.getAttribute("data-name") || option.textContent.trim();
      var node = item(option.value, name, "");
      node.parentCode = option.getAttribute("data-parent") || "";
      nodes[option.value] = node;
      order.push(node);
    }
    if (blank) { tree.appendChild(blank.li); }
    order.forEach(function (node) {
      var parent = nodes[node.parentCode];
      if (parent) {
        node.parent = parent;
        parent.children.push(node);
        parent.kids.appendChild(node.li);
        parent.twist.hidden = false;
      } else {
        tree.appendChild(node.li);
      }
    });

    function expand(node, open) {
      if (!node.children.length) { return; }
      node.kids.hidden = !open;
      node.twist.textContent = open ? "▾" : "▸";
      node.li.setAttribute("aria-expanded", open ? "true" : "false");
    }

    function label() {
      var node = nodes[select.value];
      var empty = select.querySelector("option[value='']");
      toggle.textContent = (node ? node.title : (empty ? empty.textContent.trim() : "") || "—") + " ▾";
      order.concat(blank ? [blank] : []).forEach(function (n) {
        n.li.setAttribute("aria-selected", n.code === select.value ? "true" : "false");
      });
    }

    function reset() {
      order.forEach(function (node) {
        node.li.hidden = false;
        expand(node, !node.parent);  /* the top of the user's tree open, the rest closed */
      });
      if (blank) { blank.li.hidden = false; }
      for (var node = nodes[select.value] && nodes[select.value].parent; node; node = node.parent) {
        expand(node, true);  /* the way down to the chosen unit */
      }
      none.hidden = true;
    }

    function narrow(text) {
      text = text.trim().toLowerCase();
      if (!text) { reset(); return; }
      var shown = 0;
      order.forEach(function (node) { node.li.hidden = true; });
      order.forEach(function (node) {
        if (node.name.indexOf(text) < 0 && node.code.indexOf(text) !== 0) { return; }
        shown++;
        node.li.hidden = false;
        for (var up = node.parent; up; up = up.parent) { up.li.hidden = false; expand(up, true); }
      });
      if (blank) { blank.li.hidden = true; }
      none.hidden = shown > 0;
    }

    function open(yes) {
      panel.hidden = !yes;
      toggle.setAttribute("aria-expanded", yes ? "true" : "false");
      if (yes) {
        filter.value = "";
        reset();
        filter.focus();
      }
    }

    function visiblePicks() {
      return Array.prototype.filter.call(tree.querySelectorAll(".unit-tree-pick"), function (b) {
        return b.offsetParent !== null;
      });
    }

    toggle.addEventListener("click", function () { open(panel.hidden); });
    filter.addEventListener("input", function () { narrow(filter.value); });
    panel.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("button") : null;
      if (!button) { return; }
      var row = button.parentNode;
      var code = row.querySelector(".unit-tree-pick").getAttribute("data-code");
      var node = code ? nodes[code] : blank;
      if (button.classList.contains("unit-tree-twist")) {
        expand(node, node.kids.hidden);
        return;
      }
      select.value = code;
      select.dispatchEvent(new Event("change", {bubbles: true}));
      label();
      open(false);
      toggle.focus();
    });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); open(false); toggle.focus(); return; }
      if (event.key === "Enter" && event.target === filter) {
        event.preventDefault();  /* the filter box does not send the form */
        var first = visiblePicks()[0];
        if (first) { first.focus(); }
        return;
      }
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp" && event.key !== "ArrowRight"
          && event.key !== "ArrowLeft") { return; }
      var picks = visiblePicks();
      var at = picks.indexOf(document.activeElement);
      var code = at >= 0 ? picks[at].getAttribute("data-code") : null;
      event.preventDefault();
      if (event.key === "ArrowDown") { (picks[at + 1] || picks[0]).focus(); }
      else if (event.key === "ArrowUp") { (at > 0 ? picks[at - 1] : filter).focus(); }
      else if (code && nodes[code]) { expand(nodes[code], event.key === "ArrowRight"); }
    });
    document.addEventListener("click", function (event) {
      if (!panel.hidden && !wrap.contains(event.target)) { open(false); }
    });
    label();
    reset();
  }

  var selects = document.querySelectorAll("select[data-unit-tree]");
  for (var i = 0; i < selects.length; i++) { enhance(selects[i]); }
})();
