"""The minutes (会议记录) of a democratic life meeting: `collect` gathers plain data, `to_docx` renders
the official Word document with core.documents."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.documents import cn_date, docx_bytes, heading, official_document, paragraph, signature, table
from core.documents import cn_number as n

from . import selectors
from .models import LifeMeeting, MeetingMember


def collect(meeting: LifeMeeting) -> dict:
    members = list(meeting.members.select_related("person").order_by("role", "sort_order", "pk"))
    q = selectors.quorum(meeting, members)
    when = timezone.localtime(meeting.date)
    return {
        "title": _("Minutes of the democratic life meeting of %(unit)s") % {"unit": meeting.unit.name},
        "unit": meeting.unit.name,
        "theme": meeting.theme,
        "when": f"{cn_date(when.date())} {when:%H:%M}",
        "place": meeting.place,
        "chair": meeting.chair.name if meeting.chair else "",
        "secretary": meeting.secretary.name if meeting.secretary else "",
        "attendance": [
            {
                "name": m.person.name,
                "title": m.person.title,
                "role": m.get_role_display(),
                "attendance": m.get_attendance_display(),
                "reason": m.absence_reason,
            }
            for m in members
            if m.is_member
        ],
        "quorum": q,
        # Observers are not members: named on their own line (those recorded absent are left out).
        "observers": [
            m.person.name for m in members if not m.is_member and m.attendance != MeetingMember.Attendance.ABSENT
        ],
        "self_criticisms": [
            {"name": m.person.name, "text": m.self_criticism}
            for m in members
            if m.is_member and m.attendance == MeetingMember.Attendance.PRESENT
        ],
        "criticisms": [
            {"from": c.from_person.name, "to": c.to_person.name, "content": c.content}
            for c in selectors.criticisms_of(meeting)
        ],
        "problems": [
            {"description": p.description, "subject": p.subject_person.name if p.subject_person else meeting.unit.name}
            for p in selectors.problems_of(meeting)
        ],
        "measures": [
            {"content": m.content, "person": m.person.name if m.person else ""}
            for m in selectors.agreed_measures(meeting)
        ],
        "summary": meeting.summary,
        "follow_up_days": meeting.follow_up_days,
        "issued": timezone.localdate(),
    }


def to_docx(data: dict) -> bytes:
    doc = official_document(title=data["title"])
    paragraph(doc, _("Theme: %(theme)s") % {"theme": data["theme"]})
    paragraph(doc, _("Time: %(when)s    Place: %(place)s") % {"when": data["when"], "place": data["place"]})
    paragraph(doc, _("Chaired by: %(chair)s    Recorded by: %(secretary)s") % data)
    q = data["quorum"]
    heading(doc, f"{n(1)}、" + _("Attendance"), 1)
    paragraph(
        doc,
        _(
            "%(total)d members should attend, %(present)d attended, %(absent)d were absent; the quorum of %(required)d was met."
        )
        % {"total": q.total, "present": q.present, "absent": q.absent, "required": q.required},
    )
    if data["observers"]:
        paragraph(doc, _("Observers from the superior body: %(names)s.") % {"names": "、".join(data["observers"])})
    table(
        doc,
        [_("Full name"), _("Job title"), _("Attendance"), _("Reason for absence")],
        [[a["name"], a["title"], a["attendance"], a["reason"]] for a in data["attendance"]],
    )
    heading(doc, f"{n(2)}、" + _("Self-criticism"), 1)
    for i, s in enumerate(data["self_criticisms"], 1):
        heading(doc, f"（{n(i)}）{s['name']}", 2)
        paragraph(doc, s["text"])
    heading(doc, f"{n(3)}、" + _("Criticisms"), 1)
    if data["criticisms"]:
        table(
            doc,
            [pgettext("meeting criticism", "From"), pgettext("meeting criticism", "To"), _("Criticism")],
            [[c["from"], c["to"], c["content"]] for c in data["criticisms"]],
        )
    else:
        paragraph(doc, _("None recorded."))
    heading(doc, f"{n(4)}、" + _("Problems raised"), 1)
    for i, p in enumerate(data["problems"], 1):
        paragraph(doc, f"{i}. {p['description']}（{p['subject']}）")
    if not data["problems"]:
        paragraph(doc, _("None recorded."))
    heading(doc, f"{n(5)}、" + _("Measures agreed"), 1)
    for i, m in enumerate(data["measures"], 1):
        who = _("(responsible: %(name)s)") % {"name": m["person"]} if m["person"] else ""
        paragraph(doc, f"{i}. {m['content']}{who}")
    if data["summary"]:
        heading(doc, f"{n(6)}、" + _("Other business"), 1)
        paragraph(doc, data["summary"])
    paragraph(
        doc,
        _("The meeting will be reported to the superior and the staff informed within %(days)d days.")
        % {"days": data["follow_up_days"]},
    )
    signature(doc, data["unit"], data["issued"])
    return docx_bytes(doc)


def minutes_docx(meeting: LifeMeeting) -> bytes:
    return to_docx(collect(meeting))
