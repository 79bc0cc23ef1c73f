// The demo's page script: starts a login with a provider, and fills the
// form from the demo backend's answer (/demo/result). No data reaches this
// page in a URL; values are written as text, never as HTML.
'use strict';

(function () {
  function $(id) { return document.getElementById(id); }

  async function getJSON(url, options) {
    const res = await fetch(url, Object.assign({ credentials: 'same-origin', headers: { Accept: 'application/json' } }, options));
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    return { ok: res.ok, status: res.status, body: body };
  }

  // start begins a login: the demo backend records it, idconnect returns
  // the provider's URL, and the browser goes there.
  async function start(provider, button) {
    button.setAttribute('aria-busy', 'true');
    button.disabled = true;
    try {
      const begun = await getJSON('/demo/begin', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ provider: provider }),
      });
      if (!begun.ok) { throw { code: 'DEMO_BEGIN' }; }
      const login = await getJSON(begun.body.login);
      if (!login.ok || !login.body || !login.body.data) {
        throw { code: login.body && login.body.code, message: login.body && login.body.error };
      }
      window.location.assign(login.body.data.url);
    } catch (err) {
      button.removeAttribute('aria-busy');
      button.disabled = false;
      const section = button.closest('[data-section]').dataset.section;
      showMessage(section, {
        title: 'The login could not start',
        text: (err && err.message && err.message.description) || 'The service did not answer as expected. Please try again.',
        code: (err && err.code) || '',
        retry: true,
      }, provider, button.textContent);
    }
  }

  function showMessage(section, msg, provider, label) {
    const box = $('message-' + section);
    if (!box) { return; }
    box.replaceChildren();
    const h = document.createElement('h3');
    h.textContent = msg.title;
    const p = document.createElement('p');
    p.textContent = msg.text;
    box.append(h, p);
    if (msg.retry && provider) {
      const retry = document.createElement('button');
      retry.type = 'button';
      retry.className = 'retry';
      retry.textContent = 'Try again: ' + label;
      retry.addEventListener('click', function () { start(provider, retry); });
      box.append(retry);
    }
    box.hidden = false;
    box.dataset.code = msg.code || '';
    box.focus();
  }

  function fill(view) {
    const section = document.querySelector('[data-section="' + view.section + '"]');
    if (!section) { return; }
    Object.keys(view.fields || {}).forEach(function (id) {
      const f = view.fields[id];
      const el = $(id);
      const src = $(id + '-source');
      if (!el) { return; }
      if (el.classList.contains('badge')) {
        el.textContent = f.value;
        el.classList.add(f.value === 'Over 18' ? 'yes' : 'no');
      } else {
        el.value = f.value;
        el.readOnly = f.verified;
        el.dataset.verified = f.verified ? 'true' : 'false';
      }
      if (src) {
        src.textContent = f.source + (f.updated ? ' · last updated ' + f.updated : '');
        src.classList.toggle('verified', f.verified);
      }
    });
    (view.missing || []).forEach(function (id) {
      const el = $(id);
      const src = $(id + '-source');
      if (el && !el.classList.contains('badge')) { el.readOnly = false; }
      if (src) {
        src.textContent = 'Not available from ' + view.source + ': please fill it in.';
        src.classList.add('missing');
      }
    });
    const box = $('unverified-' + view.section);
    const list = $('unverified-list-' + view.section);
    if (box && list) {
      list.replaceChildren();
      (view.unverified || []).forEach(function (it) {
        const dt = document.createElement('dt');
        dt.textContent = it.label;
        const dd = document.createElement('dd');
        dd.textContent = it.value;
        list.append(dt, dd);
      });
      box.hidden = !(view.unverified && view.unverified.length);
    }
    section.dataset.filled = view.provider;
    const heading = section.querySelector('h2');
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }

  // load shows what came back for each section: its values, or the
  // message of a failed login.
  async function load() {
    const got = await getJSON('/demo/result');
    if (!got.ok || !got.body || !got.body.views) { return; }
    got.body.views.forEach(function (v) {
      if (v.state === 'filled') {
        fill(v);
      } else if (v.state === 'error' && v.message) {
        const section = v.section || document.querySelector('[data-section]').dataset.section;
        showMessage(section, v.message, v.provider, v.button);
      }
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('button.provider').forEach(function (b) {
      b.addEventListener('click', function () { start(b.dataset.provider, b); });
    });
    $('form').addEventListener('submit', function (e) {
      e.preventDefault();
      $('submit-status').textContent = 'This is a demo: nothing was sent.';
    });
    load().then(function () { document.body.dataset.loaded = 'true'; },
      function () { document.body.dataset.loaded = 'failed'; });
  });
}());
