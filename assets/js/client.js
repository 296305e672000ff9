/*
 * Katapult for WHMCS: client-area behaviour.
 *
 * - Keeps the panel current: it asks the module (modop=custom&a=LiveState, the client's own
 *   WHMCS session) every few seconds and swaps in the fresh panel when the VM changed, e.g. when
 *   a build finishes or a VM stops. The fresh panel also brings fresh action tokens, so buttons
 *   on a page left open keep working.
 * - Asks for confirmation before a disruptive action (stop, shut down, reset).
 * - Shows and hides the password, copies addresses, and counts the time since a build began.
 *   The password is not in the page: the first Show or Copy fetches it (modop=custom&
 *   a=RevealPassword, POST, with the field's single-use token and WHMCS's CSRF token).
 *
 * Plain JavaScript, no library needed. To change it, copy this file to
 * overrides/assets/js/client.js and edit the copy.
 */
(function () {
  'use strict';

  // Even when nothing changed, the panel is refreshed this often, so its tokens stay fresh
  // (they live for 30 minutes).
  var REFRESH_ANYWAY_MS = 10 * 60 * 1000;
  var MAX_BACKOFF_MS = 5 * 60 * 1000;
  // Right after the client acts (stop, start, …) the panel watches closely for a while, so the
  // new state shows within seconds rather than at the next steady poll.
  var WATCH_CLOSELY_MS = 60 * 1000;
  var CLOSE_POLL_MS = 2000;

  function actedKey(panel) {
    return 'katapult-acted-' + panel.getAttribute('data-katapult-service');
  }

  /** True for a while after the client acted on this panel's service (in this tab). */
  function actedRecently(panel) {
    try {
      var at = Number(window.sessionStorage.getItem(actedKey(panel)));
      return at > 0 && Date.now() - at < WATCH_CLOSELY_MS;
    } catch (e) {
      return false;   // storage may be disabled; polling just stays at its normal pace
    }
  }

  /** Polls one panel, replacing it whenever the module reports a new version. */
  function watch(panel) {
    var url = panel.getAttribute('data-katapult-poll');
    if (!url || panel.katapultWatched) {
      return;
    }
    panel.katapultWatched = true;
    var renderedAt = Date.now();
    var failures = 0;

    function schedule(delay) {
      window.setTimeout(poll, delay);
    }

    function poll() {
      // No requests from a tab nobody is looking at; check again when it is shown.
      if (document.hidden) {
        document.addEventListener('visibilitychange', function resume() {
          document.removeEventListener('visibilitychange', resume);
          poll();
        });
        return;
      }
      fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error('HTTP ' + response.status);
          }
          return response.json();
        })
        .then(function (state) {
          failures = 0;
          var stale = Date.now() - renderedAt > REFRESH_ANYWAY_MS;
          var busy = panel.contains(document.activeElement) && document.activeElement.tagName === 'INPUT';
          if ((state.version !== panel.getAttribute('data-katapult-version') || stale) && !busy) {
            panel = replace(panel, state.html);
            renderedAt = Date.now();
          }
          var next = state.poll_after_ms || 15000;
          schedule(actedRecently(panel) ? Math.min(next, CLOSE_POLL_MS) : next);
        })
        .catch(function () {
          // The page stays as it is; ask again later, less often each time.
          failures += 1;
          schedule(Math.min(MAX_BACKOFF_MS, 5000 * Math.pow(2, failures)));
        });
    }

    var first = Number(panel.getAttribute('data-katapult-poll-after')) || 15000;
    schedule(actedRecently(panel) ? Math.min(first, CLOSE_POLL_MS) : first);
  }

  /** Puts the fresh panel's HTML in place of the old one; returns the new element. */
  function replace(panel, html) {
    var holder = document.createElement('div');
    holder.innerHTML = html;
    var fresh = holder.querySelector('.katapult');
    if (!fresh) {
      return panel;
    }
    fresh.katapultWatched = true;
    panel.parentNode.replaceChild(fresh, panel);
    return fresh;
  }

  /** m:ss (or h:mm:ss) since a Unix time, as the server renders it. */
  function elapsedSince(since) {
    var seconds = Math.max(0, Math.floor(Date.now() / 1000) - since);
    var h = Math.floor(seconds / 3600);
    var m = Math.floor(seconds / 60) % 60;
    var s = seconds % 60;
    var pad = function (n) { return (n < 10 ? '0' : '') + n; };
    return h > 0 ? h + ':' + pad(m) + ':' + pad(s) : m + ':' + pad(s);
  }

  function tick() {
    var clocks = document.querySelectorAll('.katapult [data-katapult-since]');
    for (var i = 0; i < clocks.length; i++) {
      clocks[i].textContent = elapsedSince(Number(clocks[i].getAttribute('data-katapult-since')));
    }
  }

  // Calls back with the password field's value, fetching it the first time. A refusal (an
  // expired token, say) is shown in the field's place, and the panel is refreshed for new tokens.
  function withPassword(field, then) {
    if (field.value !== '') {
      then(field.value);
      return;
    }
    var body = new URLSearchParams();
    body.set('token', field.getAttribute('data-katapult-csrf'));
    body.set('katapult_token', field.getAttribute('data-katapult-fetch-token'));
    fetch(field.getAttribute('data-katapult-fetch-url'), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
      body: body
    })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (typeof answer.password === 'string') {
          field.value = answer.password;
          then(field.value);
        } else {
          field.placeholder = answer.error || '';
        }
      })
      .catch(function () {
        field.placeholder = '';
      });
  }

  function copy(text, button) {
    var done = function () {
      button.classList.add('katapult-copied');
      window.setTimeout(function () { button.classList.remove('katapult-copied'); }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
      return;
    }
    // Older browsers and plain-HTTP pages: copy through a temporary text field.
    var field = document.createElement('textarea');
    field.value = text;
    field.setAttribute('readonly', '');
    field.style.position = 'absolute';
    field.style.left = '-9999px';
    document.body.appendChild(field);
    field.select();
    try {
      document.execCommand('copy');
      done();
    } finally {
      document.body.removeChild(field);
    }
  }

  // Clicks and submits are handled at the document, so swapped-in panels need no set-up.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains('katapult-action')) {
      return;
    }
    var button = form.querySelector('[data-katapult-confirm]');
    if (button && !window.confirm(button.getAttribute('data-katapult-confirm'))) {
      event.preventDefault();
      return;
    }
    // One press, one request: the token is single-use anyway, so a double click would only
    // earn an "expired" notice.
    if (form.target !== '_blank') {
      var panel = form.closest('.katapult');
      try {
        window.sessionStorage.setItem(actedKey(panel), String(Date.now()));
      } catch (e) {
        // storage disabled: nothing to remember
      }
      var submit = form.querySelector('[type=submit]');
      if (submit) {
        window.setTimeout(function () { submit.disabled = true; }, 0);
      }
    }
  });

  document.addEventListener('click', function (event) {
    var target = event.target;
    if (!target.closest || !target.closest('.katapult')) {
      return;
    }
    var reveal = target.closest('[data-katapult-reveal]');
    if (reveal) {
      var field = document.getElementById(reveal.getAttribute('data-katapult-reveal'));
      if (field.type !== 'password') {
        field.type = 'password';
        reveal.textContent = reveal.getAttribute('data-katapult-show');
        return;
      }
      withPassword(field, function () {
        field.type = 'text';
        reveal.textContent = reveal.getAttribute('data-katapult-hide');
      });
      return;
    }
    var copyButton = target.closest('[data-katapult-copy], [data-katapult-copy-from]');
    if (copyButton) {
      var from = copyButton.getAttribute('data-katapult-copy-from');
      if (from) {
        withPassword(document.getElementById(from), function (text) { copy(text, copyButton); });
      } else {
        copy(copyButton.getAttribute('data-katapult-copy'), copyButton);
      }
    }
  });

  function start() {
    var panels = document.querySelectorAll('.katapult[data-katapult-poll]');
    for (var i = 0; i < panels.length; i++) {
      watch(panels[i]);
    }
    tick();
    window.setInterval(tick, 1000);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
