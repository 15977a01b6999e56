"""The audit log reads in Chinese: action names, change keys and status values, not the stored codes."""

from .conftest import hold


def test_it_shows_the_meeting_trail_in_chinese(cast, ready_meeting, client_for):
    hold(cast, ready_meeting)
    html = client_for(cast.user("office")).get("/audit/", {"action": "meeting.hold"}).content.decode()
    row = html.split("<tbody>")[1].split("</tr>")[0]
    assert "登记会议已召开" in row
    assert "状态" in row and "筹备中 → 已召开" in row
    assert "planned" not in row and "held</" not in row
    attendance = client_for(cast.user("office")).get("/audit/", {"action": "meeting.attendance"}).content.decode()
    assert "缺席原因" in attendance and "未登记 → 缺席" in attendance
    assert "unknown" not in attendance.split("<tbody>")[1]
