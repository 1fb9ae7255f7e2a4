"""Enumerations of the tenancy layer: organisation kinds, roles, API scopes, China's provinces."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    SUPPLIER = "supplier", _("Supplier")
    CARMAKER = "carmaker", _("Carmaker")
    AUDITOR = "auditor", _("Auditor")
    OPERATOR = "operator", _("Operator")


class MembershipRole(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MEMBER = "member", _("Member")


class ApiScope(models.TextChoices):
    """OAuth2 scopes an organisation admin grants an API client (the keys of OAUTH2_PROVIDER["SCOPES"]):
    GET, HEAD and OPTIONS under /api/v1/ and every PACT action need `read`, every other method `write`."""

    READ = "read", _("Read: footprints, BOMs, declarations")
    WRITE = "write", _("Write: replace BOMs, submit and review declarations")


class Province(models.TextChoices):
    """Provincial-level divisions of mainland China; the grid region follows from the province."""

    BEIJING = "BJ", _("Beijing")
    TIANJIN = "TJ", _("Tianjin")
    HEBEI = "HE", _("Hebei")
    SHANXI = "SX", _("Shanxi")
    INNER_MONGOLIA = "NM", _("Inner Mongolia")
    LIAONING = "LN", _("Liaoning")
    JILIN = "JL", _("Jilin")
    HEILONGJIANG = "HL", _("Heilongjiang")
    SHANGHAI = "SH", _("Shanghai")
    JIANGSU = "JS", _("Jiangsu")
    ZHEJIANG = "ZJ", _("Zhejiang")
    ANHUI = "AH", _("Anhui")
    FUJIAN = "FJ", _("Fujian")
    JIANGXI = "JX", _("Jiangxi")
    SHANDONG = "SD", _("Shandong")
    HENAN = "HA", _("Henan")
    HUBEI = "HB", _("Hubei")
    HUNAN = "HN", _("Hunan")
    GUANGDONG = "GD", _("Guangdong")
    GUANGXI = "GX", _("Guangxi")
    HAINAN = "HI", _("Hainan")
    CHONGQING = "CQ", _("Chongqing")
    SICHUAN = "SC", _("Sichuan")
    GUIZHOU = "GZ", _("Guizhou")
    YUNNAN = "YN", _("Yunnan")
    TIBET = "XZ", _("Tibet")
    SHAANXI = "SN", _("Shaanxi")
    GANSU = "GS", _("Gansu")
    QINGHAI = "QH", _("Qinghai")
    NINGXIA = "NX", _("Ningxia")
    XINJIANG = "XJ", _("Xinjiang")


class AuditAction(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    SUPERSEDED = "superseded", _("Superseded")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REVOKED = "revoked", _("Revoked")
