"""The contract's enumerations (§3), each value with its Chinese label.

The labels are data: `/v1/meta` serves them, SMS templates and the triage
table use them. Every enum is a `str` enum so that its values serialise as
the plain strings the contract names.
"""

from __future__ import annotations

from enum import Enum


class WireEnum(str, Enum):
    """A string enum whose members format as their wire value (`f"{step}"` gives `reminder`)."""

    def __str__(self) -> str:
        return self.value


class LabelledEnum(str, Enum):
    """A string enum whose members carry a Chinese label."""

    label: str

    def __new__(cls, value: str, label: str) -> "LabelledEnum":
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    def __str__(self) -> str:  # so f-strings give the wire value
        return self.value

    def __hash__(self) -> int:  # hash like the wire string: `"red" in {RiskLevel.RED}`
        return str.__hash__(self)


class Category(LabelledEnum):
    """纠纷类别: the kind of dispute."""

    MARRIAGE_FAMILY = ("marriage_family", "婚姻家庭")
    NEIGHBOR = ("neighbor", "邻里")
    PROPERTY_MANAGEMENT = ("property_management", "物业服务")
    LAND_RESOURCES = ("land_resources", "土地山林草场/青苗补偿/土地流转")
    LABOR_WAGES = ("labor_wages", "劳动争议/欠薪")
    MEDICAL = ("medical", "医患")
    TRAFFIC_ACCIDENT = ("traffic_accident", "交通事故")
    CONSUMER_CONTRACT = ("consumer_contract", "消费合同")
    HOUSING_CONSTRUCTION = ("housing_construction", "住建拆迁/加装电梯")
    OTHER = ("other", "其他")


class Channel(LabelledEnum):
    """来源: the door a dispute came in through."""

    HOTLINE_12345 = ("hotline_12345", "12345热线")
    POLICE_110 = ("police_110", "110非警务警情")
    PETITION = ("petition", "信访")
    GRID_PATROL = ("grid_patrol", "网格排查")
    WALK_IN = ("walk_in", "窗口来访")
    COURT = ("court", "诉调对接")
    DEPARTMENT = ("department", "部门移送")
    ONLINE = ("online", "线上")
    PARTNER_API = ("partner_api", "合作系统接口")


class RiskIndicator(LabelledEnum):
    """风险指标: facts that raise a dispute's risk grade."""

    THREAT_OF_VIOLENCE = ("threat_of_violence", "扬言报复/威胁恐吓")
    DOMESTIC_VIOLENCE = ("domestic_violence", "家暴")
    SUICIDE_RISK = ("suicide_risk", "扬言自杀")
    GROUP_DISPUTE = ("group_dispute", "群体性")
    REPEATED_PETITION = ("repeated_petition", "重复访")
    VULNERABLE_PARTY = ("vulnerable_party", "老幼病残")
    LONG_STANDING = ("long_standing", "长期未化解")


class RiskLevel(LabelledEnum):
    """风险等级, most severe first."""

    RED = ("red", "红色")
    ORANGE = ("orange", "橙色")
    YELLOW = ("yellow", "黄色")
    BLUE = ("blue", "蓝色")


class Tier(LabelledEnum):
    """层级: where a dispute is handled, lowest first."""

    VILLAGE = ("village", "村社前哨")
    TOWN = ("town", "镇街主战")
    DISTRICT = ("district", "区级终结")

    def up(self) -> "Tier | None":
        """The next tier up, or None at the top."""
        order = list(Tier)
        index = order.index(self)
        return order[index + 1] if index + 1 < len(order) else None


class MediationType(LabelledEnum):
    """五调联动: the five kinds of mediation."""

    PEOPLE = ("people", "人民调解")
    ADMINISTRATIVE = ("administrative", "行政调解")
    JUDICIAL = ("judicial", "司法调解")
    INDUSTRY = ("industry", "行业性专业性调解")
    SOCIAL_ORG = ("social_org", "社会组织调解")


class CaseStatus(LabelledEnum):
    """案件状态."""

    RECEIVED = ("received", "已受理")
    DISPATCHED = ("dispatched", "已派单")
    ACCEPTED = ("accepted", "已接单")
    RESOLVED = ("resolved", "调解成功")
    UNRESOLVED = ("unresolved", "调解不成")
    CLOSED = ("closed", "已结案")
    WITHDRAWN = ("withdrawn", "已撤回")
    MERGED = ("merged", "已合并")
    TRANSFERRED = ("transferred", "已移交")


OPEN_STATUSES = frozenset({CaseStatus.RECEIVED, CaseStatus.DISPATCHED, CaseStatus.ACCEPTED})
"""Statuses of a case still being worked on."""


class Referral(LabelledEnum):
    """诉求分流: where a dispute goes when mediation fails."""

    LITIGATION = ("litigation", "诉讼")
    ARBITRATION = ("arbitration", "仲裁")
    ADMINISTRATIVE_REVIEW = ("administrative_review", "行政复议")
    PETITION = ("petition", "信访")
    OTHER = ("other", "其他")


class Satisfaction(LabelledEnum):
    """满意度."""

    SATISFIED = ("satisfied", "满意")
    BASICALLY_SATISFIED = ("basically_satisfied", "基本满意")
    DISSATISFIED = ("dissatisfied", "不满意")


class PartyRole(LabelledEnum):
    """当事人角色."""

    APPLICANT = ("applicant", "申请人")
    RESPONDENT = ("respondent", "被申请人")
    THIRD_PARTY = ("third_party", "第三人")


class Role(LabelledEnum):
    """Principals of the API (§1)."""

    PARTNER = ("partner", "合作系统")
    MEDIATOR = ("mediator", "调解员")
    SUPERVISOR = ("supervisor", "中心负责人")
    ADMIN = ("admin", "运维管理员")


class CategorySource(LabelledEnum):
    """Who set a case's category."""

    PARTNER = ("partner", "来件指定")
    AUTO = ("auto", "自动分诊")


class SuspensionReason(LabelledEnum):
    """中止事由: why a case waits (§11 `reason_code`)."""

    APPRAISAL = ("appraisal", "等待鉴定")
    HEARING = ("hearing", "等待听证或庭审")
    AWAITING_DOCUMENTS = ("awaiting_documents", "等待补充材料")
    PARTY_UNAVAILABLE = ("party_unavailable", "当事人暂无法参加")
    OTHER_PROCEEDING = ("other_proceeding", "等待其他程序结果")


class ExtensionDecision(LabelledEnum):
    """延期审批结果."""

    APPROVE = ("approve", "批准")
    REJECT = ("reject", "不批准")


class ExtensionStatus(LabelledEnum):
    """延期申请状态 (the case view's `extension.status`)."""

    PENDING = ("pending", "待审批")
    APPROVED = ("approved", "已批准")
    REJECTED = ("rejected", "未批准")


class TransferTarget(LabelledEnum):
    """移交: the kind of body with the power to handle a dispute that does not belong in mediation
    (信访工作条例 §22: 涉法涉诉 matters to the 政法 departments, reports and accusations to 纪检)."""

    COURT = ("court", "人民法院")
    PROCURATORATE = ("procuratorate", "人民检察院")
    PUBLIC_SECURITY = ("public_security", "公安机关")
    PETITION_OFFICE = ("petition_office", "信访部门")
    ADMINISTRATIVE_DEPARTMENT = ("administrative_department", "行政机关")
    ARBITRATION = ("arbitration", "仲裁机构")
    OTHER = ("other", "其他")


class SessionMode(LabelledEnum):
    """调解会: how the parties meet, in a room or by video (兖州's 视频调解 with duty lawyers)."""

    ONSITE = ("onsite", "现场调解")
    VIDEO = ("video", "视频调解")


class JudicialStatus(LabelledEnum):
    """司法确认: where an application for judicial confirmation of an agreement stands (`domain/judicial.py`)."""

    NOT_REQUESTED = ("not_requested", "未申请")
    INTENDED = ("intended", "拟申请")
    FILED = ("filed", "已申请")
    ACCEPTED = ("accepted", "法院已受理")
    CONFIRMED = ("confirmed", "确认有效")
    REJECTED = ("rejected", "驳回申请")
    NOT_ACCEPTED = ("not_accepted", "不予受理")
    LAPSED = ("lapsed", "逾期未申请")


PUBLIC_ENUMS: dict[str, type[LabelledEnum]] = {
    "category": Category,
    "channel": Channel,
    "risk_indicators": RiskIndicator,
    "risk_level": RiskLevel,
    "tier": Tier,
    "mediation_type": MediationType,
    "status": CaseStatus,
    "referral": Referral,
    "satisfaction": Satisfaction,
    "party_role": PartyRole,
    "role": Role,
    "category_source": CategorySource,
    "suspension_reason": SuspensionReason,
    "extension_decision": ExtensionDecision,
    "extension_status": ExtensionStatus,
    "judicial_confirmation_status": JudicialStatus,
    "transfer_to": TransferTarget,
    "session_mode": SessionMode,
}
"""The enumerations `/v1/meta` lists, by the field name they appear under."""
