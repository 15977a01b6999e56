"""Excel import of units and people: good file, every error kind, all or nothing."""

import io
from datetime import date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from audit.models import AuditRecord
from orgs.importing import import_workbook, parse
from orgs.models import Person, Post, Supervision, Unit
from orgs.selectors import subtree

pytestmark = pytest.mark.django_db

UNIT_HEAD = ["部门名称", "单位编码", "上级部门", "类型", "简称"]
PEOPLE_HEAD = ["职工号", "姓名", "所在部门", "岗位", "职务名称", "性别", "出生日期", "是否党员", "分管部门"]


def workbook(units=(), people=(), unit_head=UNIT_HEAD, people_head=PEOPLE_HEAD, title_row=False) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "单位"
    if title_row:
        ws.append(["江城职业技术学院机构设置表"])
    ws.append(unit_head)
    for row in units:
        ws.append(list(row))
    ws2 = wb.create_sheet("人员")
    ws2.append(people_head)
    for row in people:
        ws2.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


GOOD_UNITS = [
    ("艺术设计学院党总支", "T-ART", "江城职业技术学院", "总支", "艺术学院"),
    ("艺术教工支部", "", "T-ART", "支部", ""),
    ("督导科", "", "教务处", "科室", ""),
]
GOOD_PEOPLE = [
    ("A001", "林一", "艺术设计学院党总支", "部门负责人", "党总支书记", "男", datetime(1975, 4, 3), "中共党员", ""),
    ("A002", "林二", "艺术教工支部", "教职工", "讲师", "女", "1990/9/1", "群众", ""),
    ("A003", "林三", "艺术教工支部", "干部、党员", "支部书记", "女", "1985年12月2日", "是", ""),
    (
        "A004",
        "林四",
        "江城职业技术学院",
        "班子成员",
        "副院长",
        "男",
        "19700102",
        "中共党员",
        "艺术设计学院党总支、督导科",
    ),
]


def run(data: bytes, cast, actor=None):
    return import_workbook(io.BytesIO(data), actor=actor, scope=subtree(cast.college))


class TestGoodFile:
    def test_it_imports_units_people_posts_and_supervision(self, cast):
        plan, result = run(workbook(GOOD_UNITS, GOOD_PEOPLE, title_row=True), cast, actor=cast.user("office"))
        assert plan.errors == []
        assert (result.units_created, result.people_created, result.supervisions_set) == (3, 4, 2)
        art = Unit.objects.get(code="T-ART")
        branch = Unit.objects.get(name="艺术教工支部")
        assert art.kind == Unit.Kind.GENERAL_BRANCH and art.parent == cast.college and art.short_name == "艺术学院"
        assert branch.parent == art and branch.kind == Unit.Kind.BRANCH and branch.code == "T-ART-01"
        assert branch.path == f"{art.path}{branch.pk}/" and branch.institution == cast.college
        assert Unit.objects.get(name="督导科").parent == cast.dept_a
        lin1, lin2, lin3, lin4 = (Person.objects.get(staff_no=f"A00{i}") for i in range(1, 5))
        assert lin1.birth_date == date(1975, 4, 3) and lin1.is_party_member and lin1.gender == "M"
        assert lin2.birth_date == date(1990, 9, 1) and not lin2.is_party_member
        assert lin3.birth_date == date(1985, 12, 2) and lin3.is_party_member
        assert lin4.birth_date == date(1970, 1, 2)
        assert Post.objects.get(person=lin1).kind == Post.Kind.DEPARTMENT_HEAD
        assert set(lin3.posts.values_list("kind", flat=True)) == {Post.Kind.CADRE, Post.Kind.PARTY_MEMBER}
        assert Supervision.objects.get(unit=art).leader == lin4
        assert AuditRecord.objects.filter(action="person.create", actor=cast.user("office")).count() == 4

    def test_it_recognises_synonym_headers_and_leaves_existing_units_alone(self, cast):
        units = [("教务处", "T-A", "江城职业技术学院", "部门", "")]
        people = [("B001", "周一", "T-A", "", "", "", "1980-01", "中共预备党员")]
        data = workbook(
            units,
            people,
            unit_head=["单位名称", "部门编码", "上级单位", "单位类型", "单位简称"],
            people_head=["人员编号", "姓名", "单位", "职务", "职位", "性别", "出生年月", "政治面貌"],
        )
        plan, result = run(data, cast)
        assert plan.errors == [] and result.units_created == 0 and result.people_created == 1
        person = Person.objects.get(staff_no="B001")
        assert person.unit == cast.dept_a and person.birth_date == date(1980, 1, 1)
        # No post given: a party member is recorded as one.
        assert list(person.posts.values_list("kind", flat=True)) == [Post.Kind.PARTY_MEMBER]

    def test_it_reads_merged_cells_from_their_top_left_value(self, cast):
        wb = Workbook()
        ws = wb.active
        ws.append(["工号", "姓名", "所在单位", "岗位"])
        ws.append(["M001", "合一", "财务处", "教职工"])
        ws.append(["M002", "合二", None, "教职工"])
        ws.merge_cells("C2:C3")
        buf = io.BytesIO()
        wb.save(buf)
        plan, result = run(buf.getvalue(), cast)
        assert plan.errors == []
        assert Person.objects.get(staff_no="M002").unit == cast.dept_b


class TestErrors:
    def errors(self, cast, units=(), people=()):
        before = (Unit.objects.count(), Person.objects.count(), AuditRecord.objects.count())
        plan, result = run(workbook(units, people), cast)
        assert result is None
        assert (Unit.objects.count(), Person.objects.count(), AuditRecord.objects.count()) == before
        return [(e.sheet, e.row, e.message) for e in plan.errors]

    def test_it_reports_a_missing_parent(self, cast):
        errs = self.errors(cast, units=[("新科", "", "不存在处", "科室", "")])
        assert errs == [("单位", 2, "系统和文件中都没有单位“不存在处”。")]

    def test_it_reports_a_parent_in_another_institution_as_missing(self, cast):
        errs = self.errors(cast, units=[("新科", "", "T-O1", "科室", "")])
        assert len(errs) == 1 and "T-O1" in errs[0][2]

    def test_it_reports_duplicate_staff_numbers_in_the_file_and_in_the_database(self, cast):
        people = [
            ("D001", "甲", "教务处", "教职工"),
            ("D001", "乙", "教务处", "教职工"),
            ("T005", "丙", "教务处", "教职工"),
        ]
        errs = self.errors(cast, people=people)
        assert [r for _s, r, _m in errs] == [3, 4]
        assert errs[0][2] == "工号 D001 重复（第 2 行也有）。" and errs[1][2] == "工号 T005 重复：系统中已有此工号。"

    def test_it_reports_an_unknown_post(self, cast):
        errs = self.errors(cast, people=[("E001", "丁", "教务处", "校长助理")])
        assert errs == [("人员", 2, "未知岗位“校长助理”。")]

    def test_it_reports_a_bad_date(self, cast):
        people = [
            ("F001", "戊", "教务处", "教职工", "", "", "1990-13-45"),
            ("F002", "己", "教务处", "", "", "", "不详"),
        ]
        errs = self.errors(cast, people=people)
        assert [r for _s, r, _m in errs] == [2, 3] and all("不是有效日期" in m for _s, _r, m in errs)

    def test_it_rolls_back_everything_when_one_row_is_bad(self, cast):
        people = GOOD_PEOPLE + [("Z001", "坏行", "无此单位", "教职工", "", "", "", "", "")]
        errs = self.errors(cast, units=GOOD_UNITS, people=people)
        assert errs == [("人员", 6, "系统和文件中都没有单位“无此单位”。")]
        assert not Unit.objects.filter(code="T-ART").exists() and not Person.objects.filter(staff_no="A001").exists()

    def test_it_rolls_back_when_a_write_fails_half_way(self, cast, monkeypatch):
        """A failure inside apply (after some rows were written) leaves nothing behind."""
        from core.exceptions import ServiceError
        from orgs import importing

        real = importing.person_create
        calls = []

        def failing(**kw):
            calls.append(kw["staff_no"])
            if len(calls) == 3:
                raise ServiceError("boom")
            return real(**kw)

        monkeypatch.setattr(importing, "person_create", failing)
        before = (Unit.objects.count(), Person.objects.count(), AuditRecord.objects.count())
        with pytest.raises(ServiceError):
            run(workbook(GOOD_UNITS, GOOD_PEOPLE), cast)
        assert (Unit.objects.count(), Person.objects.count(), AuditRecord.objects.count()) == before

    def test_it_reports_leadership_posts_on_a_department_and_a_second_principal(self, cast):
        people = [("G001", "庚", "教务处", "班子成员"), ("G002", "辛", "江城职业技术学院", "主要负责人")]
        errs = self.errors(cast, people=people)
        assert [r for _s, r, _m in errs] == [2, 3]

    def test_it_refuses_files_that_are_not_workbooks(self, cast):
        from orgs.importing import ImportFileError

        for data in (b"%PDF-1.4 not a sheet", b"PK\x03\x04broken zip", b"name,parent\n"):
            with pytest.raises(ImportFileError):
                parse(io.BytesIO(data))
        with pytest.raises(ImportFileError, match="文件太大"):
            parse(io.BytesIO(b"PK" + b"\0" * (6 * 1024 * 1024)))
        wb = Workbook()
        wb.active.append(["随便", "什么"])
        buf = io.BytesIO()
        wb.save(buf)
        with pytest.raises(ImportFileError, match="没有找到单位表"):
            parse(io.BytesIO(buf.getvalue()))


class TestCommand:
    def test_it_imports_from_the_command_line(self, cast, tmp_path, capsys):
        f = tmp_path / "org.xlsx"
        f.write_bytes(workbook(GOOD_UNITS, GOOD_PEOPLE))
        call_command("import_org", str(f), "--institution", "T-COL")
        assert "Imported 3 units, 4 people" in capsys.readouterr().out
        assert Person.objects.filter(staff_no__startswith="A00").count() == 4

    def test_it_fails_with_the_row_errors_and_changes_nothing(self, cast, tmp_path, capsys):
        f = tmp_path / "org.xlsx"
        f.write_bytes(workbook(people=[("E001", "丁", "教务处", "校长助理")]))
        with pytest.raises(CommandError, match="1 errors"):
            call_command("import_org", str(f))
        assert "人员 row 2" in capsys.readouterr().err
        assert not Person.objects.filter(staff_no="E001").exists()
        bad = tmp_path / "x.xlsx"
        bad.write_text("hello")
        with pytest.raises(CommandError, match="不是 Excel 工作簿"):
            call_command("import_org", str(bad))


class TestUploadPage:
    def upload(self, client, data: bytes, name="org.xlsx"):
        return client.post(reverse("orgs:import"), {"file": SimpleUploadedFile(name, data)})

    def test_it_previews_then_imports_on_confirmation(self, cast, client_for):
        client = client_for(cast.user("office"))
        response = self.upload(client, workbook(GOOD_UNITS, GOOD_PEOPLE))
        assert response.status_code == 200 and response.context["plan"].is_valid
        assert not Person.objects.filter(staff_no="A001").exists()  # preview writes nothing
        response = client.post(reverse("orgs:import_confirm"), {"token": response.context["token"]})
        assert response.status_code == 302
        assert Person.objects.filter(staff_no__startswith="A00").count() == 4
        # The new people have no account: the office lands on bulk account issue.
        assert response["Location"] == reverse("orgs:accounts")
        # The stored upload is gone and the token cannot be replayed.
        response = client.post(reverse("orgs:import_confirm"), {"token": "abc"}, follow=True)
        assert Person.objects.filter(staff_no__startswith="A00").count() == 4

    def test_it_shows_row_errors_and_offers_no_import(self, cast, client_for):
        client = client_for(cast.user("office"))
        response = self.upload(client, workbook(people=[("E001", "丁", "教务处", "校长助理", "", "", "32/13/1990")]))
        page = response.content.decode()
        assert "校长助理" in page and "32/13/1990" in page
        assert "token" not in response.context and reverse("orgs:import_confirm") not in page

    def test_it_gives_a_clear_message_for_a_file_that_is_not_a_spreadsheet(self, cast, client_for):
        client = client_for(cast.user("office"))
        before = Person.objects.count()
        response = self.upload(client, b"%PDF-1.4 hello", name="org.xlsx")
        assert response.status_code == 200 and response.context["form"].errors["file"]
        assert Person.objects.count() == before

    def test_it_keeps_imports_inside_the_offices_institution(self, cast, client_for):
        client = client_for(cast.user("outsider"))
        response = self.upload(client, workbook(people=[("H001", "壬", "教务处", "教职工")]))
        assert not response.context["plan"].is_valid

    def test_it_offers_a_template_that_imports_as_is(self, cast, client_for):
        client = client_for(cast.user("office"))
        response = client.get(reverse("orgs:import_template"))
        assert response.status_code == 200
        wb = load_workbook(io.BytesIO(response.content))
        assert wb.sheetnames == ["单位", "人员", "说明"]
        assert [c.value for c in wb["人员"][1]][:3] == ["工号*", "姓名*", "所在单位*"]
        plan, result = run(response.content, cast)
        assert plan.errors == [] and result.people_created == 2
