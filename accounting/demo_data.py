"""Deterministic demo data at the mission's scale: suppliers, EPDs, 8,000+ vehicle models and their BOMs.

All companies, brands and models are fictional; factor values and ranges come from REFERENCE-DATA.md
(accounting/data/*.csv keeps each default with its source). The same seed always gives the same data.
"""

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from carbon_platform.bulk import insert_frame
from carbon_platform.tenancy.choices import AuditAction, MembershipRole, OrganisationKind
from carbon_platform.tenancy.models import Membership, Organisation
from carbon_platform.tenancy.services import audit_record
from carbon_platform.tenancy.validators import USCC_ALPHABET, uscc_check_character
from disclosures.choices import DeclarationStatus, DeclaredUnit, Standard
from disclosures.models import Declaration, Plant, Product
from disclosures.services import declaration_checks_run

from .choices import MaterialFamily, VehicleSystem
from .models import BomLine, DefaultFactor, Material, VehicleModel

DATA_DIR = Path(__file__).resolve().parent / "data"
DEMO_PASSWORD = "demo-password"
ROUTE_SHORT = {
    "bf_bof": "BF-BOF",
    "scrap_eaf": "scrap EAF",
    "dri_eaf": "DRI-EAF",
    "primary_coal": "primary, coal power",
    "primary_hydro": "primary, hydro power",
    "secondary": "secondary",
}
DEMO_LOGINS = {"supplier": "supplier", "auditor": "auditor", "carmaker": "carmaker"}
OPERATOR_USCC_SEED = "91110000DEM00PERA"  # fixed, so a second run recognises an existing demo

# Administrative division code (first two digits of the USCC's characters 3-8) per province.
DIVISION_CODE = {
    "BJ": "110000",
    "TJ": "120000",
    "HE": "130000",
    "SX": "140000",
    "NM": "150000",
    "LN": "210000",
    "JL": "220000",
    "HL": "230000",
    "SH": "310000",
    "JS": "320000",
    "ZJ": "330000",
    "AH": "340000",
    "FJ": "350000",
    "JX": "360000",
    "SD": "370000",
    "HA": "410000",
    "HB": "420000",
    "HN": "430000",
    "GD": "440000",
    "GX": "450000",
    "HI": "460000",
    "CQ": "500000",
    "SC": "510000",
    "GZ": "520000",
    "YN": "530000",
    "XZ": "540000",
    "SN": "610000",
    "GS": "620000",
    "QH": "630000",
    "NX": "640000",
    "XJ": "650000",
}

# A1-A3 ranges in kg CO2e per kg by material and route (REFERENCE-DATA.md); declarations are drawn inside.
A1_A3_RANGE = {
    ("steel.hot_rolled_coil", "bf_bof"): (2.0, 2.3),
    ("steel.cold_rolled_coil", "bf_bof"): (2.2, 2.5),
    ("steel.hot_dip_galvanized", "bf_bof"): (2.3, 2.8),
    ("steel.electrical", "bf_bof"): (2.5, 3.5),
    ("steel.*", "scrap_eaf"): (0.571, 0.8),
    ("steel.*", "dri_eaf"): (1.3, 1.5),
    ("aluminium.*", "primary_coal"): (15.1, 18.0),
    ("aluminium.*", "primary_hydro"): (3.2, 4.5),
    ("aluminium.*", "secondary"): (0.5, 0.8),
}

STEEL_SUPPLIERS = [
    # (name, Chinese name, province, routes)
    ("Jinggang Iron & Steel", "京钢钢铁", "HE", ["bf_bof"]),
    ("Tangshan Haihe Steel", "唐山海河钢铁", "HE", ["bf_bof"]),
    ("Handan Zhongyuan Steel", "邯郸中原钢铁", "HE", ["bf_bof"]),
    ("Baoshan Coastal Steel", "宝山沿海钢铁", "SH", ["bf_bof"]),
    ("Jiangnan Special Steel", "江南特钢", "JS", ["bf_bof", "scrap_eaf"]),
    ("Shagang Riverside Steel", "沙港江畔钢铁", "JS", ["bf_bof"]),
    ("Rizhao Harbour Steel", "日照港湾钢铁", "SD", ["bf_bof"]),
    ("Jinan Quancheng Steel", "济南泉城钢铁", "SD", ["bf_bof"]),
    ("Anshan Northern Steel", "鞍山北方钢铁", "LN", ["bf_bof"]),
    ("Benxi Mountain Steel", "本溪山城钢铁", "LN", ["bf_bof"]),
    ("Wuhan Yangtze Steel", "武汉长江钢铁", "HB", ["bf_bof"]),
    ("Maanshan Wanjiang Steel", "马鞍山皖江钢铁", "AH", ["bf_bof"]),
    ("Zhanjiang Bay Steel", "湛江湾钢铁", "GD", ["bf_bof", "dri_eaf"]),
    ("Guangzhou Pearl Steel", "广州珠江钢铁", "GD", ["scrap_eaf"]),
    ("Shougang Capital Steel Works", "首都钢厂", "HE", ["bf_bof"]),
    ("Taiyuan Fenhe Stainless", "太原汾河钢铁", "SX", ["bf_bof"]),
    ("Hunan Xiangjiang Steel", "湖南湘江钢铁", "HN", ["bf_bof"]),
    ("Fujian Minjiang Steel", "福建闽江钢铁", "FJ", ["scrap_eaf"]),
    ("Chongqing Jialing Steel", "重庆嘉陵钢铁", "CQ", ["bf_bof"]),
    ("Panzhihua Vanadium Steel", "攀枝花钒钢", "SC", ["bf_bof"]),
    ("Ningbo Green EAF Steel", "宁波绿色电炉钢", "ZJ", ["scrap_eaf"]),
    ("Zhangjiakou Hydrogen Steel", "张家口氢冶钢铁", "HE", ["dri_eaf"]),
    ("Liuzhou Longcheng Steel", "柳州龙城钢铁", "GX", ["bf_bof"]),
    ("Xinjiang Tianshan Steel", "新疆天山钢铁", "XJ", ["bf_bof"]),
]
ALUMINIUM_SUPPLIERS = [
    ("Binzhou Coastal Aluminium", "滨州沿海铝业", "SD", ["primary_coal"]),
    ("Weiqiao Plain Aluminium", "魏桥平原铝业", "SD", ["primary_coal"]),
    ("Zhundong Desert Aluminium", "准东戈壁铝业", "XJ", ["primary_coal"]),
    ("Baotou Steppe Aluminium", "包头草原铝业", "NM", ["primary_coal"]),
    ("Henan Central Plains Aluminium", "河南中原铝业", "HA", ["primary_coal", "secondary"]),
    ("Ningxia Helan Aluminium", "宁夏贺兰铝业", "NX", ["primary_coal"]),
    ("Yunnan Lancang Hydro Aluminium", "云南澜沧水电铝业", "YN", ["primary_hydro"]),
    ("Wenshan Green Aluminium", "文山绿色铝业", "YN", ["primary_hydro"]),
    ("Sichuan Minjiang Hydro Aluminium", "四川岷江水电铝业", "SC", ["primary_hydro"]),
    ("Qinghai Plateau Aluminium", "青海高原铝业", "QH", ["primary_hydro"]),
    ("Guangxi Baise Aluminium", "广西百色铝业", "GX", ["primary_coal"]),
    ("Guizhou Wumeng Aluminium", "贵州乌蒙铝业", "GZ", ["primary_hydro"]),
    ("Foshan Nanhai Recycled Aluminium", "佛山南海再生铝业", "GD", ["secondary"]),
    ("Kunshan Circular Aluminium", "昆山循环铝业", "JS", ["secondary"]),
    ("Chongqing Castings Aluminium", "重庆压铸铝业", "CQ", ["secondary", "primary_hydro"]),
    ("Zhejiang Wheel Aluminium", "浙江轮毂铝业", "ZJ", ["secondary"]),
    ("Tianjin Binhai Extrusions", "天津滨海型材", "TJ", ["primary_coal"]),
    ("Liaoning Yingkou Aluminium", "辽宁营口铝业", "LN", ["primary_coal"]),
]
STEEL_PRODUCTS = [
    "steel.hot_rolled_coil",
    "steel.cold_rolled_coil",
    "steel.hot_dip_galvanized",
    "steel.electrical",
]
ALUMINIUM_PRODUCTS = {
    "primary_coal": [
        "aluminium.primary_ingot",
        "aluminium.sheet",
        "aluminium.extrusion",
        "aluminium.casting",
    ],
    "primary_hydro": [
        "aluminium.primary_ingot",
        "aluminium.sheet",
        "aluminium.extrusion",
        "aluminium.casting",
    ],
    "secondary": ["aluminium.secondary_ingot", "aluminium.casting", "aluminium.extrusion"],
}
GRADES = {
    "steel.hot_rolled_coil": ["SAPH440", "QStE380TM", "SPHC"],
    "steel.cold_rolled_coil": ["DC04", "HC340LA", "DP780"],
    "steel.hot_dip_galvanized": ["DX54D+Z", "HC420LAD+Z", "DP600+GI"],
    "steel.electrical": ["35W300", "27WD1500"],
    "aluminium.primary_ingot": ["AL99.70"],
    "aluminium.sheet": ["AA5182", "AA6016"],
    "aluminium.extrusion": ["AA6063", "AA6082"],
    "aluminium.casting": ["A356", "AlSi10MnMg"],
    "aluminium.secondary_ingot": ["ADC12", "A380"],
}

CARMAKERS = [
    # (name, Chinese name, province, brands)
    ("Qilin Automobile Group", "麒麟汽车集团", "ZJ", ["Qilin", "Lynxar"]),
    ("Changjiang Motors", "长江汽车", "HB", ["Changjiang", "Voyah Ridge"]),
    ("Tianma Auto", "天马汽车", "CQ", ["Tianma"]),
    ("Jade Dragon EV", "玉龙新能源", "GD", ["Jade Dragon", "Aurum"]),
    ("Pearl River Motors", "珠江汽车", "GD", ["Pearl", "Canton"]),
    ("Xinghe Mobility", "星河出行", "SH", ["Xinghe"]),
    ("Kunlun Automotive", "昆仑汽车", "BJ", ["Kunlun", "Summit"]),
    ("Nanhai Auto Works", "南海汽车", "HI", ["Nanhai"]),
    ("Fenghuang Motor", "凤凰汽车", "JS", ["Fenghuang", "Phoenix S"]),
    ("Taihu Electric Vehicles", "太湖电动车", "JS", ["Taihu"]),
    ("Yunlu Automobile", "云麓汽车", "HN", ["Yunlu"]),
    ("Longmen Motor Corp", "龙门汽车", "HA", ["Longmen", "Gate"]),
]
AUDITORS = [("Huazheng Verification Co.", "华正认证", "BJ"), ("Eastern Carbon Assurance", "东方碳核查", "SH")]
SERIES_WORDS = [
    "Star",
    "Cloud",
    "Wind",
    "Peak",
    "River",
    "Song",
    "Han",
    "Tang",
    "Ming",
    "Qin",
    "Yuan",
    "Hai",
    "Sky",
    "Jade",
    "Pine",
    "Crane",
    "Lotus",
    "Aurora",
    "Orbit",
    "Nova",
    "Vista",
    "Terra",
    "Atlas",
    "Zen",
]
TRIMS = [
    "Standard",
    "Comfort",
    "Premium",
    "Flagship",
    "Sport",
    "Long Range",
    "Performance",
    "Pro",
    "Max",
    "Air",
]

# China's passenger-car market mix (approx.): shares of BEV, PHEV, HEV, ICE, FCEV.
POWERTRAIN_MIX = [("BEV", 0.30), ("PHEV", 0.20), ("HEV", 0.05), ("ICE", 0.448), ("FCEV", 0.002)]
SEGMENT_BASE_KG = {"A00": 950, "A0": 1150, "A": 1350, "B": 1550, "C": 1800, "D": 2050}
SEGMENT_MIX = [("A00", 0.05), ("A0", 0.15), ("A", 0.35), ("B", 0.25), ("C", 0.15), ("D", 0.05)]
BODY_MIX = [
    ("sedan", 0.38),
    ("suv", 0.42),
    ("hatchback", 0.08),
    ("mpv", 0.07),
    ("wagon", 0.03),
    ("coupe", 0.02),
]
POWERTRAIN_EXTRA_KG = {"BEV": 320, "PHEV": 260, "HEV": 90, "ICE": 0, "FCEV": 280}
# Aluminium per vehicle (kg): EU 180-200, US 227, battery-electric about 400 (REFERENCE-DATA.md).
ALUMINIUM_KG = {
    "BEV": (300, 400),
    "PHEV": (220, 300),
    "HEV": (190, 240),
    "ICE": (180, 220),
    "FCEV": (260, 340),
}

# BOM blueprint: (system, component, material, weight within its family, number of lines).
STEEL_PARTS = [
    ("body_in_white", "Body side outer", "steel.hot_dip_galvanized", 0.10, 4),
    ("body_in_white", "Floor panel", "steel.cold_rolled_coil", 0.09, 4),
    ("body_in_white", "B-pillar reinforcement", "steel.cold_rolled_coil", 0.05, 4),
    ("body_in_white", "Roof and rails", "steel.hot_dip_galvanized", 0.06, 4),
    ("body_in_white", "Front longitudinal", "steel.hot_rolled_coil", 0.05, 4),
    ("body_in_white", "Cross members", "steel.cold_rolled_coil", 0.05, 6),
    ("body_in_white", "Brackets and small stampings", "steel.cold_rolled_coil", 0.04, 10),
    ("closures", "Door inner and outer", "steel.hot_dip_galvanized", 0.08, 8),
    ("closures", "Hood and tailgate", "steel.hot_dip_galvanized", 0.03, 4),
    ("chassis", "Subframe", "steel.hot_rolled_coil", 0.08, 4),
    ("chassis", "Control arms and links", "steel.hot_rolled_coil", 0.06, 8),
    ("chassis", "Springs, stabilisers, fasteners", "steel.hot_rolled_coil", 0.10, 10),
    ("chassis", "Brake discs and calipers", "steel.hot_rolled_coil", 0.05, 4),
    ("wheels", "Spare wheel and hubs", "steel.hot_rolled_coil", 0.04, 4),
    ("powertrain", "Motor and generator laminations", "steel.electrical", 0.04, 4),
    ("powertrain", "Shafts and gears", "steel.hot_rolled_coil", 0.08, 6),
]
ALUMINIUM_PARTS = [
    ("body_in_white", "Shock towers and nodes", "aluminium.casting", 0.10, 3),
    ("closures", "Hood and fenders", "aluminium.sheet", 0.10, 3),
    ("chassis", "Knuckles and control arms", "aluminium.casting", 0.12, 4),
    ("chassis", "Crash management system", "aluminium.extrusion", 0.06, 2),
    ("wheels", "Road wheels", "aluminium.casting", 0.16, 4),
    ("powertrain", "Housings and casings", "aluminium.casting", 0.16, 4),
    ("battery_enclosure", "Battery tray and frame", "aluminium.extrusion", 0.16, 4),
    ("thermal", "Heat exchangers", "aluminium.sheet", 0.06, 3),
    ("electrical", "Busbars and brackets", "aluminium.secondary_ingot", 0.04, 2),
    ("interior", "Seat and cockpit structures", "aluminium.primary_ingot", 0.04, 2),
]
OTHER_PARTS = [
    ("interior", "Trim, seats and panels", "other.plastics", 0.30, 10),
    ("chassis", "Tyres and mounts", "other.rubber", 0.10, 6),
    ("body_in_white", "Glazing", "other.glass", 0.06, 3),
    ("electrical", "Wiring harness and motors", "other.copper", 0.08, 6),
    ("powertrain", "Traction battery cells", "other.battery_cells", 0.30, 4),
    ("powertrain", "Iron castings", "other.iron_castings", 0.06, 3),
    ("other", "Fluids and sundries", "other.fluids_and_misc", 0.10, 4),
]


@dataclass(frozen=True)
class SeedSummary:
    organisations: int
    vehicle_models: int
    bom_lines: int
    declarations: int
    created: bool


def demo_exists() -> bool:
    return Organisation.objects.filter(uscc=demo_uscc(OPERATOR_USCC_SEED)).exists()


def demo_uscc(first_17: str) -> str:
    return first_17 + uscc_check_character(first_17)


def _uscc(rng: random.Random, province: str) -> str:
    body = "91" + DIVISION_CODE[province] + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    return demo_uscc(body)


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights, k=1)[0]


def load_reference_data() -> dict[str, Material]:
    """Materials and default factors from accounting/data, with their sources; safe to run again."""
    with open(DATA_DIR / "materials.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            Material.objects.update_or_create(code=row["code"], defaults=row)
    materials = {m.code: m for m in Material.objects.all()}
    with open(DATA_DIR / "default_factors.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            DefaultFactor.objects.update_or_create(
                material=materials[row["material"]],
                route=row["route"],
                province=row["province"],
                basis=row["basis"],
                defaults={
                    "kg_co2e_per_kg": Decimal(row["kg_co2e_per_kg"]),
                    "source": row["source"],
                    "year": int(row["year"]),
                },
            )
    return materials


def _a1_a3_range(material_code: str, route: str) -> tuple[float, float]:
    family = material_code.split(".")[0]
    return A1_A3_RANGE.get((material_code, route)) or A1_A3_RANGE[(f"{family}.*", route)]


class DemoSeeder:
    """Builds the whole demo in one transaction; `seed` is the only entry point."""

    def __init__(self, *, seed: int, models: int, today: date):
        self.now = timezone.now()
        self.rng = random.Random(seed)
        self.models = models
        self.today = today
        self.user_model = get_user_model()

    def seed(self) -> SeedSummary:
        with transaction.atomic():
            self.materials = load_reference_data()
            self._organisations()
            self._plants_and_products()
            self._declarations()
            self._vehicle_models()
            line_count = self._bom_lines()
        return SeedSummary(
            organisations=Organisation.objects.count(),
            vehicle_models=len(self.vehicle_model_ids),
            bom_lines=line_count,
            declarations=Declaration.objects.count(),
            created=True,
        )

    def _organisation(self, name, name_zh, kind, province, uscc=None) -> Organisation:
        return Organisation.objects.create(
            name=name, name_zh=name_zh, kind=kind, province=province, uscc=uscc or _uscc(self.rng, province)
        )

    def _user(self, username: str, organisation: Organisation, role=MembershipRole.MEMBER, **extra):
        user = self.user_model.objects.create_user(username=username, password=DEMO_PASSWORD, **extra)
        Membership.objects.create(user=user, organisation=organisation, role=role)
        return user

    def _organisations(self) -> None:
        operator = self._organisation(
            "Platform Operator",
            "平台运营方",
            OrganisationKind.OPERATOR,
            "BJ",
            uscc=demo_uscc(OPERATOR_USCC_SEED),
        )
        self._user("admin", operator, MembershipRole.ADMIN, is_staff=True, is_superuser=True)
        self.steel_suppliers = [
            (self._organisation(n, z, OrganisationKind.SUPPLIER, p), routes)
            for n, z, p, routes in STEEL_SUPPLIERS
        ]
        self.aluminium_suppliers = [
            (self._organisation(n, z, OrganisationKind.SUPPLIER, p), routes)
            for n, z, p, routes in ALUMINIUM_SUPPLIERS
        ]
        self.carmakers = [
            (self._organisation(n, z, OrganisationKind.CARMAKER, p), brands) for n, z, p, brands in CARMAKERS
        ]
        self.auditors = [self._organisation(n, z, OrganisationKind.AUDITOR, p) for n, z, p in AUDITORS]
        self.supplier_user = self._user(
            DEMO_LOGINS["supplier"], self.steel_suppliers[0][0], MembershipRole.ADMIN
        )
        self.auditor_user = self._user(DEMO_LOGINS["auditor"], self.auditors[0], MembershipRole.ADMIN)
        self._user(DEMO_LOGINS["carmaker"], self.carmakers[0][0], MembershipRole.ADMIN)

    def _plants_and_products(self) -> None:
        self.products: list[Product] = []
        for organisation, routes in self.steel_suppliers + self.aluminium_suppliers:
            plants = [
                Plant.objects.create(
                    supplier=organisation,
                    name=f"{organisation.name} Plant {index + 1}",
                    name_zh=f"{organisation.name_zh}{index + 1}号厂",
                    province=organisation.province,
                )
                for index in range(self.rng.randint(1, 2))
            ]
            for route in routes:
                codes = (
                    STEEL_PRODUCTS
                    if route in {"bf_bof", "scrap_eaf", "dri_eaf"}
                    else ALUMINIUM_PRODUCTS[route]
                )
                for code in codes:
                    grade = self.rng.choice(GRADES[code])
                    self.products.append(
                        Product.objects.create(
                            supplier=organisation,
                            plant=self.rng.choice(plants),
                            material=self.materials[code],
                            route=route,
                            name=f"{self.materials[code].name_en} {grade}, {ROUTE_SHORT[route]}",
                            grade=grade,
                            declared_unit=DeclaredUnit.TONNE,
                        )
                    )
        demo_supplier = self.steel_suppliers[0][0]
        self.demo_product = next(p for p in self.products if p.supplier_id == demo_supplier.id)
        self.products_by_material: dict[int, list[Product]] = {}
        for product in self.products:
            self.products_by_material.setdefault(product.material_id, []).append(product)

    def _declaration(self, product: Product, *, version: int, status: str, supersedes=None, issue_date=None):
        low, high = _a1_a3_range(product.material.code, product.route)
        per_kg = self.rng.uniform(low, high)
        per_tonne = self.rng.random() < 0.7  # most steel and aluminium EPDs declare per tonne
        issue_date = issue_date or self.today - timedelta(days=self.rng.randint(30, 900))
        valid_until = issue_date + timedelta(days=5 * 365)
        if status == DeclarationStatus.EXPIRED:
            issue_date = self.today - timedelta(days=self.rng.randint(5 * 365 + 10, 6 * 365))
            valid_until = issue_date + timedelta(days=5 * 365)
        gwp = per_kg * (1000 if per_tonne else 1)
        submitted_at = decided_at = None
        if status != DeclarationStatus.DRAFT:  # its own generator, so the main sequence stays as it was
            timing = random.Random(product.id * 10 + version)
            submitted_at = self.now - timedelta(days=timing.uniform(0.2, 45))
            if status != DeclarationStatus.SUBMITTED:
                decided_at = submitted_at + timedelta(days=timing.uniform(0.1, 0.2))
        declaration = Declaration.objects.create(
            submitted_at=submitted_at,
            decided_at=decided_at,
            product=product,
            plant=product.plant,
            version=version,
            supersedes=supersedes,
            status=status,
            registration_number=f"EPD-CN-{product.supplier_id:03d}-{product.id:04d}",
            standard=self.rng.choice([Standard.EN_15804_A2, Standard.ISO_14025, Standard.GB_T_24067]),
            programme_operator=self.rng.choice(
                ["China EPD Programme", "EPD International", "Steel EPD Platform"]
            ),
            verifier=self.rng.choice([a.name for a in self.auditors]),
            pcr="PCR 2012:01 Construction products",
            issue_date=issue_date,
            valid_until=valid_until,
            declared_unit=DeclaredUnit.TONNE if per_tonne else DeclaredUnit.KG,
            declared_amount=Decimal(1),
            gwp_a1_a3_kg_co2e=Decimal(f"{gwp:.4f}"),
            gwp_a4_kg_co2e=Decimal(f"{gwp * 0.02:.4f}"),
            gwp_d_kg_co2e=Decimal(f"{-gwp * self.rng.uniform(0.05, 0.25):.4f}"),
            recycled_content_pct=Decimal(
                f"{self.rng.uniform(5, 95) if product.route in ('scrap_eaf', 'secondary') else self.rng.uniform(5, 20):.1f}"
            ),
            source_format="form",
        )
        audit_record(
            actor=None,
            organisation=product.supplier,
            action=AuditAction.CREATED,
            obj=declaration,
            after={"status": status, "seed": "demo"},
        )
        declaration_checks_run(declaration=declaration)
        return declaration

    def _declarations(self) -> None:
        """About two thirds of products get approved EPDs; the rest of the statuses are spread around."""
        other_statuses = [
            DeclarationStatus.DRAFT,
            DeclarationStatus.SUBMITTED,
            DeclarationStatus.CHANGES_REQUESTED,
            DeclarationStatus.REJECTED,
            DeclarationStatus.EXPIRED,
            DeclarationStatus.WITHDRAWN,
        ]
        for index, product in enumerate(self.products):
            roll = self.rng.random()
            if product is self.demo_product:
                # The demo supplier's first product stays undeclared, so a new user's first approval
                # visibly moves the footprints of the models that buy it (level 2/3 -> level 1).
                continue
            if product.supplier_id == self.demo_product.supplier_id:
                roll = 0.0  # its other products all have an approved EPD: one obvious product to declare
            if roll < 0.65:
                if self.rng.random() < 0.35:  # an older version, superseded by the current approved one
                    old = self._declaration(
                        product,
                        version=1,
                        status=DeclarationStatus.SUPERSEDED,
                        issue_date=self.today - timedelta(days=self.rng.randint(700, 1200)),
                    )
                    self._declaration(product, version=2, status=DeclarationStatus.APPROVED, supersedes=old)
                else:
                    self._declaration(product, version=1, status=DeclarationStatus.APPROVED)
            self._declaration(product, version=3, status=other_statuses[index % len(other_statuses)])

    def _vehicle_models(self) -> None:
        rng = self.rng
        rows = []
        per_carmaker = -(-self.models // len(self.carmakers))
        for carmaker, brands in self.carmakers:
            for index in range(per_carmaker):
                if len(rows) >= self.models:
                    break
                brand = brands[index % len(brands)]
                series = (
                    f"{rng.choice(SERIES_WORDS)} {rng.choice(['', 'L', 'S', 'Plus', 'X', 'Pro'])}".strip()
                )
                powertrain = _weighted(rng, POWERTRAIN_MIX)
                segment = _weighted(rng, SEGMENT_MIX)
                body = _weighted(rng, BODY_MIX)
                curb = (
                    SEGMENT_BASE_KG[segment]
                    + POWERTRAIN_EXTRA_KG[powertrain]
                    + (120 if body in {"suv", "mpv"} else 0)
                )
                curb = curb * rng.uniform(0.94, 1.08)
                variant = f"{rng.choice(TRIMS)} {rng.choice(['2WD', 'AWD', '4WD'] if body == 'suv' else ['', 'LWB'])}".strip()
                rows.append(
                    VehicleModel(
                        carmaker=carmaker,
                        brand=brand,
                        model_name=series,
                        variant=variant,
                        model_year=rng.choice([2023, 2024, 2025, 2026]),
                        segment=segment,
                        body_type=body,
                        powertrain=powertrain,
                        curb_mass_kg=Decimal(f"{curb:.1f}"),
                        external_id=f"{carmaker.uscc[-6:]}-{index:05d}",
                    )
                )
        created = VehicleModel.objects.bulk_create(rows, batch_size=2000)
        if created and created[0].pk is None:  # backends that do not return ids
            created = list(VehicleModel.objects.order_by("id"))
        self.vehicle_models = created
        self.vehicle_model_ids = [m.pk for m in created]

    def _sourcing(self, carmaker_index: int, material_id: int) -> list[Product]:
        """Each carmaker buys each material from a stable few suppliers' products."""
        candidates = self.products_by_material.get(material_id, [])
        if not candidates:
            return []
        picker = random.Random(carmaker_index * 1000 + material_id)
        picked = picker.sample(candidates, k=min(3, len(candidates)))
        if (
            carmaker_index == 0
            and material_id == self.demo_product.material_id
            and self.demo_product not in picked
        ):
            picked[0] = self.demo_product  # the demo carmaker buys what the demo supplier will declare
        return picked

    def _bom_lines(self) -> int:
        rng = self.rng
        carmaker_index = {c.id: i for i, (c, _b) in enumerate(self.carmakers)}
        columns = [
            "vehicle_model_id",
            "component",
            "system",
            "material_id",
            "mass_kg",
            "supplier_product_id",
            "share",
        ]
        buffer: list[tuple] = []
        total = 0
        for model in self.vehicle_models:
            curb = float(model.curb_mass_kg)
            aluminium_kg = rng.uniform(*ALUMINIUM_KG[model.powertrain])
            steel_kg = (
                rng.uniform(0.52, 0.60) * curb
                if model.powertrain == "ICE"
                else rng.uniform(0.38, 0.46) * curb
            )
            other_kg = max(curb - steel_kg - aluminium_kg, 50.0)
            index = carmaker_index[model.carmaker_id]
            for all_parts, family_kg in (
                (STEEL_PARTS, steel_kg),
                (ALUMINIUM_PARTS, aluminium_kg),
                (OTHER_PARTS, other_kg),
            ):
                # Vehicles without a traction battery have no battery enclosure; the family's mass stays the same.
                parts = [
                    part
                    for part in all_parts
                    if not (part[0] == VehicleSystem.BATTERY_ENCLOSURE and model.powertrain in {"ICE", "HEV"})
                ]
                weight_total = sum(part[3] for part in parts)
                for system, component, code, weight, count in parts:
                    weight = weight / weight_total
                    material = self.materials[code]
                    sources = (
                        self._sourcing(index, material.id) if material.family != MaterialFamily.OTHER else []
                    )
                    masses = [rng.uniform(0.6, 1.4) for _ in range(count)]
                    scale = family_kg * weight / sum(masses)
                    for number, mass in enumerate(masses, start=1):
                        line_mass = f"{mass * scale:.4f}"
                        name = f"{component} {number}"
                        roll = rng.random() if sources else 1.0
                        if roll < 0.15 and len(sources) >= 2:  # multi-sourced 60/40
                            buffer.append(
                                (model.pk, name, system, material.id, line_mass, sources[0].id, "0.6000")
                            )
                            buffer.append(
                                (model.pk, name, system, material.id, line_mass, sources[1].id, "0.4000")
                            )
                        elif roll < 0.70:
                            buffer.append(
                                (model.pk, name, system, material.id, line_mass, rng.choice(sources).id, None)
                            )
                        else:
                            buffer.append((model.pk, name, system, material.id, line_mass, None, None))
            if len(buffer) >= 200_000:
                total += _insert_bom_lines(columns, buffer)
                buffer = []
        total += _insert_bom_lines(columns, buffer)
        return total


def _insert_bom_lines(columns: list[str], rows: list[tuple]) -> int:
    """Fast path for a million lines: COPY on PostgreSQL, executemany elsewhere."""
    frame = pd.DataFrame(rows, columns=columns)
    frame["supplier_product_id"] = frame["supplier_product_id"].astype("Int64")
    return insert_frame(BomLine._meta.db_table, frame)
