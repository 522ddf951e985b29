// Orgplane's one page script, layered on pages that work without it: the
// browser's time zone at sign-up (R1.5), header menus that Escape closes,
// buttons that say what they are doing during a slow request, and copy
// buttons. Everything is delegated from `document`, so pages htmx swaps in
// need nothing run again.
(() => {
  'use strict';

  // ---- R1.5: the browser's IANA time zone goes with the sign-up form. ----
  const browserZone = () => {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || '';
    } catch {
      return '';
    }
  };
  const fillZones = (root) => {
    const zone = browserZone();
    if (!zone) return;
    for (const input of root.querySelectorAll('input[data-browser-time-zone]')) input.value = zone;
  };
  document.addEventListener('DOMContentLoaded', () => fillZones(document));
  document.addEventListener('htmx:afterSettle', () => fillZones(document));
  // Before htmx (or the browser) reads the form: capturing runs first.
  document.addEventListener('submit', (event) => fillZones(event.target), true);

  // ---- Header menus: Escape closes the open one and gives focus back to its button. ----
  const openMenus = () => document.querySelectorAll('details.menu[open]');
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    for (const menu of openMenus()) {
      const hadFocus = menu.contains(document.activeElement);
      menu.open = false;
      if (hadFocus || document.activeElement === document.body) menu.querySelector('summary')?.focus();
    }
  });
  // One menu at a time, and a click elsewhere closes it.
  document.addEventListener('click', (event) => {
    for (const menu of openMenus()) if (!menu.contains(event.target)) menu.open = false;
  });
  document.addEventListener(
    'toggle',
    (event) => {
      const opened = event.target;
      if (!(opened instanceof HTMLDetailsElement) || !opened.classList.contains('menu') || !opened.open) return;
      for (const menu of openMenus()) if (menu !== opened) menu.open = false;
    },
    true,
  );

  // ---- Slow requests: the button says what it is doing and cannot be pressed twice. ----
  const GERUNDS = {
    Accept: 'Accepting', Add: 'Adding', Apply: 'Applying', Cancel: 'Cancelling', Change: 'Changing', Charge: 'Charging',
    Confirm: 'Confirming', Continue: 'Continuing', Create: 'Creating', Decline: 'Declining', Delete: 'Deleting',
    Email: 'Emailing', Export: 'Exporting', Grant: 'Granting', Invite: 'Inviting', Leave: 'Leaving', Mark: 'Marking',
    Move: 'Moving', Pay: 'Paying', Preview: 'Previewing', Remove: 'Removing', Renew: 'Renewing', Revoke: 'Revoking',
    Run: 'Running', Save: 'Saving', Select: 'Selecting', Send: 'Sending', Set: 'Setting', Shift: 'Shifting',
    Transfer: 'Transferring', Unlock: 'Unlocking', Update: 'Updating', Void: 'Voiding',
  };
  const PHRASES = [
    [/^Log in\b/, 'Logging in'],
    [/^Log out\b/, 'Logging out'],
    [/^Sign up\b/, 'Signing up'],
    [/^Sign out\b/, 'Signing out'],
  ];
  /** "Save card" → "Saving card…"; a button may say it itself with data-busy. */
  const busyLabel = (button) => {
    if (button.dataset.busy) return button.dataset.busy;
    const text = (button.textContent || '').replace(/\s+/g, ' ').trim();
    for (const [re, ing] of PHRASES) if (re.test(text)) return `${text.replace(re, ing)}…`;
    const [verb, ...rest] = text.split(' ');
    return GERUNDS[verb] ? `${[GERUNDS[verb], ...rest].join(' ')}…` : 'Working…';
  };
  const markBusy = (button) => {
    if (!button || button.classList.contains('is-busy')) return;
    button.dataset.idleHtml = button.innerHTML;
    button.classList.add('is-busy');
    button.setAttribute('aria-busy', 'true');
    button.textContent = busyLabel(button);
  };
  const markIdle = (button) => {
    if (!button || !button.classList.contains('is-busy')) return;
    button.innerHTML = button.dataset.idleHtml ?? button.innerHTML;
    delete button.dataset.idleHtml;
    button.classList.remove('is-busy');
    button.removeAttribute('aria-busy');
  };
  const submitterOf = (form, event) => {
    const candidate = event?.submitter;
    if (candidate && form.contains(candidate)) return candidate;
    return form.querySelector('button[type="submit"], button:not([type]), input[type="submit"]');
  };
  // htmx requests: htmx disables the buttons (hx-disabled-elt on <body>); this names what is happening.
  document.addEventListener('htmx:beforeRequest', (event) => {
    const elt = event.detail?.elt;
    if (!(elt instanceof HTMLFormElement)) return;
    const button = submitterOf(elt, event.detail.requestConfig?.triggeringEvent);
    if (!button) return;
    markBusy(button);
    // The button pressed, which is not always the first one hx-disabled-elt finds (the values are already read).
    const disabledHere = !button.disabled;
    button.disabled = true;
    const settle = () => {
      markIdle(button);
      if (disabledHere) button.disabled = false;
      elt.removeEventListener('htmx:afterRequest', settle);
    };
    elt.addEventListener('htmx:afterRequest', settle);
  });
  // Forms htmx does not handle (the Stripe card form): the browser submits; disable after it has read the button.
  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented || form.getAttribute('hx-boost') !== 'false') return;
    const button = submitterOf(form, event);
    if (!button) return;
    markBusy(button);
    setTimeout(() => {
      button.disabled = true;
    }, 0);
  });
  // Back to a page from the cache: nothing is running any more.
  window.addEventListener('pageshow', () => {
    for (const button of document.querySelectorAll('.is-busy')) {
      markIdle(button);
      button.disabled = false;
    }
  });

  // ---- Copy buttons: a secret or a command, to the clipboard. ----
  const showCopyButtons = (root) => {
    for (const button of root.querySelectorAll('button[data-copy][hidden]')) button.hidden = false;
  };
  document.addEventListener('DOMContentLoaded', () => showCopyButtons(document));
  document.addEventListener('htmx:afterSettle', () => showCopyButtons(document));
  document.addEventListener('click', async (event) => {
    const button = event.target instanceof Element ? event.target.closest('button[data-copy]') : null;
    if (!button) return;
    const source = document.getElementById(button.dataset.copy);
    if (!source) return;
    const isInput = source instanceof HTMLInputElement;
    const text = ((isInput ? source.value : source.textContent) || '').trim();
    let copied = false;
    try {
      await navigator.clipboard.writeText(text);
      copied = true;
    } catch {
      // Not a secure context (plain http on another host): select it and copy the old way.
      if (isInput) {
        source.select();
        copied = document.execCommand('copy');
        const status = document.getElementById(button.dataset.copyStatus || `${button.dataset.copy}-status`);
        if (status) status.textContent = copied ? 'Copied to the clipboard.' : 'Select the text and copy it.';
        button.dataset.copied = copied ? 'true' : 'false';
        return;
      }
      const range = document.createRange();
      range.selectNodeContents(source);
      const selection = window.getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
      copied = document.execCommand('copy');
    }
    const status = document.getElementById(button.dataset.copyStatus || `${button.dataset.copy}-status`);
    if (status) status.textContent = copied ? 'Copied to the clipboard.' : 'Select the text and copy it.';
    button.dataset.copied = copied ? 'true' : 'false';
  });
})();
