"""Seed the default taxonomy: ten manifestations (庸/懒/散), four focus areas, four aspects."""

from django.db import migrations

# Copied (not imported) so that later edits of problems/taxonomy.py never change this migration.
MANIFESTATIONS = [
    ("得过且过", "lan", "责任心不强，安于现状，满足于应付差事，不求有功但求无过"),
    ("工作推进不力", "yong", "重点工作部署多、落实少，推进缓慢，不能按时按质完成任务"),
    ("创新能力不强", "yong", "思想僵化，因循守旧，习惯老套路，解决新问题办法不多"),
    ("有令不行、有禁不止", "san", "对上级决策部署打折扣、搞变通，令行禁止不到位"),
    ("不作为、慢作为、乱作为", "lan", "遇事推诿扯皮，办事拖拉，服务态度差，不按规定程序办事"),
    ("业绩平庸", "yong", "能力素质与岗位要求不相适应，工作标准不高，长期无明显业绩"),
    ("谋人不谋事", "lan", "心思不在工作上，热衷于拉关系、跑门子，不想干事、不愿干事"),
    ("纪律涣散", "san", "上班迟到早退、脱岗串岗，会风文风不正，制度执行不严"),
    ("贪图享受", "san", "讲排场、比阔气，热衷于吃喝玩乐，艰苦奋斗精神淡化"),
    ("“走读”现象严重", "san", "工作日不按规定在岗在位，下基层、到一线少，联系群众不紧密"),
]
FOCUS_AREAS = [
    "制约本部门跨越式发展的突出问题",
    "推进重点工作中的突出问题",
    "教职工反映强烈的突出问题",
    "干部队伍作风建设的突出问题",
]
ASPECTS = ["工作机制", "工作纪律", "工作作风", "工作效能"]


def seed(apps, schema_editor):
    Manifestation = apps.get_model("problems", "Manifestation")
    FocusArea = apps.get_model("problems", "FocusArea")
    Aspect = apps.get_model("problems", "Aspect")
    for i, (name, group, gloss) in enumerate(MANIFESTATIONS, start=1):
        Manifestation.objects.get_or_create(name=name, defaults={"group": group, "gloss": gloss, "sort_order": i})
    for i, name in enumerate(FOCUS_AREAS, start=1):
        FocusArea.objects.get_or_create(name=name, defaults={"sort_order": i})
    for i, name in enumerate(ASPECTS, start=1):
        Aspect.objects.get_or_create(name=name, defaults={"sort_order": i})


def unseed(apps, schema_editor):
    apps.get_model("problems", "Manifestation").objects.filter(name__in=[m[0] for m in MANIFESTATIONS]).delete()
    apps.get_model("problems", "FocusArea").objects.filter(name__in=FOCUS_AREAS).delete()
    apps.get_model("problems", "Aspect").objects.filter(name__in=ASPECTS).delete()


class Migration(migrations.Migration):
    dependencies = [("problems", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
