"""Where a customer can take a decision next, per jurisdiction (regulation DC-3) (pure).

:func:`routes` picks the routes for a case's jurisdiction (country code mapped to a regime by
:func:`ombud.triage.regulatory_clocks.regime_for`); :func:`render` words them in the
customer's language. The rules:

- UK (DISP 1.6.2R, Annex 3): every final response names the Financial Ombudsman Service, the
  six-month limit, its website, the firm's waiver position and the FOS leaflet, even when the
  complaint is upheld.
- HK (SFC Code of Conduct, FDRC amendments): clients are told of their right to go to the
  FDRC (24 months, claims up to HK$1,000,000), in every decision.
- EU/EEA (2025/294 Art. 6(4)): when the demand is not, or only partly, met, the available
  remedies; the national ADR body and competent authority where configured; for Malta (or
  every EU customer of a Malta-licensed exchange) the OAFS.
- Anywhere else, when not fully upheld: the exchange's own appeal route.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ombud.triage.regulatory_clocks import regime_for
from ombud.triage.regulatory_model import Regime

FOS_WEBSITE = "www.financial-ombudsman.org.uk"
OAFS_WEBSITE = "www.financialarbiter.org.mt"
FDRC_WEBSITE = "www.fdrc.org.hk"


@dataclass(frozen=True)
class Body:
    """A dispute body or authority as configured: its name and how to reach it."""

    name: str
    contact: str


@dataclass(frozen=True)
class EscalationConfig:
    """Per-exchange settings for the escalation paragraphs.

    ``uk_consents_to_late_referral`` defaults to False: the letter then says the firm does not
    consent to the FOS hearing a late referral, which promises nothing the firm has not agreed.
    ``fos_leaflet_url`` empty means the FOS leaflet is enclosed with the letter (the sender must
    attach it). ``adr`` and ``nca`` map EU/EEA country codes to national bodies.
    """

    uk_consents_to_late_referral: bool = False
    fos_leaflet_url: str = ""
    adr: Mapping[str, Body] = field(default_factory=dict)
    nca: Mapping[str, Body] = field(default_factory=dict)
    malta_licensed: bool = False
    appeal_contact: str = ""


class RouteKind(StrEnum):
    """One escalation paragraph of a letter."""

    EU_REMEDIES = "eu_remedies"
    ADR = "adr"
    NCA = "nca"
    OAFS = "oafs"
    FOS = "fos"
    FDRC = "fdrc"
    OWN_APPEAL = "own_appeal"


@dataclass(frozen=True)
class Route:
    """A route the letter must state, with the configured body when it has one."""

    kind: RouteKind
    body: Body | None = None


def routes(jurisdiction: str, *, fully_upheld: bool, config: EscalationConfig) -> tuple[Route, ...]:
    """The escalation routes a decision letter must state for ``jurisdiction`` (DC-3)."""
    code = jurisdiction.strip().upper()
    regime = regime_for(code)
    if regime is Regime.UK:
        return (Route(RouteKind.FOS),)
    if regime is Regime.HK:
        return (Route(RouteKind.FDRC),)
    if fully_upheld:
        return ()
    if regime is not Regime.EU:
        return (Route(RouteKind.OWN_APPEAL),)
    found = [Route(RouteKind.EU_REMEDIES)]
    if code in config.adr:
        found.append(Route(RouteKind.ADR, config.adr[code]))
    if code == "MT" or config.malta_licensed:
        found.append(Route(RouteKind.OAFS))
    if code in config.nca:
        found.append(Route(RouteKind.NCA, config.nca[code]))
    return tuple(found)


_TEXT: dict[str, dict[str, str]] = {
    "en": {
        RouteKind.EU_REMEDIES: (
            "If you disagree\n"
            "If you are not satisfied with this decision, you can:\n"
            "- object to it as described above;\n"
            "- take the dispute to an out-of-court dispute resolution (ADR) body, or raise it "
            "with the authority that supervises crypto-asset services in your country;"
        ),
        RouteKind.ADR: (
            "- ask {name}, the out-of-court dispute resolution body for your country, to "
            "settle it ({contact});"
        ),
        RouteKind.NCA: (
            "- tell {name}, the authority that supervises crypto-asset services in your "
            "country, about it ({contact});"
        ),
        RouteKind.OAFS: (
            "- ask Malta's Office of the Arbiter for Financial Services (OAFS) to decide it ("
            + OAFS_WEBSITE + "). The Arbiter accepts complaints in Maltese or English, filed "
            "within 2 years of the day you first knew of the matter. If you object to this "
            "decision and have no answer from us within 15 working days, you may go to the "
            "Arbiter without waiting further;"
        ),
        "eu_closing": "- go to court.\nNone of these steps affects your other legal rights.",
        RouteKind.FOS: (
            "Financial Ombudsman Service\n"
            "Under the UK complaint rules this letter is our final response. You may still "
            "object as described above, but you do not have to: if you are unhappy with our "
            "answer, you can ask the Financial Ombudsman Service (FOS) to look at your "
            "complaint now. The FOS is free to use and independent of us. You must refer your "
            "complaint to it within six months of the date of this letter ({letter_date}).\n"
            "{waiver}\n"
            "Website: " + FOS_WEBSITE + "\n"
            "{leaflet}"
        ),
        "fos_no_waiver": (
            "We do not consent to the FOS looking at your complaint if you refer it after "
            "those six months; it could then do so only in very limited circumstances. The "
            "FOS may also be unable to consider events more than six years old that you raise "
            "more than three years after you knew, or ought to have known, of the problem."
        ),
        "fos_waiver": (
            "We consent to the FOS looking at your complaint even if you refer it after those "
            "six months or outside its other time limits."
        ),
        "fos_leaflet_enclosed": "We enclose the FOS leaflet that explains its service.",
        "fos_leaflet_url": "The FOS leaflet that explains its service is at {url}.",
        RouteKind.FDRC: (
            "Financial Dispute Resolution Centre (Hong Kong)\n"
            "If this decision does not settle the matter, you have the right to take a money "
            "dispute with us to the Financial Dispute Resolution Centre (FDRC), which works by "
            "mediation first and arbitration if needed: " + FDRC_WEBSITE + ". Claims of up "
            "to HK$1,000,000 can be brought within 24 months of the day you first knew of "
            "your loss."
        ),
        RouteKind.OWN_APPEAL: (
            "If you disagree\n"
            "Object to this decision by {respond_by} as described above. A member of our "
            "complaints team who took no part in this decision will review your objection and "
            "any new evidence, and we will write to you with the result.{contact} This does "
            "not affect your right to go to court."
        ),
        "appeal_contact": " You can also write to our complaints appeals team: {contact}.",
    },
    "zh-Hans": {
        RouteKind.EU_REMEDIES: (
            "如您不同意本决定\n"
            "如您对本决定不满意，可以：\n"
            "- 按上述方式提出异议；\n"
            "- 将争议提交庭外争议解决（ADR）机构，"
            "或向您所在国家负责监管加密资产服务的主管机关反映；"
        ),
        RouteKind.ADR: "- 请您所在国家的庭外争议解决机构（{name}，{contact}）进行调解；",
        RouteKind.NCA: "- 向您所在国家负责监管加密资产服务的主管机关（{name}，{contact}）反映；",
        RouteKind.OAFS: (
            "- 请马耳他金融服务仲裁员办公室（OAFS）作出裁决（" + OAFS_WEBSITE + "）。"
            "仲裁员受理以马耳他语或英语提交的投诉，投诉须在您首次知悉相关事项之日起 2 年内提出。"
            "如您提出异议后 15 个工作日内仍未收到我们的答复，您无需继续等待，可直接向仲裁员"
            "提出投诉；"
        ),
        "eu_closing": "- 向法院提起诉讼。\n采取上述任何途径，均不影响您依法享有的其他权利。",
        RouteKind.FOS: (
            "英国金融申诉专员服务\n"
            "根据英国的投诉处理规则，本函是我们对您投诉的最终答复。您仍可按上述方式提出异议，"
            "但这并非必经程序：如您对我们的答复不满意，现在即可请求金融申诉专员服务（FOS）"
            "审理您的投诉。该服务免费，且独立于我们。您须在本函日期（{letter_date}）起六个月内"
            "提出。\n"
            "{waiver}\n"
            "网址：" + FOS_WEBSITE + "\n"
            "{leaflet}"
        ),
        "fos_no_waiver": (
            "如您在六个月期限届满后才提出，我们不同意金融申诉专员服务受理您的投诉，届时该服务"
            "仅能在极为有限的情况下受理。此外，对于六年多以前发生的事件，如您在知道或应当知道"
            "问题存在之日起超过三年才提出，金融申诉专员服务可能无法受理。"
        ),
        "fos_waiver": (
            "即使您在六个月期限届满后或其他时限之外才提出，我们也同意金融申诉专员服务受理您的投诉。"
        ),
        "fos_leaflet_enclosed": "随函附上金融申诉专员服务的服务说明手册。",
        "fos_leaflet_url": "金融申诉专员服务的服务说明手册可在此查阅：{url}",
        RouteKind.FDRC: (
            "香港金融纠纷调解中心\n"
            "如本决定未能解决争议，您有权将与我们之间的金钱纠纷提交金融纠纷调解中心（FDRC）处理。"
            "该中心采用“先调解、后仲裁”的方式解决纠纷，网址：" + FDRC_WEBSITE + "。"
            "索偿金额不超过港币 1,000,000 元的申请，须在您首次知悉损失之日起 24 个月内提出。"
        ),
        RouteKind.OWN_APPEAL: (
            "如您不同意本决定\n"
            "请于 {respond_by} 前按上述方式提出异议。我们投诉处理团队中未参与本决定的成员将审查"
            "您的异议及您提供的任何新证据，并以书面形式告知您结果。{contact}此举不影响您向法院"
            "提起诉讼的权利。"
        ),
        "appeal_contact": "您也可以致函我们的投诉申诉小组：{contact}。",
    },
    "zh-Hant": {
        RouteKind.EU_REMEDIES: (
            "如您不同意本決定\n"
            "如您對本決定不滿意，可以：\n"
            "- 按上述方式提出異議；\n"
            "- 將爭議提交庭外爭議解決（ADR）機構，"
            "或向您所在國家負責監管加密資產服務的主管機關反映；"
        ),
        RouteKind.ADR: "- 請您所在國家的庭外爭議解決機構（{name}，{contact}）進行調解；",
        RouteKind.NCA: "- 向您所在國家負責監管加密資產服務的主管機關（{name}，{contact}）反映；",
        RouteKind.OAFS: (
            "- 請馬耳他金融服務仲裁員辦公室（OAFS）作出裁決（" + OAFS_WEBSITE + "）。"
            "仲裁員受理以馬耳他語或英語提交的投訴，投訴須在您首次知悉相關事項之日起 2 年內提出。"
            "如您提出異議後 15 個工作天內仍未收到我們的答覆，您無需繼續等候，可直接向仲裁員"
            "提出投訴；"
        ),
        "eu_closing": "- 向法院提起訴訟。\n採取上述任何途徑，均不影響您依法享有的其他權利。",
        RouteKind.FOS: (
            "英國金融申訴專員服務\n"
            "根據英國的投訴處理規則，本函是我們對您投訴的最終答覆。您仍可按上述方式提出異議，"
            "但這並非必經程序：如您對我們的答覆不滿意，現在即可要求金融申訴專員服務（FOS）"
            "審理您的投訴。該服務免費，且獨立於我們。您須在本函日期（{letter_date}）起六個月內"
            "提出。\n"
            "{waiver}\n"
            "網址：" + FOS_WEBSITE + "\n"
            "{leaflet}"
        ),
        "fos_no_waiver": (
            "如您在六個月期限屆滿後才提出，我們不同意金融申訴專員服務受理您的投訴，屆時該服務"
            "僅能在極為有限的情況下受理。此外，對於六年多以前發生的事件，如您在知道或應當知道"
            "問題存在之日起超過三年才提出，金融申訴專員服務可能無法受理。"
        ),
        "fos_waiver": (
            "即使您在六個月期限屆滿後或其他時限之外才提出，我們亦同意金融申訴專員服務受理您的投訴。"
        ),
        "fos_leaflet_enclosed": "隨函附上金融申訴專員服務的服務說明小冊子。",
        "fos_leaflet_url": "金融申訴專員服務的服務說明小冊子可在此查閱：{url}",
        RouteKind.FDRC: (
            "香港金融糾紛調解中心\n"
            "如本決定未能解決爭議，您有權將與我們之間的金錢糾紛提交金融糾紛調解中心（FDRC）處理。"
            "該中心採用「先調解、後仲裁」的方式解決糾紛，網址：" + FDRC_WEBSITE + "。"
            "索償金額不超過港幣 1,000,000 元的申請，須在您首次知悉損失之日起 24 個月內提出。"
        ),
        RouteKind.OWN_APPEAL: (
            "如您不同意本決定\n"
            "請於 {respond_by} 前按上述方式提出異議。我們投訴處理團隊中未參與本決定的成員將審查"
            "您的異議及您提供的任何新證據，並以書面形式通知您結果。{contact}此舉不影響您向法院"
            "提起訴訟的權利。"
        ),
        "appeal_contact": "您亦可致函我們的投訴上訴小組：{contact}。",
    },
}


def render(
    language: str,
    found: tuple[Route, ...],
    *,
    config: EscalationConfig,
    letter_date: str,
    respond_by: str,
) -> str:
    """The escalation paragraphs in ``language`` (unknown → English); "" when there are none.

    ``letter_date`` and ``respond_by`` arrive already written in that language.
    """
    texts = _TEXT.get(language, _TEXT["en"])
    waiver = texts["fos_waiver" if config.uk_consents_to_late_referral else "fos_no_waiver"]
    leaflet = (
        texts["fos_leaflet_url"].format(url=config.fos_leaflet_url)
        if config.fos_leaflet_url else texts["fos_leaflet_enclosed"]
    )
    contact = (
        texts["appeal_contact"].format(contact=config.appeal_contact)
        if config.appeal_contact else ""
    )
    paragraphs: list[str] = []
    for route in found:
        body = route.body or Body("", "")
        line = texts[route.kind].format(
            name=body.name, contact=contact if route.kind is RouteKind.OWN_APPEAL else body.contact,
            letter_date=letter_date, respond_by=respond_by, waiver=waiver, leaflet=leaflet,
        )
        # ADR, NCA and OAFS lines continue the list that EU_REMEDIES opens.
        if route.kind in (RouteKind.ADR, RouteKind.NCA, RouteKind.OAFS) and paragraphs:
            paragraphs[-1] += "\n" + line
        else:
            paragraphs.append(line)
    if any(route.kind is RouteKind.EU_REMEDIES for route in found):
        paragraphs[-1] += "\n" + texts["eu_closing"]
    return "\n\n".join(paragraphs)
