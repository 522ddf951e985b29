// Step 2 of the organization wizard with Stripe (R3.4, R9.6): the card is
// typed into a Stripe Elements card field and confirmed against a SetupIntent
// by Stripe.js, so the card number goes from the browser to Stripe and only
// the resulting PaymentMethod id (pm_…) is posted to our server. Without
// JavaScript the page offers Stripe Checkout instead, so nothing here is
// needed for the form to work.
(function () {
  'use strict';

  var STRIPE_JS = 'https://js.stripe.com/v3/';
  var PAGE = '/orgs/new/details';

  // htmx swaps boosted pages in without running their scripts, so coming
  // back to this page through history must be a real page load.
  document.addEventListener('htmx:historyCacheMiss', function (event) {
    var path = event.detail && event.detail.path;
    if (typeof path === 'string' && path.split('?')[0] === PAGE) {
      event.preventDefault();
      window.location.reload();
    }
  });

  var box = document.querySelector('[data-stripe-card]');
  if (!box) return;
  var form = box.closest('form');
  var publishableKey = box.getAttribute('data-publishable-key');
  var clientSecret = box.getAttribute('data-client-secret');
  var cardOnFile = box.hasAttribute('data-card-on-file');
  var mount = box.querySelector('#card-element');
  var paymentMethodInput = box.querySelector('input[name="payment_method_id"]');
  var messages = document.getElementById('card-errors');
  var fallback = document.querySelector('[data-stripe-checkout-fallback]');
  if (!form || !publishableKey || !clientSecret || !mount || !paymentMethodInput || !messages) return;

  function say(text) {
    messages.textContent = text || '';
  }

  /** Stripe Checkout stays available when Stripe.js cannot load (blocked, offline). */
  function offerCheckout(text) {
    box.hidden = true;
    if (fallback) fallback.hidden = false;
    say(text);
  }

  function loadStripeJs() {
    return new Promise(function (resolve, reject) {
      if (window.Stripe) return resolve(window.Stripe);
      var script = document.createElement('script');
      script.src = STRIPE_JS;
      script.async = true;
      script.onload = function () {
        if (window.Stripe) resolve(window.Stripe);
        else reject(new Error('Stripe.js loaded without Stripe'));
      };
      script.onerror = function () {
        reject(new Error('Stripe.js did not load'));
      };
      document.head.appendChild(script);
    });
  }

  // The container is styled like the form's other inputs (the iframe fills it).
  mount.style.padding = '0.7rem';
  mount.style.border = '1px solid #c5cbd8';
  mount.style.borderRadius = '8px';
  mount.style.background = '#fff';
  box.hidden = false;

  loadStripeJs().then(
    function (Stripe) {
      var stripe = Stripe(publishableKey);
      var card = stripe.elements().create('card', {
        style: {
          base: { fontSize: '16px', color: '#1b1f2a', fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif' },
          invalid: { color: '#b42318' },
        },
      });
      var empty = true;
      var busy = false;
      var confirmed = false;
      card.mount(mount);
      card.on('change', function (event) {
        empty = event.empty;
        say(event.error ? event.error.message : '');
      });

      form.addEventListener('submit', function (event) {
        if (confirmed) return; // the second, real submission
        var submitter = event.submitter;
        if (!submitter || submitter.name !== 'action' || submitter.value !== 'create') return;
        if (cardOnFile && empty) return; // charge the card already on file
        event.preventDefault();
        if (busy) return;
        busy = true;
        submitter.disabled = true;
        say('Checking your card with Stripe…');
        var emailInput = form.querySelector('input[name="billing_email"]');
        var billingDetails = emailInput && emailInput.value ? { email: emailInput.value } : {};
        stripe
          .confirmCardSetup(clientSecret, { payment_method: { card: card, billing_details: billingDetails } })
          .then(function (result) {
            submitter.disabled = false;
            busy = false;
            if (result.error) {
              say(result.error.message || 'Your card could not be saved.');
              card.focus();
              return;
            }
            var pm = result.setupIntent && result.setupIntent.payment_method;
            paymentMethodInput.value = typeof pm === 'string' ? pm : pm && pm.id ? pm.id : '';
            say('');
            confirmed = true;
            // On a later task: a form still firing its submit event ignores requestSubmit.
            setTimeout(function () {
              if (typeof form.requestSubmit === 'function') {
                form.requestSubmit(submitter);
              } else {
                var action = document.createElement('input');
                action.type = 'hidden';
                action.name = 'action';
                action.value = 'create';
                form.appendChild(action);
                form.submit();
              }
            }, 0);
          })
          .catch(function () {
            submitter.disabled = false;
            busy = false;
            say('We could not reach Stripe to check your card. Please try again.');
          });
      });
    },
    function () {
      offerCheckout('The secure card form could not load. You can enter your card on Stripe’s page instead.');
    },
  );
})();
