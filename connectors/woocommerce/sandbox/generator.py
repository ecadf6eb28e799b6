"""A deterministic, realistic order history for the sandbox shop (``--generate N --seed S``).

The same seed always gives byte-identical documents. The mix, roughly:

* customers: Danish consumers (DK 25 %), Danish companies with a CVR number, public-sector EAN
  customers, EU consumers taxed under OSS (DE 19 %, SE 25 %, FR 20 %, NL 21 %, FI 25.5 %, IT, ES),
  EU companies with a VAT number (reverse charge: no tax lines), and non-EU customers (NO, GB, US:
  no tax lines); guests (``customer_id`` 0) and registered customers, some buying again;
* orders: 1-4 lines incl. variations, coupons (percent and fixed cart), taxed shipping, taxable
  payment fees (MobilePay, cash on delivery), tax-inclusive and tax-exclusive price entry, DKK
  mostly with EUR and SEK, gateways ``stripe``/``quickpay``/``mobilepay``/``bacs``/``cod`` with
  gateway ``transaction_id`` for card/MobilePay payments;
* history: status changes (``pending``→``processing``/``cancelled``, ``on-hold``→``processing``,
  ``processing``→``completed``), full, partial-line and amount-only refunds. Changes dated up to
  the end of the period are applied; later ones wait in the store's schedule for
  ``POST /_sandbox/advance``.

Meta keys (plugins decide these in real shops; the recipe maps them):

=========================== =====================================================================
``_billing_cvr``            Danish CVR number (8 digits, modulus 11) of a company or authority
``_billing_vat_number``     EU VAT number of a business customer (WooCommerce EU VAT Number plugin)
``_vat_number_is_valid``    ``"true"`` once the VAT number was validated (same plugin) [U]
``is_vat_exempt``           ``"yes"`` when WooCommerce removed the tax (reverse charge) [U]
``_billing_ean``            EAN/GLN location number (13 digits, valid check digit)
``_billing_ean_reference``  the public buyer's personreference
``_billing_po_number``      the buyer's order/requisition number
``_stripe_fee``/``_stripe_net``/``_stripe_currency``  what the Stripe plugin stores after a charge
``_sandbox_note``           marks a deliberately broken order (see ``BROKEN``)
=========================== =====================================================================

A few orders are broken on purpose, one kind per ``_sandbox_note`` value in ``BROKEN``; every
other order's totals add up exactly.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from connectors.woocommerce.sandbox import catalog
from connectors.woocommerce.sandbox.documents import (
    LineProduct,
    OrderDraft,
    build_order,
    part_of_line,
    set_date,
    whole_item,
)
from connectors.woocommerce.sandbox.pricing import Coupon, LineInput, r2, s2
from connectors.woocommerce.sandbox.store import Event, Store
from connectors.woocommerce.sandbox.taxes import rate_for

JSON = dict[str, Any]
DEFAULT_START = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)
BROKEN = ("missing-sku", "negative-quantity", "total-off-0.03", "total-off-5.00")
PROFILES = (  # (kind, weight)
    ("dk_consumer", 46), ("dk_company", 14), ("ean", 5), ("eu_consumer", 17), ("eu_company", 9), ("non_eu", 9),
)
EU_OSS = ("DE", "DE", "SE", "SE", "FR", "NL", "FI", "IT", "ES")
NON_EU = ("NO", "GB", "US")
REFUND_REASONS = ("Returneret vare", "Fortrudt køb", "Beskadiget under transport", "Kompensation for forsinket levering")
NOTES = ("", "", "", "", "Stil pakken ved bagdøren", "Ring venligst før levering", "Gave - må ikke indeholde prisen")


def cvr_number(rng: random.Random) -> str:
    """Eight digits whose weighted sum (2,7,6,5,4,3,2,1) is divisible by 11."""
    while True:
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(6)]
        check = -sum(d * w for d, w in zip(digits, (2, 7, 6, 5, 4, 3, 2), strict=True)) % 11
        if check < 10:
            return "".join(map(str, digits + [check]))


def ean_number(rng: random.Random) -> str:
    """A Danish public-sector GLN: 5798 + 8 digits + EAN-13 check digit."""
    body = "5798" + "".join(str(rng.randint(0, 9)) for _ in range(8))
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


@dataclass
class Person:
    billing: JSON
    shipping: JSON
    customer_id: int = 0


class Generator:
    def __init__(self, store: Store, seed: int, start: datetime, days: int) -> None:
        self.store, self.rng, self.start, self.days = store, random.Random(seed), start, days
        self.items = [item for item in catalog.items() if item.sku]
        self.no_sku = next(item for item in catalog.items() if not item.sku)
        self.regulars: list[Person] = []
        self.next_customer = 2        # WordPress user 1 is the shop admin
        self.next_number = 10001      # a sequential order number plugin: number != id

    # -- people ---------------------------------------------------------------------------
    def _address(self, country: str, *, company: str = "") -> JSON:
        rng = self.rng
        if country == "DK":
            first, last = rng.choice(catalog.FIRST_DK), rng.choice(catalog.LAST_DK)
            postcode, city = rng.choice(catalog.CITIES_DK)
            street, phone = f"{rng.choice(catalog.STREETS_DK)} {rng.randint(1, 120)}", f"+45 {rng.randint(20000000, 99999999)}"
        else:
            firsts, lasts, places, _companies = catalog.ABROAD[country]
            first, last = rng.choice(firsts), rng.choice(lasts)
            postcode, city, street_name = rng.choice(places)
            street, phone = f"{street_name} {rng.randint(1, 80)}", f"+{rng.randint(30, 49)} {rng.randint(100000000, 999999999)}"
        domain = catalog.slug(company, "") + ".example" if company else "example.net"
        return {
            "first_name": first, "last_name": last, "company": company, "address_1": street, "address_2": "",
            "city": city, "state": catalog.US_STATE if country == "US" else "", "postcode": postcode,
            "country": country, "email": f"{catalog.slug(first, '')}.{catalog.slug(last, '')}@{domain}", "phone": phone,
        }

    def _person(self, country: str, company: str = "") -> Person:
        billing = self._address(country, company=company)
        shipping = {k: v for k, v in billing.items() if k != "email"}
        return Person(billing, shipping)

    def _register(self, person: Person, at: datetime) -> None:
        person.customer_id = self.next_customer
        self.next_customer += 1
        b = person.billing
        doc: JSON = {"id": person.customer_id}
        set_date(doc, "date_created", at)
        set_date(doc, "date_modified", at)
        doc.update({
            "email": b["email"], "first_name": b["first_name"], "last_name": b["last_name"], "role": "customer",
            "username": b["email"].split("@")[0], "billing": dict(b), "shipping": dict(person.shipping),
            "is_paying_customer": True, "avatar_url": "https://secure.gravatar.com/avatar/?s=96&d=mm&r=g", "meta_data": [],
        })
        self.store.customers[person.customer_id] = doc
        self.regulars.append(person)

    def _customer(self, kind: str, at: datetime) -> tuple[Person, str, bool, list[tuple[str, str]]]:
        """(person, country, vat_exempt, meta) for one customer profile."""
        rng = self.rng
        if kind in ("dk_consumer", "eu_consumer") and self.regulars and rng.random() < 0.2:
            person = rng.choice(self.regulars)
            return person, person.billing["country"], False, []
        if kind == "dk_consumer":
            person, meta = self._person("DK"), []
        elif kind == "dk_company":
            person, meta = self._person("DK", rng.choice(catalog.COMPANIES_DK)), [("_billing_cvr", cvr_number(rng))]
        elif kind == "ean":
            name, street, postcode, city = rng.choice(catalog.PUBLIC_DK)
            person = self._person("DK", name)
            person.billing.update(address_1=street, postcode=postcode, city=city)
            person.shipping.update(address_1=street, postcode=postcode, city=city, company=name)
            meta = [("_billing_ean", ean_number(rng)), ("_billing_cvr", cvr_number(rng)),
                    ("_billing_ean_reference", f"{person.billing['first_name']} {person.billing['last_name']}"),
                    ("_billing_po_number", f"REK-{at.year}-{rng.randint(100, 9999):04d}")]
        elif kind == "eu_consumer":
            person, meta = self._person(rng.choice(EU_OSS)), []
        elif kind == "eu_company":
            country = rng.choice(("DE", "SE", "FR", "NL", "FI"))
            person = self._person(country, rng.choice(catalog.ABROAD[country][3]))
            vat = {"DE": f"DE{rng.randint(100000000, 999999999)}", "SE": f"SE{rng.randint(1000000000, 9999999999)}01",
                   "FR": f"FR{rng.randint(10, 99)}{rng.randint(100000000, 999999999)}", "NL": f"NL{rng.randint(100000000, 999999999)}B01",
                   "FI": f"FI{rng.randint(10000000, 99999999)}"}[country]
            meta = [("_billing_vat_number", vat), ("_vat_number_is_valid", "true"), ("is_vat_exempt", "yes")]
            return person, country, True, meta
        else:
            person, meta = self._person(rng.choice(NON_EU)), []
        if kind in ("dk_consumer", "eu_consumer") and rng.random() < 0.4:
            self._register(person, at)
        return person, person.billing["country"], False, meta

    # -- one order ------------------------------------------------------------------------
    def _currency(self, kind: str, country: str) -> str:
        if kind in ("dk_consumer", "dk_company", "ean") or country == "NO":
            return "DKK"
        if country == "SE":
            return "SEK" if self.rng.random() < 0.7 else "EUR"
        return "DKK" if self.rng.random() < 0.2 else "EUR"

    def _payment(self, kind: str) -> str:
        if kind == "ean":
            return "bacs"
        weights = (("stripe", 30), ("quickpay", 25), ("mobilepay", 25 if kind == "dk_consumer" else 0),
                   ("bacs", 12), ("cod", 8 if kind == "dk_consumer" else 0))
        return self.rng.choices([m for m, _ in weights], [w for _, w in weights])[0]

    def _transaction_id(self, method: str) -> str:
        rng = self.rng
        if method == "stripe":
            return "pi_3" + "".join(rng.choices(string.ascii_letters + string.digits, k=23))
        if method == "quickpay":
            return str(rng.randint(300000000, 399999999))
        if method == "mobilepay":
            hexes = "".join(rng.choices("0123456789abcdef", k=32))
            return f"{hexes[:8]}-{hexes[8:12]}-4{hexes[13:16]}-a{hexes[17:20]}-{hexes[20:]}"
        return ""

    def order(self, index: int, created: datetime, broken: str | None) -> tuple[JSON, list[Event]]:
        rng = self.rng
        kind = rng.choices([k for k, _ in PROFILES], [w for _, w in PROFILES])[0]
        person, country, exempt, meta = self._customer(kind, created)
        currency = self._currency(kind, country)
        incl = rng.random() < 0.7
        picks = rng.sample(self.items, rng.choice((1, 1, 2, 2, 3, 4)))
        if broken == "missing-sku":
            picks[0] = self.no_sku
        products = [LineProduct(i.product_id, i.variation_id, i.name, i.sku, i.parent_name, (i.attribute,) if i.attribute else ())
                    for i in picks]
        lines = [LineInput(rng.choice((1, 1, 1, 2, 2, 3)), catalog.shop_price(i, currency, prices_include_tax=incl)) for i in picks]
        if broken == "negative-quantity":
            lines[-1] = LineInput(-1, lines[-1].unit_price)
        coupon = None
        if rng.random() < 0.15:
            code, ctype, amount = rng.choice(catalog.COUPONS)
            coupon = Coupon(code, ctype, amount if ctype == "percent" else r2(amount * catalog.CURRENCY_FACTOR[currency]))
        gross = sum((line.unit_price * line.quantity for line in lines), Decimal(0))
        if country != "DK":
            way = "international"
        elif gross >= Decimal("499") and currency == "DKK":
            way = "free"
        else:
            way = rng.choice(("pakkeshop", "pakkeshop", "gls", "home"))
        method_id, title, costs = catalog.SHIPPING[way]
        method = self._payment(kind)
        fee = None
        if method in catalog.FEES and (method == "cod" or rng.random() < 0.6):
            fee_name, fee_costs = catalog.FEES[method]
            fee = (fee_name, fee_costs[currency])

        status, events = self._lifecycle(method, created)
        paid = status == "processing" and method != "cod"
        transaction = self._transaction_id(method) if paid else ""
        header: JSON = {"status": status, "currency": currency, "version": "9.4.2", "customer_id": person.customer_id,
                        "order_key": "wc_order_" + "".join(rng.choices(string.ascii_letters + string.digits, k=13)),
                        "billing": dict(person.billing), "shipping": dict(person.shipping),
                        "payment_method": method,
                        "payment_method_title": "Faktura (EAN)" if kind == "ean" else catalog.PAYMENT_TITLES[method],
                        "transaction_id": transaction, "customer_ip_address": f"87.{rng.randint(48, 63)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                        "customer_user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15",
                        "created_via": "checkout", "customer_note": rng.choice(NOTES),
                        "cart_hash": "".join(rng.choices("0123456789abcdef", k=32)),
                        "currency_symbol": {"DKK": "kr.", "EUR": "€", "SEK": "kr"}[currency]}
        for name in ("date_created", "date_modified"):
            set_date(header, name, created)
        set_date(header, "date_paid", created if paid else None)
        set_date(header, "date_completed", None)
        draft = OrderDraft(header, products, lines, incl, rate_for(country, vat_exempt=exempt), coupon,
                           (method_id, title, costs[currency]), fee)
        order = build_order(draft, self.store.ids, order_id=self._order_id(), number=str(self.next_number))
        self.next_number += 1
        order["meta_data"] = [{"id": next(self.store.ids.meta), "key": k, "value": v} for k, v in meta]
        if paid and method == "stripe":
            self._stripe_meta(order)
        if broken:
            self._break(order, broken)
        return order, self._refunds(order, events)

    def _order_id(self) -> int:
        for _ in range(self.rng.randint(0, 2)):   # other posts (drafts, notes) take ids in between
            next(self.store.ids.post)
        return next(self.store.ids.post)

    def _stripe_meta(self, order: JSON) -> None:
        total = Decimal(order["total"])
        fee = r2(total * Decimal("0.015") + Decimal("1.80") * (1 if order["currency"] == "DKK" else Decimal("0.134")))
        for key, value in (("_stripe_fee", s2(fee)), ("_stripe_net", s2(total - fee)), ("_stripe_currency", order["currency"])):
            order["meta_data"].append({"id": next(self.store.ids.meta), "key": key, "value": value})

    def _break(self, order: JSON, note: str) -> None:
        if note == "total-off-0.03":
            order["total"] = s2(Decimal(order["total"]) + Decimal("0.03"))
        elif note == "total-off-5.00":
            order["total"] = s2(Decimal(order["total"]) - Decimal("5.00"))
        order["meta_data"].append({"id": next(self.store.ids.meta), "key": "_sandbox_note", "value": note})

    # -- history --------------------------------------------------------------------------
    def _after(self, moment: datetime, low: timedelta, high: timedelta) -> datetime:
        return moment + timedelta(seconds=self.rng.randint(int(low.total_seconds()), int(high.total_seconds())))

    def _lifecycle(self, method: str, created: datetime) -> tuple[str, list[Event]]:
        """The status at checkout and the status changes that follow (order id filled in later)."""
        rng, hour, day = self.rng, timedelta(hours=1), timedelta(days=1)
        events: list[tuple[datetime, str, str | None]] = []
        if method in ("stripe", "quickpay", "mobilepay"):
            roll = rng.random()
            if roll < 0.05:
                return "failed", []
            if roll < 0.15:
                if rng.random() < 0.5:
                    return "pending", [Event(self._after(created, hour, 2 * hour), 0, "status", "cancelled")]
                paid_at = self._after(created, timedelta(minutes=10), timedelta(minutes=50))
                events.append((paid_at, "processing", self._transaction_id(method)))
                events.append((self._after(paid_at, 2 * hour, 3 * day), "completed", None))
                return "pending", [Event(at, 0, "status", s, transaction_id=t) for at, s, t in events]
            status = "processing"
        elif method == "bacs":
            if rng.random() < 0.25:
                return "on-hold", [Event(self._after(created, 7 * day, 8 * day), 0, "status", "cancelled")]
            paid_at = self._after(created, day, 3 * day)
            done_at = self._after(paid_at, 2 * hour, day)
            return "on-hold", [Event(paid_at, 0, "status", "processing"), Event(done_at, 0, "status", "completed")]
        else:
            status = "processing"
        if rng.random() < 0.95:
            events.append((self._after(created, 2 * hour, 3 * day), "completed", None))
        return status, [Event(at, 0, "status", s, transaction_id=t) for at, s, t in events]

    def _refunds(self, order: JSON, events: list[Event]) -> list[Event]:
        """Fill in the order id; maybe add a refund after completion."""
        for event in events:
            event.order_id = order["id"]
        done = [e.at for e in events if e.status == "completed"]
        roll = self.rng.random()
        broken = any(m["key"] == "_sandbox_note" for m in order.get("meta_data", []))
        if not done or roll >= 0.12 or broken or Decimal(order["total"]) <= 0:
            return events   # a broken order (e.g. a negative line) could not be refunded as WooCommerce checks
        at = self._after(done[0], timedelta(days=2), timedelta(days=14))
        if roll < 0.04:
            parts = [part_of_line(i, i["quantity"]) for i in order["line_items"] if i["quantity"] > 0]
            parts += [whole_item(i) for i in order["shipping_lines"] + order["fee_lines"] if Decimal(i["total"])]
            spec: JSON = {"parts": parts, "amount": Decimal(order["total"]), "reason": "Fortrudt køb"}
        elif roll < 0.09:
            line = self.rng.choice([i for i in order["line_items"] if i["quantity"] > 0])
            spec = {"parts": [part_of_line(line, 1)], "amount": None, "reason": self.rng.choice(REFUND_REASONS[:3])}
        else:
            share = self.rng.choice((Decimal("0.1"), Decimal("0.2"), Decimal("0.25")))
            spec = {"parts": [], "amount": r2(Decimal(order["total"]) * share), "reason": REFUND_REASONS[3]}
        return events + [Event(at, order["id"], "refund", refund=spec)]

    def run(self, count: int) -> None:
        rng = self.rng
        store = self.store
        products, variations = catalog.product_documents(self.start - timedelta(days=180))
        store.products.update(products)
        store.variations.update(variations)
        span = self.days * 86400
        moments = sorted(self.start + timedelta(seconds=rng.randint(0, span)) for _ in range(count))
        kinds = [note for note in BROKEN for _ in range(max(1, count // 100))] if count >= 20 else []
        broken = dict(zip(rng.sample(range(count), len(kinds)), kinds, strict=True)) if kinds else {}
        end = self.start + timedelta(seconds=span)
        timeline: list[tuple[datetime, int, Any]] = []
        for index, created in enumerate(moments):
            order, events = self.order(index, created, broken.get(index))
            timeline.append((created, 0, order))
            timeline.extend((event.at, 1, event) for event in events)
        timeline.sort(key=lambda entry: (entry[0], entry[1]))
        for at, tag, entry in timeline:
            if tag == 0:
                store.add_order(entry, notify=False)
            elif at <= end:
                store.apply(entry, at=at)
            else:
                store.schedule.append(entry)


def generate(store: Store, count: int, seed: int, *, start: datetime = DEFAULT_START, days: int = 30) -> None:
    """Fill ``store`` with ``count`` orders over ``days`` days from ``start``, deterministically."""
    listeners, store.listeners = store.listeners, []      # history is not news: no webhooks
    try:
        Generator(store, seed, start, days).run(count)
    finally:
        store.listeners = listeners
