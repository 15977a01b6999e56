"""Strings that Django's own or third-party catalogues (admin, django-filter, auth) translate with other
words than ours: Django merges catalogues and the first installed apps win, so "Filter" would read
过滤器 on our pages. The site shell's catalogue (LOCALE_PATHS) comes first of all; listing the strings
here keeps makemessages from dropping them from it. rectify/tests/test_translations.py checks that
every page string shows its app's own translation."""

from django.utils.translation import gettext_noop

OVERRIDDEN = [
    gettext_noop("Action"),  # audit log column: 操作 (not 动作)
    gettext_noop("Add"),  # 添加 (not admin's 增加)
    gettext_noop("Close"),  # closing an opinion: 办结 (not 关闭)
    gettext_noop("Filter"),  # list filter button: 筛选 (not 过滤器)
    gettext_noop("History"),
    gettext_noop("Log out"),  # 退出登录 (not 注销)
    gettext_noop("Remove"),  # 移除 (not admin's 删除)
    gettext_noop("Summary"),
    gettext_noop("active"),
    gettext_noop("group"),
    gettext_noop("object id"),  # 对象编号 (not 对象id)
]
