from rectify.tests.pagetext import stray_latin_words


def test_it_lets_names_codes_and_numbers_through():
    text = "下载 Word 文档或 PDF；扫描 QR 码；工号 T001；第 v2 版；SHA-256 3fa2…；邮箱 head_a@example.cn；2026年；Excel 文件（.xlsx）；English"
    assert stray_latin_words(text) == []


def test_it_catches_english_left_on_a_chinese_page():
    text = "自查报告 Submit for review 状态：draft · None"
    assert stray_latin_words(text) == ["Submit", "for", "review", "draft", "None"]


def test_it_accepts_the_names_of_the_data_under_test():
    assert stray_latin_words("外籍教师 Anna Lee 的报告", names={"Anna", "Lee"}) == []
    assert stray_latin_words("外籍教师 Anna Lee 的报告") == ["Anna", "Lee"]
