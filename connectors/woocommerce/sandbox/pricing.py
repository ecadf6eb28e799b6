"""How WooCommerce turns cart prices into the order totals the REST API shows.

The rules the sandbox follows (WooCommerce with "round tax at subtotal level" switched off):

* Tax is computed and rounded to 2 decimals **per line** (PHP ``round``: half away from zero).
* Line ``subtotal``/``total`` and shipping/fee totals always **exclude** tax, also when the shop
  enters prices with tax (``prices_include_tax``); the reference marks this unsure [U], but it is
  how WooCommerce stores line totals, and ``price`` = total / quantity is documented as ex. tax. In such a shop the net amount is the entered
  gross minus the base-country (DK 25 %) tax, and a customer taxed at another rate (OSS) or not
  at all (export, reverse charge) pays that net plus their own tax; this is WooCommerce's default
  ``woocommerce_adjust_non_base_location_prices`` behaviour.
* Coupons reduce the entered line amounts (gross in a tax-inclusive shop, net otherwise); a
  fixed-cart coupon is spread over the lines in proportion to their amounts, the rounding
  remainder on the last line.
* Shipping costs and payment fees are entered without tax (WooCommerce's flat-rate cost and a
  gateway fee plugin both work that way) and taxed at the customer's rate.
* ``cart_tax`` holds line and fee taxes; ``total_tax = cart_tax + shipping_tax``;
  ``total = Σ line totals + Σ fee totals + shipping_total + total_tax``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from connectors.woocommerce.sandbox.taxes import BASE, TaxRate

CENT = Decimal("0.01")
ZERO = Decimal("0")


def r2(value: Decimal) -> Decimal:
    """Round like PHP ``round($x, 2)``: half away from zero."""
    rounded = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return rounded if rounded else ZERO.quantize(CENT)


def s2(value: Decimal) -> str:
    """A money string with exactly two decimals, as WooCommerce prints it."""
    return format(r2(value), "f")


@dataclass(frozen=True)
class LineInput:
    quantity: int
    unit_price: Decimal          # as entered in the shop (with tax when prices_include_tax)


@dataclass(frozen=True)
class Coupon:
    code: str
    kind: str                    # "percent" | "fixed_cart"
    amount: Decimal              # percent, or an amount as entered (gross in a tax-inclusive shop)


@dataclass
class PricedLine:
    subtotal: Decimal
    subtotal_tax: Decimal
    total: Decimal
    total_tax: Decimal


@dataclass
class PricedOrder:
    lines: list[PricedLine]
    shipping: Decimal | None
    shipping_tax: Decimal
    fee: Decimal | None
    fee_tax: Decimal
    discount_total: Decimal = ZERO
    discount_tax: Decimal = ZERO
    cart_tax: Decimal = ZERO
    total_tax: Decimal = ZERO
    total: Decimal = ZERO
    notes: list[str] = field(default_factory=list)


def _net_and_tax(entered: Decimal, *, prices_include_tax: bool, rate: TaxRate | None) -> tuple[Decimal, Decimal]:
    """Net amount and tax of one entered line amount."""
    if not prices_include_tax:
        net = r2(entered)
        return net, r2(net * rate.fraction) if rate else r2(ZERO)
    base_tax = r2(entered * BASE.fraction / (1 + BASE.fraction))
    net = r2(entered - base_tax)
    if rate is None:
        return net, r2(ZERO)
    if rate == BASE:
        return net, base_tax
    return net, r2(net * rate.fraction)


def _discounts(entered: Sequence[Decimal], coupon: Coupon | None) -> list[Decimal]:
    """The coupon's share of each entered line amount."""
    if coupon is None:
        return [ZERO for _ in entered]
    if coupon.kind == "percent":
        return [r2(amount * coupon.amount / 100) for amount in entered]
    base = sum(entered, ZERO)
    wanted = min(r2(coupon.amount), base) if base > 0 else ZERO
    shares: list[Decimal] = []
    for index, amount in enumerate(entered):
        if index == len(entered) - 1:
            share = wanted - sum(shares, ZERO)
        else:
            share = r2(wanted * amount / base) if base else ZERO
        shares.append(max(min(share, amount), ZERO) if amount > 0 else ZERO)
    return shares


def price_order(
    lines: Sequence[LineInput],
    *,
    prices_include_tax: bool,
    rate: TaxRate | None,
    coupon: Coupon | None = None,
    shipping: Decimal | None = None,
    fee: Decimal | None = None,
) -> PricedOrder:
    """All amounts of an order, consistent to the øre."""
    entered = [r2(line.unit_price * line.quantity) for line in lines]
    discounts = _discounts(entered, coupon)
    priced: list[PricedLine] = []
    for amount, discount in zip(entered, discounts, strict=True):
        subtotal, subtotal_tax = _net_and_tax(amount, prices_include_tax=prices_include_tax, rate=rate)
        total, total_tax = _net_and_tax(amount - discount, prices_include_tax=prices_include_tax, rate=rate)
        priced.append(PricedLine(subtotal, subtotal_tax, total, total_tax))
    shipping_tax = r2(shipping * rate.fraction) if (shipping is not None and rate) else r2(ZERO)
    fee_tax = r2(fee * rate.fraction) if (fee is not None and rate) else r2(ZERO)
    order = PricedOrder(lines=priced, shipping=shipping, shipping_tax=shipping_tax, fee=fee, fee_tax=fee_tax)
    order.discount_total = sum((p.subtotal - p.total for p in priced), ZERO)
    order.discount_tax = sum((p.subtotal_tax - p.total_tax for p in priced), ZERO)
    order.cart_tax = sum((p.total_tax for p in priced), ZERO) + fee_tax
    order.total_tax = order.cart_tax + shipping_tax
    order.total = (
        sum((p.total for p in priced), ZERO)
        + (fee or ZERO)
        + (shipping or ZERO)
        + order.total_tax
    )
    return order


def unit_price(total: Decimal, quantity: int) -> Decimal:
    """``line_items[].price``: the line total divided by the quantity, a JSON number. PHP prints a
    float; we print the exact quotient to 17 significant digits (the last digit can differ from
    PHP's binary float, which no consumer should depend on)."""
    if not quantity:
        return ZERO
    quotient = (total / Decimal(quantity)).quantize(Decimal("1e-15")).normalize()
    return quotient if quotient != quotient.to_integral_value() else quotient.quantize(Decimal(1))
