"""The notification centre: each user sees and opens only their own notifications."""

import pytest
from django.urls import reverse

from notifications.models import Notification
from notifications.services import notify

pytestmark = pytest.mark.django_db


def test_it_lists_and_opens_the_users_own_notifications(cast, client_for):
    [note] = notify(recipients=[cast.user("head_a")], title="自查报告待审定", body="请审定", url="/reports/")
    notify(recipients=[cast.user("head_b")], title="别人的通知")
    client = client_for(cast.user("head_a"))
    page = client.get(reverse("notifications:index")).content.decode()
    assert "自查报告待审定" in page and "别人的通知" not in page
    home = client.get(reverse("home")).content.decode()
    assert '<mark class="badge">1</mark>' in home and "自查报告待审定" in home
    response = client.get(reverse("notifications:open", args=[note.pk]))
    assert response.status_code == 302 and response["Location"] == "/reports/"
    note.refresh_from_db()
    assert note.read_at is not None
    assert '<mark class="badge">' not in client.get(reverse("home")).content.decode()


def test_it_gives_404_for_someone_elses_notification(cast, client_for):
    [note] = notify(recipients=[cast.user("head_b")], title="别人的通知")
    assert client_for(cast.user("head_a")).get(reverse("notifications:open", args=[note.pk])).status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_it_marks_all_as_read(cast, client_for):
    notify(recipients=[cast.user("head_a")], title="一")
    notify(recipients=[cast.user("head_a")], title="二")
    [other] = notify(recipients=[cast.user("head_b")], title="三")
    client_for(cast.user("head_a")).post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(recipient=cast.user("head_a"), read_at__isnull=True).exists()
    other.refresh_from_db()
    assert other.read_at is None


def test_it_skips_duplicates_and_none_and_mails_after_commit(cast, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        created = notify(
            recipients=[cast.user("head_a"), cast.user("head_a"), None], title="整改提醒", body="请按期整改", email=True
        )
    assert len(created) == 1
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["head_a@example.cn"] and mailoutbox[0].subject == "整改提醒"


def test_it_lists_notifications_in_constant_queries(cast, client_for, django_assert_max_num_queries):
    client = client_for(cast.user("head_a"))
    notify(recipients=[cast.user("head_a")], title="一")
    client.get(reverse("notifications:index"))
    with django_assert_max_num_queries(13) as ctx:  # 12 + the shell's campaign switcher
        client.get(reverse("notifications:index"))
    for i in range(25):
        notify(recipients=[cast.user("head_a")], title=f"通知{i}")
    with django_assert_max_num_queries(len(ctx.captured_queries)):
        client.get(reverse("notifications:index"))
