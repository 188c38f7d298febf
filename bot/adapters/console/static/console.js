// dutybot console simulator: pick who you are, chat with the bot, tap cards.
// Talks only to the JSON API documented in docs/console-api.md.
"use strict";

const state = { people: [], me: null, chats: [], chat: null, lastRender: "", polling: null };
const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (e) {
    // The server stopped (Ctrl-C in the terminal) or the network dropped: say so once.
    if (!api.offline) showToast({ kind: "error", text: "无法连接 dutybot 服务，请确认它仍在运行" });
    api.offline = true;
    return { ok: false, error: "offline" };
  }
  api.offline = false;
  let data = null;
  try { data = await res.json(); } catch (e) { data = { ok: false, error: "服务器返回的不是 JSON" }; }
  if (!res.ok && data && data.error) showToast({ kind: "error", text: data.error });
  return data;
}

function showToast(toast) {
  if (!toast) return;
  const el = $("toast");
  el.textContent = toast.text;
  el.className = toast.kind || "info";
  el.hidden = false;
  clearTimeout(showToast.timer);
  showToast.timer = setTimeout(() => { el.hidden = true; }, 3000);
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A document icon drawn as SVG: the 📄 emoji is an empty box on machines without an emoji font
// (as the 📎 was), and a file is what a clerk must not miss (the 备案表 to print and stamp).
function fileIcon() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  for (const [k, v] of Object.entries({ viewBox: "0 0 24 24", width: "16", height: "16", fill: "none", stroke: "currentColor", "stroke-width": "2", "stroke-linecap": "round", "stroke-linejoin": "round", "aria-hidden": "true", class: "fileicon" })) svg.setAttribute(k, v);
  for (const d of ["M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8z", "M14 2v6h6", "M8 13h8", "M8 17h8"]) {
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

function newClientId() {
  return (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).replace(/-/g, "");
}

async function loadPeople() {
  const data = await api("GET", "/console/api/people");
  state.people = data.people || [];
  const select = $("who");
  select.innerHTML = "";
  select.append(el("option", { value: "" }, "— 请选择 —"));
  for (const p of state.people) {
    select.append(el("option", { value: p.handle }, `${p.name}（${p.unit}·${p.role_labels.join("、") || "无角色"}）`));
  }
  const saved = new URLSearchParams(location.search).get("as") || localStorage.getItem("dutybot.as");
  if (saved && state.people.some((p) => p.handle === saved)) {
    select.value = saved;
    await choosePerson(saved);
  }
}

async function choosePerson(handle) {
  state.me = state.people.find((p) => p.handle === handle) || null;
  localStorage.setItem("dutybot.as", handle);
  $("whoinfo").textContent = state.me ? `${state.me.unit} · ${state.me.role_labels.join("、")}` : "";
  if (!state.me) return;
  await loadChats();
  await openChat(state.chats[0] && state.chats[0].chat);
}

// How far the page showed each chat, per person (kept across reloads): the chat list counts
// the bot's messages after that as unread.
function seenIds() {
  try { return JSON.parse(localStorage.getItem(`dutybot.seen.${state.me.handle}`) || "{}"); } catch (e) { return {}; }
}

function markSeen(chat, lastId) {
  const seen = seenIds();
  if ((seen[chat] || 0) >= lastId) return;
  seen[chat] = lastId;
  localStorage.setItem(`dutybot.seen.${state.me.handle}`, JSON.stringify(seen));
}

async function loadChats() {
  if (!state.me) return;
  const seen = encodeURIComponent(JSON.stringify(seenIds()));
  const data = await api("GET", `/console/api/chats?as=${encodeURIComponent(state.me.handle)}&seen=${seen}`);
  if (!data || !data.ok) return;
  state.chats = data.chats || [];
  renderChats();
}

function renderChats() {
  const list = $("chats");
  list.innerHTML = "";
  for (const c of state.chats) {
    const badge = c.kind === "dm" ? "单聊" : ({ review: "审核群", duty: "值班群", supervision: "监管群" }[c.purpose] || "群聊");
    const unread = state.chat === c.chat ? 0 : (c.unread || 0);
    const count = unread ? el("span", { class: "unread", title: `${unread} 条未读` }, unread > 99 ? "99+" : String(unread)) : null;
    const li = el("li", { "data-chat": c.chat, onclick: () => openChat(c.chat) }, c.name, count, el("span", { class: "badge" }, badge));
    if (state.chat === c.chat) li.classList.add("active");
    list.append(li);
  }
}

async function openChat(chat) {
  state.chat = chat || null;
  state.lastRender = "";
  renderChats();
  const current = state.chats.find((c) => c.chat === chat);
  if (current) current.unread = 0;  // shown now; the next chat list agrees once it is marked seen
  $("chattitle").textContent = current ? current.name : "请选择会话";
  await refresh();
}

function mentionText(mentions) {
  if (!mentions || !mentions.length) return null;
  return el("span", { class: "mention" }, mentions.map((m) => "@" + m.name).join(" ") + " ");
}

function renderCard(card, messageChat) {
  const node = el("div", { class: `card tone-${card.tone || "blue"}`, "data-card-id": card.card_id || "" });
  node.append(el("div", { class: "head" }, card.title, card.subtitle ? el("div", { class: "sub" }, card.subtitle) : null));
  const body = el("div", { class: "body" });
  if (card.mentions && card.mentions.length) body.append(mentionText(card.mentions), document.createElement("br"));
  if (card.body) body.append(card.body);
  if (card.fields && card.fields.length) {
    const table = el("table");
    for (const f of card.fields) table.append(el("tr", {}, el("td", { class: "k" }, f.label), el("td", {}, f.value)));
    body.append(table);
  }
  const inputs = el("div", { class: "inputs" });
  for (const input of card.inputs || []) {
    const id = `in-${card.card_id}-${input.name}`;
    inputs.append(el("label", { for: id }, input.label + (input.required ? "（必填）" : "")));
    let field;
    if (input.kind === "textarea") field = el("textarea", { id, rows: "3", placeholder: input.placeholder || "" });
    else if (input.kind === "select") {
      field = el("select", { id });
      field.append(el("option", { value: "" }, "— 请选择 —"));
      for (const o of input.options || []) field.append(el("option", { value: o.value }, o.label));
    } else field = el("input", { id, type: input.kind === "date" ? "date" : (input.kind === "datetime" ? "datetime-local" : "text"), placeholder: input.placeholder || "" });
    if (input.default) field.value = input.default;
    field.dataset.name = input.name;
    inputs.append(field);
  }
  body.append(inputs);
  node.append(body);
  if (card.buttons && card.buttons.length) {
    const buttons = el("div", { class: "buttons" });
    for (const b of card.buttons) {
      buttons.append(el("button", { class: b.style || "default", type: "button", onclick: () => tap(card, b, node, messageChat) }, b.label));
    }
    node.append(buttons);
  }
  if (card.status) node.append(el("div", { class: "status" }, card.status));
  return node;
}

async function tap(card, button, node, chat) {
  const form = {};
  for (const field of node.querySelectorAll("[data-name]")) {
    if (field.value) form[field.dataset.name] = field.value;
  }
  // One tap, one action: a double click must not approve twice.
  const buttons = node.querySelectorAll(".buttons button");
  for (const b of buttons) b.disabled = true;
  try {
    const data = await api("POST", "/console/api/actions", {
      as: state.me.handle, chat, card_id: card.card_id, action: button.action,
      payload: button.payload || {}, form, client_id: newClientId(),
    });
    if (data) showToast(data.toast);
  } finally {
    for (const b of buttons) b.disabled = false;
    // Leave the card so the next refresh is not held back for a form being filled in.
    if (document.activeElement && node.contains(document.activeElement)) document.activeElement.blur();
  }
  setTimeout(refresh, 300);
}

function renderMessages(messages) {
  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  box.innerHTML = "";
  for (const m of messages) {
    const mine = m.sender && state.me && m.sender.key === state.me.key;
    const who = m.sender ? m.sender.name : "值班助手";
    const time = (m.created_at || "").slice(11, 16);
    const node = el("div", { class: "msg" + (mine ? " mine" : ""), "data-id": m.id });
    node.append(el("div", { class: "who" }, `${who} ${time}`));
    if (m.text || (m.mentions && m.mentions.length && !m.card)) {
      node.append(el("div", { class: "bubble" }, mentionText(m.mentions), m.text));
    }
    if (m.card) node.append(renderCard(m.card, state.chat));
    for (const f of m.files || []) {
      if (f.inline && (f.mime || "").startsWith("image/")) {
        // A picture meant to be seen (the duty roster): shown, and a click opens it full size.
        node.append(el("div", { class: "bubble image" }, el("a", { href: f.url, target: "_blank" }, el("img", { src: f.url, alt: f.name }))));
        continue;
      }
      const size = f.size >= 1024 ? `${Math.round(f.size / 1024)} KB` : `${f.size} B`;
      node.append(el("div", { class: "bubble file" }, fileIcon(), el("a", { href: f.url, download: f.name }, f.name), ` （${size}）`));
    }
    box.append(node);
  }
  if (atBottom || !refresh.scrolled) { box.scrollTop = box.scrollHeight; refresh.scrolled = true; }
}

async function refresh() {
  if (!state.me || !state.chat) return;
  const data = await api("GET", `/console/api/messages?as=${encodeURIComponent(state.me.handle)}&chat=${encodeURIComponent(state.chat)}&limit=200`);
  if (!data || !data.ok) return;
  if (data.messages.length) markSeen(state.chat, data.messages[data.messages.length - 1].id);
  const snapshot = JSON.stringify(data.messages);
  // Do not rebuild while someone is typing into a card form (a focused button is not typing).
  const active = document.activeElement;
  const typing = active && active.matches && active.matches("input, textarea, select") && active.closest(".card");
  if (snapshot !== state.lastRender && !typing) {
    state.lastRender = snapshot;
    renderMessages(data.messages);
  }
}

// The message box grows with its lines, up to a few, then scrolls.
function fitInput() {
  const input = $("input");
  input.style.height = "auto";
  input.style.height = Math.min(input.scrollHeight, 160) + "px";
}

async function send(event) {
  event.preventDefault();
  const input = $("input");
  const text = input.value.trim();
  if (!text) return;
  if (!state.me || !state.chat) {
    showToast({ kind: "warning", text: "请先在左侧“我是”中选择身份" });
    $("who").focus();
    return;
  }
  if (send.busy) return;  // Enter pressed twice: one message
  send.busy = true;
  $("send").disabled = true;
  try {
    const data = await api("POST", "/console/api/messages", { as: state.me.handle, chat: state.chat, text, client_id: newClientId() });
    if (data && data.ok !== false) {
      input.value = "";  // keep the text when it was not sent
      fitInput();
    }
    if (data) showToast(data.toast);
  } finally {
    send.busy = false;
    $("send").disabled = false;
    input.focus();
  }
  await refresh();
}

async function sendFile() {
  const picker = $("file");
  const file = picker.files && picker.files[0];
  picker.value = "";
  if (!file) return;
  if (!state.me || !state.chat) {
    showToast({ kind: "warning", text: "请先在左侧“我是”中选择身份" });
    return;
  }
  const body = new FormData();
  body.append("as", state.me.handle);
  body.append("chat", state.chat);
  body.append("client_id", newClientId());
  body.append("file", file, file.name);
  let data = null;
  try {
    const res = await fetch("/console/api/files", { method: "POST", body });
    data = await res.json();
  } catch (e) {
    data = { ok: false, error: "上传失败，请确认 dutybot 服务仍在运行" };
  }
  if (data && data.ok === false && data.error) showToast({ kind: "error", text: data.error });
  else if (data) showToast(data.toast);
  await refresh();
}

async function loadClock() {
  const data = await api("GET", "/console/api/clock");
  if (!data || !data.enabled) return;
  $("clock").hidden = false;
  $("clocknow").textContent = "现在：" + data.now.slice(0, 16).replace("T", " ");
}

async function moveClock(body) {
  const data = await api("POST", "/console/api/clock", body);
  if (data && data.ok) {
    $("clocknow").textContent = "现在：" + data.now.slice(0, 16).replace("T", " ");
    showToast({ kind: "info", text: "演示时钟已调整" });
  }
}

window.addEventListener("DOMContentLoaded", async () => {
  $("who").addEventListener("change", (e) => choosePerson(e.target.value));
  $("composer").addEventListener("submit", send);
  // A textarea keeps a 正文's paragraphs: Enter sends, Shift+Enter breaks the line (and Enter
  // while an input method is composing only confirms the characters).
  $("input").addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    $("composer").requestSubmit();
  });
  $("input").addEventListener("input", fitInput);
  $("file").addEventListener("change", sendFile);
  for (const b of document.querySelectorAll(".clockbtns button[data-min]")) {
    b.addEventListener("click", () => moveClock({ advance_minutes: Number(b.dataset.min) }));
  }
  $("clockreset").addEventListener("click", () => moveClock({ reset: true }));
  await loadPeople();
  await loadClock();
  state.polling = setInterval(() => { refresh(); loadClock(); }, 1000);
  setInterval(loadChats, 3000);  // the unread counts of the other chats
});
