// Veil's page: a conversation (the newest answer just above the prompt box) whose answers stream in, and beside each
// answer what the weights server received for it.
'use strict';
const $ = (id) => document.getElementById(id);
let model = null;

async function api(path, body) {
  const headers = { 'Content-Type': 'application/json' };
  if ($('key').value) headers.Authorization = 'Bearer ' + $('key').value;
  return fetch(path, body === undefined ? { headers } : { method: 'POST', headers, body: JSON.stringify(body) });
}

async function load() {
  const r = await api('/v1/models');
  const j = await r.json();
  if (!r.ok) { $('model').textContent = j.error ? j.error.message : r.statusText; return; }
  model = j.data[0];
  $('model').textContent = model.id;
  for (const s of model.veil.schemes) {
    const o = document.createElement('option');
    o.value = s.name;
    o.textContent = s.name + (s.name === model.veil.default_scheme ? ' (default)' : '');
    o.title = s.parameters;
    $('scheme').append(o);
  }
  $('scheme').value = model.veil.default_scheme;
  showWarning();
}

function showWarning() {
  const s = model && model.veil.schemes.find((x) => x.name === $('scheme').value);
  $('warning').hidden = !(s && s.warning);
  $('warning').textContent = s && s.warning ? 'warning: ' + s.warning : '';
}

// A picture of rows × cols values in -127..127: blue negative, red positive.
function draw(canvas, p) {
  const bytes = Uint8Array.from(atob(p.pixels), (c) => c.charCodeAt(0));
  canvas.width = p.cols;
  canvas.height = p.rows;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(p.cols, p.rows);
  for (let i = 0; i < bytes.length; i++) {
    const v = (bytes[i] << 24 >> 24) / 127;
    const a = Math.round(255 * (1 - Math.abs(v)));
    img.data.set(v >= 0 ? [255, a, a, 255] : [a, a, 255, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
}

// The request's card: what the weights server received (none for plain), what the attack reads back, the privacy report.
function report(turn, v) {
  const servers = v.weights_servers;
  turn.querySelector('.scheme').textContent = '(' + v.scheme + ')';
  if (servers === 0) {
    // Nothing is sent anywhere: the node runs every layer itself, in the clear.
    turn.querySelector('.heading').textContent = 'no weights server: the model runs in the clear on the node';
    turn.querySelector('.received-caption').textContent = 'what a weights server would receive, unprotected';
  }
  if (v.server_prompt !== undefined) {
    // CMIF: the model continued the sanitized prompt, not the one typed; say so where the answer is.
    turn.querySelector('.server-prompt').textContent = v.server_prompt;
    turn.querySelector('.sanitized').hidden = false;
  }
  const dl = turn.querySelector('.report');
  const rows = [];
  // CMIF: first how much of the prompt the weights server received as typed, then ε and what it covers.
  if (v.verbatim) rows.push(['sent verbatim', v.verbatim + ', outside ε']);
  if (v.privacy) rows.push(['privacy', v.privacy], ['covers', v.covers]);
  if (v.epsilon_budget_left !== undefined) rows.push(['ε budget left', v.epsilon_budget_left]);
  rows.push(['scheme', v.scheme + ' (' + v.parameters + ')']);
  if (servers === 0) {
    rows.push(['weights server', 'none: nothing leaves the node; whoever runs the node sees the prompt and the answer']);
  } else {
    rows.push(['calls to the weights server' + (servers > 1 ? 's' : ''), v.weights_server_calls],
      ['bytes sent / received', v.bytes_sent + ' / ' + v.bytes_received]);
  }
  if (v.server_prompt !== undefined) rows.push(['prompt the model saw (sanitized)', v.server_prompt]);
  if (v.warning) rows.push(['warning', v.warning]);
  for (const [k, val] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = String(val);
    dl.append(dt, dd);
  }
  const view = v.server_view || {};
  if (!model.veil.views) {
    // A node whose weights servers run elsewhere: the attacker's view is the tools' in-process demo, not the node's.
    view.note = 'the attacker\'s view (what the weights server received, what an attack recovers) is the tools\' in-process '
      + 'demo (veil serve without --weights-server), not part of the trusted node';
  }
  if (view.note) {
    turn.querySelector('.note').textContent = view.note;
    turn.querySelector('.note').hidden = false;
  }
  if (view.plain) {
    turn.querySelector('.site').textContent = '(' + view.site + ')';
    draw(turn.querySelector('canvas.plain'), view.plain);
    draw(turn.querySelector('canvas.received'), view.received);
    turn.querySelector('.attack').textContent = 'best attack: ' + view.best_attack + ', '
      + Math.round(100 * view.prompt_tokens_recovered) + '% of the prompt tokens recovered';
    turn.querySelector('.recovered').textContent = view.recovered_prompt;
  } else {
    turn.querySelector('.pictures').hidden = true;
  }
  turn.dataset.done = 'true';
}

// The newest turn sits just above the prompt box: keep the turns scrolled to the bottom while it grows.
function scrollToNewest() {
  const turns = $('turns');
  turns.scrollTop = turns.scrollHeight;
}

async function ask(e) {
  e.preventDefault();
  const turn = $('turn').content.firstElementChild.cloneNode(true);
  const prompt = $('prompt').value;
  turn.querySelector('.prompt').textContent = prompt;
  $('turns').append(turn);
  scrollToNewest();
  const answer = turn.querySelector('.answer');
  const fail = (m) => { const el = turn.querySelector('.error'); el.hidden = false; el.textContent = m; turn.dataset.done = 'error'; };
  $('send').disabled = true;
  try {
    const r = await api('/v1/completions', { model: model.id, prompt, temperature: 0, max_tokens: Number($('max-tokens').value),
      stream: true, veil: { scheme: $('scheme').value, view: model.veil.views } });
    if (!r.ok) { const j = await r.json(); fail(j.error.message); return; }
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        if (!event.startsWith('data: ') || event === 'data: [DONE]') continue;
        const chunk = JSON.parse(event.slice(6));
        if (chunk.error) { fail(chunk.error.message); return; }
        if (chunk.choices && chunk.choices.length) answer.textContent += chunk.choices[0].text;
        if (chunk.veil) report(turn, chunk.veil);
        scrollToNewest();
      }
    }
  } catch (err) {
    fail(String(err));
  } finally {
    $('send').disabled = false;
    scrollToNewest();
  }
}

$('scheme').addEventListener('change', showWarning);
$('ask').addEventListener('submit', ask);
load();
