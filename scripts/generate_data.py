#!/usr/bin/env python3
"""Generate deterministic, realistic raw CRM retail data for the warehouse.

Writes one file per raw input (``raw_orders``, ``raw_members``, ``raw_order_items``,
``raw_stores``, ``raw_campaigns``, ``raw_campaign_contacts``, ``raw_member_events``,
``raw_points``) as CSV or Parquet, plus ``generator_truth.json`` with the simulated
campaign effects and the planted product, promotion and points rules.

The purchase process is a buy-till-you-die model simulated per member, fully
vectorised across members:

* each member has a purchase rate (gamma distributed) that runs on an
  "operational clock" whose speed is the daily intensity of the calendar
  (seasonality, weekdays, December peak, summer dip, flash-sale days), so the
  seasonality is exact while every member's process stays a simple renewal;
* after every purchase occasion the member drops out with a probability that
  falls with the number of occasions (first-time buyers mostly never return,
  established customers mostly do); flash-sale first buyers, the loyal store's
  members and referred members get their own dropout levels;
* dropped-out members may wake up after a long gap (reactivation), and
  campaigns induce purchases in their treatment groups with a known probability;
* the rate scale is calibrated on a pilot sample so the order count lands near
  ``--orders``.

What each order holds follows the customer: every member has a taste per category
(skewed by age: makeup younger, skincare and the anti-ageing line 35+), and a category
is wanted again around its typical repurchase interval (haircare ~45 days ... fragrance
~180); skincare + bodycare and makeup + accessories are often bought together, gift sets
in the gift seasons, and customers often rebuy their first product of a category.
Campaigns may promote a product or a category: the purchases they induce hold it, and
some treated members add it to a purchase they made anyway. A points ledger (earned on
purchases, redeemed, expired first in, first out) follows the member purchases.

Members are processed in chunks (``--chunk-orders``) that are appended to the
output files, so memory stays flat at any scale. Everything derives from
``--seed``: the same arguments give the same bytes.

Usage (the bundled demo seeds, and a 10-million-order Parquet set):

    python scripts/generate_data.py --out seeds --format csv --members 5000 --orders 40000 \
        --truth tests/python/fixtures/demo_generator_truth.json
    python scripts/generate_data.py --out /data/crm --format parquet --members 1250000 --orders 10000000
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm import tqdm

SECONDS_PER_DAY = 86_400
NO_TIME = np.iinfo(np.int64).min  # a null timestamp in second arrays
EPOCH = date(1970, 1, 1)

CHANNELS = ("store", "online", "flash_sale")
STORE, ONLINE, FLASH = 0, 1, 2
STATUSES = ("created", "paid", "shipped", "completed", "cancelled", "refunded", "shipped?")
CREATED, PAID, SHIPPED, COMPLETED, CANCELLED, REFUNDED, BAD_STATUS = range(7)
# Order kinds: a purchase ends paid/shipped/completed; the others never count as purchases.
KIND_PURCHASE, KIND_CANCELLED, KIND_CREATED, KIND_REFUNDED = range(4)
# Where a purchase occasion came from.
SOURCE_NATURAL, SOURCE_REVIVAL, SOURCE_INDUCED = range(3)
GENDERS = ("F", "M", "U")
GROUPS = ("treatment", "control")
EVENT_TYPES = ("visit", "search", "favorite", "cart", "inquiry")
CATEGORIES = ("skincare", "makeup", "fragrance", "haircare", "bodycare", "accessories", "gift_sets")
CATEGORY_SHARE = (0.30, 0.25, 0.12, 0.12, 0.10, 0.06, 0.05)
CATEGORY_MEDIAN_PRICE = (32.0, 24.0, 68.0, 18.0, 15.0, 12.0, 55.0)
N_PRODUCTS = 300
SKINCARE, MAKEUP, FRAGRANCE, HAIRCARE, BODYCARE, ACCESSORIES, GIFT_SETS = range(7)
# Typical repurchase interval per category (days): a customer who bought a category is
# drawn back to it around this gap after the last purchase (accessories and gift sets
# are occasional; gift sets sell in the gift seasons).
CATEGORY_CYCLE_DAYS = (60.0, 90.0, 180.0, 45.0, 75.0, 240.0, 365.0)
CATEGORY_TASTE = (0.30, 0.24, 0.10, 0.16, 0.10, 0.05, 0.05)  # mean weight of each category in a taste
CATEGORY_TRIAL = 0.35  # need of a category never bought, relative to one exactly due
CATEGORY_DUE_FLOOR = 0.003  # need of a category bought the same day
CATEGORY_DUE_POWER = 6.0  # steepness of the need around the cycle: x^p / (1 + x^p), x = gap / cycle
# Categories bought together: an extra line of an order takes the partner of the order's
# first category with PAIR_SHARE (else another draw from the customer's needs).
CATEGORY_PAIRS = ((SKINCARE, BODYCARE), (MAKEUP, ACCESSORIES))
PAIR_SHARE = 0.5
FAVOURITE_SHARE = 0.6  # later lines of a category that rebuy the customer's first product in it
# Category weight by age band (rows follow AGE_BANDS; members without a birth date: all 1).
CATEGORY_AGE_FACTORS = (
    # skincare makeup fragrance haircare bodycare accessories gift_sets
    (0.55, 1.70, 0.50, 1.00, 0.80, 1.50, 1.00),  # 14-17
    (0.75, 1.50, 0.80, 1.00, 0.90, 1.30, 1.00),  # 18-24
    (0.90, 1.20, 1.00, 1.00, 1.00, 1.10, 1.00),  # 25-29
    (1.05, 1.00, 1.15, 1.00, 1.00, 1.00, 1.00),  # 30-34
    (1.30, 0.75, 1.20, 1.00, 1.10, 0.80, 1.00),  # 35-39
    (1.45, 0.60, 1.20, 1.00, 1.20, 0.70, 1.00),  # 40-49
    (1.55, 0.50, 1.10, 1.00, 1.25, 0.60, 1.00),  # 50-70
)
ANTI_AGEING_SHARE = 0.35  # of skincare products: the anti-ageing line
ANTI_AGEING_MIN_BAND = 4  # AGE_BANDS index from which members favour it (35+)
ANTI_AGEING_FACTOR = (0.25, 3.0)  # popularity factor of the line for younger / 35+ members
# Gift seasons (month, first day, last day): gift sets sell GIFT_SEASON_FACTOR times their
# taste inside, GIFT_OFF_SEASON_FACTOR outside.
GIFT_SEASONS = ((2, 1, 14), (5, 1, 12), (11, 20, 30), (12, 1, 24))
GIFT_SEASON_FACTOR, GIFT_OFF_SEASON_FACTOR = 4.0, 0.4

# Share of each hour of the day in order times, by channel.
HOUR_WEIGHTS = (
    (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 6, 8, 9, 9, 9, 10, 11, 12, 10, 7, 5, 0, 0),
    (2, 1.2, 0.8, 0.5, 0.4, 0.4, 0.6, 1.2, 2, 2.6, 3, 3.2, 3.6, 3.4, 3.2, 3.2, 3.4, 3.8,
     4.4, 5.2, 6, 6.2, 5.4, 3.6),
    (12, 6, 2, 1, 0.6, 0.5, 0.6, 1, 2, 2.5, 3, 3.2, 3.5, 3.3, 3.1, 3.1, 3.3, 3.8, 4.5,
     5.5, 6.5, 7, 7, 6.5),
)
MONTH_FACTORS = (0.85, 0.84, 0.95, 0.97, 1.02, 1.0, 0.86, 0.88, 0.98, 1.02, 1.1, 1.45)
WEEKDAY_FACTORS = (0.9, 0.9, 0.95, 1.0, 1.1, 1.22, 1.03)  # Monday first

CITIES = (  # name, tier, share of members without a home-store city
    ("New York", 1, 0.14), ("Los Angeles", 1, 0.11), ("Chicago", 1, 0.08),
    ("Houston", 2, 0.07), ("Phoenix", 2, 0.06), ("Philadelphia", 2, 0.06),
    ("San Diego", 2, 0.05), ("Dallas", 2, 0.06), ("Austin", 3, 0.05),
    ("Columbus", 3, 0.05), ("Tucson", 3, 0.04), ("Spokane", 4, 0.04),
    ("Boise", 4, 0.04), ("Lubbock", 4, 0.03), ("Fargo", 5, 0.04),
    ("Billings", 5, 0.04), ("Cheyenne", 5, 0.04),
)
FEMALE_NAMES = (
    "emma", "olivia", "ava", "sophia", "isabella", "mia", "amelia", "harper", "evelyn",
    "abigail", "emily", "ella", "madison", "scarlett", "victoria", "grace", "chloe",
    "camila", "penelope", "riley", "layla", "lily", "nora", "zoey", "hannah", "aria",
    "luna", "sofia", "maya", "jasmine",
)
MALE_NAMES = (
    "liam", "noah", "oliver", "elijah", "james", "william", "benjamin", "lucas", "henry",
    "alexander", "mason", "michael", "ethan", "daniel", "jacob", "logan", "jackson",
    "levi", "sebastian", "mateo", "jack", "owen", "theodore", "aiden", "samuel",
)
SURNAMES = (
    "smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis",
    "rodriguez", "martinez", "hernandez", "lopez", "gonzalez", "wilson", "anderson",
    "thomas", "taylor", "moore", "jackson", "martin", "lee", "perez", "thompson", "white",
    "harris", "sanchez", "clark", "ramirez", "lewis", "robinson", "walker", "young",
    "allen", "king", "wright", "scott", "torres", "nguyen", "hill", "flores", "green",
    "adams", "nelson", "baker", "hall", "rivera", "campbell", "mitchell", "carter", "kim",
)
AGE_BANDS = (  # (min age, max age, share) at the end date
    (14, 17, 0.03), (18, 24, 0.22), (25, 29, 0.28), (30, 34, 0.19),
    (35, 39, 0.11), (40, 49, 0.11), (50, 70, 0.06),
)


@dataclass(frozen=True)
class StoreSpec:
    """One store and the behaviour of the customers it manages."""

    store_id: str
    name: str
    city: str | None
    store_type: str
    opened_days_before_start: int | None  # None: opens NEW_STORE_DAYS before the end
    home_share: float  # share of new members managed here (online store: online-only members)
    visitor_share: float  # share of orders placed here by members of other stores
    guest_share: float  # share of guest orders
    aov_factor: float  # multiplier on order values
    rate_factor: float  # multiplier on its members' purchase rates
    dropout_factor: float  # multiplier on its members' dropout probabilities


STORES = (
    # high traffic, low order values
    StoreSpec("S01", "Times Square Beauty Hub", "New York", "counter", 4300,
              0.20, 0.30, 0.30, 0.58, 1.10, 1.06),
    # high end: high order values
    StoreSpec("S02", "Rodeo Drive Prestige Counter", "Los Angeles", "counter", 2650,
              0.07, 0.08, 0.05, 1.60, 0.95, 0.92),
    # loyal members: low dropout, few visitors from other stores
    StoreSpec("S03", "Lincoln Park Members Lounge", "Chicago", "counter", 3500,
              0.09, 0.02, 0.03, 1.05, 1.30, 0.60),
    # weak performer: fewer new members over time, its members drift to other stores
    StoreSpec("S04", "Northgate Mall Counter", "Phoenix", "counter", 4800,
              0.07, 0.06, 0.05, 0.85, 0.80, 1.15),
    # new store, opened NEW_STORE_DAYS before the end
    StoreSpec("S05", "Domain Northside Counter", "Austin", "counter", None,
              0.22, 0.10, 0.07, 1.00, 1.00, 1.00),
    # online store: online and flash-sale orders; home_share = online-only members
    StoreSpec("S06", "Online Store", None, "online", 2150,
              0.19, 0.00, 0.20, 0.95, 0.90, 1.05),
    StoreSpec("S07", "Center City Counter", "Philadelphia", "counter", 2450,
              0.10, 0.11, 0.075, 1.00, 1.00, 1.00),
    StoreSpec("S08", "Gaslamp Quarter Counter", "San Diego", "counter", 1540,
              0.09, 0.11, 0.075, 1.00, 1.00, 1.00),
    StoreSpec("S09", "Uptown Dallas Counter", "Dallas", "counter", 3110,
              0.10, 0.11, 0.075, 1.00, 1.00, 1.00),
    StoreSpec("S10", "Short North Counter", "Columbus", "counter", 1030,
              0.09, 0.11, 0.075, 1.00, 1.00, 1.00),
)
HIGH_TRAFFIC, HIGH_END, LOYAL, WEAK, NEW_STORE, ONLINE_STORE = 0, 1, 2, 3, 4, 5
# Age of each store's members (factors on the AGE_BANDS shares): counters differ in
# clientele, hence in product mix (the online store stands for online-only members).
AGE_LEANS = {
    "young": (1.6, 1.5, 1.2, 0.9, 0.7, 0.6, 0.5),
    "neutral": (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
    "older": (0.4, 0.6, 0.8, 1.0, 1.4, 1.6, 1.8),
}
# Category factors per store on top of the customers' needs (assortment and staff focus);
# stores not listed: all 1.
STORE_CATEGORY_FACTORS = {
    # skincare makeup fragrance haircare bodycare accessories gift_sets
    "S01": (0.85, 1.35, 0.80, 1.00, 0.90, 1.50, 1.00),  # high traffic: makeup and accessories
    "S02": (1.25, 0.80, 1.80, 0.80, 1.00, 0.70, 1.30),  # high end: skincare, fragrance, gift sets
    "S03": (1.30, 0.85, 1.10, 1.00, 1.30, 0.80, 1.00),  # members lounge: skincare and bodycare routines
    "S06": (0.90, 1.10, 0.90, 1.40, 1.10, 1.10, 1.20),  # online: replenishment (haircare) and gifts
}
STORE_AGE_LEAN = ("young", "older", "older", "neutral", "neutral", "young", "neutral", "young", "neutral", "young")
NEW_STORE_DAYS = 240


@dataclass(frozen=True)
class CampaignSpec:
    """A campaign template, placed at a relative position of the period."""

    name: str
    objective: str
    channel: str
    position: float  # where it starts within the campaign span, 0..1
    contact_days: int  # length of the contact period (events: invitations before the event day)
    window_days: int  # response window after contact
    cost_per_contact: float
    incentive_cost: float
    audience: str  # recency | birthday | vip
    recency_days: tuple[int, int] = (0, 10**6)
    occasions: tuple[int, int] = (1, 10**6)
    reach: float = 1.0  # share of eligible members contacted
    control_share: float = 0.25  # 0 = no control group
    uplift: float = 0.0  # P(a treated non-responder is induced to buy); events: attendees
    attend_rate: float = 0.0  # events only
    non_attendee_uplift: float = 0.0  # events only
    promote: str | None = None  # "category:<name>", or "product:<category>" = its most popular product
    promo_take: float = 0.0  # P(a treated natural responder adds the promoted item to their purchase)
    program_id: str | None = None  # CRM programme (issue 25)
    margin_per_response: float | None = None


CAMPAIGNS = (
    CampaignSpec("Second purchase welcome email", "second_purchase", "email", 0.10, 7, 30, 0.02, 5.0,
                 "recency", (7, 60), (1, 1), uplift=0.12, program_id="new_active", margin_per_response=12.0),
    CampaignSpec("Birthday treat SMS", "birthday", "sms", 0.20, 28, 30, 0.06, 8.0, "birthday",
                 uplift=0.08),
    CampaignSpec("VIP gala evening", "vip_event", "event", 0.30, 10, 14, 18.0, 0.0, "vip",
                 uplift=0.55, attend_rate=0.35, non_attendee_uplift=0.02),
    CampaignSpec("Sleeping customers direct mail", "reactivation", "direct_mail", 0.40, 10, 30, 0.85, 10.0,
                 "recency", (90, 364), reach=0.7, uplift=0.07, program_id="returning_sleeping",
                 margin_per_response=18.0),
    CampaignSpec("New collection launch newsletter", "product_launch", "email", 0.50, 3, 14, 0.01, 0.0,
                 "recency", (0, 89), control_share=0.0, uplift=0.04, promote="product:makeup", promo_take=0.25),
    CampaignSpec("Win-back SMS for lost customers", "reactivation", "sms", 0.58, 7, 30, 0.06, 12.0,
                 "recency", (365, 10**6), uplift=0.05, program_id="lost_winback",
                 margin_per_response=15.0),
    CampaignSpec("Second purchase service call", "second_purchase", "call", 0.68, 14, 30, 2.50, 5.0,
                 "recency", (7, 90), (1, 1), reach=0.6, uplift=0.15, program_id="new_silent",
                 margin_per_response=12.0),
    CampaignSpec("Birthday treat SMS", "birthday", "sms", 0.78, 28, 30, 0.06, 8.0, "birthday",
                 uplift=0.08),
    CampaignSpec("Wake-up email for sleeping customers", "reactivation", "email", 0.87, 7, 30, 0.02, 8.0,
                 "recency", (90, 179), uplift=0.08, promote="category:skincare", promo_take=0.30,
                 program_id="returning_sleeping"),
    CampaignSpec("VIP collection preview event", "vip_event", "event", 0.97, 10, 14, 18.0, 0.0, "vip",
                 uplift=0.55, attend_rate=0.35, non_attendee_uplift=0.02),
    # appended (ids C011, C012 keep the earlier ids stable); campaigns run in date order
    CampaignSpec("Haircare replenishment SMS", "repurchase", "sms", 0.63, 7, 30, 0.06, 4.0,
                 "recency", (45, 89), (2, 10**6), uplift=0.06, promote="category:haircare",
                 promo_take=0.30, program_id="returning_silent", margin_per_response=9.0),
    CampaignSpec("Pre-churn fragrance offer", "reactivation", "direct_mail", 0.74, 10, 30, 0.85, 10.0,
                 "recency", (180, 364), (2, 10**6), reach=0.8, uplift=0.07,
                 promote="product:fragrance", promo_take=0.30, program_id="pre_churn_winback",
                 margin_per_response=25.0),
)
# CRM programmes (issue 25: new / returning x active, silent, sleeping; pre-churn and lost win-back)
PROGRAM_IDS = ("new_active", "new_silent", "new_sleeping", "returning_active", "returning_silent",
               "returning_sleeping", "pre_churn_winback", "lost_winback")
VIP_TOP_SHARE = 0.08
CAMPAIGN_LEAD_DAYS = 60  # no campaign in the first days: there is no history to target yet


@dataclass(frozen=True)
class Behaviour:
    """Parameters of the simulated customer behaviour (recorded in the truth file)."""

    preexisting_share: float = 0.30  # members who joined before --start
    preexisting_dormant_share: float = 0.25  # of those: no purchase at the start of history
    dormant_return_share: float = 0.15  # of the dormant: come back during the period
    never_buy_share: float = 0.16  # new members who never buy
    buy_on_join_day_share: float = 0.55
    first_purchase_delay_days: float = 30.0
    rate_per_day: float = 1 / 45  # mean purchase rate of an alive member, before calibration
    rate_shape: float = 1.3
    preexisting_rate_boost: float = 1.6
    max_rate_per_day: float = 1 / 3
    dropout_by_occasion: tuple[float, ...] = (0.80, 0.36, 0.25)  # after the 1st, 2nd, 3rd occasion
    established_lifetime_days: float = 2000.0  # later: mean remaining lifetime in (operational) days
    established_level: float = 5.0  # occasions before the start of existing customers (+ Poisson 3)
    flash_first_dropout: float = 0.90
    revived_dropout: float = 0.45
    referred_dropout_factor: float = 0.85
    revive_after_first: float = 0.10
    revive_after_repeat: float = 0.30
    revival_min_days: float = 60.0
    revival_mean_days: float = 420.0
    sms_opt_in_share: float = 0.60
    email_opt_in_share: float = 0.45
    flash_share_online_only: float = 0.75
    flash_share_counter: float = 0.50
    guest_share: float = 0.08  # of all orders
    same_day_extra_share: float = 0.03  # of purchase occasions
    cancelled_share: float = 0.03  # of member purchase orders
    cancelled_after_payment_share: float = 0.15  # of cancelled orders (the rest have no paid_at)
    created_share: float = 0.015
    refunded_share: float = 0.02
    prospect_abandoned_share: float = 0.04  # prospects with one unpaid/cancelled order
    partial_refund_share: float = 0.025  # of completed orders
    paid_next_day_share: float = 0.05  # of online orders
    update_version_share: float = 0.015  # of orders, shown twice (earlier + later version)
    exact_duplicate_share: float = 0.001  # of order rows

    def rows_per_occasion(self) -> float:
        """Expected order rows written per member purchase occasion."""
        member_orders = (1 + self.same_day_extra_share) * (
            1 + self.cancelled_share + self.created_share + self.refunded_share)
        return member_orders / (1 - self.guest_share) * (
            1 + self.update_version_share + self.exact_duplicate_share)


@dataclass(frozen=True)
class Config:
    """Command-line arguments, parsed."""

    out_dir: Path
    fmt: str
    members: int
    orders: int
    start: date
    end: date
    seed: int
    dirty_share: float
    chunk_orders: int
    truth_path: Path


@dataclass(frozen=True)
class Calendar:
    """Daily purchase intensity and the operational clock built on it."""

    start: date
    n_days: int
    multiplier: np.ndarray  # purchase intensity per day, mean 1
    op_start: np.ndarray  # operational time at the start of each day (n_days + 1)
    join_weight: np.ndarray  # relative intensity of new memberships per day
    is_flash: np.ndarray  # flash-sale days
    month: np.ndarray  # 1..12 per day
    gift_season: np.ndarray  # days of the gift seasons
    promotions: tuple[tuple[str, str, float], ...]  # (date, name, factor)

    @property
    def start_epoch_s(self) -> int:
        """Seconds from 1970-01-01 to the first day."""
        return (self.start - EPOCH).days * SECONDS_PER_DAY

    @property
    def end_second(self) -> int:
        """Last second of the period, relative to the start."""
        return self.n_days * SECONDS_PER_DAY - 1

    def day_of(self, op_time: np.ndarray) -> np.ndarray:
        """Calendar day index holding each operational time (n_days = after the end)."""
        day = np.searchsorted(self.op_start, op_time, side="right") - 1
        return np.minimum(day, self.n_days).astype(np.int32)

    def op_time(self, day: np.ndarray, fraction: np.ndarray) -> np.ndarray:
        """Operational time at a fraction (0..1) of a calendar day."""
        return self.op_start[day] + fraction * self.multiplier[day]


@dataclass(frozen=True)
class Campaign:
    """A campaign placed on the calendar."""

    index: int
    campaign_id: str
    spec: CampaignSpec
    start_day: int
    end_day: int  # last contact day; event campaigns: the event day
    promoted_product: int = -1  # product index, -1 none
    promoted_category: int = -1  # category index when the campaign promotes a category, -1 none


@dataclass
class Population:
    """Per-member attributes the simulation needs (members sorted by joined_at)."""

    join_day: np.ndarray  # days since --start, negative before it
    join_second: np.ndarray  # second of the joining day
    start_state: np.ndarray  # 0 never buys, 1 new buyer, 2 established, 3 dormant who returns
    home: np.ndarray  # store index, -1 online only
    rate: np.ndarray  # purchases per operational day while alive (before calibration)
    dropout_factor: np.ndarray
    aov: np.ndarray  # order value multiplier
    birth_month: np.ndarray  # 1..12, 0 unknown
    sms_opt_in: np.ndarray
    email_opt_in: np.ndarray
    age_band: np.ndarray  # AGE_BANDS index at the end date, -1 unknown
    taste: np.ndarray  # members x categories: weight of each category in the member's needs

    def subset(self, index: np.ndarray) -> Population:
        """The members at the given positions."""
        return Population(**{f.name: getattr(self, f.name)[index] for f in dataclasses.fields(self)})


@dataclass(frozen=True)
class SimContext:
    """Everything one chunk of members needs to be simulated."""

    calendar: Calendar
    behaviour: Behaviour
    members: Population  # local to the chunk
    rate: np.ndarray  # calibrated purchase rates


@dataclass
class Occasions:
    """Purchase occasions (one per member and day) of a chunk."""

    member: np.ndarray
    day: np.ndarray
    store: np.ndarray
    channel: np.ndarray
    source: np.ndarray
    promo: np.ndarray  # campaign index whose promoted item this purchase holds, -1 none

    @staticmethod
    def concat(parts: Sequence[Occasions]) -> Occasions:
        """Concatenate several occasion sets."""
        return Occasions(*(np.concatenate([getattr(p, f.name) for p in parts])
                           for f in dataclasses.fields(Occasions)))


@dataclass
class OrderRows:
    """Order rows as arrays; times are seconds from the start of the period."""

    number: np.ndarray  # order number, -1 = missing order_id
    member: np.ndarray  # local member index, -1 = guest
    store: np.ndarray
    channel: np.ndarray
    status: np.ndarray
    ordered: np.ndarray
    paid: np.ndarray  # NO_TIME = null
    amount: np.ndarray  # cents
    refund: np.ndarray  # cents
    updated: np.ndarray
    amount_unparseable: np.ndarray  # CSV only: amount written as text that is not a number

    def take(self, index: np.ndarray) -> OrderRows:
        """The rows at the given positions."""
        return OrderRows(*(getattr(self, f.name)[index] for f in dataclasses.fields(OrderRows)))

    @staticmethod
    def concat(parts: Sequence[OrderRows]) -> OrderRows:
        """Concatenate several row sets."""
        return OrderRows(*(np.concatenate([getattr(p, f.name) for p in parts])
                           for f in dataclasses.fields(OrderRows)))


# --------------------------------------------------------------------------- helpers


def rng_for(seed: int, *stream: int) -> np.random.Generator:
    """An independent random generator for one named stream of the run."""
    return np.random.default_rng(np.random.SeedSequence([seed, *stream]))


def id_width(count: int, minimum: int) -> int:
    """Digits of a zero-padded id that leaves ten times headroom over count."""
    return max(minimum, len(str(max(count, 1) * 10)))


def fixed_width_ids(prefix: str, numbers: np.ndarray, width: int,
                    valid: np.ndarray | None = None) -> pa.Array:
    """Build 'P000123'-style string ids straight from digit bytes (no Python loop)."""
    numbers = np.asarray(numbers, dtype=np.int64)
    n = numbers.size
    if n and numbers.max() >= 10**width:
        width = len(str(int(numbers.max())))
    row_len = len(prefix) + width
    data = np.empty((n, row_len), dtype=np.uint8)
    data[:, : len(prefix)] = np.frombuffer(prefix.encode(), dtype=np.uint8)
    rest = np.where(numbers < 0, 0, numbers)
    for position in range(row_len - 1, len(prefix) - 1, -1):
        data[:, position] = 48 + rest % 10
        rest //= 10
    offsets = np.arange(0, (n + 1) * row_len, row_len, dtype=np.int64)
    string_type = pa.string() if offsets[-1] < 2**31 else pa.large_string()
    if string_type == pa.string():
        offsets = offsets.astype(np.int32)
    validity, null_count = validity_buffer(valid)
    array = pa.Array.from_buffers(string_type, n, [validity, pa.py_buffer(offsets), pa.py_buffer(data)],
                                  null_count=null_count)
    return array.cast(pa.string())


def validity_buffer(valid: np.ndarray | None) -> tuple[pa.Buffer | None, int]:
    """Arrow validity bitmap and null count for a boolean mask (None = all valid)."""
    if valid is None or valid.all():
        return None, 0
    return pa.py_buffer(np.packbits(valid, bitorder="little")), int((~valid).sum())


def numeric_array(values: np.ndarray, arrow_type: pa.DataType, valid: np.ndarray | None = None) -> pa.Array:
    """Zero-copy Arrow array of a fixed-width type from a numpy buffer."""
    validity, null_count = validity_buffer(valid)
    data = pa.py_buffer(np.ascontiguousarray(values))
    return pa.Array.from_buffers(arrow_type, len(values), [validity, data], null_count=null_count)


def timestamps(seconds: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """timestamp[us] from epoch seconds."""
    return numeric_array(np.asarray(seconds, dtype=np.int64) * 1_000_000, pa.timestamp("us"), valid)


def dates(epoch_days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """date32 from days since 1970-01-01."""
    return numeric_array(np.asarray(epoch_days, dtype=np.int32), pa.date32(), valid)


def money(cents: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """decimal128(18, 2) from integer cents."""
    cents = np.asarray(cents, dtype=np.int64)
    words = np.empty((cents.size, 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63
    validity, null_count = validity_buffer(valid)
    return pa.Array.from_buffers(pa.decimal128(18, 2), cents.size, [validity, pa.py_buffer(words)],
                                 null_count=null_count)


def labels(values: Sequence[str | None], index: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """String column from positions in a small list of labels."""
    positions = pa.array(np.asarray(index, dtype=np.int32), mask=None if valid is None else ~valid)
    return pa.array(values, type=pa.string()).take(positions)


def choice(rng: np.random.Generator, weights: Sequence[float] | np.ndarray, size: int) -> np.ndarray:
    """Draw category positions with the given (unnormalised) weights."""
    cumulative = np.cumsum(np.asarray(weights, dtype=np.float64))
    return np.searchsorted(cumulative, rng.random(size) * cumulative[-1], side="right").astype(np.int32)


def second_of_day(rng: np.random.Generator, channel: np.ndarray) -> np.ndarray:
    """Time of day in seconds, following each channel's hourly profile."""
    hour = np.empty(channel.size, dtype=np.int64)
    for value, weights in enumerate(HOUR_WEIGHTS):
        mask = channel == value
        hour[mask] = choice(rng, weights, int(mask.sum()))
    return hour * 3600 + rng.integers(0, 3600, channel.size)


def counts_per_member(member: np.ndarray, n_members: int) -> np.ndarray:
    """Number of rows per member index."""
    return np.bincount(member, minlength=n_members)


# --------------------------------------------------------------------------- calendar


def promotion_days(start: date, end: date) -> list[tuple[date, str, float]]:
    """Flash-sale and promotion days (with their traffic factor) inside the period."""
    days = []
    for year in range(start.year, end.year + 1):
        first_nov = date(year, 11, 1)
        thanksgiving = first_nov + timedelta(days=(3 - first_nov.weekday()) % 7 + 21)
        black_friday = thanksgiving + timedelta(days=1)
        days += [
            (date(year, 3, 8), "women's day flash sale", 2.4),
            (date(year, 6, 18), "mid-year flash sale", 3.0),
            (date(year, 9, 9), "9.9 flash sale", 2.4),
            (date(year, 11, 11), "11.11 flash sale", 5.0),
            (black_friday, "black friday", 4.2),
            (black_friday + timedelta(days=3), "cyber monday", 2.6),
            (date(year, 12, 12), "12.12 flash sale", 2.8),
        ]
    return sorted(d for d in days if start <= d[0] <= end)


def build_calendar(start: date, end: date) -> Calendar:
    """Daily intensity: month, weekday, December peak, summer dip and flash-sale spikes."""
    n_days = (end - start).days + 1
    days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day_of_month = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    weekday = (days.astype(np.int64) + 3) % 7
    base = np.asarray(MONTH_FACTORS)[month - 1] * np.asarray(WEEKDAY_FACTORS)[weekday]
    december = month == 12
    base[december & (day_of_month >= 10) & (day_of_month <= 23)] *= 1.25
    base[december & (day_of_month == 25)] *= 0.35
    promotions = promotion_days(start, end)
    promo = np.ones(n_days)
    for promo_date, _, factor in promotions:
        promo[(promo_date - start).days] = factor
    multiplier = base * promo
    multiplier /= multiplier.mean()
    gift_season = np.zeros(n_days, dtype=bool)
    for season_month, first_day, last_day in GIFT_SEASONS:
        gift_season |= (month == season_month) & (day_of_month >= first_day) & (day_of_month <= last_day)
    trend = 0.7 + 0.6 * np.arange(n_days) / n_days
    return Calendar(
        start=start,
        n_days=n_days,
        multiplier=multiplier,
        op_start=np.concatenate([[0.0], np.cumsum(multiplier)]),
        join_weight=trend * base * promo**2,
        is_flash=promo > 1.0,
        month=month.astype(np.int8),
        gift_season=gift_season,
        promotions=tuple((d.isoformat(), name, factor) for d, name, factor in promotions),
    )


# --------------------------------------------------------------------------- dimensions


def store_opened_day(spec: StoreSpec, calendar: Calendar) -> int:
    """Opening day of a store relative to the start (negative = before)."""
    if spec.opened_days_before_start is None:
        return max(calendar.n_days - NEW_STORE_DAYS, 0)
    return -spec.opened_days_before_start


def build_stores(calendar: Calendar) -> pa.Table:
    """The ten stores."""
    opened = np.array([store_opened_day(s, calendar) for s in STORES]) + (calendar.start - EPOCH).days
    return pa.table({
        "store_id": pa.array([s.store_id for s in STORES]),
        "store_name": pa.array([s.name for s in STORES]),
        "city": pa.array([s.city for s in STORES], type=pa.string()),
        "store_type": pa.array([s.store_type for s in STORES]),
        "opened_at": dates(opened),
    })


def place_campaigns(calendar: Calendar, catalog: Catalog) -> list[Campaign]:
    """Put the campaign templates on the calendar (none if the period is too short)."""
    longest = max(s.contact_days + s.window_days for s in CAMPAIGNS)
    span = calendar.n_days - CAMPAIGN_LEAD_DAYS - longest - 1
    if span <= 0:
        return []
    campaigns = []
    for index, spec in enumerate(CAMPAIGNS):
        start_day = CAMPAIGN_LEAD_DAYS + round(spec.position * span)
        end_day = start_day + spec.contact_days - (0 if spec.channel == "event" else 1)
        product, category = -1, -1
        if spec.promote is not None:
            kind, name = spec.promote.split(":")
            if kind == "product":
                product = catalog.most_popular(CATEGORIES.index(name))
            else:
                category = CATEGORIES.index(name)
        campaigns.append(Campaign(index, f"C{index + 1:03d}", spec, start_day, end_day, product, category))
    return campaigns


def build_campaigns(campaigns: Sequence[Campaign], calendar: Calendar) -> pa.Table:
    """The campaign dimension."""
    start_epoch_day = (calendar.start - EPOCH).days
    names = [f"{c.spec.name} {calendar.start + timedelta(days=c.start_day):%Y-%m}" for c in campaigns]
    return pa.Table.from_arrays([
        pa.array([c.campaign_id for c in campaigns], type=pa.string()),
        pa.array(names, type=pa.string()),
        pa.array([c.spec.objective for c in campaigns], type=pa.string()),
        pa.array([c.spec.channel for c in campaigns], type=pa.string()),
        dates(np.array([c.start_day for c in campaigns], dtype=np.int64) + start_epoch_day),
        dates(np.array([c.end_day for c in campaigns], dtype=np.int64) + start_epoch_day),
        pa.array([c.spec.window_days for c in campaigns], type=pa.int32()),
        money(np.array([round(c.spec.cost_per_contact * 100) for c in campaigns], dtype=np.int64)),
        money(np.array([round(c.spec.incentive_cost * 100) for c in campaigns], dtype=np.int64)),
        fixed_width_ids("P", np.array([c.promoted_product + 1 for c in campaigns], dtype=np.int64), 4,
                        np.array([c.promoted_product >= 0 for c in campaigns], dtype=bool)),
        pa.array([CATEGORIES[c.promoted_category] if c.promoted_category >= 0 else None for c in campaigns],
                 type=pa.string()),
        pa.array([c.spec.program_id for c in campaigns], type=pa.string()),
        money(np.array([round((c.spec.margin_per_response or 0) * 100) for c in campaigns], dtype=np.int64),
              np.array([c.spec.margin_per_response is not None for c in campaigns], dtype=bool)),
    ], schema=SCHEMAS["campaigns"])


@dataclass(frozen=True)
class Catalog:
    """Products P0001.. with their category, base price and popularity."""

    category: np.ndarray
    price: np.ndarray
    popularity: np.ndarray
    anti_ageing: np.ndarray  # skincare products of the anti-ageing line

    def most_popular(self, category: int) -> int:
        """The most popular product of a category."""
        return int(np.argmax(np.where(self.category == category, self.popularity, -1.0)))


def build_catalog(rng: np.random.Generator, line_rng: np.random.Generator) -> Catalog:
    """Products with prices by category and Zipf-like popularity; part of skincare is the anti-ageing line."""
    category = choice(rng, CATEGORY_SHARE, N_PRODUCTS)
    price = np.asarray(CATEGORY_MEDIAN_PRICE)[category] * rng.lognormal(0.0, 0.35, N_PRODUCTS)
    popularity = 1.0 / rng.permutation(np.arange(1, N_PRODUCTS + 1)) ** 0.9
    anti_ageing = (category == SKINCARE) & (line_rng.random(N_PRODUCTS) < ANTI_AGEING_SHARE)
    return Catalog(category, np.maximum(price, 3.0), popularity, anti_ageing)


# --------------------------------------------------------------------------- members


def home_store_weights(join_day: np.ndarray, calendar: Calendar) -> np.ndarray:
    """Per-member weights of each home store; the online column stands for online-only members."""
    weights = np.tile(np.array([s.home_share for s in STORES], dtype=np.float32), (join_day.size, 1))
    progress = np.clip(join_day / calendar.n_days, 0.0, 1.0)
    weights[:, WEAK] *= 1.3 - 1.1 * progress
    weights[:, NEW_STORE] *= join_day >= store_opened_day(STORES[NEW_STORE], calendar)
    return weights


def draw_birth_dates(rng: np.random.Generator, n: int, end: date,
                     home: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Birth dates (epoch days) from age bands at the end date, ~1.5% unknown, and the band drawn.

    The bands' shares lean by home store (STORE_AGE_LEAN: a young or an older clientele).
    """
    lean = np.asarray([AGE_LEANS[name] for name in STORE_AGE_LEAN])[np.where(home < 0, ONLINE_STORE, home)]
    band = draw_rows(rng, np.asarray([b[2] for b in AGE_BANDS]) * lean)
    low = np.array([b[0] for b in AGE_BANDS])[band]
    high = np.array([b[1] for b in AGE_BANDS])[band]
    age_days = (low + rng.random(n) * (high - low + 1)) * 365.25
    birth = (end - EPOCH).days - age_days.astype(np.int64)
    return birth, rng.random(n) >= 0.015, band


def draw_join_days(rng: np.random.Generator, calendar: Calendar, preexisting: np.ndarray) -> np.ndarray:
    """Joining day: years before the start for existing members, else by the join intensity."""
    join_day = -rng.integers(1, 5 * 365, preexisting.size)
    new = ~preexisting
    join_day[new] = choice(rng, calendar.join_weight, int(new.sum()))
    return join_day.astype(np.int32)


def draw_referrers(rng: np.random.Generator, joined: np.ndarray, share: float = 0.10) -> np.ndarray:
    """Referrer position for ~share of members: someone who joined strictly earlier (-1 = none)."""
    earlier = np.searchsorted(joined, joined, side="left")  # members joined strictly before
    referred = (rng.random(joined.size) < share) & (earlier > 0)
    referrer = np.full(joined.size, -1, dtype=np.int64)
    referrer[referred] = (rng.random(int(referred.sum())) * earlier[referred]).astype(np.int64)
    return referrer


def draw_taste(rng: np.random.Generator, age_band: np.ndarray) -> np.ndarray:
    """Per member and category: the category's weight in the member's needs (age skew x personal taste)."""
    factors = np.vstack([np.asarray(CATEGORY_AGE_FACTORS), np.ones(len(CATEGORIES))])  # last row: unknown age
    taste = np.asarray(CATEGORY_TASTE) * factors[age_band] * rng.gamma(2.0, 0.5, (age_band.size, len(CATEGORIES)))
    return taste.astype(np.float32)


def build_population(rng: np.random.Generator, calendar: Calendar, behaviour: Behaviour,
                     n: int, end: date, taste_rng: np.random.Generator) -> tuple[Population, pa.Table]:
    """Draw all members; return the simulation attributes and the members table."""
    preexisting = rng.random(n) < behaviour.preexisting_share
    join_day = draw_join_days(rng, calendar, preexisting)
    join_second = (9 * 3600 + rng.integers(0, 12 * 3600, n)).astype(np.int32)
    order = np.lexsort((join_second, join_day))  # member ids follow the joining time
    preexisting, join_day, join_second = preexisting[order], join_day[order], join_second[order]
    joined = calendar.start_epoch_s + join_day.astype(np.int64) * SECONDS_PER_DAY + join_second

    home = draw_home_stores(rng, join_day, calendar)
    referrer = draw_referrers(rng, joined)
    start_state = np.ones(n, dtype=np.int8)
    start_state[~preexisting & (rng.random(n) < behaviour.never_buy_share)] = 0
    dormant = preexisting & (rng.random(n) < behaviour.preexisting_dormant_share)
    start_state[preexisting & ~dormant] = 2
    start_state[dormant] = np.where(rng.random(int(dormant.sum())) < behaviour.dormant_return_share, 3, 0)

    store_index = np.where(home < 0, ONLINE_STORE, home)
    rate = rng.gamma(behaviour.rate_shape, behaviour.rate_per_day / behaviour.rate_shape, n)
    rate *= np.array([s.rate_factor for s in STORES])[store_index]
    rate[preexisting] *= behaviour.preexisting_rate_boost
    dropout_factor = np.array([s.dropout_factor for s in STORES])[store_index]
    dropout_factor = dropout_factor * np.where(referrer >= 0, behaviour.referred_dropout_factor, 1.0)
    birth, birth_known, band = draw_birth_dates(rng, n, end, home)
    age_band = np.where(birth_known, band, -1).astype(np.int8)
    birth_month = np.where(birth_known, (birth.astype("datetime64[D]").astype("datetime64[M]")
                                         .astype(np.int64) % 12 + 1), 0).astype(np.int8)
    sms = rng.random(n) < behaviour.sms_opt_in_share
    email_lift = 0.25  # members who accept SMS accept e-mail more often
    email = rng.random(n) < behaviour.email_opt_in_share + email_lift * (sms - behaviour.sms_opt_in_share)
    population = Population(
        join_day=join_day, join_second=join_second, start_state=start_state, home=home,
        rate=rate, dropout_factor=dropout_factor.astype(np.float64),
        aov=rng.lognormal(-0.045, 0.30, n), birth_month=birth_month,
        sms_opt_in=sms, email_opt_in=email, age_band=age_band, taste=draw_taste(taste_rng, age_band),
    )
    table = members_table(rng, calendar, population, joined, referrer, birth, birth_known)
    return population, table


def draw_home_stores(rng: np.random.Generator, join_day: np.ndarray, calendar: Calendar) -> np.ndarray:
    """Home store per member (-1 = online-only member without a home store)."""
    weights = np.cumsum(home_store_weights(join_day, calendar), axis=1)
    draw = rng.random(join_day.size) * weights[:, -1]
    home = (weights <= draw[:, None]).sum(axis=1).astype(np.int8)
    return np.where(home == ONLINE_STORE, -1, home).astype(np.int8)


def members_table(rng: np.random.Generator, calendar: Calendar, population: Population,
                  joined: np.ndarray, referrer: np.ndarray, birth: np.ndarray,
                  birth_known: np.ndarray) -> pa.Table:
    """The members table with fake PII (names from fixed lists, example.com, 555 numbers)."""
    n = joined.size
    gender = choice(rng, (0.78, 0.16, 0.06), n)
    city = member_cities(rng, population.home)
    first_names = FEMALE_NAMES + MALE_NAMES
    first = np.where(gender == 0, rng.integers(0, len(FEMALE_NAMES), n),
                     np.where(gender == 1, len(FEMALE_NAMES) + rng.integers(0, len(MALE_NAMES), n),
                              rng.integers(0, len(first_names), n)))
    email = pc.binary_join_element_wise(
        labels(first_names, first), ".", labels(SURNAMES, rng.integers(0, len(SURNAMES), n)),
        pa.array(rng.integers(1, 1000, n)).cast(pa.string()), "@example.com", "")
    email = pc.if_else(pa.array(rng.random(n) < 0.03), pa.scalar(None, pa.string()), email)
    end_epoch = calendar.start_epoch_s + calendar.end_second
    updated = np.where(rng.random(n) < 0.35, joined + (rng.random(n) * (end_epoch - joined)).astype(np.int64),
                       joined)
    width = id_width(n, 6)
    return pa.Table.from_arrays([
        fixed_width_ids("M", np.arange(1, n + 1), width),
        timestamps(joined),
        dates(birth, birth_known),
        labels(GENDERS, gender),
        labels([c[0] for c in CITIES], city),
        numeric_array(np.array([c[1] for c in CITIES], dtype=np.int32)[city], pa.int32()),
        labels([s.store_id for s in STORES], np.maximum(population.home, 0), population.home >= 0),
        fixed_width_ids("M", referrer + 1, width, referrer >= 0),
        email,
        phone_numbers(rng, n),
        pa.array(population.sms_opt_in),
        pa.array(population.email_opt_in),
        timestamps(updated),
    ], schema=SCHEMAS["members"])


def member_cities(rng: np.random.Generator, home: np.ndarray) -> np.ndarray:
    """City per member: mostly the home store's city, else a city by population share."""
    city_names = [c[0] for c in CITIES]
    store_city = np.array([city_names.index(s.city) if s.city else -1 for s in STORES])
    city = choice(rng, [c[2] for c in CITIES], home.size)
    local = (home >= 0) & (rng.random(home.size) < 0.85)
    city[local] = store_city[home[local]]
    return city


def phone_numbers(rng: np.random.Generator, n: int) -> pa.Array:
    """Fictional '+1-555-0xx-xxxx' numbers, ~4% missing."""
    template = np.frombuffer(b"+1-555-000-0000", dtype=np.uint8)
    data = np.tile(template, (n, 1))
    for position in (8, 9, 11, 12, 13, 14):
        data[:, position] = 48 + rng.integers(0, 10, n)
    offsets = np.arange(0, (n + 1) * template.size, template.size, dtype=np.int32)
    validity, null_count = validity_buffer(rng.random(n) >= 0.04)
    return pa.Array.from_buffers(pa.string(), n, [validity, pa.py_buffer(offsets), pa.py_buffer(data)],
                                 null_count=null_count)


def dirty_members(rng: np.random.Generator, table: pa.Table, dirty_share: float) -> tuple[pa.Table, int]:
    """Append copies of a few member rows with a missing member_id, sorted into place."""
    if dirty_share <= 0 or table.num_rows == 0:
        return table, 0
    count = max(1, round(dirty_share * table.num_rows))
    picked = np.sort(rng.choice(table.num_rows, count, replace=False))
    bad = table.take(pa.array(picked)).set_column(0, "member_id", pa.nulls(count, pa.string()))
    position = np.concatenate([np.arange(table.num_rows), picked])
    rank = np.argsort(position, kind="stable")
    return pa.concat_tables([table, bad]).take(pa.array(rank)), count


# --------------------------------------------------------------------------- purchase process


def assign_store_channel(ctx: SimContext, rng: np.random.Generator, member: np.ndarray,
                         day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each occasion happens: mostly the home store, some online, flash sales on flash days."""
    behaviour, calendar = ctx.behaviour, ctx.calendar
    n = member.size
    home = ctx.members.home[member]
    online_only = home < 0
    p_flash = np.where(online_only, behaviour.flash_share_online_only, behaviour.flash_share_counter)
    p_flash = p_flash * calendar.is_flash[day]
    p_online = np.where(online_only, 1.0, np.where(home == LOYAL, 0.05, 0.13))
    p_other = np.where(home == LOYAL, 0.02, 0.06)
    p_other = np.where(home == WEAK, 0.08 + 0.45 * day / calendar.n_days, p_other)
    draw = rng.random((3, n))
    channel = np.where(draw[0] < p_flash, FLASH, np.where(draw[1] < p_online, ONLINE, STORE)).astype(np.int8)
    store = np.where(channel == STORE, home, ONLINE_STORE).astype(np.int8)
    elsewhere = (channel == STORE) & (draw[2] < p_other)
    store[elsewhere] = visited_counter(rng, day[elsewhere], calendar)
    return store, channel


def visited_counter(rng: np.random.Generator, day: np.ndarray, calendar: Calendar) -> np.ndarray:
    """A counter store picked by its share of visitors (the new store only once open)."""
    store = choice(rng, [s.visitor_share for s in STORES], day.size).astype(np.int8)
    closed = (store == NEW_STORE) & (day < store_opened_day(STORES[NEW_STORE], calendar))
    store[closed] = HIGH_TRAFFIC
    return store


def dropout_probability(ctx: SimContext, member: np.ndarray, level: np.ndarray, channel: np.ndarray,
                        source: np.ndarray) -> np.ndarray:
    """Probability to drop out after an occasion, given the occasions so far (level >= 1).

    The first occasions have fixed dropout levels (new customers mostly never return);
    established customers keep an exponential lifetime, so the per-occasion dropout
    is the chance to die within one mean inter-purchase gap (Pareto/NBD-like).
    Customers woken up (by themselves or by a campaign) are fragile: they get the
    revived dropout whatever their history.
    """
    behaviour = ctx.behaviour
    table = np.asarray(behaviour.dropout_by_occasion)
    factor = ctx.members.dropout_factor[member]
    per_gap = -np.expm1(-1.0 / (behaviour.established_lifetime_days * ctx.rate[member]))
    p = np.where(level <= table.size, table[np.minimum(level, table.size) - 1], per_gap) * factor
    p = np.where((level == 1) & (channel == FLASH), behaviour.flash_first_dropout, p)
    p = np.where(source != SOURCE_NATURAL, behaviour.revived_dropout * factor, p)
    return np.clip(p, 0.01, 0.97)


def simulate_chains(ctx: SimContext, rng: np.random.Generator, member: np.ndarray, op_time: np.ndarray,
                    level: np.ndarray, source: np.ndarray, single: np.ndarray | None = None) -> Occasions:
    """Run purchase chains forward until each drops out for good or passes the end.

    Each chain starts with a pending occasion at op_time; ``level`` is the number of
    occasions the member had before it. Chains flagged ``single`` stop after it.
    """
    behaviour, calendar = ctx.behaviour, ctx.calendar
    day = calendar.day_of(op_time)
    live = day < calendar.n_days
    member, op_time, level, source, day = member[live], op_time[live], level[live], source[live], day[live]
    single = np.zeros(member.size, dtype=bool) if single is None else single[live]
    parts = []
    while member.size:
        n = member.size
        store, channel = assign_store_channel(ctx, rng, member, day)
        parts.append(Occasions(member, day, store, channel, source, np.full(n, -1, dtype=np.int16)))
        level = level + 1
        dies = single | (rng.random(n) < dropout_probability(ctx, member, level, channel, source))
        revive_p = np.where(level == 1, behaviour.revive_after_first, behaviour.revive_after_repeat)
        revives = dies & ~single & (rng.random(n) < revive_p)
        gap = rng.exponential(1.0, n) / ctx.rate[member]
        revival_gap = rng.exponential(behaviour.revival_mean_days, int(revives.sum()))
        gap[revives] = behaviour.revival_min_days + revival_gap
        op_time = op_time + gap
        next_day = np.maximum(calendar.day_of(op_time), day + 1)  # one occasion per day
        op_time = np.maximum(op_time, calendar.op_start[np.minimum(next_day, calendar.n_days)])
        keep = (~dies | revives) & (next_day < calendar.n_days)
        member, op_time, level, day = member[keep], op_time[keep], level[keep], next_day[keep]
        source = np.where(revives, SOURCE_REVIVAL, SOURCE_NATURAL).astype(np.int8)[keep]
        single = single[keep]
    if not parts:
        empty = np.zeros(0, dtype=np.int8)
        return Occasions(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32), empty, empty, empty,
                         np.zeros(0, dtype=np.int16))
    return Occasions.concat(parts)


def simulate_natural(ctx: SimContext, rng: np.random.Generator) -> Occasions:
    """Occasions of the members' own purchase process, from their state at the start."""
    members, behaviour, calendar = ctx.members, ctx.behaviour, ctx.calendar
    n = members.join_day.size
    state = members.start_state
    op_time = np.full(n, np.inf)
    level = np.zeros(n, dtype=np.int64)
    source = np.full(n, SOURCE_NATURAL, dtype=np.int8)

    new = state == 1
    join_day = np.clip(members.join_day, 0, calendar.n_days - 1)
    on_join_day = rng.random(n) < behaviour.buy_on_join_day_share
    at_join = calendar.op_time(join_day, members.join_second / SECONDS_PER_DAY)
    later = calendar.op_start[join_day + 1] + rng.exponential(behaviour.first_purchase_delay_days, n)
    op_time[new] = np.where(on_join_day, at_join, later)[new]

    established = state == 2
    op_time[established] = rng.exponential(1.0, n)[established] / ctx.rate[established]
    level[established] = behaviour.established_level + rng.poisson(3.0, n)[established]

    returning = state == 3
    op_time[returning] = rng.random(n)[returning] * calendar.op_start[-1]
    level[returning] = 2
    source[returning] = SOURCE_REVIVAL

    buyers = np.flatnonzero(state > 0)
    return simulate_chains(ctx, rng, buyers, op_time[buyers], level[buyers], source[buyers])


def calibrate_rate_scale(population: Population, calendar: Calendar, behaviour: Behaviour,
                         campaigns: Sequence[Campaign], occasions_per_member: float, seed: int,
                         sample_size: int = 25_000) -> float:
    """Scale of the purchase rates that yields the wanted occasions per member.

    Pilot runs (natural process plus campaigns) on a sample of members; the scale is
    updated by secant steps on log(occasions) against log(scale).
    """
    n = population.join_day.size
    sample = np.sort(rng_for(seed, 90).permutation(n)[: min(n, sample_size)])
    members = population.subset(sample)

    def log_occasions(log_scale: float) -> float:
        rate = np.minimum(members.rate * math.exp(log_scale), behaviour.max_rate_per_day)
        ctx = SimContext(calendar, behaviour, members, rate)
        rng = rng_for(seed, 91)
        occasions, _ = run_campaigns(ctx, rng, campaigns, simulate_natural(ctx, rng))
        return math.log(max(occasions.member.size, 1) / sample.size)

    target = math.log(occasions_per_member)
    previous_x, previous_y = 0.0, log_occasions(0.0)
    x = previous_x + (target - previous_y) / 0.7
    for _ in range(12):
        x = min(max(x, -4.0), 4.0)
        y = log_occasions(x)
        if abs(y - target) < 0.01 or x == previous_x:
            break
        slope = min(max((y - previous_y) / (x - previous_x), 0.1), 2.0)
        previous_x, previous_y = x, y
        x = x + (target - y) / slope
    return math.exp(x)


# --------------------------------------------------------------------------- campaigns


@dataclass
class CampaignOutcome:
    """Contacts of one chunk and the per-campaign counts that feed the truth file."""

    campaign: np.ndarray
    member: np.ndarray
    control: np.ndarray
    contacted: np.ndarray  # seconds from the start
    attended: np.ndarray  # -1 null, 0 false, 1 true
    counts: np.ndarray  # campaigns x COUNT_FIELDS


COUNT_FIELDS = ("treatment", "control", "responders_treatment", "responders_control",
                "natural_responders_treatment", "induced_responders_treatment", "attended_treatment",
                "promoted_buyers_treatment")


def eligible_members(ctx: SimContext, campaign: Campaign, occasions: Occasions) -> np.ndarray:
    """Members matching the campaign's audience rule on its start day."""
    members, spec, day = ctx.members, campaign.spec, campaign.start_day
    n = members.join_day.size
    before = occasions.day < day
    count = counts_per_member(occasions.member[before], n)
    last = np.full(n, -10**7, dtype=np.int64)
    np.maximum.at(last, occasions.member[before], occasions.day[before])
    recency = day - last
    eligible = members.join_day < day
    if spec.audience == "recency":
        eligible &= (count >= spec.occasions[0]) & (count <= spec.occasions[1])
        eligible &= (recency >= spec.recency_days[0]) & (recency <= spec.recency_days[1])
    elif spec.audience == "birthday":
        eligible &= members.birth_month == ctx.calendar.month[day]
    else:  # vip: the top spenders among customers active in the last year
        spend = count * members.aov
        active = eligible & (count > 0) & (recency < 365)
        threshold = np.quantile(spend[active], 1 - VIP_TOP_SHARE) if active.any() else np.inf
        eligible = active & (spend >= threshold)
    if spec.channel == "sms":
        eligible &= members.sms_opt_in
    elif spec.channel == "email":
        eligible &= members.email_opt_in
    return eligible


def run_campaign(ctx: SimContext, rng: np.random.Generator, campaign: Campaign,
                 occasions: Occasions) -> tuple[Occasions, tuple[np.ndarray, ...], np.ndarray]:
    """Contact the audience, record natural responses and add the purchases the treatment induces."""
    spec, calendar = campaign.spec, ctx.calendar
    n = ctx.members.join_day.size
    eligible = eligible_members(ctx, campaign, occasions)
    audience = np.flatnonzero(eligible & (rng.random(n) < spec.reach))
    size = audience.size
    control = rng.random(size) < spec.control_share
    treated = ~control
    contact_day = campaign.start_day + rng.integers(0, spec.contact_days, size)
    contacted = contact_day * SECONDS_PER_DAY + rng.integers(9 * 3600, 19 * 3600, size)
    window_end = np.minimum(contact_day + spec.window_days, calendar.n_days - 1)

    low = np.full(n, calendar.n_days + 1, dtype=np.int64)
    high = np.full(n, -1, dtype=np.int64)
    low[audience], high[audience] = contact_day, window_end
    in_window = (occasions.day >= low[occasions.member]) & (occasions.day <= high[occasions.member])
    responded = np.zeros(n, dtype=bool)
    responded[occasions.member[in_window]] = True
    natural = responded[audience]

    if spec.channel == "event":
        attended = treated & (rng.random(size) < spec.attend_rate)
        p_induced = np.where(attended, spec.uplift, spec.non_attendee_uplift)
        attended_flag = attended.astype(np.int8)
    else:
        attended = np.zeros(size, dtype=bool)
        p_induced = np.full(size, spec.uplift)
        attended_flag = np.full(size, -1, dtype=np.int8)
    induced = treated & ~natural & (rng.random(size) < p_induced)
    delay = 1 + np.floor(spec.window_days * rng.beta(1.3, 3.0, size)).astype(np.int64)
    induced_day = np.where(attended, campaign.end_day, np.minimum(contact_day + delay, window_end))

    last_day = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last_day, occasions.member, occasions.day)
    before = occasions.day < campaign.start_day
    level = counts_per_member(occasions.member[before], n)
    who = audience[induced]
    day = induced_day[induced]
    new = simulate_chains(ctx, rng, who, calendar.op_time(day, rng.random(who.size)), level[who],
                          np.full(who.size, SOURCE_INDUCED, dtype=np.int8), single=last_day[who] > day)
    promoted = np.zeros(size, dtype=bool)
    if campaign.promoted_product >= 0 or campaign.promoted_category >= 0:
        # the purchase the campaign induced holds the promoted item (the first occasion of each chain) ...
        assert np.array_equal(new.member[: who.size], who)
        new.promo[: who.size] = campaign.index
        # ... and some treated members who bought anyway add it to their first purchase in the window
        takes = treated & natural & (rng.random(size) < spec.promo_take)
        chosen = np.zeros(n, dtype=bool)
        chosen[audience[takes]] = True
        candidates = np.flatnonzero(in_window & chosen[occasions.member] & (occasions.promo < 0))
        candidates = candidates[np.lexsort((occasions.day[candidates], occasions.member[candidates]))]
        first = candidates[np.r_[True, occasions.member[candidates[1:]] != occasions.member[candidates[:-1]]]] \
            if candidates.size else candidates
        occasions.promo[first] = campaign.index
        promoted = induced | takes
    counts = np.array([treated.sum(), control.sum(), (treated & (natural | induced)).sum(),
                       (control & natural).sum(), (treated & natural).sum(), induced.sum(),
                       attended.sum(), promoted.sum()], dtype=np.int64)
    contacts = (np.full(size, campaign.index, dtype=np.int16), audience, control, contacted, attended_flag)
    return Occasions.concat([occasions, new]), contacts, counts


def run_campaigns(ctx: SimContext, rng: np.random.Generator, campaigns: Sequence[Campaign],
                  occasions: Occasions) -> tuple[Occasions, CampaignOutcome]:
    """Run all campaigns in date order, each one seeing the purchases the earlier ones caused."""
    empty = (np.zeros(0, dtype=np.int16), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool),
             np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int8))
    parts, counts = [empty], np.zeros((len(campaigns), len(COUNT_FIELDS)), dtype=np.int64)
    for campaign in sorted(campaigns, key=lambda c: (c.start_day, c.index)):
        occasions, contacts, counts[campaign.index] = run_campaign(ctx, rng, campaign, occasions)
        parts.append(contacts)
    columns = [np.concatenate(column) for column in zip(*parts)]
    return occasions, CampaignOutcome(*columns, counts=counts)


# --------------------------------------------------------------------------- orders


@dataclass
class OrderDraft:
    """Orders before timestamps and amounts: who, when (day, second), where and what kind."""

    member: np.ndarray
    day: np.ndarray
    second: np.ndarray
    store: np.ndarray
    channel: np.ndarray
    kind: np.ndarray
    aov: np.ndarray
    promo: np.ndarray  # campaign index whose promoted item the order holds, -1 none

    @staticmethod
    def concat(parts: Sequence[OrderDraft]) -> OrderDraft:
        """Concatenate several drafts."""
        return OrderDraft(*(np.concatenate([getattr(p, f.name) for p in parts])
                            for f in dataclasses.fields(OrderDraft)))

    def take(self, index: np.ndarray) -> OrderDraft:
        """The drafts at the given positions."""
        return OrderDraft(*(getattr(self, f.name)[index] for f in dataclasses.fields(OrderDraft)))


def purchase_drafts(ctx: SimContext, rng: np.random.Generator, occasions: Occasions) -> OrderDraft:
    """One purchase order per occasion (first orders on the joining day follow the sign-up)."""
    members = ctx.members
    n = members.join_day.size
    second = second_of_day(rng, occasions.channel)
    first_day = np.full(n, np.iinfo(np.int32).max, dtype=np.int64)
    np.minimum.at(first_day, occasions.member, occasions.day)
    member = occasions.member
    on_join = (occasions.day == first_day[member]) & (occasions.day == members.join_day[member])
    after_join = members.join_second[occasions.member] + rng.integers(120, 1800, occasions.member.size)
    second = np.where(on_join, np.minimum(after_join, SECONDS_PER_DAY - 1), second)
    return OrderDraft(occasions.member, occasions.day, second, occasions.store, occasions.channel,
                      np.full(member.size, KIND_PURCHASE, dtype=np.int8), members.aov[member], occasions.promo)


def same_day_extras(rng: np.random.Generator, purchases: OrderDraft, share: float) -> OrderDraft:
    """A second purchase order later on the same day for a few occasions."""
    picked = np.flatnonzero(rng.random(purchases.member.size) < share)
    extra = purchases.take(picked)
    extra.promo = np.full(picked.size, -1, dtype=np.int16)
    extra.second = np.minimum(extra.second + rng.integers(600, 6 * 3600, picked.size), SECONDS_PER_DAY - 1)
    return extra


def non_purchase_drafts(ctx: SimContext, rng: np.random.Generator, purchases: OrderDraft) -> OrderDraft:
    """Cancelled, unpaid and fully refunded member orders around their purchases, plus abandoned prospects."""
    behaviour, calendar, members = ctx.behaviour, ctx.calendar, ctx.members
    shares = (behaviour.cancelled_share, behaviour.created_share, behaviour.refunded_share)
    count = rng.binomial(purchases.member.size, sum(shares)) if purchases.member.size else 0
    drafts = purchases.take(rng.integers(0, max(purchases.member.size, 1), count))
    drafts.kind = (1 + choice(rng, shares, count)).astype(np.int8)
    drafts.promo = np.full(count, -1, dtype=np.int16)
    earliest = np.maximum(members.join_day[drafts.member], 0)
    drafts.day = np.clip(drafts.day + np.round(rng.normal(0, 12, count)).astype(np.int32),
                         earliest, calendar.n_days - 1).astype(np.int32)
    no_flash = (drafts.channel == FLASH) & ~calendar.is_flash[drafts.day]
    drafts.channel[no_flash] = ONLINE
    drafts.second = second_of_day(rng, drafts.channel)

    buyers = counts_per_member(purchases.member, members.join_day.size) > 0
    abandoned = np.flatnonzero(~buyers & (members.join_day < calendar.n_days)
                               & (rng.random(buyers.size) < behaviour.prospect_abandoned_share))
    first = np.maximum(members.join_day[abandoned], 0)
    day = (first + rng.random(abandoned.size) * (calendar.n_days - first)).astype(np.int32)
    channel = np.full(abandoned.size, ONLINE, dtype=np.int8)
    kind = np.where(rng.random(abandoned.size) < 0.5, KIND_CREATED, KIND_CANCELLED).astype(np.int8)
    prospects = OrderDraft(abandoned, day, second_of_day(rng, channel),
                           np.full(abandoned.size, ONLINE_STORE, dtype=np.int8), channel, kind,
                           members.aov[abandoned], np.full(abandoned.size, -1, dtype=np.int16))
    return OrderDraft.concat([drafts, prospects])


def guest_drafts(ctx: SimContext, rng: np.random.Generator, member_orders: int) -> OrderDraft:
    """Orders without a member, spread by the daily intensity and store traffic."""
    behaviour, calendar = ctx.behaviour, ctx.calendar
    count = round(member_orders * behaviour.guest_share / (1 - behaviour.guest_share))
    day = calendar.day_of(rng.random(count) * calendar.op_start[-1])
    day = np.minimum(day, calendar.n_days - 1)
    store = choice(rng, [s.guest_share for s in STORES], count).astype(np.int8)
    closed = (store == NEW_STORE) & (day < store_opened_day(STORES[NEW_STORE], calendar))
    store[closed] = HIGH_TRAFFIC
    online = store == ONLINE_STORE
    channel = np.where(online, np.where(calendar.is_flash[day] & (rng.random(count) < 0.6), FLASH, ONLINE),
                       STORE).astype(np.int8)
    shares = (1.0, behaviour.cancelled_share, behaviour.created_share, behaviour.refunded_share)
    return OrderDraft(np.full(count, -1, dtype=np.int64), day, second_of_day(rng, channel), store, channel,
                      choice(rng, shares, count).astype(np.int8), rng.lognormal(-0.1, 0.35, count),
                      np.full(count, -1, dtype=np.int16))


def order_lifecycle(rng: np.random.Generator, drafts: OrderDraft, behaviour: Behaviour, end_second: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Ordered/paid/updated seconds and status of each draft, as of the end of the period."""
    n = drafts.member.size
    base = drafts.day.astype(np.int64) * SECONDS_PER_DAY + drafts.second
    day_start = drafts.day.astype(np.int64) * SECONDS_PER_DAY
    at_store = drafts.channel == STORE
    pays = (drafts.kind == KIND_PURCHASE) | (drafts.kind == KIND_REFUNDED)
    checkout = np.where(at_store, rng.integers(5, 180, n), rng.integers(30, 1200, n))
    ordered = np.maximum(base - checkout, day_start)
    next_day = pays & ~at_store & (drafts.day > 0) & (rng.random(n) < behaviour.paid_next_day_share)
    ordered[next_day] = day_start[next_day] - SECONDS_PER_DAY + rng.integers(20 * 3600, SECONDS_PER_DAY,
                                                                              int(next_day.sum()))
    paid = np.where(pays, base, NO_TIME)

    shipped = base + rng.integers(4 * 3600, 48 * 3600, n)
    delivered = shipped + rng.integers(SECONDS_PER_DAY, 6 * SECONDS_PER_DAY, n)
    status = np.where(at_store | (delivered <= end_second), COMPLETED,
                      np.where(shipped <= end_second, SHIPPED, PAID))
    updated = np.where(at_store, base, np.where(status == COMPLETED, delivered,
                                                np.where(status == SHIPPED, shipped, base)))

    refunded = drafts.kind == KIND_REFUNDED
    status[refunded] = REFUNDED
    updated[refunded] = np.minimum(base + rng.integers(SECONDS_PER_DAY, 30 * SECONDS_PER_DAY, n),
                                   end_second)[refunded]

    cancelled = drafts.kind == KIND_CANCELLED
    paid_first = cancelled & (rng.random(n) < behaviour.cancelled_after_payment_share)
    ordered[cancelled] = base[cancelled]
    paid[paid_first] = np.minimum(base + rng.integers(30, 900, n), end_second)[paid_first]
    status[cancelled] = CANCELLED
    updated[cancelled] = np.minimum(np.maximum(base, paid) + rng.integers(60, 2 * SECONDS_PER_DAY, n),
                                    end_second)[cancelled]

    created = drafts.kind == KIND_CREATED
    ordered[created] = base[created]
    status[created] = CREATED
    updated[created] = base[created]
    return ordered, paid, updated, status.astype(np.int8)


@dataclass
class ItemRows:
    """Order lines of a chunk."""

    order: np.ndarray  # position of the order in the sorted chunk
    line: np.ndarray
    product: np.ndarray
    quantity: np.ndarray
    amount: np.ndarray  # cents


NEVER_BOUGHT = np.iinfo(np.int64).min // 2  # last purchase day of a category never bought


@dataclass(frozen=True)
class Promotions:
    """Per campaign index: the promoted product and the category of the promoted item (-1 none)."""

    product: np.ndarray
    category: np.ndarray

    @staticmethod
    def of(campaigns: Sequence[Campaign], catalog: Catalog) -> Promotions:
        """The promotions of the placed campaigns."""
        product = np.array([c.promoted_product for c in campaigns] + [-1], dtype=np.int32)
        category = np.array([catalog.category[c.promoted_product] if c.promoted_product >= 0
                             else c.promoted_category for c in campaigns] + [-1], dtype=np.int32)
        return Promotions(product, category)  # the extra last entry answers promo = -1


def draw_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One column position per row of a (rows x k) weight matrix, drawn with the row's weights."""
    cumulative = np.cumsum(weights, axis=1)
    draw = rng.random(weights.shape[0]) * cumulative[:, -1]
    return np.minimum((cumulative <= draw[:, None]).sum(axis=1), weights.shape[1] - 1).astype(np.int8)


def category_need(taste: np.ndarray, last_day: np.ndarray, day: np.ndarray, gift_factor: np.ndarray) -> np.ndarray:
    """How much a customer wants each category on a day: taste x how due it is since its last purchase.

    A category bought ``gap`` days ago is due by x^p / (1 + x^p), x = gap / cycle (half due at
    one cycle, nearly fully at two); a category never bought has the trial weight.
    """
    gap = np.maximum(day[:, None].astype(np.int64) - last_day, 0).astype(np.float64)
    ratio = (gap / np.asarray(CATEGORY_CYCLE_DAYS)) ** CATEGORY_DUE_POWER
    due = np.where(last_day == NEVER_BOUGHT, CATEGORY_TRIAL, CATEGORY_DUE_FLOOR + ratio / (1.0 + ratio))
    need = taste * due
    need[:, GIFT_SETS] *= gift_factor
    return need


def line_categories(rng: np.random.Generator, drafts: OrderDraft, lines: np.ndarray, starts: np.ndarray,
                    ctx: SimContext, promo_category: np.ndarray) -> np.ndarray:
    """Category of every order line.

    Members' orders are visited in time order, one order per member at a time (the state is
    the last purchase day of each category): the first line's category is drawn from the
    member's needs, or is the promoted category; each extra line takes the partner of the
    first category (planted pairs) with PAIR_SHARE, else another draw from the needs.
    Only purchases move the last purchase days. Guests draw from the mean taste. Every
    need is weighted by the store's category factors.
    """
    members, calendar = ctx.members, ctx.calendar
    n_categories = len(CATEGORIES)
    category = np.zeros(int(lines.sum()), dtype=np.int8)
    partner = np.arange(n_categories)
    for a, b in CATEGORY_PAIRS:
        partner[a], partner[b] = b, a
    has_partner = partner != np.arange(n_categories)
    gift_factor = np.where(calendar.gift_season[drafts.day], GIFT_SEASON_FACTOR, GIFT_OFF_SEASON_FACTOR)
    store_factor = np.asarray([STORE_CATEGORY_FACTORS.get(s.store_id, (1.0,) * n_categories) for s in STORES])

    def fill(orders: np.ndarray, need: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Draw the lines of these orders; return their positions and the order (local) of each."""
        first = draw_rows(rng, need)
        forced = promo_category[orders]
        first = np.where(forced >= 0, forced, first).astype(np.int8)
        category[starts[orders]] = first
        extra = lines[orders] - 1
        local = np.repeat(np.arange(orders.size), extra)
        position = starts[orders][local] + 1 + np.arange(local.size) - (np.cumsum(extra) - extra)[local]
        paired = has_partner[first[local]] & (rng.random(local.size) < PAIR_SHARE)
        category[position] = np.where(paired, partner[first[local]], draw_rows(rng, need[local]))
        return np.concatenate([starts[orders], position]), np.concatenate([np.arange(orders.size), local])

    guests = np.flatnonzero(drafts.member < 0)
    if guests.size:
        need = np.asarray(CATEGORY_TASTE) * store_factor[drafts.store[guests]]
        need[:, GIFT_SETS] *= gift_factor[guests]
        fill(guests, need)

    member_orders = np.flatnonzero(drafts.member >= 0)  # positions are in time order
    if member_orders.size == 0:
        return category
    member_orders = member_orders[np.argsort(drafts.member[member_orders], kind="stable")]
    owner = drafts.member[member_orders]
    new_owner = np.r_[True, owner[1:] != owner[:-1]]
    rank = np.arange(owner.size) - np.flatnonzero(new_owner)[np.cumsum(new_owner) - 1]
    by_rank = member_orders[np.argsort(rank, kind="stable")]
    bounds = np.concatenate([[0], np.cumsum(np.bincount(rank))])
    last_day = np.full((members.join_day.size, n_categories), NEVER_BOUGHT, dtype=np.int64)
    for k in range(bounds.size - 1):
        orders = by_rank[bounds[k]: bounds[k + 1]]
        member, day = drafts.member[orders], drafts.day[orders]
        need = category_need(members.taste[member], last_day[member], day, gift_factor[orders])
        need *= store_factor[drafts.store[orders]]
        position, local = fill(orders, need)
        bought = drafts.kind[orders][local] == KIND_PURCHASE
        last_day[member[local][bought], category[position][bought]] = day[local][bought]
    return category


def line_products(rng: np.random.Generator, drafts: OrderDraft, order: np.ndarray, starts: np.ndarray,
                  category: np.ndarray, catalog: Catalog, members: Population,
                  promo_product: np.ndarray) -> np.ndarray:
    """Product of every line, within its category.

    Drawn by popularity (members aged 35+ favour the anti-ageing line, younger members avoid
    it; the high-end counter sells dearer products); a later line of a category rebuys the
    customer's first product of it with FAVOURITE_SHARE; promoted orders hold the promoted
    product on their first line.
    """
    n_categories = len(CATEGORIES)
    member = drafts.member[order]
    older = (member >= 0) & (members.age_band[np.maximum(member, 0)] >= ANTI_AGEING_MIN_BAND)
    variant = older.astype(np.int64) + 2 * (drafts.store[order] == HIGH_END)
    rows = []  # cumulative weights per (variant, category), laid end to end: row r spans [r, r + 1]
    for v in range(4):
        weight = catalog.popularity * np.where(catalog.anti_ageing, ANTI_AGEING_FACTOR[v % 2], 1.0)
        weight = weight * catalog.price**1.2 if v >= 2 else weight
        for c in range(n_categories):
            in_category = np.where(catalog.category == c, weight, 0.0)
            cumulative = np.cumsum(in_category if in_category.sum() > 0 else weight)
            rows.append(len(rows) + cumulative / cumulative[-1])
    row = variant * n_categories + category
    draw = row + np.minimum(rng.random(order.size), 1.0 - 1e-9)
    product = (np.searchsorted(np.concatenate(rows), draw, side="right") - row * N_PRODUCTS).astype(np.int32)

    promoted_line = np.zeros(order.size, dtype=bool)
    forced = np.flatnonzero(promo_product >= 0)
    promoted_line[starts[forced]] = True
    product[starts[forced]] = promo_product[forced]

    own = np.flatnonzero(member >= 0)  # line positions are in time order; the stable sort keeps it
    group_key = member[own] * n_categories + category[own]
    own = own[np.argsort(group_key, kind="stable")]
    group_key = member[own] * n_categories + category[own]
    new_group = np.r_[True, group_key[1:] != group_key[:-1]]
    group_first = own[new_group][np.cumsum(new_group) - 1]
    rebuy = ~new_group & ~promoted_line[own] & (rng.random(own.size) < FAVOURITE_SHARE)
    product[own[rebuy]] = product[group_first[rebuy]]
    return product


def build_items(rng: np.random.Generator, drafts: OrderDraft, catalog: Catalog, ctx: SimContext,
                promotions: Promotions) -> ItemRows:
    """Lines per order (more online and in flash sales); categories and products from the
    customers' needs; line amounts from product prices, so they sum to the order amount."""
    price = catalog.price
    n = drafts.member.size
    extra_lines = np.choose(drafts.channel, (0.45, 0.75, 1.0))
    lines = np.minimum(1 + rng.poisson(extra_lines), 8)
    order = np.repeat(np.arange(n), lines)
    starts = np.cumsum(lines) - lines
    line = (np.arange(order.size) - starts[order] + 1).astype(np.int32)
    category = line_categories(rng, drafts, lines, starts, ctx, promotions.category[drafts.promo])
    product = line_products(rng, drafts, order, starts, category, catalog, ctx.members,
                            promotions.product[drafts.promo])
    quantity = (1 + choice(rng, (0.82, 0.13, 0.05), order.size)).astype(np.int32)
    factor = (drafts.aov * np.array([s.aov_factor for s in STORES])[drafts.store]
              * np.choose(drafts.channel, (1.0, 0.97, 0.75)))[order]
    cents = np.round(price[product] * quantity * factor * rng.lognormal(0.0, 0.12, order.size) * 100)
    cents = np.maximum(cents, 100).astype(np.int64)
    return ItemRows(order, line, product, quantity, cents)


def version_rows(rng: np.random.Generator, rows: OrderRows, share: float) -> OrderRows:
    """Earlier versions of some orders that changed later (same order_id, earlier updated_at)."""
    final = (rows.status == COMPLETED) | (rows.status == REFUNDED)
    changed = np.flatnonzero(final & (rows.updated > rows.paid))
    count = min(changed.size, round(share * rows.number.size))
    earlier = rows.take(np.sort(rng.choice(changed, count, replace=False)))
    earlier.status = np.where(earlier.channel == STORE, COMPLETED, PAID).astype(np.int8)
    earlier.refund = np.zeros(count, dtype=np.int64)
    earlier.updated = earlier.paid.copy()
    return earlier


DIRTY_KINDS = ("missing_order_id", "unparseable_amount", "negative_amount", "unknown_status",
               "future_ordered_at", "ordered_at_before_1970", "refund_greater_than_amount",
               "conflicting_duplicate_order_id")


def dirty_rows(rng: np.random.Generator, rows: OrderRows, total: int, kinds: Sequence[str],
               next_number: int) -> tuple[OrderRows, np.ndarray, dict[str, int]]:
    """Bad copies of completed orders with fresh order ids, ``total`` rows spread over the kinds.

    Returns the rows, the ordered_at of the row each was copied from (to scatter them
    through the file) and the row count per kind.
    """
    completed = np.flatnonzero(rows.status == COMPLETED)
    if total <= 0 or completed.size == 0:
        return rows.take(np.zeros(0, dtype=np.int64)), np.zeros(0, dtype=np.int64), {}
    per_kind = np.maximum(total // len(kinds) + (np.arange(len(kinds)) < total % len(kinds)), 1)
    parts, origins, counts = [], [], {}
    for kind, count in zip(kinds, per_kind):
        pairs = kind == "conflicting_duplicate_order_id"
        copies = max(count // 2, 1) if pairs else int(count)
        origin = rng.choice(completed, copies)
        bad = rows.take(origin)
        bad.number = next_number + np.arange(copies)
        next_number += copies
        corrupt(rng, bad, kind)
        if pairs:  # same order_id and updated_at, different amount and status
            twin = dataclasses.replace(bad, amount=bad.amount + rng.integers(100, 2000, copies),
                                       status=np.full(copies, SHIPPED, dtype=np.int8))
            bad, origin = OrderRows.concat([bad, twin]), np.concatenate([origin, origin])
        parts.append(bad)
        origins.append(rows.ordered[origin])
        counts[kind] = int(bad.number.size)
    return OrderRows.concat(parts), np.concatenate(origins), counts


def corrupt(rng: np.random.Generator, rows: OrderRows, kind: str) -> None:
    """Apply one kind of defect in place (times are epoch seconds here)."""
    n = rows.number.size
    if kind == "missing_order_id":
        rows.number[:] = -1
    elif kind == "unparseable_amount":
        rows.amount_unparseable[:] = True
    elif kind == "negative_amount":
        rows.amount = -rows.amount
    elif kind == "unknown_status":
        rows.status[:] = BAD_STATUS
    elif kind in ("future_ordered_at", "ordered_at_before_1970"):
        year_start = date(2099, 1, 1) if kind == "future_ordered_at" else date(1969, 1, 1)
        target = ((year_start - EPOCH).days + rng.integers(0, 360, n)) * SECONDS_PER_DAY
        shift = target - (rows.ordered - rows.ordered % SECONDS_PER_DAY)
        rows.ordered += shift
        rows.paid = np.where(rows.paid != NO_TIME, rows.paid + shift, NO_TIME)
        rows.updated += shift
    elif kind == "refund_greater_than_amount":
        rows.refund = rows.amount + rng.integers(100, 5000, n)


def build_orders(ctx: SimContext, rng: np.random.Generator, occasions: Occasions,
                 catalog: Catalog, promotions: Promotions, first_number: int,
                 dirty_total: int, dirty_kinds: Sequence[str]
                 ) -> tuple[OrderRows, ItemRows, np.ndarray, dict[str, int], OrderRows]:
    """All order rows of a chunk (clean, versions, duplicates, dirty) and their lines.

    Returns the rows (times in epoch seconds, sorted by ordered_at), the items, the
    purchase second of every occasion (for browsing events), row counts by type and
    the clean rows alone (one per order, for the points ledger).
    """
    behaviour, calendar = ctx.behaviour, ctx.calendar
    purchases = purchase_drafts(ctx, rng, occasions)
    extras = same_day_extras(rng, purchases, behaviour.same_day_extra_share)
    member_orders = OrderDraft.concat([purchases, extras])
    member_orders = OrderDraft.concat([member_orders, non_purchase_drafts(ctx, rng, member_orders)])
    drafts = OrderDraft.concat([member_orders, guest_drafts(ctx, rng, member_orders.member.size)])
    ordered, paid, updated, status = order_lifecycle(rng, drafts, behaviour, calendar.end_second)
    occasion_second = (purchases.day.astype(np.int64) * SECONDS_PER_DAY + purchases.second)

    order = np.lexsort((np.arange(ordered.size), ordered))
    drafts = drafts.take(order)
    ordered, paid, updated, status = ordered[order], paid[order], updated[order], status[order]
    items = build_items(rng, drafts, catalog, ctx, promotions)
    amount = np.bincount(items.order, weights=items.amount, minlength=drafts.member.size).astype(np.int64)
    refund = np.where(status == REFUNDED, amount, 0)
    partial = (status == COMPLETED) & (rng.random(amount.size) < behaviour.partial_refund_share)
    refund_at = updated + rng.integers(SECONDS_PER_DAY, 20 * SECONDS_PER_DAY, amount.size)
    partial &= refund_at <= calendar.end_second
    refund[partial] = np.round(amount * rng.uniform(0.1, 0.6, amount.size))[partial]
    updated[partial] = refund_at[partial]

    offset = calendar.start_epoch_s
    n = amount.size
    rows = OrderRows(
        number=first_number + np.arange(n, dtype=np.int64), member=drafts.member, store=drafts.store,
        channel=drafts.channel, status=status, ordered=ordered + offset,
        paid=np.where(paid != NO_TIME, paid + offset, NO_TIME), amount=amount, refund=refund.astype(np.int64),
        updated=updated + offset, amount_unparseable=np.zeros(n, dtype=bool))
    versions = version_rows(rng, rows, behaviour.update_version_share)
    with_versions = OrderRows.concat([rows, versions])
    duplicate_count = round(behaviour.exact_duplicate_share * n)
    duplicated = rng.choice(with_versions.number.size, duplicate_count, replace=False)
    duplicates = with_versions.take(np.sort(duplicated))
    dirty, dirty_origin, dirty_counts = dirty_rows(rng, rows, dirty_total, dirty_kinds, first_number + n)
    all_rows = OrderRows.concat([with_versions, duplicates, dirty])
    sort_key = np.concatenate([with_versions.ordered, duplicates.ordered, dirty_origin])
    final = all_rows.take(np.lexsort((all_rows.updated, all_rows.number, sort_key)))
    stats = {"orders": n, "versions": int(versions.number.size), "duplicates": int(duplicates.number.size),
             **{f"dirty_{k}": v for k, v in dirty_counts.items()}}
    return final, items, occasion_second, stats, rows


# --------------------------------------------------------------------------- points


POINT_REASONS = ("earn", "redeem", "expire")
EARN, REDEEM, EXPIRE = range(3)


@dataclass(frozen=True)
class PointsRule:
    """The loyalty scheme the ledger follows (recorded in the truth file)."""

    points_per_currency_unit: int = 1  # earned on the net amount of a purchase, whole units
    valid_days: int = 365  # earned points expire this long after the purchase (FIFO consumption)
    redeem_min_balance: int = 200  # redemptions need at least this balance
    redeem_share: float = 0.22  # P(a purchase with enough balance redeems points at checkout)
    redeem_all_share: float = 0.15  # of redemptions: the whole balance (in hundreds), else 30-90% of it
    redeem_step: int = 100  # redemptions are multiples of this
    redeem_lead_seconds: int = 60  # a redemption is booked this long before the purchase's earning


@dataclass
class PointRows:
    """Ledger rows; times in epoch seconds, NO_TIME = null expires_at."""

    member: np.ndarray  # local member index, -1 = missing member_id
    delta: np.ndarray
    reason: np.ndarray
    occurred: np.ndarray
    expires: np.ndarray
    delta_unparseable: np.ndarray

    def take(self, index: np.ndarray) -> PointRows:
        """The rows at the given positions."""
        return PointRows(*(getattr(self, f.name)[index] for f in dataclasses.fields(PointRows)))

    @staticmethod
    def concat(parts: Sequence[PointRows]) -> PointRows:
        """Concatenate several row sets."""
        return PointRows(*(np.concatenate([getattr(p, f.name) for p in parts])
                           for f in dataclasses.fields(PointRows)))


def build_points(rng: np.random.Generator, rows: OrderRows, end_epoch_s: int, rule: PointsRule) -> PointRows:
    """The points ledger of a chunk's members: earnings, redemptions and expiries.

    Every member purchase (paid, shipped or completed; net of partial refunds) earns
    points valid for ``valid_days``. Points are consumed first in, first out: a lot's
    unconsumed rest expires at its expires_at (an 'expire' row when that is not after
    the end). At a purchase, a member with enough balance may redeem before earning.
    Lots of all members are visited by rank (one per member at a time), so the
    balance is exact and never negative.
    """
    purchase = (rows.member >= 0) & np.isin(rows.status, (PAID, SHIPPED, COMPLETED))
    earned = (rows.amount - rows.refund) // 100 * rule.points_per_currency_unit
    lot = np.flatnonzero(purchase & (earned > 0))
    lot = lot[np.lexsort((rows.number[lot], rows.paid[lot], rows.member[lot]))]
    member, points, earned_at = rows.member[lot], earned[lot].astype(np.int64), rows.paid[lot]
    expires_at = earned_at + rule.valid_days * SECONDS_PER_DAY
    n = lot.size
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return PointRows(empty, empty, empty.astype(np.int8), empty, empty, empty.astype(bool))
    new_member = np.r_[True, member[1:] != member[:-1]]
    group = np.cumsum(new_member) - 1
    group_start = np.flatnonzero(new_member)
    group_end = np.r_[group_start[1:], n]
    cumulative = np.cumsum(points)
    before = cumulative - points - (cumulative - points)[group_start][group]  # earned before the lot

    consumed = np.zeros(group_start.size, dtype=np.int64)  # redeemed + expired per member
    next_expiry = group_start.copy()  # next lot to expire per member
    expired = np.zeros(n, dtype=np.int64)
    redeemed = np.zeros(n, dtype=np.int64)

    def expire_until(groups: np.ndarray, moment: np.ndarray) -> None:
        """Expire, in order, every lot of these members whose expires_at is not after the moment."""
        while groups.size:
            lot_index = next_expiry[groups]
            due = (lot_index < group_end[groups]) & (expires_at[np.minimum(lot_index, n - 1)] <= moment)
            groups, moment, lot_index = groups[due], moment[due], lot_index[due]
            top = before[lot_index] + points[lot_index]
            expired[lot_index] = np.maximum(top - np.maximum(before[lot_index], consumed[groups]), 0)
            consumed[groups] = np.maximum(consumed[groups], top)
            next_expiry[groups] += 1

    rank = np.arange(n) - group_start[group]
    by_rank = np.argsort(rank, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(rank))])
    for k in range(bounds.size - 1):
        lots = by_rank[bounds[k]: bounds[k + 1]]
        groups = group[lots]
        moment = earned_at[lots] - rule.redeem_lead_seconds
        expire_until(groups, moment)
        balance = before[lots] - consumed[groups]
        redeems = (balance >= rule.redeem_min_balance) & (rng.random(lots.size) < rule.redeem_share)
        share = np.where(rng.random(lots.size) < rule.redeem_all_share, 1.0, rng.uniform(0.3, 0.9, lots.size))
        amount = np.where(redeems, (balance * share).astype(np.int64) // rule.redeem_step * rule.redeem_step, 0)
        redeemed[lots] = amount
        consumed[groups] += amount
    expire_until(np.arange(group_start.size), np.full(group_start.size, end_epoch_s, dtype=np.int64))

    redeem = np.flatnonzero(redeemed > 0)
    expire = np.flatnonzero(expired > 0)
    return PointRows(
        member=np.concatenate([member, member[redeem], member[expire]]),
        delta=np.concatenate([points, -redeemed[redeem], -expired[expire]]),
        reason=np.concatenate([np.full(n, EARN), np.full(redeem.size, REDEEM),
                               np.full(expire.size, EXPIRE)]).astype(np.int8),
        occurred=np.concatenate([earned_at, earned_at[redeem] - rule.redeem_lead_seconds, expires_at[expire]]),
        expires=np.concatenate([expires_at, np.full(redeem.size + expire.size, NO_TIME)]),
        delta_unparseable=np.zeros(n + redeem.size + expire.size, dtype=bool),
    )


POINT_DIRTY_KINDS = ("unparseable_points_delta", "missing_member_id", "future_occurred_at", "exact_duplicate")


def dirty_points(rng: np.random.Generator, ledger: PointRows, share: float, fmt: str
                 ) -> tuple[PointRows, dict[str, int]]:
    """Append bad copies of a few earning rows (and exact duplicates of a few rows)."""
    earning = np.flatnonzero(ledger.reason == EARN)
    if share <= 0 or earning.size == 0:
        return ledger, {}
    count = max(1, round(share * ledger.member.size / len(POINT_DIRTY_KINDS)))
    parts, counts = [ledger], {}
    for kind in POINT_DIRTY_KINDS:
        if kind == "unparseable_points_delta" and fmt != "csv":
            continue  # a Parquet integer column cannot hold it
        bad = ledger.take(rng.choice(earning, count))
        if kind == "unparseable_points_delta":
            bad.delta_unparseable[:] = True
        elif kind == "missing_member_id":
            bad.member[:] = -1
        elif kind == "future_occurred_at":
            shift = ((date(2099, 1, 1) - EPOCH).days + rng.integers(0, 360, count)) * SECONDS_PER_DAY \
                - (bad.occurred - bad.occurred % SECONDS_PER_DAY)
            bad.occurred = bad.occurred + shift
            bad.expires = np.where(bad.expires != NO_TIME, bad.expires + shift, NO_TIME)
        parts.append(bad)
        counts[kind] = count
    return PointRows.concat(parts), counts


# --------------------------------------------------------------------------- events


def build_events(ctx: SimContext, rng: np.random.Generator, occasions: Occasions,
                 occasion_second: np.ndarray, popularity: np.ndarray) -> tuple[np.ndarray, ...]:
    """Browsing and intent events: some before purchases, the rest spread over membership."""
    members, calendar = ctx.members, ctx.calendar
    n = members.join_day.size
    join = np.maximum(members.join_day.astype(np.int64) * SECONDS_PER_DAY + members.join_second, 0)

    before = rng.poisson(np.where(occasions.channel == STORE, 0.5, 1.1))
    member_a = np.repeat(occasions.member, before)
    purchase_second = np.repeat(occasion_second, before)
    lead = np.minimum(5 * SECONDS_PER_DAY, purchase_second - join[member_a])
    second_a = purchase_second - (rng.random(member_a.size) * lead).astype(np.int64)
    type_a = choice(rng, (0.30, 0.25, 0.15, 0.25, 0.05), member_a.size)

    occasions_per_member = counts_per_member(occasions.member, n)
    rate = np.where(occasions_per_member > 0, 1.5 + 0.4 * np.minimum(occasions_per_member, 60), 1.2)
    joined = join <= calendar.end_second
    background = np.where(joined, rng.poisson(rate), 0)
    member_b = np.repeat(np.arange(n), background)
    span = calendar.end_second - join[member_b]
    second_b = join[member_b] + (rng.random(member_b.size) * span).astype(np.int64)
    type_b = choice(rng, (0.45, 0.25, 0.15, 0.10, 0.05), member_b.size)

    member = np.concatenate([member_a, member_b])
    second = np.concatenate([second_a, second_b])
    event_type = np.concatenate([type_a, type_b]).astype(np.int8)
    product = choice(rng, popularity, member.size)
    order = np.lexsort((event_type, member, second))
    return member[order], second[order] + calendar.start_epoch_s, event_type[order], product[order]


# --------------------------------------------------------------------------- tables and output


SCHEMAS = {
    "orders": pa.schema([
        ("order_id", pa.string()), ("member_id", pa.string()), ("store_id", pa.string()),
        ("channel", pa.string()), ("status", pa.string()), ("ordered_at", pa.timestamp("us")),
        ("paid_at", pa.timestamp("us")), ("amount", pa.decimal128(18, 2)),
        ("refund_amount", pa.decimal128(18, 2)), ("updated_at", pa.timestamp("us")),
    ]),
    "members": pa.schema([
        ("member_id", pa.string()), ("joined_at", pa.timestamp("us")), ("birth_date", pa.date32()),
        ("gender", pa.string()), ("city", pa.string()), ("city_tier", pa.int32()),
        ("home_store_id", pa.string()), ("referred_by_member_id", pa.string()), ("email", pa.string()),
        ("phone", pa.string()), ("sms_opt_in", pa.bool_()), ("email_opt_in", pa.bool_()),
        ("updated_at", pa.timestamp("us")),
    ]),
    "order_items": pa.schema([
        ("order_id", pa.string()), ("line_number", pa.int32()), ("product_id", pa.string()),
        ("category", pa.string()), ("quantity", pa.int32()), ("amount", pa.decimal128(18, 2)),
    ]),
    "stores": pa.schema([
        ("store_id", pa.string()), ("store_name", pa.string()), ("city", pa.string()),
        ("store_type", pa.string()), ("opened_at", pa.date32()),
    ]),
    "campaigns": pa.schema([
        ("campaign_id", pa.string()), ("campaign_name", pa.string()), ("objective", pa.string()),
        ("channel", pa.string()), ("start_date", pa.date32()), ("end_date", pa.date32()),
        ("response_window_days", pa.int32()), ("cost_per_contact", pa.decimal128(18, 2)),
        ("incentive_cost_per_response", pa.decimal128(18, 2)), ("promoted_product_id", pa.string()),
        ("promoted_category", pa.string()), ("program_id", pa.string()),
        ("margin_per_response", pa.decimal128(18, 2)),
    ]),
    "campaign_contacts": pa.schema([
        ("campaign_id", pa.string()), ("member_id", pa.string()), ("group_name", pa.string()),
        ("contacted_at", pa.timestamp("us")), ("attended", pa.bool_()),
    ]),
    "member_events": pa.schema([
        ("member_id", pa.string()), ("event_type", pa.string()), ("occurred_at", pa.timestamp("us")),
        ("product_id", pa.string()),
    ]),
    "points": pa.schema([
        ("member_id", pa.string()), ("points_delta", pa.int64()), ("reason", pa.string()),
        ("occurred_at", pa.timestamp("us")), ("expires_at", pa.timestamp("us")),
    ]),
}


@dataclass(frozen=True)
class IdWidths:
    """Digits of the zero-padded ids."""

    order: int
    member: int


def orders_table(rows: OrderRows, global_member: np.ndarray, widths: IdWidths, fmt: str) -> pa.Table:
    """Arrow table of order rows; in CSV the amount is text so unparseable values can appear."""
    member = np.where(rows.member >= 0, global_member[np.maximum(rows.member, 0)] + 1, -1)
    amount = money(rows.amount)
    schema = SCHEMAS["orders"]
    if fmt == "csv":
        text = amount.cast(pa.string())
        garbled = pc.binary_join_element_wise(
            pc.replace_substring(pc.utf8_slice_codeunits(text, 0, -1), ".", ","), "x", "")
        amount = pc.if_else(pa.array(rows.amount_unparseable), garbled, text)
        schema = schema.set(schema.get_field_index("amount"), pa.field("amount", pa.string()))
    return pa.Table.from_arrays([
        fixed_width_ids("O", rows.number, widths.order, rows.number >= 0),
        fixed_width_ids("M", member, widths.member, member >= 0),
        labels([s.store_id for s in STORES], rows.store),
        labels(CHANNELS, rows.channel),
        labels(STATUSES, rows.status),
        timestamps(rows.ordered),
        timestamps(np.where(rows.paid != NO_TIME, rows.paid, 0), rows.paid != NO_TIME),
        amount,
        money(rows.refund),
        timestamps(rows.updated),
    ], schema=schema)


def items_table(items: ItemRows, order_numbers: np.ndarray, catalog: Catalog, widths: IdWidths) -> pa.Table:
    """Arrow table of order lines."""
    return pa.Table.from_arrays([
        fixed_width_ids("O", order_numbers[items.order], widths.order),
        numeric_array(items.line, pa.int32()),
        fixed_width_ids("P", items.product + 1, 4),
        labels(CATEGORIES, catalog.category[items.product]),
        numeric_array(items.quantity, pa.int32()),
        money(items.amount),
    ], schema=SCHEMAS["order_items"])


def events_table(events: tuple[np.ndarray, ...], global_member: np.ndarray, widths: IdWidths) -> pa.Table:
    """Arrow table of member events (visits carry no product)."""
    member, second, event_type, product = events
    has_product = event_type != 0
    return pa.Table.from_arrays([
        fixed_width_ids("M", global_member[member] + 1, widths.member),
        labels(EVENT_TYPES, event_type),
        timestamps(second),
        fixed_width_ids("P", product + 1, 4, has_product),
    ], schema=SCHEMAS["member_events"])


def points_table(ledger: PointRows, global_member: np.ndarray, widths: IdWidths, fmt: str) -> pa.Table:
    """Arrow table of the points ledger by time; in CSV the delta is text so unparseable values can appear."""
    order = np.lexsort((ledger.reason, ledger.member, ledger.occurred))
    ledger = ledger.take(order)
    member = np.where(ledger.member >= 0, global_member[np.maximum(ledger.member, 0)] + 1, -1)
    delta = numeric_array(ledger.delta.astype(np.int64), pa.int64())
    schema = SCHEMAS["points"]
    if fmt == "csv":
        text = delta.cast(pa.string())
        delta = pc.if_else(pa.array(ledger.delta_unparseable), pc.binary_join_element_wise(text, " pts", ""), text)
        schema = schema.set(schema.get_field_index("points_delta"), pa.field("points_delta", pa.string()))
    return pa.Table.from_arrays([
        fixed_width_ids("M", member, widths.member, member >= 0),
        delta,
        labels(POINT_REASONS, ledger.reason),
        timestamps(ledger.occurred),
        timestamps(np.where(ledger.expires != NO_TIME, ledger.expires, 0), ledger.expires != NO_TIME),
    ], schema=schema)


def contacts_table(outcome: CampaignOutcome, campaigns: Sequence[Campaign], global_member: np.ndarray,
                   start_epoch_s: int, widths: IdWidths) -> pa.Table:
    """Arrow table of campaign contacts, by campaign and contact time."""
    order = np.lexsort((outcome.member, outcome.contacted, outcome.campaign))
    attended = outcome.attended[order]
    return pa.Table.from_arrays([
        labels([c.campaign_id for c in campaigns], outcome.campaign[order]),
        fixed_width_ids("M", global_member[outcome.member[order]] + 1, widths.member),
        labels(GROUPS, outcome.control[order].astype(np.int8)),
        timestamps(outcome.contacted[order] + start_epoch_s),
        pa.array(attended == 1, mask=attended < 0),
    ], schema=SCHEMAS["campaign_contacts"])


class OutputSink:
    """Writes one file per raw input, appending chunk tables in order.

    Parquet goes through one ParquetWriter per input (a row group per chunk); CSV is
    written by DuckDB (RFC quoting, empty field = null) and chunks are appended.
    """

    DICTIONARY_COLUMNS = {"store_id", "channel", "status", "category", "event_type", "group_name",
                          "campaign_id", "gender", "city", "home_store_id", "product_id", "store_type",
                          "objective", "reason", "promoted_product_id", "promoted_category", "program_id"}

    def __init__(self, out_dir: Path, fmt: str) -> None:
        self.out_dir = out_dir
        self.fmt = fmt
        self.rows: dict[str, int] = {}
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._con = duckdb.connect() if fmt == "csv" else None

    def path(self, name: str) -> Path:
        """Output path of one input."""
        return self.out_dir / f"raw_{name}.{self.fmt}"

    def write(self, name: str, table: pa.Table) -> None:
        """Append a table to the input's file."""
        first = name not in self.rows
        self.rows[name] = self.rows.get(name, 0) + table.num_rows
        if self.fmt == "parquet":
            self._write_parquet(name, table, first)
        else:
            self._write_csv(name, table, first)

    def _write_parquet(self, name: str, table: pa.Table, first: bool) -> None:
        if first:
            dictionary = [c for c in table.column_names if c in self.DICTIONARY_COLUMNS]
            self._writers[name] = pq.ParquetWriter(self.path(name), table.schema, compression="snappy",
                                                   use_dictionary=dictionary)
        self._writers[name].write_table(table, row_group_size=1 << 20)

    def _write_csv(self, name: str, table: pa.Table, first: bool) -> None:
        target = self.path(name)
        part = target if first else target.with_suffix(".part.csv")
        self._con.register("chunk", table)
        quoted = str(part).replace("'", "''")
        header = "true" if first else "false"
        self._con.execute(f"copy (select * from chunk) to '{quoted}' (header {header}, delimiter ',')")
        self._con.unregister("chunk")
        if not first:
            with open(target, "ab") as out, open(part, "rb") as src:
                shutil.copyfileobj(src, out)
            part.unlink()

    def close(self) -> None:
        """Finish all files."""
        for writer in self._writers.values():
            writer.close()
        if self._con is not None:
            self._con.close()


# --------------------------------------------------------------------------- driver


def plan_chunks(n_members: int, orders: int, chunk_orders: int, seed: int) -> list[np.ndarray]:
    """Split members into random, equally mixed chunks of about chunk_orders orders each."""
    n_chunks = max(1, math.ceil(orders / max(chunk_orders, 1)))
    permutation = rng_for(seed, 80).permutation(n_members)
    return [np.sort(part) for part in np.array_split(permutation, n_chunks)]


def dirty_plan(cfg: Config) -> tuple[str, ...]:
    """Defect kinds that the output format can hold (Parquet amounts are always numbers)."""
    return tuple(k for k in DIRTY_KINDS if cfg.fmt == "csv" or k != "unparseable_amount")


def campaign_truth(campaigns: Sequence[Campaign], counts: np.ndarray, calendar: Calendar) -> list[dict]:
    """Per campaign: audience sizes and the response probabilities that were simulated."""
    result = []
    for campaign in campaigns:
        spec = campaign.spec
        c = dict(zip(COUNT_FIELDS, (int(v) for v in counts[campaign.index])))

        def rate(numerator: str, denominator: str) -> float | None:
            return round(c[numerator] / c[denominator], 6) if c[denominator] else None

        control_rate = rate("responders_control", "control")
        if spec.channel == "event":
            induce = spec.attend_rate * spec.uplift + (1 - spec.attend_rate) * spec.non_attendee_uplift
        else:
            induce = spec.uplift
        result.append({
            "campaign_id": campaign.campaign_id,
            "objective": spec.objective,
            "channel": spec.channel,
            "start_date": (calendar.start + timedelta(days=campaign.start_day)).isoformat(),
            "end_date": (calendar.start + timedelta(days=campaign.end_day)).isoformat(),
            "response_window_days": spec.window_days,
            "has_control_group": spec.control_share > 0,
            "control_share_target": spec.control_share,
            "audience_treatment": c["treatment"],
            "audience_control": c["control"],
            "responders_treatment": c["responders_treatment"],
            "responders_control": c["responders_control"],
            "response_rate_treatment": rate("responders_treatment", "treatment"),
            "response_rate_control": control_rate,
            "counterfactual_response_rate_treatment": rate("natural_responders_treatment", "treatment"),
            "true_incremental_rate": rate("induced_responders_treatment", "treatment"),
            "induce_probability_for_non_responders": round(induce, 6),
            "expected_response_rate_treatment": None if control_rate is None
            else round(control_rate + (1 - control_rate) * induce, 6),
            "attended_treatment": c["attended_treatment"] if spec.channel == "event" else None,
            "promoted_product_id": f"P{campaign.promoted_product + 1:04d}" if campaign.promoted_product >= 0
            else None,
            "promoted_category": CATEGORIES[campaign.promoted_category] if campaign.promoted_category >= 0
            else None,
            "promo_take_probability": spec.promo_take if spec.promote else None,
            "promoted_buyers_treatment": c["promoted_buyers_treatment"] if spec.promote else None,
            "program_id": spec.program_id,
            "margin_per_response": spec.margin_per_response,
        })
    return result


def product_truth(catalog: Catalog) -> dict:
    """What the category and product model plants (the tests check the demo data against it)."""
    return {
        "category_cycle_days": dict(zip(CATEGORIES, CATEGORY_CYCLE_DAYS)),
        "category_taste": dict(zip(CATEGORIES, CATEGORY_TASTE)),
        "category_pairs": [[CATEGORIES[a], CATEGORIES[b]] for a, b in CATEGORY_PAIRS],
        "pair_share": PAIR_SHARE,
        "favourite_share": FAVOURITE_SHARE,
        "category_age_factors": {f"{low}-{high}": dict(zip(CATEGORIES, factors))
                                 for (low, high, _), factors in zip(AGE_BANDS, CATEGORY_AGE_FACTORS)},
        "anti_ageing_min_age": AGE_BANDS[ANTI_AGEING_MIN_BAND][0],
        "anti_ageing_product_ids": [f"P{i + 1:04d}" for i in np.flatnonzero(catalog.anti_ageing)],
        "gift_seasons": [list(season) for season in GIFT_SEASONS],
        "gift_season_factors": [GIFT_SEASON_FACTOR, GIFT_OFF_SEASON_FACTOR],
        "store_category_factors": {store: dict(zip(CATEGORIES, factors))
                                   for store, factors in STORE_CATEGORY_FACTORS.items()},
        "store_age_lean": {s.store_id: lean for s, lean in zip(STORES, STORE_AGE_LEAN)},
    }


def write_truth(cfg: Config, calendar: Calendar, behaviour: Behaviour, campaigns: Sequence[Campaign],
                counts: np.ndarray, rows: dict[str, int], stats: dict[str, int], rate_scale: float,
                member_dirty: int, catalog: Catalog, points_rule: PointsRule) -> None:
    """The generator_truth.json file that tests compare the warehouse against."""
    dirty = {k.removeprefix("dirty_"): v for k, v in stats.items() if k.startswith("dirty_")}
    truth = {
        "generator": "scripts/generate_data.py",
        "arguments": {"format": cfg.fmt, "members": cfg.members, "orders": cfg.orders,
                      "start": cfg.start.isoformat(), "end": cfg.end.isoformat(), "seed": cfg.seed,
                      "dirty_share": cfg.dirty_share, "chunk_orders": cfg.chunk_orders},
        "row_counts": {f"raw_{k}": v for k, v in rows.items()},
        "orders": {"distinct_clean_orders": stats.get("orders", 0),
                   "update_versions": stats.get("versions", 0),
                   "exact_duplicate_rows": stats.get("duplicates", 0),
                   "dirty_rows_by_kind": dirty},
        "members": {"dirty_rows_by_kind": {"missing_member_id": member_dirty} if member_dirty else {}},
        "points": {**dataclasses.asdict(points_rule),
                   "dirty_rows_by_kind": {k.removeprefix("points_dirty_"): v for k, v in stats.items()
                                          if k.startswith("points_dirty_")}},
        "products": product_truth(catalog),
        "program_ids": list(PROGRAM_IDS),
        "response_rule": ("a member responds when they have a purchase (status paid/shipped/completed, "
                          "net amount > 0) whose purchase_date is between the contact date and the contact "
                          "date + response_window_days, both inclusive"),
        "campaigns": campaign_truth(campaigns, counts, calendar),
        "behaviour": {**dataclasses.asdict(behaviour), "calibrated_rate_scale": round(rate_scale, 6)},
        "promotion_days": [list(p) for p in calendar.promotions],
        "stores": {s.store_id: {"aov_factor": s.aov_factor, "dropout_factor": s.dropout_factor,
                                "opened_day": store_opened_day(s, calendar)} for s in STORES},
    }
    cfg.truth_path.parent.mkdir(parents=True, exist_ok=True)
    cfg.truth_path.write_text(json.dumps(truth, indent=2) + "\n")


def generate(cfg: Config) -> None:
    """Generate all raw inputs and the truth file."""
    behaviour = Behaviour()
    calendar = build_calendar(cfg.start, cfg.end)
    chunks = plan_chunks(cfg.members, cfg.orders, cfg.chunk_orders, cfg.seed)
    progress = tqdm(total=3 + len(chunks), desc="generate", unit="step")
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    sink = OutputSink(cfg.out_dir, cfg.fmt)
    widths = IdWidths(order=id_width(cfg.orders, 6), member=id_width(cfg.members, 6))

    progress.set_postfix_str("members")
    population, members = build_population(rng_for(cfg.seed, 1), calendar, behaviour, cfg.members, cfg.end,
                                           rng_for(cfg.seed, 4))
    members, member_dirty = dirty_members(rng_for(cfg.seed, 2), members, cfg.dirty_share)
    catalog = build_catalog(rng_for(cfg.seed, 3), rng_for(cfg.seed, 5))
    campaigns = place_campaigns(calendar, catalog)
    promotions = Promotions.of(campaigns, catalog)
    points_rule = PointsRule()
    sink.write("members", members)
    sink.write("stores", build_stores(calendar))
    sink.write("campaigns", build_campaigns(campaigns, calendar))
    progress.update()

    progress.set_postfix_str("calibrating")
    wanted = cfg.orders / max(cfg.members, 1) / behaviour.rows_per_occasion()
    scale = calibrate_rate_scale(population, calendar, behaviour, campaigns, wanted, cfg.seed)
    rate = np.minimum(population.rate * scale, behaviour.max_rate_per_day)
    progress.update()

    counts = np.zeros((len(campaigns), len(COUNT_FIELDS)), dtype=np.int64)
    stats: dict[str, int] = {}
    next_number = 1
    for index, chunk in enumerate(chunks):
        progress.set_postfix_str(f"chunk {index + 1}/{len(chunks)}")
        rng = rng_for(cfg.seed, 100, index)
        ctx = SimContext(calendar, behaviour, population.subset(chunk), rate[chunk])
        occasions = simulate_natural(ctx, rng)
        occasions, outcome = run_campaigns(ctx, rng, campaigns, occasions)
        counts += outcome.counts
        dirty_total = round(cfg.dirty_share * cfg.orders / len(chunks))
        rows, items, occasion_second, chunk_stats, clean_rows = build_orders(
            ctx, rng, occasions, catalog, promotions, next_number, dirty_total, dirty_plan(cfg))
        points_rng = rng_for(cfg.seed, 110, index)
        ledger = build_points(points_rng, clean_rows, calendar.start_epoch_s + calendar.end_second, points_rule)
        ledger, points_dirty = dirty_points(points_rng, ledger, cfg.dirty_share, cfg.fmt)
        chunk_stats.update({f"points_dirty_{k}": v for k, v in points_dirty.items()})
        clean_numbers = next_number + np.arange(chunk_stats["orders"], dtype=np.int64)
        next_number = int(rows.number.max(initial=next_number - 1)) + 1
        for key, value in chunk_stats.items():
            stats[key] = stats.get(key, 0) + value
        events = build_events(ctx, rng, occasions, occasion_second, catalog.popularity)
        sink.write("orders", orders_table(rows, chunk, widths, cfg.fmt))
        sink.write("order_items", items_table(items, clean_numbers, catalog, widths))
        sink.write("member_events", events_table(events, chunk, widths))
        sink.write("points", points_table(ledger, chunk, widths, cfg.fmt))
        contacts = contacts_table(outcome, campaigns, chunk, calendar.start_epoch_s, widths)
        sink.write("campaign_contacts", contacts)
        progress.update()

    progress.set_postfix_str("truth")
    sink.close()
    write_truth(cfg, calendar, behaviour, campaigns, counts, sink.rows, stats, scale, member_dirty, catalog,
                points_rule)
    progress.update()
    progress.close()


def parse_args(argv: Sequence[str] | None = None) -> Config:
    """Parse the command line into a Config."""
    parser = argparse.ArgumentParser(
        description="Generate deterministic raw CRM retail data (orders, members, order items, stores, "
                    "campaigns, campaign contacts, member events, points) for the CRM lifecycle warehouse.")
    parser.add_argument("--out", type=Path, required=True, help="output directory for raw_<input>.<format>")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv", help="output file format")
    parser.add_argument("--members", type=int, default=5000, help="number of members")
    parser.add_argument("--orders", type=int, default=40000, help="approximate number of order rows")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2024, 1, 1),
                        help="first day of history (YYYY-MM-DD)")
    parser.add_argument("--end", type=date.fromisoformat, default=date(2026, 6, 30),
                        help="last day of history (YYYY-MM-DD); no timestamp is later, except dirty rows")
    parser.add_argument("--seed", type=int, default=42,
                        help="random seed; the same arguments give the same bytes")
    parser.add_argument("--dirty-share", type=float, default=0.002,
                        help="share of order rows that are deliberately bad, spread over the defect kinds "
                             "(0 turns them off; keep it well under 1%% for a passing build)")
    parser.add_argument("--chunk-orders", type=int, default=2_000_000,
                        help="approximate orders generated per chunk (bounds memory)")
    parser.add_argument("--truth", type=Path, default=None,
                        help="where to write the truth JSON (default: OUT/generator_truth.json)")
    args = parser.parse_args(argv)
    if args.end < args.start:
        parser.error("--end must not be before --start")
    if args.members < 1 or args.orders < 1:
        parser.error("--members and --orders must be positive")
    if not 0 <= args.dirty_share <= 0.5:
        parser.error("--dirty-share must be in [0, 0.5]")
    return Config(out_dir=args.out, fmt=args.format, members=args.members, orders=args.orders,
                  start=args.start, end=args.end, seed=args.seed, dirty_share=args.dirty_share,
                  chunk_orders=args.chunk_orders, truth_path=args.truth or args.out / "generator_truth.json")


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point."""
    generate(parse_args(argv))


if __name__ == "__main__":
    main()
