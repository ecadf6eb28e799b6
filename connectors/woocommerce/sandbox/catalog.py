"""The sandbox shop's catalogue and the people who buy from it.

A Danish coffee shop ("Kaffebaren ApS") with simple products and two variable products (mugs by
colour, T-shirts by size), every sellable item with a SKU. Prices are the shop's DKK prices with
25 % VAT; a tax-exclusive shop enters the same prices without VAT. EUR and SEK prices are fixed
conversions rounded to .95/.00, as a multi-currency plugin with manual prices would hold them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.woocommerce.sandbox.documents import set_date
from connectors.woocommerce.sandbox.pricing import r2

JSON = dict[str, Any]


@dataclass(frozen=True)
class Item:
    """One sellable thing: a simple product or a variation."""

    product_id: int
    variation_id: int
    name: str                     # as an order line shows it ("Krus stentøj - Blå")
    sku: str
    gross_dkk: Decimal            # DKK price with 25 % VAT
    parent_name: str | None = None
    attribute: tuple[str, str, str, str] | None = None   # (taxonomy, attribute label, option slug, option name)


SIMPLE = [
    (301, "Økologisk kaffe, hele bønner 500 g", "KAF-500", "129.00", 140),
    (302, "Espresso Blend 1 kg", "KAF-ESP-1000", "239.00", 60),
    (303, "Te-æske, 24 breve", "TE-24", "69.95", 85),
    (304, "Termokande 1 L", "TERMO-1L", "349.00", 12),
    (305, "Stempelkande 8 kopper", "STEMP-8", "279.00", 20),
    (306, "Kaffefiltre nr. 4 (100 stk.)", "FILTER-4", "24.95", 300),
    (307, "Kaffekværn, manuel", "KVERN-M", "449.00", 7),
    (308, "Kaffesmagning, billet", "", "150.00", None),   # someone forgot the SKU: only broken orders sell it
]
VARIABLE = [
    (320, "Krus stentøj", "KRUS", "89.00", "pa_farve", "Farve", [(321, "hvid", "Hvid"), (322, "blaa", "Blå"), (323, "groen", "Grøn")]),
    (330, "T-shirt Kaffebaren", "TSHIRT", "199.00", "pa_stoerrelse", "Størrelse",
     [(331, "s", "S"), (332, "m", "M"), (333, "l", "L"), (334, "xl", "XL")]),
]

CURRENCY_FACTOR = {"DKK": Decimal("1"), "EUR": Decimal("0.134"), "SEK": Decimal("1.45")}


def items() -> list[Item]:
    """Every sellable item, including the one without a SKU (the generator avoids it)."""
    found = [Item(pid, 0, name, sku, Decimal(price)) for pid, name, sku, price, _stock in SIMPLE]
    for pid, name, sku, price, taxonomy, label, options in VARIABLE:
        for vid, option, title in options:
            found.append(Item(pid, vid, f"{name} - {title}", f"{sku}-{option.upper()}", Decimal(price), name, (taxonomy, label, option, title)))
    return found


def slug(text: str, sep: str = "-") -> str:
    """ASCII slug as WordPress makes it (æ→ae, ø→oe, å→aa)."""
    text = text.lower().translate(str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ß": "ss"}))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", sep, text).strip(sep)


def shop_price(item: Item, currency: str, *, prices_include_tax: bool) -> Decimal:
    """The unit price as entered in the shop for this currency."""
    gross = item.gross_dkk if currency == "DKK" else _charm(item.gross_dkk * CURRENCY_FACTOR[currency])
    return gross if prices_include_tax else r2(gross / Decimal("1.25"))


def _charm(amount: Decimal) -> Decimal:
    """Round a converted price to a shop-like .95 ending (never below 0.95)."""
    return max(Decimal(int(amount)) + Decimal("0.95"), Decimal("0.95"))


def product_documents(created: datetime) -> tuple[dict[int, JSON], dict[int, dict[int, JSON]]]:
    """``/products`` and ``/products/{id}/variations`` documents for the catalogue."""
    products: dict[int, JSON] = {}
    variations: dict[int, dict[int, JSON]] = {}
    for pid, name, sku, price, stock in SIMPLE:
        products[pid] = _product(pid, name, sku, "simple", price, stock, created)
    for pid, name, sku, price, taxonomy, label, options in VARIABLE:
        doc = _product(pid, name, sku, "variable", price, None, created)
        doc["attributes"] = [{"id": 1 if taxonomy == "pa_farve" else 2, "name": label, "position": 0, "visible": True,
                              "variation": True, "options": [title for _v, _o, title in options]}]
        doc["variations"] = [vid for vid, _o, _t in options]
        products[pid] = doc
        variations[pid] = {}
        for index, (vid, option, title) in enumerate(options):
            variation = _product(vid, f"{name} - {title}", f"{sku}-{option.upper()}", "variation", price, 15 + 5 * index, created)
            variation["parent_id"] = pid
            variation["attributes"] = [{"id": doc["attributes"][0]["id"], "name": label, "option": title}]
            variations[pid][vid] = variation
    return products, variations


def _product(pid: int, name: str, sku: str, kind: str, price: str, stock: int | None, created: datetime) -> JSON:
    doc: JSON = {"id": pid, "name": name, "slug": slug(name), "permalink": f"https://kaffebaren.example/produkt/{slug(name)}/"}
    set_date(doc, "date_created", created)
    set_date(doc, "date_modified", created)
    doc.update(
        {
            "type": kind,
            "status": "publish",
            "sku": sku,
            "price": price,
            "regular_price": price if kind != "variable" else "",
            "sale_price": "",
            "on_sale": False,
            "purchasable": True,
            "virtual": False,
            "downloadable": False,
            "tax_status": "taxable",
            "tax_class": "",
            "manage_stock": stock is not None,
            "stock_quantity": stock,
            "stock_status": "instock" if stock is None or stock > 0 else "outofstock",
            "backorders": "no",
            "weight": "",
            "categories": [{"id": 15, "name": "Kaffe og tilbehør", "slug": "kaffe"}],
            "attributes": [],
            "variations": [],
            "meta_data": [],
        }
    )
    return doc


# -- people -----------------------------------------------------------------------------

FIRST_DK = ["Mette", "Lars", "Sofie", "Jens", "Anne", "Peter", "Camilla", "Søren", "Ida", "Mikkel", "Line", "Rasmus"]
LAST_DK = ["Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen", "Rasmussen", "Østergaard"]
STREETS_DK = ["Vestergade", "Nørregade", "Algade", "Søndergade", "Havnegade", "Skovvej", "Åboulevarden", "Kirkestræde"]
CITIES_DK = [("8000", "Aarhus C"), ("2100", "København Ø"), ("5000", "Odense C"), ("9000", "Aalborg"), ("6700", "Esbjerg"), ("4000", "Roskilde"), ("7100", "Vejle")]
COMPANIES_DK = ["Bager Hansen ApS", "Nordlys Design A/S", "Kontorhuset I/S", "Tømrer Jensen ApS", "Café Solsikke IVS", "Grøn Energi A/S"]
PUBLIC_DK = [
    ("Roskilde Kommune", "Rådhusbuen 1", "4000", "Roskilde"),
    ("Aarhus Kommune, Børn og Unge", "Rådhuspladsen 2", "8000", "Aarhus C"),
    ("Region Syddanmark", "Damhaven 12", "7100", "Vejle"),
    ("Odense Universitetshospital", "J. B. Winsløws Vej 4", "5000", "Odense C"),
]
ABROAD = {
    "DE": (["Lukas", "Anna", "Jonas", "Leonie"], ["Müller", "Schmidt", "Weber", "Schäfer"], [("10115", "Berlin", "Invalidenstraße"), ("20095", "Hamburg", "Mönckebergstraße")], ["Kaffeehaus Nord GmbH", "Bürobedarf Weber KG"]),
    "SE": (["Erik", "Maja", "Oskar", "Elsa"], ["Johansson", "Lindqvist", "Berg", "Åberg"], [("11122", "Stockholm", "Drottninggatan"), ("41103", "Göteborg", "Kungsgatan")], ["Fika Konsult AB", "Norrlands Kaffe AB"]),
    "FR": (["Camille", "Louis", "Chloé", "Hugo"], ["Martin", "Bernard", "Lefèvre", "Moreau"], [("75011", "Paris", "Rue Oberkampf"), ("69002", "Lyon", "Rue de la République")], ["Café Lumière SARL"]),
    "NL": (["Daan", "Emma", "Sem", "Julia"], ["de Jong", "Jansen", "de Vries", "Bakker"], [("1012", "Amsterdam", "Damrak"), ("3511", "Utrecht", "Oudegracht")], ["Koffie & Co B.V."]),
    "FI": (["Aino", "Eero", "Helmi", "Onni"], ["Korhonen", "Virtanen", "Mäkinen"], [("00100", "Helsinki", "Mannerheimintie")], ["Kahvila Oy"]),
    "IT": (["Giulia", "Marco", "Sofia"], ["Rossi", "Bianchi", "Ricci"], [("20121", "Milano", "Via Dante")], ["Caffè Roma S.r.l."]),
    "ES": (["Lucía", "Pablo", "Martina"], ["García", "López", "Martínez"], [("28013", "Madrid", "Calle Mayor")], ["Cafetería Sol S.L."]),
    "NO": (["Ola", "Ingrid", "Henrik"], ["Hansen", "Olsen", "Berg"], [("0150", "Oslo", "Karl Johans gate")], []),
    "GB": (["Oliver", "Amelia", "Harry"], ["Smith", "Taylor", "Brown"], [("EC1A 1BB", "London", "King Street")], []),
    "US": (["Emily", "James", "Olivia"], ["Johnson", "Miller", "Davis"], [("10001", "New York", "W 34th Street")], []),
}
US_STATE = "NY"

SHIPPING = {  # method id, title, cost excl. VAT by currency
    "pakkeshop": ("flat_rate", "PostNord Pakkeshop", {"DKK": Decimal("39.20"), "EUR": Decimal("5.56"), "SEK": Decimal("55.20")}),
    "gls": ("flat_rate", "GLS Pakkeshop", {"DKK": Decimal("31.20"), "EUR": Decimal("4.76"), "SEK": Decimal("47.20")}),
    "home": ("flat_rate", "DAO Hjemmelevering", {"DKK": Decimal("47.20"), "EUR": Decimal("6.36"), "SEK": Decimal("63.20")}),
    "international": ("flat_rate", "PostNord International", {"DKK": Decimal("120.00"), "EUR": Decimal("16.00"), "SEK": Decimal("175.00")}),
    "free": ("free_shipping", "Gratis fragt", {"DKK": Decimal("0.00"), "EUR": Decimal("0.00"), "SEK": Decimal("0.00")}),
}

PAYMENT_TITLES = {
    "stripe": "Kreditkort (Stripe)",
    "quickpay": "Betalingskort",
    "mobilepay": "MobilePay",
    "bacs": "Bankoverførsel",
    "cod": "Betaling ved levering",
}

FEES = {  # payment fee (excl. VAT) by gateway and currency
    "mobilepay": ("MobilePay-gebyr", {"DKK": Decimal("3.96"), "EUR": Decimal("0.56"), "SEK": Decimal("5.56")}),
    "cod": ("Efterkravsgebyr", {"DKK": Decimal("39.20"), "EUR": Decimal("5.56"), "SEK": Decimal("55.20")}),
}

COUPONS = [("VELKOMMEN10", "percent", Decimal("10")), ("KAFFE15", "percent", Decimal("15")), ("SOMMER50", "fixed_cart", Decimal("50"))]
