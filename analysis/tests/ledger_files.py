"""Ledgers built the way offices type them, with the figures an office would count by hand.

Each builder returns the workbook bytes; HAND_COUNTS next to it say what a person counting the
printed sheet finds (problems, measures, statuses, names that match nobody, duplicate rows)."""

import io
from datetime import datetime

from openpyxl import Workbook

TITLE = "江城区教育局“治庸问责”问题整改台账"


def district_ledger() -> bytes:
    """Heading rows for categories (一、… merged across the sheet), a problem merged over two measure
    rows, a multi-line measure, 一是/二是/三是 in one cell, text deadlines (7月底, 长期坚持, 立行立改),
    status words in two columns, a post title (党委书记) and unknown people and units, a blank line,
    a duplicated row and a 合计 line."""
    wb = Workbook()
    ws = wb.active
    ws.title = "整改台账"
    ws.append([TITLE])
    ws.merge_cells("A1:J1")
    ws.append(["填报单位（盖章）：               填报时间：2026年6月"])
    ws.append(
        [
            "序号",
            "问题类别",
            "存在问题",
            "整改措施",
            "责任领导",
            "责任单位",
            "责任人",
            "整改时限",
            "完成情况",
            "销号情况",
        ]
    )
    ws.append(["一、思想作风方面"])
    ws.merge_cells("A4:J4")
    ws.append(
        [
            1,
            None,
            "理论学习流于形式",
            "加强理论学习\n每月集中学习一次",
            "副院长李华",
            "教务处",
            "处长张三",
            "7月底",
            "已完成",
            "已销号",
        ]
    )
    ws.append([None, None, None, "开展谈心谈话", "", "教务处", "党委书记", "长期坚持", "持续推进", ""])
    ws.merge_cells("A5:A6")
    ws.merge_cells("C5:C6")
    ws.append([])
    ws.append(
        [
            2,
            None,
            "办事效率不高，群众反映办事难",
            "一是简化审批流程；二是实行限时办结；三是公开办事指南",
            "",
            "招生办",
            "李明",
            datetime(2026, 9, 30),
            "正在整改",
            "未销号",
        ]
    )
    ws.append(["二、工作纪律方面"])
    ws.merge_cells("A9:J9")
    ws.append([3, None, "上班迟到早退", "严格考勤制度", "", "财务处", "处长钱五", "2026.6.30", "基本完成", ""])
    ws.append([3, None, "上班迟到早退", "严格考勤制度", "", "财务处", "处长钱五", "2026.6.30", "基本完成", ""])
    ws.append([4, None, "考勤制度执行不严", "立即通报考勤结果", "", "考务科", "干部孙七", "立行立改", "完成", ""])
    ws.append(["合计", None, "4个问题"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# What a person counting the sheet finds (without splitting 一是/二是/三是).
DISTRICT_COUNTS = {
    "problems": 4,
    "measures": 5,
    "measures_split": 7,  # row 8's cell holds three measures
    "done": 2,  # rows 5 (已完成/已销号) and 12 (完成)
    "in_progress": 3,  # rows 6 (持续推进), 8 (正在整改), 10 (基本完成)
    "not_started": 0,
    "duplicates": 1,  # row 11 repeats row 10
    "categories": ["思想作风方面", "工作纪律方面"],
    "unlinked_owners": ["党委书记", "李明"],
    "unlinked_units": ["招生办"],
}


def category_column_ledger() -> bytes:
    """A category column merged down over its problems, a two-row header, 进度 as percentages and a
    status word the office has to teach (已报送销号材料), a unit column, 3月底 / 2026年底 deadlines."""
    wb = Workbook()
    ws = wb.active
    ws.append([TITLE])
    ws.merge_cells("A1:H1")
    ws.append(["问题方面", "问题描述", "整改举措", "责任主体", None, "完成时间", "整改进度", "备注"])
    ws.append([None, None, None, "责任部门", "具体责任人", None, None, None])
    ws.merge_cells("D2:E2")
    ws.append(["工作效能", "审批环节多", "压减审批环节", "教务处", "干部孙七", "3月底", "100%", ""])
    ws.append([None, "会议多文件多", "精简会议文件", "教务处", "干部吴九", "2026年底", "60%", ""])
    ws.append([None, "信息公开不及时", "按月公开", "财务处", "处长钱五", "2026-12-31", "已报送销号材料", ""])
    ws.merge_cells("A4:A6")
    ws.append(["工作作风", "服务态度生硬", "开展服务礼仪培训", "财务处", "王小二", "2026年10月", "0%", ""])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


CATEGORY_COUNTS = {"problems": 4, "measures": 4, "done_after_word": 2, "in_progress": 1, "not_started": 1}


def large_ledger(rows: int) -> bytes:
    """A district-size ledger of `rows` data rows, written the way a whole district's file looks: a
    category heading every 50 problems, each problem merged over two measure rows (a measure and a
    follow-up), statuses mixed (已完成 / 正在整改 / 未整改), units known and unknown, owners known,
    post titles and unknown names. Rows are all different (no duplicates).

    Hand counts for `rows` = 2·k: k problems, 2·k measures; per problem the first measure is done
    when k is even and the second is 未整改 every third problem, else 正在整改."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("台账")
    ws.append([TITLE])
    ws.append(["序号", "存在问题", "整改措施", "责任单位", "责任人", "整改时限", "完成情况"])
    units = ["教务处", "财务处", "考务科", "街道办一", "街道办二"]
    owners = ["处长张三", "处长钱五", "干部孙七", "党委书记", "未登记人员"]
    n_problems = rows // 2
    for k in range(n_problems):
        if k % 50 == 0:
            ws.append([f"{'一二三四五六七八九十'[(k // 50) % 10]}、第{k // 50 + 1}方面"])
        unit = units[k % len(units)]
        first = "已完成" if k % 2 == 0 else "正在整改"
        second = "未整改" if k % 3 == 0 else "正在整改"
        ws.append(
            [k + 1, f"问题{k + 1}：制度执行不到位", f"措施{k + 1}-1 建立制度", unit, owners[k % 5], "2026.6.30", first]
        )
        ws.append([None, None, f"措施{k + 1}-2 跟踪检查", unit, owners[(k + 1) % 5], "长期坚持", second])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def large_counts(rows: int) -> dict:
    k = rows // 2
    done = sum(1 for i in range(k) if i % 2 == 0)
    not_started = sum(1 for i in range(k) if i % 3 == 0)
    return {
        "problems": k,
        "measures": 2 * k,
        "done": done,
        "not_started": not_started,
        "in_progress": 2 * k - done - not_started,
    }
