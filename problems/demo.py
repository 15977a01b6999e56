"""Demo ledger: problems from every channel, opinions in every triage state, mutual evaluations.

Everything goes through the services, so the audit trail and statuses are real.
"""

from django.core.files.uploadedfile import SimpleUploadedFile

from orgs.models import Person, Post

from .models import Aspect, Channel, FocusArea, Manifestation, Opinion
from .services import (
    opinion_accept,
    opinion_close,
    opinion_enter,
    opinion_merge,
    opinion_submit,
    peer_review_accept,
    peer_review_reject,
    peer_review_submit,
    problem_create,
    problem_fix_at_once,
    self_check_submit,
    taxonomy_ensure,
)
from .tasks import opinion_similarity

# (problem, cause analysis, manifestation, aspect) — typical 庸懒散 findings in a college.
TEMPLATES = [
    (
        "办理学生证明、盖章等事项拖拉，群众往往要跑两三趟才能办成",
        "服务意识不强，办事流程没有梳理公开，首问负责制落实不到位",
        "不作为、慢作为、乱作为",
        "工作效能",
    ),
    (
        "对跨部门事项相互推诿，遇到难题“踢皮球”，学生诉求长时间得不到答复",
        "职责边界不清，缺乏牵头协调机制，怕担责任",
        "不作为、慢作为、乱作为",
        "工作机制",
    ),
    (
        "窗口工作人员服务态度生硬，对来访师生解释不耐心",
        "宗旨意识淡薄，对服务对象缺乏感情，考核中服务质量权重偏低",
        "不作为、慢作为、乱作为",
        "工作作风",
    ),
    (
        "会议多、文件多，以会议落实会议、以文件落实文件的现象仍然存在",
        "形式主义思想作祟，重部署轻落实，会风文风整治不彻底",
        "纪律涣散",
        "工作作风",
    ),
    (
        "部分人员上班迟到早退，工作时间上网聊天、炒股",
        "纪律观念淡薄，考勤制度执行不严，对违规现象批评处理不及时",
        "纪律涣散",
        "工作纪律",
    ),
    (
        "工作思路老套，习惯按部就班，教学管理信息化推进缓慢",
        "学习新知识不够，缺乏改革创新的勇气和担当",
        "创新能力不强",
        "工作效能",
    ),
    (
        "年初确定的重点工作推进缓慢，部分任务到期未完成",
        "工作计划不细，责任没有分解到人，督办跟踪不及时",
        "工作推进不力",
        "工作效能",
    ),
    (
        "满足于完成上级交办的任务，工作标准不高，不求有功但求无过",
        "进取心不强，安于现状，缺乏争先创优意识",
        "得过且过",
        "工作作风",
    ),
    (
        "对学院关于规范财务报销的规定执行打折扣，搞变通",
        "规矩意识不强，认为“差不多就行”，监督检查不到位",
        "有令不行、有禁不止",
        "工作纪律",
    ),
    (
        "深入教学一线、学生宿舍调研少，对基层实际情况掌握不准",
        "官僚主义思想存在，习惯坐在办公室听汇报",
        "“走读”现象严重",
        "工作作风",
    ),
    ("公务接待有超标准现象，节俭意识不够", "艰苦奋斗精神淡化，对中央八项规定精神学习领会不深", "贪图享受", "工作纪律"),
    (
        "热衷于人际关系，对分内工作投入精力不足",
        "世界观、人生观、价值观出现偏差，干事创业的动力不足",
        "谋人不谋事",
        "工作作风",
    ),
    (
        "多年来部门工作业绩平平，在全省同类院校评比中排名靠后",
        "目标定位不高，队伍能力建设滞后，考核激励不足",
        "业绩平庸",
        "工作效能",
    ),
    (
        "实验室设备维修申请审批环节多，一台设备修好要一个多月",
        "审批流程设计不合理，采购与维修职责交叉",
        "不作为、慢作为、乱作为",
        "工作机制",
    ),
    (
        "学生反映的宿舍报修问题处理不及时，回访制度形同虚设",
        "后勤服务外包监管不力，考核指标不具体",
        "不作为、慢作为、乱作为",
        "工作效能",
    ),
    (
        "课程安排临时调整多，通知下达晚，师生意见较大",
        "教学运行计划性不强，信息沟通渠道不畅",
        "工作推进不力",
        "工作机制",
    ),
    (
        "科研项目经费报销手续繁琐，教师反映“报账比做科研还难”",
        "财务制度宣传解读不够，没有站在服务教师的角度优化流程",
        "不作为、慢作为、乱作为",
        "工作机制",
    ),
    (
        "部分干部对分管工作不闻不问，遇事都往上推",
        "担当意识不强，怕犯错误，存在“多一事不如少一事”思想",
        "得过且过",
        "工作作风",
    ),
    ("政治理论学习流于形式，学习笔记照抄照搬", "对理论学习的重要性认识不足，学习制度考核不严", "纪律涣散", "工作纪律"),
    (
        "招生宣传方式单一，仍以发放传单为主，新媒体运用不足",
        "创新意识不强，对生源市场变化研究不够",
        "创新能力不强",
        "工作效能",
    ),
    (
        "毕业生就业跟踪服务不到位，用人单位反馈信息收集不全",
        "工作机制不健全，只重就业率不重就业质量",
        "工作推进不力",
        "工作机制",
    ),
    (
        "对学院党委的决策部署传达不及时，基层党员知晓率低",
        "组织生活不规范，“三会一课”落实不到位",
        "有令不行、有禁不止",
        "工作纪律",
    ),
    (
        "工作日部分中层干部经常不在岗，找人办事难",
        "请销假制度执行不严，对中层干部在岗情况缺乏检查",
        "“走读”现象严重",
        "工作纪律",
    ),
    (
        "图书馆开放时间与学生学习时间不匹配，周末部分阅览室关闭",
        "以管理者方便为出发点，没有充分征求读者意见",
        "不作为、慢作为、乱作为",
        "工作效能",
    ),
    (
        "校园网络故障报修后响应慢，影响线上教学",
        "运维人员不足，值班制度不健全，没有服务时限承诺",
        "工作推进不力",
        "工作效能",
    ),
    (
        "部门内部分工不合理，忙闲不均，部分人员长期“吃大锅饭”",
        "岗位职责不清，考核结果与绩效分配挂钩不紧",
        "纪律涣散",
        "工作机制",
    ),
    (
        "对教职工提出的合理化建议不重视，很少回复",
        "民主意识不强，联系群众的渠道不畅通",
        "不作为、慢作为、乱作为",
        "工作作风",
    ),
    (
        "实训基地建设规划多年未落实，校企合作停留在协议层面",
        "统筹协调不够，缺乏推动落实的具体措施和时间表",
        "工作推进不力",
        "工作效能",
    ),
    (
        "教学质量监控只重检查不重反馈，问题整改不闭环",
        "质量保障体系不健全，整改跟踪机制缺失",
        "工作推进不力",
        "工作机制",
    ),
    ("办公用品采购浪费，部分设备闲置率高", "资产管理制度执行不严，勤俭节约意识不强", "贪图享受", "工作纪律"),
    (
        "安排工作只布置不检查，很多事情“开头轰轰烈烈、结尾冷冷清清”",
        "抓落实的韧劲不足，缺少督查问效",
        "工作推进不力",
        "工作作风",
    ),
    (
        "对新入职教师的培养缺乏系统规划，“传帮带”流于形式",
        "人才培养机制不健全，对青年教师成长关心不够",
        "创新能力不强",
        "工作机制",
    ),
    ("值班人员擅离岗位，夜间突发情况无人处理", "值班制度落实不严，检查问责不到位", "纪律涣散", "工作纪律"),
    ("部分干部热衷于参加各类应酬，工作日午间饮酒", "自律意识不强，廉洁从政观念淡薄", "贪图享受", "工作纪律"),
    (
        "学生资助评定程序不够公开透明，学生有疑虑",
        "信息公开意识不强，民主评议环节不规范",
        "有令不行、有禁不止",
        "工作机制",
    ),
    ("档案管理混乱，查找一份材料需要好几天", "基础工作不扎实，信息化建设投入不足", "业绩平庸", "工作效能"),
    ("对上级布置的调研报告敷衍应付，东拼西凑", "工作态度不端正，调查研究能力不足", "得过且过", "工作作风"),
    (
        "基建项目进度滞后，工程款结算拖延，施工方多次上访",
        "项目管理不规范，部门之间协调配合不够",
        "工作推进不力",
        "工作效能",
    ),
    (
        "对学生违纪处理失之于宽，存在“老好人”思想",
        "原则性不强，怕得罪人，制度刚性执行不够",
        "有令不行、有禁不止",
        "工作纪律",
    ),
    ("科研成果转化少，服务地方经济能力弱", "激励机制不健全，与行业企业联系不紧密", "业绩平庸", "工作效能"),
    (
        "干部选拔任用中存在论资排辈现象，年轻干部成长慢",
        "用人导向不够鲜明，考察评价机制不完善",
        "创新能力不强",
        "工作机制",
    ),
    (
        "对群众来信来访登记不全，处理结果不反馈",
        "信访工作责任制落实不到位，缺少跟踪督办",
        "不作为、慢作为、乱作为",
        "工作机制",
    ),
    ("部门网站信息更新不及时，办事指南内容过时", "对政务公开重视不够，没有明确专人负责", "得过且过", "工作效能"),
    (
        "听课评课制度执行不严，部分领导干部全年听课不足规定次数",
        "对教学中心地位认识不足，制度约束软化",
        "有令不行、有禁不止",
        "工作纪律",
    ),
]

OPINIONS = [
    ("到教务处开成绩证明，工作人员说系统坏了让明天再来，来了三次才办好", "service_user", "accepted"),
    ("财务处报销窗口只上午开放，下午有课的老师根本没时间去报账", "masses", "accepted"),
    ("宿舍热水器坏了报修两周没人来修，打电话也没人接", "service_user", "accepted"),
    ("学院的会太多了，有时一天开三个会，没时间备课", "masses", "new"),
    ("图书馆周末自习室不开放，希望延长开放时间", "service_user", "closed"),
    ("食堂饭菜价格偏高，建议增加平价窗口", "service_user", "closed"),
    ("有的处室上班时间办公室经常没人，找人办事很难", "masses", "new"),
    ("建议把常用的办事流程在网上公开，减少来回跑", "masses", "new"),
    ("实验设备坏了报修一个多月都没修好，影响学生实训", "masses", "new"),
    ("招生就业处对毕业生的就业推荐信开具太慢", "service_user", "new"),
    ("校园网晚上经常断网，报修后没有回音", "service_user", "new"),
    ("个别老师上课迟到，下课提前走，希望加强教学纪律检查", "service_user", "new"),
    ("评优评先的结果没有公示，不知道标准是什么", "masses", "new"),
    ("基建处的工程款一拖再拖，我们施工队的工人工资都发不出来", "grassroots", "new"),
    ("宿舍报修问题：热水器坏了很久没人修", "service_user", "merged"),
    ("处室办事人员在岗时间不固定，经常找不到人", "masses", "merged"),
]

PEER = [
    "深入基层调研不够，对分管部门的实际困难了解不深",
    "开会布置工作多，跟踪检查少，一些工作落实不到位",
    "批评与自我批评开展不够，对下属存在的问题碍于情面不愿指出",
    "学习新知识不够主动，信息化工作思路不宽",
    "工作作风不够扎实，有时满足于一般号召",
    "对分管工作的创新思考不多，习惯沿用老办法",
]

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def seed(ctx: dict) -> None:
    taxonomy_ensure()
    campaign, rng = ctx["campaign"], ctx["rng"]
    office = ctx["office_people"][0].user
    manif = {m.name: m for m in Manifestation.objects.all()}
    aspects = {a.name: a for a in Aspect.objects.all()}
    focus = list(FocusArea.objects.all())
    departments = ctx["departments"]
    made = []

    def problem(unit, channel, person=None, t=None, **kw):
        text, cause, m, aspect = t or rng.choice(TEMPLATES)
        p = problem_create(
            actor=office,
            campaign=campaign,
            unit=unit,
            description=text,
            channel=channel,
            subject_kind="person" if person else kw.pop("subject_kind", "unit"),
            subject_person=person,
            manifestations=[manif[m]],
            aspect=aspects[aspect],
            focus_area=rng.choice(focus),
            severity=rng.choice(["low", "medium", "medium", "high"]),
            cause=cause,
            **kw,
        )
        made.append(p)
        return p

    # 对照自查: each department checks itself and its head checks themselves.
    for i, dept in enumerate(departments):
        head = ctx["heads"].get(dept.pk)
        picks = rng.sample(TEMPLATES, 3)
        self_check_submit(
            actor=head.user if head and head.user else office,
            campaign=campaign,
            unit=dept,
            entries=[
                {
                    "manifestation": manif[m],
                    "description": t,
                    "cause": c,
                    "severity": rng.choice(["low", "medium", "high"]),
                }
                for t, c, m, _a in picks[:2]
            ],
        )
        if head:
            t, c, m, _a = picks[2]
            self_check_submit(
                actor=head.user or office,
                campaign=campaign,
                unit=dept,
                person=head,
                entries=[{"manifestation": manif[m], "description": t, "cause": c, "severity": "medium"}],
            )
        people = list(Person.objects.filter(unit=dept, active=True).exclude(pk=head.pk if head else None)[:4])
        for person in people[:2]:
            problem(dept, Channel.SELF_CHECK, person=person)
        # 对比检查 with a named benchmark, 边查边改 and 上级反馈.
        problem(
            dept,
            Channel.COMPARISON,
            benchmark=rng.choice(
                [
                    "省示范性高职院校同类部门",
                    "学院先进部门（学生工作处）",
                    "市教育局年度工作要求",
                    "全国优秀教务工作者王某",
                ]
            ),
        )
        fixed = problem(dept, Channel.FIX_AS_FOUND, t=TEMPLATES[(i * 7) % len(TEMPLATES)])
        problem_fix_at_once(
            actor=office,
            problem=fixed,
            note="已当场整改：明确专人负责、公开办事流程和时限，并向反映人反馈。",
            files=[SimpleUploadedFile("整改照片.png", PNG, content_type="image/png")] if i % 4 == 0 else [],
        )
        if i % 3 == 0:
            problem(dept, Channel.SUPERIOR_FEEDBACK)
        for _ in range(rng.randint(2, 4)):
            problem(dept, rng.choice([Channel.MASSES_OPINION, Channel.SERVICE_USER_OPINION, Channel.SELF_CHECK]))

    # A few more fixed at once, from any channel (they still count in every statistic).
    for p in rng.sample(made, 12):
        if p.status == "open":
            problem_fix_at_once(actor=office, problem=p, note="立行立改：已完善制度并公开承诺，群众反映的问题已解决。")

    _opinions(ctx, campaign, office, departments, manif)
    _peer_reviews(ctx, campaign, office, manif)


def _opinions(ctx, campaign, office, departments, manif):
    accepted, originals = [], {}
    for i, (text, kind, state) in enumerate(OPINIONS):
        unit = departments[i % len(departments)]
        if i % 5 == 3:
            o = opinion_enter(
                actor=office,
                campaign=campaign,
                unit=unit,
                content=text,
                source="symposium" if i % 10 == 3 else "paper",
                submitter_kind=kind,
            )
        elif i % 4 == 1:
            o = opinion_submit(campaign=campaign, unit=unit, content=text, source="staff_anonymous")
        elif i % 7 == 2:
            o = opinion_submit(
                campaign=campaign, unit=unit, content=text, source="staff_signed", submitter=ctx["staff"]
            )
        else:
            o = opinion_submit(
                campaign=campaign,
                unit=unit,
                content=text,
                source="public_form",
                submitter_kind=kind,
                contact="" if i % 2 else "138****0000",
            )
        if state == "accepted":
            opinion_accept(
                actor=office,
                opinion=o,
                problems=[
                    {
                        "unit": unit,
                        "description": text,
                        "manifestations": [manif["不作为、慢作为、乱作为"]],
                        "severity": "medium",
                    }
                ],
            )
            accepted.append(o)
        elif state == "closed":
            opinion_close(
                actor=office, opinion=o, reason="已转相关部门研究办理，纳入下学期服务改进计划，不作为本次“庸懒散”问题。"
            )
        elif state == "merged":
            opinion_merge(
                actor=office,
                opinion=o,
                duplicate_of=accepted[2] if "热水器" in text else originals.get("absent", accepted[0]),
            )
        if "办公室经常没人" in text:
            originals["absent"] = o
    for o in Opinion.objects.filter(campaign=campaign, status=Opinion.Status.NEW):
        opinion_similarity.call(opinion_id=o.pk)  # the worker would do this; the demo shows results at once


def _peer_reviews(ctx, campaign, office, manif):
    rng = ctx["rng"]
    leaders = ctx["leaders"]
    college = campaign.institution
    n = 0
    for a in leaders[:5]:
        for b in leaders[:5]:
            if a.pk == b.pk or rng.random() < 0.4:
                continue
            r = peer_review_submit(
                actor=a.user or office,
                campaign=campaign,
                unit=college,
                kind="team",
                reviewer=a,
                subject=b,
                content=PEER[n % len(PEER)],
            )
            n += 1
            if n % 3 == 0:
                peer_review_accept(
                    actor=b.user or office,
                    review=r,
                    cause="思想上重视不够，工作方法需要改进",
                    manifestations=[manif["工作推进不力"]],
                )
            elif n % 5 == 0:
                peer_review_reject(actor=b.user or office, review=r, reason="情况已在自查报告中说明")
    for dept in ctx["departments"][:6]:
        members = list(Person.objects.filter(unit=dept, active=True)[:4])
        for a, b in zip(members, members[1:], strict=False):
            r = peer_review_submit(
                actor=a.user or office,
                campaign=campaign,
                unit=dept,
                kind="branch",
                reviewer=a,
                subject=b,
                content=rng.choice(PEER),
            )
            if rng.random() < 0.5:
                peer_review_accept(actor=b.user or office, review=r)
        head = ctx["heads"].get(dept.pk)
        cadres = Person.objects.filter(unit=dept, posts__kind__in=[Post.Kind.CADRE, Post.Kind.STAFF]).exclude(
            pk=head.pk if head else None
        )[:2]
        for c in cadres if head else []:
            r = peer_review_submit(
                actor=head.user or office,
                campaign=campaign,
                unit=dept,
                kind="leader_comment",
                reviewer=head,
                subject=c,
                content="工作标准不高，主动服务意识有待加强，希望在整改中做出表率。",
            )
            if rng.random() < 0.5:
                peer_review_accept(actor=c.user or office, review=r, manifestations=[manif["得过且过"]])
