import pytest

from audit.models import AuditRecord
from audit.services import audit_record, audit_verify


@pytest.mark.django_db
class TestAuditChain:
    def _three(self):
        for i in range(3):
            audit_record(actor=None, action=f"test.{i}", changes={"i": i})

    def test_it_verifies_an_intact_chain(self):
        self._three()
        ok, message = audit_verify()
        assert ok, message

    def test_it_detects_an_edited_record(self):
        self._three()
        AuditRecord.objects.filter(seq=2).update(changes={"i": 99})
        ok, message = audit_verify()
        assert not ok and "#2" in message

    def test_it_detects_a_deleted_record(self):
        self._three()
        AuditRecord.objects.filter(seq=2).delete()
        ok, message = audit_verify()
        assert not ok and "#2" in message

    def test_it_detects_a_deleted_last_record(self):
        self._three()
        AuditRecord.objects.filter(seq=3).delete()
        ok, message = audit_verify()
        assert not ok

    def test_it_detects_reordering(self):
        self._three()
        a, b = AuditRecord.objects.get(seq=2), AuditRecord.objects.get(seq=3)
        AuditRecord.objects.filter(pk=a.pk).update(seq=-1)
        AuditRecord.objects.filter(pk=b.pk).update(seq=2)
        AuditRecord.objects.filter(pk=a.pk).update(seq=3)
        ok, message = audit_verify()
        assert not ok
