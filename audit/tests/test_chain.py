import pytest

from audit.models import AuditRecord
from audit.services import audit_record, audit_verify


@pytest.mark.django_db
class TestAuditChain:
    def _three(self) -> list[int]:
        """Three records after the key-start record; their numbers."""
        return [audit_record(actor=None, action=f"test.{i}", changes={"i": i}).seq for i in range(3)]

    def test_it_verifies_an_intact_chain(self):
        self._three()
        ok, message = audit_verify()
        assert ok, message

    def test_it_detects_an_edited_record(self):
        _, b, _ = self._three()
        AuditRecord.objects.filter(seq=b).update(changes={"i": 99})
        ok, message = audit_verify()
        assert not ok and f"#{b} " in message

    def test_it_detects_a_deleted_record(self):
        _, b, _ = self._three()
        AuditRecord.objects.filter(seq=b).delete()
        ok, message = audit_verify()
        assert not ok and f"#{b} " in message

    def test_it_detects_a_deleted_last_record(self):
        *_, c = self._three()
        AuditRecord.objects.filter(seq=c).delete()
        ok, message = audit_verify()
        assert not ok

    def test_it_detects_reordering(self):
        _, x, y = self._three()
        a, b = AuditRecord.objects.get(seq=x), AuditRecord.objects.get(seq=y)
        AuditRecord.objects.filter(pk=a.pk).update(seq=-1)
        AuditRecord.objects.filter(pk=b.pk).update(seq=x)
        AuditRecord.objects.filter(pk=a.pk).update(seq=y)
        ok, message = audit_verify()
        assert not ok
