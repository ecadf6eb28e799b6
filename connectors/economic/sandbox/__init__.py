"""A faithful e-conomic sandbox: restapi.e-conomic.com plus the Journals API booking actions
(``/journalsapi/v5.0.0/journals/{n}/book``, served on the same server for simplicity), as a
Starlette app for loopback. Build it with ``create_app(options)`` (options: ``SandboxOptions``) or,
with fault injection and the shared admin routes, ``engine.sandbox.build("economic", options)``.

Layout: ``routing`` (tokens, media type, lock, error stamping), ``routes_*`` (one module per
area), ``store``/``table`` (thread-safe indexed state), ``seed`` (the Danish agreement),
``filters``/``collections`` (filter, sort, paging envelope), ``rules``/``validation`` (the rule
tables and their 400 bodies), ``documents``/``booking``/``ledger`` (totals, VAT, booking, entries),
``journals``/``journal_booking`` (vouchers, posting a journal).

Choices where the reference is unsure ([?]), each commented where it is made:

* switches: ``payment_sign`` (a payment is a negative amount), ``book_status_code`` (201),
  ``demo_write_status`` (403);
* error codes other than E06000/E04500/E04730/E04740 are the sandbox's own (``rules.CODES``);
  E04730 is reported on the line it concerns; a taken ``bookWithNumber`` is a 400, not a 409;
* ``$and:`` binds tighter than ``$or:``; an unescaped ``(``/``[`` inside a value is a 400;
* a line with an amount must name a product (VAT comes from its group); lines round half up,
  VAT is rounded per line and summed; ``roundingAmount`` is 0.00;
* OSS: one product group per EU country (``10xx "OSS <CC> (<land>)"``) whose EU-zone sales account
  carries ``OSS<CC>`` at that country's rate (see ``seed``);
* properties e-conomic does not know are dropped; booking needs an accounting year (the seeded
  ones are the current and the previous year);
* ``Idempotency-Key`` works on the Journals API only (successes are replayed with
  ``X-ResultFromCache: true``); booking a journal answers 204; its errors are ProblemDetails;
* a customer payment without ``customer`` takes the customer of its ``customerInvoice``; journal
  default contra accounts are not applied automatically.
"""

from connectors.economic.sandbox.app import create_app
from connectors.economic.sandbox.options import DEFAULT_APP_SECRET, DEFAULT_GRANT, SandboxOptions

__all__ = ["create_app", "SandboxOptions", "DEFAULT_APP_SECRET", "DEFAULT_GRANT"]
