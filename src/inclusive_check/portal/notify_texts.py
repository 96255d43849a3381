"""The notifications' words in English and Chinese: the inbox page's, and each event's title and lines, for the
inbox and the e-mail alike (an e-mail is in the recipient's language when the account has one, else in both)."""

from __future__ import annotations

from typing import Any

LANGS = ("zh", "en")

PAGE: dict[str, dict[str, str]] = {
    "inbox": {"en": "Notifications", "zh": "通知"},
    "unread": {"en": "unread", "zh": "未读"},
    "read": {"en": "read", "zh": "已读"},
    "mark_read": {"en": "Mark read", "zh": "标为已读"},
    "mark_all_read": {"en": "Mark all read", "zh": "全部标为已读"},
    "only_unread": {"en": "Unread only", "zh": "仅看未读"},
    "everything": {"en": "All", "zh": "全部"},
    "no_notifications": {"en": "No notifications.", "zh": "暂无通知。"},
    "when": {"en": "When", "zh": "时间"},
    "what": {"en": "What", "zh": "内容"},
    "filing": {"en": "Filing", "zh": "报送"},
    "email": {"en": "E-mail", "zh": "邮件"},
    "open": {"en": "Open", "zh": "查看"},
    "pending": {"en": "to be sent", "zh": "待发送"},
    "sending": {"en": "sending", "zh": "发送中"},
    "sent": {"en": "sent", "zh": "已发送"},
    "failed": {"en": "not delivered", "zh": "未送达"},
    "unknown": {"en": "not confirmed", "zh": "未确认"},
    "no_address": {"en": "no address", "zh": "无邮箱"},
    "not_found": {"en": "No such notification.", "zh": "没有该通知。"},
}

_TITLES: dict[str, dict[str, str]] = {
    "revision_received": {
        "en": "Revision {sequence} of the {insurer} {period} filing was received",
        "zh": "已收到 {insurer} {period} 报送的第 {sequence} 版",
    },
    "revision_signed": {
        "en": "Revision {sequence} of the {insurer} {period} filing was signed",
        "zh": "{insurer} {period} 报送的第 {sequence} 版已签署",
    },
    "filing_returned": {
        "en": "The {insurer} {period} filing was returned",
        "zh": "{insurer} {period} 报送已被退回",
    },
    "filing_accepted": {
        "en": "The {insurer} {period} filing was accepted",
        "zh": "{insurer} {period} 报送已被接收",
    },
    "dispensation_approved": {
        "en": "Dispensation request {request} ({rule}) of the {insurer} {period} filing was approved",
        "zh": "{insurer} {period} 报送的豁免申请 {request}（{rule}）已获批准",
    },
    "dispensation_refused": {
        "en": "Dispensation request {request} ({rule}) of the {insurer} {period} filing was refused",
        "zh": "{insurer} {period} 报送的豁免申请 {request}（{rule}）被拒绝",
    },
    "due_soon": {
        "en": "The {insurer} {period} filing is due on {due} ({days_left} days left)",
        "zh": "{insurer} {period} 报送的截止日为 {due}（还剩 {days_left} 天）",
    },
    "overdue": {
        "en": "The {insurer} {period} filing is overdue: it was due on {due}",
        "zh": "{insurer} {period} 报送已逾期：截止日为 {due}",
    },
}

_LINES: dict[str, dict[str, str]] = {
    "invalid": {
        "en": "The file is not valid: each problem is shown where it is; correct them and upload again.",
        "zh": "文件无效：每个问题均已标明位置，请更正后重新上传。",
    },
    "blocking": {
        "en": "It has blocking errors and cannot be signed: correct them and upload a new revision.",
        "zh": "该版本存在阻断性错误，不能签署：请更正后上传新版本。",
    },
    "judged": {
        "en": "It was judged: answer its findings, then attest and sign.",
        "zh": "已完成检查：请回应各项发现，然后确认并签署。",
    },
    "review": {"en": "It awaits the supervisor's review.", "zh": "等待监管审核。"},
    "returned": {
        "en": "The supervisor's note: {note}. Upload a new revision.",
        "zh": "监管意见：{note}。请上传新版本。",
    },
    "approved": {
        "en": "The finding is dispensed until {expires}. {note}",
        "zh": "该项发现已豁免，有效期至 {expires}。{note}",
    },
    "refused": {"en": "The supervisor's reason: {note}", "zh": "拒绝理由：{note}"},
    "sign_before": {
        "en": "Upload, answer the findings and sign before the due date.",
        "zh": "请在截止日前上传、回应检查发现并签署。",
    },
    "overdue": {
        "en": "Nothing was signed by the due date: upload and sign as soon as you can.",
        "zh": "截止日前未签署任何版本：请尽快上传并签署。",
    },
    "open": {"en": "Open it in the portal: {url}", "zh": "在报送平台查看：{url}"},
    "automatic": {
        "en": "This message was sent by the inclusive-insurance filing portal.",
        "zh": "本邮件由普惠保险报送平台自动发送。",
    },
}


def page_text(key: str, lang: str) -> str:
    return PAGE[key][lang if lang in LANGS else "zh"]


def _values(insurer: str | None, period: str | None, detail: dict[str, Any]) -> dict[str, Any]:
    return (
        {"sequence": "", "request": "", "rule": "", "due": "", "days_left": "", "note": "", "expires": ""}
        | {k: v for k, v in detail.items() if v is not None}
        | {"insurer": insurer or "", "period": period or ""}
    )


def _title_key(kind: str, detail: dict[str, Any]) -> str:
    if kind == "dispensation_decided":
        return "dispensation_approved" if detail.get("approved") else "dispensation_refused"
    return kind


def title(kind: str, insurer: str | None, period: str | None, detail: dict[str, Any], lang: str) -> str:
    """What happened, in one line (the e-mail's subject, the inbox's entry)."""
    texts = _TITLES.get(_title_key(kind, detail))
    if texts is None:
        return kind
    return texts[lang if lang in LANGS else "zh"].format(**_values(insurer, period, detail))


def lines(kind: str, insurer: str | None, period: str | None, detail: dict[str, Any], lang: str) -> list[str]:
    """What it means for the reader, after the title."""
    key: str | None = None
    if kind == "revision_received":
        key = "invalid" if detail.get("valid") is False else "blocking" if detail.get("blocking") else "judged"
    elif kind == "revision_signed":
        key = "review"
    elif kind == "filing_returned":
        key = "returned"
    elif kind == "dispensation_decided":
        key = "approved" if detail.get("approved") else "refused"
    elif kind == "due_soon":
        key = "sign_before"
    elif kind == "overdue":
        key = "overdue"
    if key is None:
        return []
    return [_LINES[key][lang if lang in LANGS else "zh"].format(**_values(insurer, period, detail)).strip()]


def link(kind: str, insurer: str | None, period: str | None, detail: dict[str, Any]) -> str | None:
    """The portal page the event is about (a path), or None."""
    if not insurer or not period:
        return None
    sequence = detail.get("sequence")
    if isinstance(sequence, int) and kind in ("revision_received", "revision_signed", "dispensation_decided"):
        return f"/filings/{insurer}/{period}/revisions/{sequence}"
    if kind in ("due_soon", "overdue"):
        return "/"
    return f"/filings/{insurer}/{period}"


def closing(lang: str, url: str | None) -> list[str]:
    """The message's last lines: where to look, and that it was sent automatically."""
    out = [_LINES["open"][lang].format(url=url)] if url else []
    return [*out, _LINES["automatic"][lang]]
