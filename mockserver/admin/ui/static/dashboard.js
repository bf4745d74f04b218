// The mockserver dashboard: every read and every action is a fetch to the admin API (/__admin/...),
// so whatever is done here can be scripted with the same calls. Text is always set with
// textContent, never parsed as HTML: journal bodies and push answers are arbitrary text.
"use strict";

(function () {
  const body = document.body;
  const ADMIN = body.dataset.admin || "/__admin";
  const carrier = body.dataset.carrier;
  const appKey = body.dataset.appKey;
  const page = body.dataset.page;

  // -- helpers -------------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function query(params) {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      if (value !== null && value !== undefined && value !== "") search.set(name, value);
    }
    const text = search.toString();
    return text ? "?" + text : "";
  }

  class ApiFailure extends Error {
    constructor(status, answer) {
      const field = answer && answer.field ? " (" + answer.field + ")" : "";
      super((answer && answer.message ? answer.message : "HTTP " + status) + field);
      this.status = status;
      this.answer = answer;
    }
  }

  async function api(method, path, payload) {
    const options = { method: method, headers: { Accept: "application/json" } };
    if (payload !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    const response = await fetch(ADMIN + path, options);
    let answer = null;
    try {
      answer = await response.json();
    } catch (error) {
      answer = null;
    }
    if (!response.ok) throw new ApiFailure(response.status, answer);
    return answer;
  }

  function notice(text, kind) {
    const box = document.getElementById("notice");
    box.textContent = text;
    box.className = kind || "info";
    box.hidden = !text;
  }

  function pretty(text) {
    if (!text) return "";
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch (error) {
      return text;
    }
  }

  function shortTime(iso) {
    if (!iso) return "—";
    return iso.replace("T", " ").replace(/\.\d+/, "");
  }

  function json(value) {
    return el("code", { class: "json" }, JSON.stringify(value));
  }

  function accountQuery(extra) {
    return query(Object.assign({ carrier: carrier, app_key: appKey }, extra || {}));
  }

  function pageUrl(name, params) {
    const base = ADMIN + "/ui/" + encodeURIComponent(carrier) + "/" + encodeURIComponent(appKey) + "/" + name;
    return base + query(params || {});
  }

  function formData(form) {
    const found = {};
    for (const [name, value] of new FormData(form).entries()) found[name] = String(value).trim();
    return found;
  }

  // Runs an action, shows what happened, then reloads the page's data.
  async function act(description, action) {
    try {
      const answer = await action();
      await loadAll();
      notice(description + ": done", "ok"); // after the refresh: the page shows the new state
      return answer;
    } catch (error) {
      notice(description + " failed: " + error.message, "error");
      return null;
    }
  }

  async function loadAll() {
    if (carrier) await loadAccountClock();
    await (LOADERS[page] || (async () => {}))();
  }

  async function refresh() {
    try {
      await loadAll();
    } catch (error) {
      notice(error.message, "error");
    }
  }

  // -- header: account clock, advance, reset ---------------------------------------------------

  async function loadAccountClock() {
    const clock = await api("GET", "/clock" + accountQuery());
    const node = document.getElementById("account-time");
    node.textContent = shortTime(clock.time);
    node.setAttribute("datetime", clock.time);
    return clock;
  }

  function wireHeader() {
    const form = document.getElementById("advance-form");
    if (!form) return;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const seconds = Number(form.elements.seconds.value);
      act("Advance the clock by " + seconds + " s", () =>
        api("POST", "/clock/advance", { carrier: carrier, app_key: appKey, seconds: seconds })
      );
    });
    document.getElementById("reset-account").addEventListener("click", () => {
      if (!window.confirm("Reset " + carrier + "/" + appKey + ": its parcels, intercepts, journal and stubs?")) return;
      act("Reset the account", () => api("POST", "/reset", { carrier: carrier, app_key: appKey }));
    });
  }

  // -- accounts -------------------------------------------------------------------------------

  async function loadAccounts() {
    const health = await api("GET", "/health");
    const clock = await api("GET", "/clock");
    document.getElementById("server-time").textContent = shortTime(clock.time);
    document.getElementById("server-kind").textContent = clock.kind;
    const select = document.getElementById("carrier-select");
    const chosen = new URLSearchParams(location.search).get("carrier") || select.value;
    if (select.options.length === 1) {
      for (const slug of health.carriers) select.append(el("option", { value: slug }, slug));
    }
    select.value = chosen || "";
    const answer = await api("GET", "/accounts" + query({ carrier: select.value }));
    const rows = answer.accounts.map((account) => {
      const link = ADMIN + "/ui/" + encodeURIComponent(account.carrier) + "/" + encodeURIComponent(account.app_key) + "/parcels";
      return el(
        "tr",
        { "data-app-key": account.app_key },
        el("td", {}, account.carrier),
        el("td", {}, el("a", { href: link }, account.app_key)),
        el("td", {}, account.auto_parcels ? "yes" : "no"),
        el("td", {}, account.clock_offset),
        el("td", {}, Object.keys(account.extra || {}).length ? json(account.extra) : ""),
        el("td", {}, el("a", { href: link, class: "button" }, "Open"))
      );
    });
    document.querySelector("#accounts tbody").replaceChildren(...rows);
  }

  function wireAccounts() {
    document.getElementById("account-filter").addEventListener("submit", (event) => {
      event.preventDefault();
      history.replaceState(null, "", query({ carrier: document.getElementById("carrier-select").value }) || location.pathname);
      refresh();
    });
  }

  // -- parcels --------------------------------------------------------------------------------

  function timeline(parcel) {
    return el(
      "ol",
      { class: "timeline" },
      parcel.route.map((scan) =>
        el(
          "li",
          { class: scan.visible ? "scan seen" : "scan planned" },
          el("time", { datetime: scan.time }, shortTime(scan.time)),
          " ",
          el("strong", {}, scan.kind),
          " ",
          scan.site && scan.site.name ? el("span", { class: "site" }, scan.site.name) : null,
          " ",
          scan.description,
          scan.visible ? null : el("span", { class: "tag" }, "planned")
        )
      )
    );
  }

  function interceptTable(records, requests) {
    const parts = [];
    if (records.length) {
      parts.push(
        el(
          "table",
          { class: "intercepts" },
          el("thead", {}, el("tr", {}, ["intercept", "kind", "status", "reason", "created", "resolves"].map((h) => el("th", {}, h)))),
          el(
            "tbody",
            {},
            records.map((r) =>
              el(
                "tr",
                { class: "status-" + String(r.status).toLowerCase() },
                el("td", {}, r.id),
                el("td", {}, r.kind),
                el("td", {}, r.status),
                el("td", {}, r.fail_reason || ""),
                el("td", {}, shortTime(r.created_at)),
                el("td", {}, r.resolve_at ? shortTime(r.resolve_at) : "never")
              )
            )
          )
        )
      );
    }
    if (requests.length) {
      parts.push(
        el(
          "table",
          { class: "intercept-requests" },
          el("thead", {}, el("tr", {}, ["request", "time", "operation", "HTTP", "decided by", "answer"].map((h) => el("th", {}, h)))),
          el(
            "tbody",
            {},
            requests.map((entry) =>
              el(
                "tr",
                {},
                el("td", {}, el("a", { href: pageUrl("journal", { waybill: entry.waybill }) }, "#" + entry.id)),
                el("td", {}, shortTime(entry.time)),
                el("td", {}, entry.operation),
                el("td", {}, entry.response_status),
                el("td", {}, entry.decided_by),
                el("td", {}, el("code", { class: "answer" }, entry.response_body))
              )
            )
          )
        )
      );
    }
    if (!parts.length) parts.push(el("p", { class: "hint" }, "No intercept yet."));
    return parts;
  }

  async function loadParcels() {
    const [listing, intercepts, journal] = await Promise.all([
      api("GET", "/parcels" + accountQuery()),
      api("GET", "/intercepts" + accountQuery()),
      api("GET", "/requests" + accountQuery()),
    ]);
    const requests = journal.requests.filter((e) => e.operation === "intercept" || e.operation === "cancel_intercept");
    const cards = listing.parcels.map((parcel) =>
      el(
        "article",
        { class: "card parcel", "data-waybill": parcel.waybill, id: "parcel-" + parcel.waybill },
        el(
          "h2",
          {},
          parcel.waybill,
          " ",
          el("small", {}, parcel.origin.city + " → " + parcel.destination.city + " · " + parcel.source + " · created " + shortTime(parcel.created_at))
        ),
        timeline(parcel),
        el("h3", {}, "Intercepts"),
        interceptTable(
          intercepts.intercepts.filter((r) => r.waybill === parcel.waybill),
          requests.filter((e) => e.waybill === parcel.waybill)
        )
      )
    );
    if (!cards.length) cards.push(el("p", { class: "hint" }, "No parcel yet: create one above, or send a request for a waybill."));
    document.getElementById("parcels").replaceChildren(...cards);
  }

  function wireParcels() {
    document.getElementById("parcel-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const data = formData(event.target);
      act("Create parcel " + data.waybill, () =>
        api("POST", "/parcels", { carrier: carrier, app_key: appKey, waybill: data.waybill, stage: data.stage })
      );
    });
  }

  // -- journal --------------------------------------------------------------------------------

  function headers(map) {
    return Object.entries(map || {})
      .map(([name, value]) => name + ": " + value)
      .join("\n");
  }

  async function loadJournal() {
    const form = document.getElementById("journal-filter");
    const params = new URLSearchParams(location.search);
    for (const name of ["carrier", "app_key", "operation", "waybill", "status", "decided_by", "limit"]) {
      if (params.has(name)) form.elements[name].value = params.get(name);
    }
    const answer = await api("GET", "/requests" + query(formData(form)));
    const entries = answer.requests.slice().reverse().map((entry) =>
      el(
        "details",
        { class: "entry status-" + Math.floor(entry.response_status / 100) + "xx", "data-id": entry.id },
        el(
          "summary",
          {},
          el("span", { class: "id" }, "#" + entry.id),
          el("time", { datetime: entry.time }, shortTime(entry.time)),
          el("span", { class: "op" }, entry.carrier + " " + entry.operation),
          el("span", { class: "waybill" }, entry.waybill || "—"),
          el("span", { class: "http" }, entry.response_status),
          el(
            "span",
            { class: "decided" },
            "decided by ",
            entry.decided_by === "default" ? "default" : el("a", { href: pageUrl("scenarios") }, entry.decided_by)
          ),
          entry.error ? el("span", { class: "error" }, entry.error) : null
        ),
        el("h4", {}, "Request: " + entry.method + " " + entry.path),
        el("pre", { class: "headers" }, headers(entry.request_headers)),
        el("pre", { class: "request" }, pretty(entry.request_body)),
        el("h4", {}, "Answer: HTTP " + entry.response_status),
        el("pre", { class: "response" }, pretty(entry.response_body))
      )
    );
    const summary = el("p", { class: "hint" }, answer.count + " matching entries, newest first");
    document.getElementById("journal").replaceChildren(summary, ...entries);
  }

  function wireJournal() {
    document.getElementById("journal-filter").addEventListener("submit", (event) => {
      event.preventDefault();
      history.replaceState(null, "", query(formData(event.target)) || location.pathname);
      refresh();
    });
  }

  // -- pushes ---------------------------------------------------------------------------------

  function attemptList(attempts) {
    if (!attempts.length) return el("p", { class: "hint" }, "No attempt yet.");
    return el(
      "table",
      { class: "attempts" },
      el("thead", {}, el("tr", {}, ["attempt", "time", "HTTP", "acked", "receiver's answer or error"].map((h) => el("th", {}, h)))),
      el(
        "tbody",
        {},
        attempts.map((a, index) =>
          el(
            "tr",
            { class: a.acked ? "acked" : "refused" },
            el("td", {}, index + 1),
            el("td", {}, shortTime(a.time)),
            el("td", {}, a.status === null ? "—" : a.status),
            el("td", {}, a.acked ? "yes" : "no"),
            el("td", {}, el("code", { class: "answer" }, a.error || a.response))
          )
        )
      )
    );
  }

  async function loadPushes() {
    const form = document.getElementById("push-filter");
    const [subscriptions, answer, clock] = await Promise.all([
      api("GET", "/subscriptions" + accountQuery()),
      api("GET", "/pushes" + accountQuery(formData(form))),
      api("GET", "/clock" + accountQuery()),
    ]);
    const callback = subscriptions.callbacks[0];
    document.getElementById("callback").replaceChildren(
      el("p", {}, "Callback URL: ", callback ? el("code", {}, callback.url) : "none (pushes wait for one)"),
      el("p", {}, "Subscribed waybills: ", subscriptions.subscriptions.map((s) => s.waybill).join(", ") || "none")
    );
    const now = Date.parse(clock.time);
    const cards = answer.pushes.slice().reverse().map((push) => {
      let due = null;
      if (push.state === "pending" && push.due_at) {
        const minutes = Math.round((Date.parse(push.due_at) - now) / 60000);
        due = el("span", { class: "due" }, "due " + shortTime(push.due_at) + (minutes > 0 ? " (in " + minutes + " min)" : " (now)"));
      }
      return el(
        "article",
        { class: "card push state-" + push.state, "data-push-id": push.id },
        el(
          "h2",
          {},
          push.kind + " push ",
          el("small", {}, push.id),
          " ",
          el("span", { class: "tag state" }, push.state),
          " ",
          due,
          push.state === "pending"
            ? null
            : el(
                "button",
                {
                  type: "button",
                  class: "resend",
                  onclick: () => act("Resend push " + push.id, () => api("POST", "/pushes/" + encodeURIComponent(push.id) + "/resend", {})),
                },
                "Send again"
              )
        ),
        el(
          "p",
          {},
          "waybills " + push.waybills.join(", ") + " · created " + shortTime(push.created_at) + " · decided by " + push.decided_by,
          push.copy > 1 ? " · copy " + push.copy : ""
        ),
        el("details", {}, el("summary", {}, "request to " + push.url), el("pre", { class: "headers" }, headers(push.headers)), el("pre", {}, pretty(push.body))),
        attemptList(push.attempts)
      );
    });
    if (!cards.length) cards.push(el("p", { class: "hint" }, "No push yet."));
    document.getElementById("pushes").replaceChildren(...cards);
  }

  function wirePushes() {
    const form = document.getElementById("push-filter");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      refresh();
    });
    document.getElementById("flush-pushes").addEventListener("click", () =>
      act("Deliver due pushes", () => api("POST", "/pushes/flush", { timeout: 10 }))
    );
  }

  // -- scenarios ------------------------------------------------------------------------------

  function lifetime(value) {
    if (value && typeof value === "object") return JSON.stringify(value);
    return value === undefined ? "permanent" : String(value);
  }

  async function loadScenarios() {
    const select = document.getElementById("preset-select");
    if (!select.options.length) {
      const schema = await api("GET", "/scenarios/schema");
      for (const name of schema.$defs.preset_stub.properties.preset.enum) select.append(el("option", {}, name));
      select.value = "intercept_rejected";
    }
    const everyone = document.getElementById("all-stubs").checked;
    const [answer, misses] = await Promise.all([
      api("GET", "/scenarios" + query({ account: everyone ? "" : appKey })),
      api("GET", "/scenarios/misses"),
    ]);
    const rows = answer.stubs.map((stub) =>
      el(
        "tr",
        { "data-stub-id": stub.id },
        el("td", {}, stub.id),
        el("td", {}, stub.name || ""),
        el("td", {}, json(stub.match || {})),
        el("td", {}, json(stub.outcome || {})),
        el("td", {}, lifetime(stub.lifetime)),
        el("td", {}, stub.priority === undefined ? "" : stub.priority),
        el("td", {}, stub.fired),
        el(
          "td",
          {},
          el(
            "button",
            {
              type: "button",
              class: "remove danger",
              onclick: () => act("Remove stub " + stub.id, () => api("DELETE", "/scenarios/" + encodeURIComponent(stub.id))),
            },
            "Remove"
          )
        )
      )
    );
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 8, class: "hint" }, "No stub: every request is answered normally.")));
    document.querySelector("#stubs tbody").replaceChildren(...rows);
    const states = Object.entries(answer.states || {}).map(([name, state]) => el("tr", {}, el("td", {}, name), el("td", {}, state)));
    if (!states.length) states.push(el("tr", {}, el("td", { colspan: 2, class: "hint" }, "No scenario has a state.")));
    document.querySelector("#states tbody").replaceChildren(...states);
    const mine = misses.misses.filter((m) => everyone || !m.request.account || m.request.account === appKey);
    const items = mine.map((miss) =>
      el(
        "details",
        { class: "miss" },
        el("summary", {}, [miss.request.carrier, miss.request.operation, miss.request.waybill || "", miss.request.account || ""].join(" ")),
        el(
          "ul",
          {},
          miss.checks.map((check) => el("li", {}, el("strong", {}, check.stub_id), ": " + (check.reasons.join("; ") || "matched")))
        )
      )
    );
    if (!items.length) items.push(el("p", { class: "hint" }, "No near miss."));
    document.getElementById("misses").replaceChildren(...items);
  }

  function wireScenarios() {
    document.getElementById("all-stubs").addEventListener("change", () => refresh());
    document.getElementById("preset-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const data = formData(event.target);
      let args;
      try {
        args = JSON.parse(data.args || "{}");
      } catch (error) {
        notice("args must be a JSON object: " + error.message, "error");
        return;
      }
      const match = { carrier: carrier };
      if (data.operation) match.operation = data.operation;
      if (data.waybill) match.waybill = data.waybill;
      const stub = { preset: data.preset, args: args, match: match, lifetime: data.lifetime };
      if (data.id) stub.id = data.id;
      act("Add preset " + data.preset, () => api("POST", "/scenarios" + query({ account: appKey }), stub));
    });
  }

  // -- clock ----------------------------------------------------------------------------------

  async function loadClock() {
    const [server, account] = await Promise.all([api("GET", "/clock"), api("GET", "/clock" + accountQuery())]);
    const pairs = [
      ["account time", shortTime(account.time)],
      ["offset from the server", account.offset_seconds + " s"],
      ["server time", shortTime(server.time)],
      ["server clock", server.kind + (server.speed ? " × " + server.speed : "")],
    ];
    document.querySelector("#clock tbody").replaceChildren(...pairs.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v))));
  }

  function wireClock() {
    document.getElementById("set-clock-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const data = formData(event.target);
      act("Set the account's time", () => api("POST", "/clock", { carrier: carrier, app_key: appKey, time: data.time }));
    });
  }

  const LOADERS = {
    accounts: loadAccounts,
    parcels: loadParcels,
    journal: loadJournal,
    pushes: loadPushes,
    scenarios: loadScenarios,
    clock: loadClock,
  };
  const WIRES = {
    accounts: wireAccounts,
    parcels: wireParcels,
    journal: wireJournal,
    pushes: wirePushes,
    scenarios: wireScenarios,
    clock: wireClock,
  };

  wireHeader();
  (WIRES[page] || (() => {}))();
  refresh().then(() => body.setAttribute("data-loaded", "true"));
})();
